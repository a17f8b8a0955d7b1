/**
 * Runs the containers of a synthesized pod spec as local processes, so real-server tests execute
 * exactly the command, args, env and files the manifests declare.
 *
 * Emulation rules (what kubelet would do, on this machine):
 * - every volume of the pod becomes a directory in the sandbox: ConfigMaps are written from the
 *   synthesized ConfigMap data (keys or `items`, with their modes), Secrets from values the test
 *   supplies (the cluster's Secret content is never in the manifests), emptyDirs are empty
 *   directories, PVCs and StatefulSet volume claim templates are directories that outlive the
 *   "pod" (same claim name = same directory, like a PVC that survives a pod restart);
 * - the one rewrite: every occurrence of a container `mountPath` in `command`, `args`, env
 *   values and `workingDir` is replaced by the directory backing that mount (+ `subPath`), in a
 *   single pass, longest mount path first — the same file a process in the pod would open;
 * - env is resolved like kubelet: `envFrom`, then `env` with `$(VAR)` expansion and `$$`
 *   escapes, `fieldRef` (pod name, namespace, labels, pod IP = 127.0.0.1), `secretKeyRef` (test
 *   values), `configMapKeyRef` (synthesized data), `resourceFieldRef` (container resources);
 *   `command`/`args` get the same `$(VAR)` expansion;
 * - ownership follows the pod's `fsGroup`: mounted Secret/ConfigMap files are root-owned with
 *   group = the server user's group and mode | 0440 (kubelet's read-only volume rule), so a
 *   script that hands a Secret file to libpq unchanged fails here as it would in the cluster.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Daemon, run, RunResult } from './processes';
import { Sandbox } from './sandbox';

/** A Kubernetes object as synthesized (plain JSON). */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string>; readonly [k: string]: any };
  readonly [k: string]: any;
}

/** The objects of `kind` (optionally with `name`). */
export function objectsOf(manifests: readonly any[], kind: string, name?: string): K8sObject[] {
  return manifests.filter((o) => o?.kind === kind && (name === undefined || o.metadata?.name === name));
}

/** The single object of `kind` named `name`; throws listing what exists otherwise. */
export function objectOf(manifests: readonly any[], kind: string, name: string): K8sObject {
  const found = objectsOf(manifests, kind, name);
  if (found.length !== 1) {
    const have = objectsOf(manifests, kind).map((o) => o.metadata.name);
    throw new Error(`expected one ${kind} named ${name}, found ${found.length} (have: ${have.join(', ') || 'none'})`);
  }
  return found[0];
}

/** `data[key]` of the ConfigMap `name`; throws listing the keys otherwise. */
export function configMapValue(manifests: readonly any[], name: string, key: string): string {
  const cm = objectOf(manifests, 'ConfigMap', name);
  const v = cm.data?.[key];
  if (typeof v !== 'string') {
    throw new Error(`ConfigMap ${name} has no key ${key} (keys: ${Object.keys(cm.data ?? {}).join(', ')})`);
  }
  return v;
}

/** The pod template of a workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). */
export function podTemplateOf(obj: K8sObject): { metadata?: any; spec: any } {
  switch (obj.kind) {
    case 'Pod':
      return { metadata: obj.metadata, spec: obj.spec };
    case 'CronJob':
      return obj.spec.jobTemplate.spec.template;
    default:
      if (!obj.spec?.template?.spec) {
        throw new Error(`${obj.kind} ${obj.metadata.name} has no pod template`);
      }
      return obj.spec.template;
  }
}

/** Every container (init containers first) of a workload. */
export function containersOf(obj: K8sObject): any[] {
  const spec = podTemplateOf(obj).spec;
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** The container `name` of a workload (init or regular). */
export function containerOf(obj: K8sObject, name: string): any {
  const c = containersOf(obj).find((x) => x.name === name);
  if (!c) {
    throw new Error(
      `${obj.kind} ${obj.metadata.name} has no container ${name} (have: ${containersOf(obj)
        .map((x) => x.name)
        .join(', ')})`,
    );
  }
  return c;
}

/** Kubelet's `$(VAR)` expansion: defined variables are substituted, `$$` becomes `$`, the rest stays. */
export function expandKubernetesVars(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') {
      return '$';
    }
    return name !== undefined && Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : m;
  });
}

const BINARY_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIX: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity as a number (bytes, cores). */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    return q;
  }
  const m = /^([0-9.]+)([A-Za-z]*)$/.exec(q.trim());
  if (!m) {
    throw new Error(`not a quantity: ${q}`);
  }
  const mult = BINARY_SUFFIX[m[2]] ?? DECIMAL_SUFFIX[m[2]];
  if (mult === undefined) {
    throw new Error(`unknown quantity suffix: ${q}`);
  }
  return Number(m[1]) * mult;
}

export interface PodSandboxOptions {
  /** Everything synthesized (ConfigMaps are looked up here). */
  readonly manifests: readonly any[];
  /** The workload whose pod template runs. */
  readonly workload: K8sObject;
  /** metadata.name of the emulated pod (StatefulSet: `<name>-<ordinal>`). */
  readonly podName: string;
  /** @default 'default' */
  readonly namespace?: string;
  /** Secret content the test supplies: secret name → key → value. */
  readonly secrets?: Record<string, Record<string, string>>;
  /** Directory name of this pod inside the sandbox. @default `pod-<podName>` */
  readonly dirName?: string;
}

export interface ContainerRunOptions {
  /** Extra env, applied after the container's (documented per test: e.g. a Service name → 127.0.0.1). */
  readonly env?: Record<string, string>;
  /** Arguments appended after the container's command and args. */
  readonly extraArgs?: readonly string[];
  /** @default 120000 */
  readonly timeoutMs?: number;
  readonly input?: string;
}

interface Mount {
  readonly containerPath: string;
  readonly hostPath: string;
}

/** One emulated pod: its volumes on disk and its containers as processes. */
export class PodSandbox {
  public readonly dir: string;
  private readonly template: { metadata?: any; spec: any };
  private readonly volumes = new Map<string, string>();

  public constructor(
    public readonly sandbox: Sandbox,
    private readonly opts: PodSandboxOptions,
  ) {
    this.template = podTemplateOf(opts.workload);
    this.dir = sandbox.mkdir(opts.dirName ?? `pod-${opts.podName}`, 0o755);
    for (const vol of this.template.spec.volumes ?? []) {
      this.volumes.set(vol.name, this.materialize(vol));
    }
    for (const vct of opts.workload.kind === 'StatefulSet' ? (opts.workload.spec.volumeClaimTemplates ?? []) : []) {
      this.volumes.set(vct.metadata.name, this.claimDir(`${vct.metadata.name}-${opts.podName}`));
    }
  }

  public get podSpec(): any {
    return this.template.spec;
  }

  private get fsGroup(): number | undefined {
    return this.template.spec.securityContext?.fsGroup;
  }

  /** The directory backing volume `name`. */
  public volumeDir(name: string): string {
    const d = this.volumes.get(name);
    if (!d) {
      throw new Error(`pod ${this.opts.podName} has no volume ${name} (have: ${[...this.volumes.keys()].join(', ')})`);
    }
    return d;
  }

  /** A PVC's directory: shared by every pod of the sandbox that mounts the same claim. */
  public claimDir(claimName: string): string {
    const rel = path.join('pvc', claimName);
    const abs = this.sandbox.path(rel);
    if (!fs.existsSync(abs)) {
      this.sandbox.mkdir('pvc', 0o755);
      fs.mkdirSync(abs);
      this.setOwnership(abs, 0o2770, 0o700);
    }
    return abs;
  }

  private setOwnership(abs: string, modeWithFsGroup: number, modeWithout: number): void {
    const user = this.sandbox.user;
    if (this.fsGroup !== undefined) {
      if (user.switchTo) {
        fs.chownSync(abs, 0, user.gid);
      }
      fs.chmodSync(abs, modeWithFsGroup);
    } else {
      this.sandbox.own(abs);
      fs.chmodSync(abs, modeWithout);
    }
  }

  private writeProjected(dir: string, data: Record<string, string>, items: any[] | undefined, defaultMode: number | undefined): void {
    const entries: Array<{ key: string; rel: string; mode?: number }> = items
      ? items.map((i) => ({ key: i.key, rel: i.path, mode: i.mode }))
      : Object.keys(data).map((k) => ({ key: k, rel: k }));
    for (const e of entries) {
      if (!(e.key in data)) {
        throw new Error(`pod ${this.opts.podName}: volume item key ${e.key} is missing`);
      }
      const file = path.join(dir, e.rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, data[e.key]);
      const mode = e.mode ?? defaultMode ?? 0o644;
      // kubelet: read-only volumes get group ownership fsGroup and mode | 0440
      this.setOwnership(file, mode | 0o440, mode);
    }
  }

  private secretData(name: string, optional: boolean | undefined): Record<string, string> | undefined {
    const data = this.opts.secrets?.[name];
    if (!data && !optional) {
      throw new Error(`pod ${this.opts.podName} mounts Secret ${name}: the test must supply its content (secrets option)`);
    }
    return data;
  }

  private configMapData(name: string, optional: boolean | undefined): Record<string, string> | undefined {
    const cm = objectsOf(this.opts.manifests, 'ConfigMap', name)[0];
    if (!cm && !optional) {
      throw new Error(`pod ${this.opts.podName} mounts ConfigMap ${name}, which is not in the synthesized manifests`);
    }
    return cm?.data ?? (cm ? {} : undefined);
  }

  private materialize(vol: any): string {
    const dir = path.join(this.dir, 'volumes', vol.name);
    if (vol.persistentVolumeClaim) {
      return this.claimDir(vol.persistentVolumeClaim.claimName);
    }
    fs.mkdirSync(dir, { recursive: true });
    this.sandbox.own(path.join(this.dir, 'volumes'));
    if (vol.emptyDir) {
      this.setOwnership(dir, 0o2777, 0o777);
    } else if (vol.configMap) {
      const data = this.configMapData(vol.configMap.name, vol.configMap.optional);
      this.writeProjected(dir, data ?? {}, vol.configMap.items, vol.configMap.defaultMode);
      fs.chmodSync(dir, 0o755);
    } else if (vol.secret) {
      const data = this.secretData(vol.secret.secretName, vol.secret.optional);
      this.writeProjected(dir, data ?? {}, vol.secret.items, vol.secret.defaultMode);
      fs.chmodSync(dir, 0o755);
    } else if (vol.projected) {
      for (const src of vol.projected.sources ?? []) {
        if (src.configMap) {
          this.writeProjected(
            dir,
            this.configMapData(src.configMap.name, src.configMap.optional) ?? {},
            src.configMap.items,
            vol.projected.defaultMode,
          );
        } else if (src.secret) {
          this.writeProjected(dir, this.secretData(src.secret.name, src.secret.optional) ?? {}, src.secret.items, vol.projected.defaultMode);
        } else if (src.downwardAPI) {
          const data: Record<string, string> = {};
          for (const i of src.downwardAPI.items ?? []) {
            data[i.path] = this.fieldRef(i.fieldRef?.fieldPath ?? '');
          }
          this.writeProjected(dir, data, undefined, vol.projected.defaultMode);
        }
        // serviceAccountToken sources have nothing to emulate here
      }
      fs.chmodSync(dir, 0o755);
    } else if (vol.downwardAPI) {
      const data: Record<string, string> = {};
      for (const i of vol.downwardAPI.items ?? []) {
        data[i.path] = this.fieldRef(i.fieldRef?.fieldPath ?? '');
      }
      this.writeProjected(dir, data, undefined, vol.downwardAPI.defaultMode);
    } else {
      throw new Error(`pod ${this.opts.podName}: volume ${vol.name} of this type cannot be emulated: ${JSON.stringify(vol)}`);
    }
    return dir;
  }

  private fieldRef(fieldPath: string): string {
    const labels: Record<string, string> = this.template.metadata?.labels ?? {};
    const annotations: Record<string, string> = this.template.metadata?.annotations ?? {};
    const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath);
    const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(fieldPath);
    switch (fieldPath) {
      case 'metadata.name':
        return this.opts.podName;
      case 'metadata.namespace':
        return this.opts.namespace ?? 'default';
      case 'status.podIP':
      case 'status.hostIP':
        return '127.0.0.1';
      case 'spec.nodeName':
        return 'node-1';
      case 'spec.serviceAccountName':
        return this.template.spec.serviceAccountName ?? 'default';
      default:
        if (label) {
          return labels[label[1]] ?? '';
        }
        if (annotation) {
          return annotations[annotation[1]] ?? '';
        }
        throw new Error(`fieldRef ${fieldPath} cannot be emulated`);
    }
  }

  /** The container `name` (init or regular). */
  public container(name: string): any {
    return containerOf(this.opts.workload, name);
  }

  /** Mounts of a container, longest container path first. */
  public mounts(name: string): Mount[] {
    return (this.container(name).volumeMounts ?? [])
      .map((m: any) => ({ containerPath: m.mountPath.replace(/\/+$/, ''), hostPath: path.join(this.volumeDir(m.name), m.subPath ?? '') }))
      .filter((m: Mount) => m.containerPath !== '')
      .sort((a: Mount, b: Mount) => b.containerPath.length - a.containerPath.length);
  }

  /**
   * The container's view of the directories that contain mount points (e.g. `/etc/app/secrets`
   * when `/etc/app/secrets/a` and `/etc/app/secrets/b` are mounts): a skeleton directory per
   * container whose entries are symlinks to the volumes, so `"$DIR/a/password"` works.
   */
  private skeleton(name: string): Map<string, string> {
    const root = path.join(this.dir, 'roots', name);
    const parents = new Map<string, string>();
    for (const m of this.mounts(name)) {
      let child = m.containerPath;
      let parent = path.posix.dirname(child);
      while (parent !== '/' && parent !== '.') {
        const abs = path.join(root, parent);
        fs.mkdirSync(abs, { recursive: true });
        parents.set(parent, abs);
        child = parent;
        parent = path.posix.dirname(child);
      }
      const link = path.join(root, m.containerPath);
      if (!fs.existsSync(link)) {
        fs.mkdirSync(path.dirname(link), { recursive: true });
        fs.symlinkSync(m.hostPath, link);
      }
    }
    // mount points that are also parents of other mounts are volumes, not skeleton directories
    for (const m of this.mounts(name)) {
      parents.delete(m.containerPath);
    }
    return parents;
  }

  /**
   * Replaces every container mount path in `text` by its host directory, and every directory
   * that only contains mount points by its skeleton directory (single pass, longest first).
   */
  public mapPaths(name: string, text: string): string {
    const targets = new Map<string, { host: string; exact: boolean }>();
    for (const m of this.mounts(name)) {
      targets.set(m.containerPath, { host: m.hostPath, exact: false });
    }
    for (const [p, host] of this.skeleton(name)) {
      targets.set(p, { host, exact: true });
    }
    if (targets.size === 0) {
      return text;
    }
    const esc = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const sorted = [...targets.keys()].sort((a, b) => b.length - a.length);
    const alts = sorted.map((p) => (targets.get(p)!.exact ? `${esc(p)}(?![\\w./-])` : `${esc(p)}(?![\\w.-])`)).join('|');
    const re = new RegExp(`(^|[^\\w./-])(${alts})`, 'g');
    return text.replace(re, (_m, pre: string, p: string) => pre + targets.get(p)!.host);
  }

  /** The host path a process in container `name` sees at `containerPath`. */
  public hostPath(name: string, containerPath: string): string {
    const mapped = this.mapPaths(name, containerPath);
    if (mapped === containerPath) {
      throw new Error(`${containerPath} is not under a volume mount of container ${name}`);
    }
    return mapped;
  }

  /** The container's environment as kubelet would give it (before path mapping). */
  public containerEnv(name: string): Record<string, string> {
    const c = this.container(name);
    const env: Record<string, string> = {};
    for (const src of c.envFrom ?? []) {
      const data = src.configMapRef
        ? this.configMapData(src.configMapRef.name, src.configMapRef.optional)
        : this.secretData(src.secretRef.name, src.secretRef.optional);
      for (const [k, v] of Object.entries(data ?? {})) {
        env[`${src.prefix ?? ''}${k}`] = v;
      }
    }
    for (const e of c.env ?? []) {
      if (e.value !== undefined) {
        env[e.name] = expandKubernetesVars(e.value, env);
      } else if (e.valueFrom?.fieldRef) {
        env[e.name] = this.fieldRef(e.valueFrom.fieldRef.fieldPath);
      } else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        const v = this.secretData(ref.name, ref.optional)?.[ref.key];
        if (v === undefined && !ref.optional) {
          throw new Error(`container ${name} env ${e.name}: the test must supply Secret ${ref.name} key ${ref.key}`);
        }
        if (v !== undefined) {
          env[e.name] = v;
        }
      } else if (e.valueFrom?.configMapKeyRef) {
        const ref = e.valueFrom.configMapKeyRef;
        const v = this.configMapData(ref.name, ref.optional)?.[ref.key];
        if (v !== undefined) {
          env[e.name] = v;
        }
      } else if (e.valueFrom?.resourceFieldRef) {
        const ref = e.valueFrom.resourceFieldRef;
        const target = ref.containerName ? this.container(ref.containerName) : c;
        const [kind, res] = ref.resource.split('.');
        const q = target.resources?.[kind]?.[res];
        if (q === undefined) {
          throw new Error(`container ${name} env ${e.name}: ${ref.resource} is not set`);
        }
        const divisor = parseQuantity(ref.divisor ?? '1');
        env[e.name] = String(Math.ceil(parseQuantity(q) / divisor));
      } else {
        env[e.name] = '';
      }
    }
    return env;
  }

  /** The process the container would run: argv and env, with `$(VAR)` expanded and mount paths mapped. */
  public processOf(name: string, opts: ContainerRunOptions = {}): { argv: string[]; env: Record<string, string>; cwd: string } {
    const c = this.container(name);
    if (!c.command || c.command.length === 0) {
      throw new Error(`container ${name} has no command: the image entrypoint cannot be emulated`);
    }
    const kubeEnv = this.containerEnv(name);
    const argv = [...c.command, ...(c.args ?? [])].map((a: string) => this.mapPaths(name, expandKubernetesVars(a, kubeEnv)));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(kubeEnv)) {
      env[k] = this.mapPaths(name, v);
    }
    Object.assign(env, opts.env ?? {});
    const cwd = c.workingDir ? this.mapPaths(name, c.workingDir) : this.dir;
    return { argv: [...argv, ...(opts.extraArgs ?? [])], env, cwd };
  }

  /** Runs container `name` to completion as the server user. */
  public run(name: string, opts: ContainerRunOptions = {}): Promise<RunResult> {
    const p = this.processOf(name, opts);
    return run(p.argv[0], p.argv.slice(1), {
      user: this.sandbox.user,
      env: p.env,
      cwd: p.cwd,
      timeoutMs: opts.timeoutMs ?? 120_000,
      input: opts.input,
    });
  }

  /**
   * `kubectl exec <pod> -c <name> -- argv`: runs `argv` inside container `name`'s environment
   * (its env and mounts, mapped like its command).
   */
  public exec(name: string, argv: readonly string[], opts: ContainerRunOptions = {}): Promise<RunResult> {
    const kubeEnv = this.containerEnv(name);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(kubeEnv)) {
      env[k] = this.mapPaths(name, v);
    }
    Object.assign(env, opts.env ?? {});
    const mapped = argv.map((a) => this.mapPaths(name, a));
    const c = this.container(name);
    return run(mapped[0], mapped.slice(1), {
      user: this.sandbox.user,
      env,
      cwd: c.workingDir ? this.mapPaths(name, c.workingDir) : this.dir,
      timeoutMs: opts.timeoutMs ?? 120_000,
      input: opts.input,
    });
  }

  /** Starts container `name` as a daemon (tracked by the sandbox). */
  public start(name: string, opts: ContainerRunOptions = {}): Daemon {
    const p = this.processOf(name, opts);
    const daemon = Daemon.start(`${this.opts.podName}/${name}`, p.argv[0], p.argv.slice(1), {
      user: this.sandbox.user,
      env: p.env,
      cwd: p.cwd,
      logFile: path.join(this.dir, `${name}.log`),
    });
    return this.sandbox.track(daemon);
  }
}
