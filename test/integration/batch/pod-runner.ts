/**
 * Runs a synthesized SerialBatchJob pod the way the kubelet would, as real processes on this
 * machine: the init containers one at a time in manifest order (stopping at the first failure),
 * then the summary container. Each container gets exactly the command, args and environment the
 * manifest gives, after the kubelet's `$(VAR)` expansion, with its volume mounts and termination
 * message path mapped into a temporary directory, and `/bin/sh` replaced by the shell under test.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kubeletExpand } from '../../batch/kubelet-expansion';

export type Obj = Record<string, any>;

/** A shell to run the wrapper with, and the directory of tools its "image" provides. */
export interface Shell {
  readonly name: string;
  /** argv prefix replacing `/bin/sh`. */
  readonly argv: string[];
  /** Directory put first on PATH: `sh` (and for busybox every tool) point at the shell under test. */
  readonly bin: string;
  /** PATH of the container. */
  readonly path: string;
}

const BUSYBOX_TOOLS = [
  'sh',
  'sleep',
  'date',
  'mkdir',
  'mv',
  'cut',
  'cat',
  'rm',
  'printf',
  'echo',
  'true',
  'false',
  'test',
  'touch',
  'wc',
  'tr',
  'ls',
  'kill',
  'head',
];

function which(binary: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The shells the wrapper must run under. A missing one fails under CI=true (the CI installs them
 * with scripts/install-test-deps.sh) and is skipped loudly otherwise.
 */
export function availableShells(root: string): { shells: Shell[]; missing: string[] } {
  const shells: Shell[] = [];
  const missing: string[] = [];
  const dash = which('dash');
  if (dash) {
    const bin = path.join(root, 'dash-bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(dash, path.join(bin, 'sh'));
    shells.push({ name: 'dash', argv: [dash], bin, path: `${bin}:/usr/local/bin:/usr/bin:/bin` });
  } else {
    missing.push('dash');
  }
  const busybox = which('busybox');
  if (busybox) {
    const bin = path.join(root, 'busybox-bin');
    fs.mkdirSync(bin, { recursive: true });
    for (const tool of BUSYBOX_TOOLS) {
      fs.symlinkSync(busybox, path.join(bin, tool));
    }
    // a busybox image: nothing but busybox on PATH
    shells.push({ name: 'busybox sh', argv: [busybox, 'sh'], bin, path: bin });
  } else {
    missing.push('busybox');
  }
  return { shells, missing };
}

export interface ContainerRun {
  readonly name: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The termination message the container wrote, or '' when none. */
  readonly message: string;
}

export interface PodRunOptions {
  readonly shell: Shell;
  /** The directory standing in for the node: volumes and termination logs go below it. */
  readonly root: string;
  /** The Job's uid, which the Job controller puts in the pod's controller-uid label. */
  readonly jobUid: string;
  /** The Job's name, which the Job controller puts in the pod's job-name label. @default 'batch-job' */
  readonly jobName?: string;
  /** Secret values by `<secret>/<key>`. */
  readonly secrets?: Record<string, string>;
  /**
   * Variables replaced after the manifest's env is built, e.g. a Service's name by the loopback
   * address of the server standing in for it (`PGHOST: '127.0.0.1'`).
   */
  readonly envOverrides?: Record<string, string>;
  /** Called with the process of each container once it started (to signal it). */
  readonly onStart?: (container: string, pid: number) => void;
  /** Deadline for one container. */
  readonly timeoutMs?: number;
}

export interface PodRun {
  readonly containers: ContainerRun[];
  /** Whether every init container and the summary container exited 0. */
  readonly succeeded: boolean;
  /** Host directory of each volume. */
  readonly volumes: Record<string, string>;
}

function podSpec(objects: Obj[]): Obj {
  const cron = objects.find((o) => o.kind === 'CronJob');
  const job = cron ? cron.spec.jobTemplate.spec : objects.find((o) => o.kind === 'Job')!.spec;
  return job.template.spec;
}

/** Materialises the pod's volumes below `root`; a PVC is one directory shared by every pod run with the same root. */
function volumesOf(objects: Obj[], pod: Obj, root: string, podDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of pod.volumes as Obj[]) {
    if (v.configMap) {
      const dir = path.join(podDir, 'volumes', v.name);
      fs.mkdirSync(dir, { recursive: true });
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === v.configMap.name);
      if (!cm) {
        throw new Error(`ConfigMap ${v.configMap.name} is not in the manifest`);
      }
      for (const [key, value] of Object.entries(cm.data as Record<string, string>)) {
        fs.writeFileSync(path.join(dir, key), value, { mode: v.configMap.defaultMode ?? 0o644 });
      }
      out[v.name] = dir;
    } else if (v.emptyDir) {
      const dir = path.join(podDir, 'volumes', v.name);
      fs.mkdirSync(dir, { recursive: true });
      out[v.name] = dir;
    } else if (v.persistentVolumeClaim) {
      const dir = path.join(root, 'claims', v.persistentVolumeClaim.claimName);
      fs.mkdirSync(dir, { recursive: true });
      out[v.name] = dir;
    } else {
      throw new Error(`unsupported volume ${JSON.stringify(v)}`);
    }
  }
  return out;
}

/** Runs one pod of the Job to completion (or first failure). */
export async function runPod(objects: Obj[], opts: PodRunOptions): Promise<PodRun> {
  const pod = podSpec(objects);
  const podDir = fs.mkdtempSync(path.join(opts.root, 'pod-'));
  const podUid = path.basename(podDir);
  const volumes = volumesOf(objects, pod, opts.root, podDir);
  const containers: ContainerRun[] = [];
  const all = [...(pod.initContainers ?? []), ...pod.containers] as Obj[];
  for (const c of all) {
    const run = await runContainer(objects, c, volumes, podDir, podUid, opts);
    containers.push(run);
    if (run.code !== 0) {
      return { containers, succeeded: false, volumes };
    }
  }
  return { containers, succeeded: true, volumes };
}

/** What the downward API gives for the field paths the batch pod uses. */
function fieldValue(fieldPath: string, podUid: string, opts: PodRunOptions): string {
  switch (fieldPath) {
    case 'metadata.uid':
      return podUid;
    case "metadata.labels['batch.kubernetes.io/controller-uid']":
      return opts.jobUid;
    case "metadata.labels['batch.kubernetes.io/job-name']":
      return opts.jobName ?? 'batch-job';
    default:
      throw new Error(`unsupported fieldRef ${fieldPath}`);
  }
}

async function runContainer(
  objects: Obj[],
  c: Obj,
  volumes: Record<string, string>,
  podDir: string,
  podUid: string,
  opts: PodRunOptions,
): Promise<ContainerRun> {
  // environment: image PATH, envFrom, then env in order (each value expanded against earlier ones)
  const env: Record<string, string> = { PATH: opts.shell.path };
  for (const from of c.envFrom ?? []) {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef.name);
    Object.assign(env, cm!.data);
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = kubeletExpand(e.value, env);
    } else if (e.valueFrom?.fieldRef) {
      env[e.name] = fieldValue(e.valueFrom.fieldRef.fieldPath, podUid, opts);
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      env[e.name] = opts.secrets?.[`${ref.name}/${ref.key}`] ?? '';
    }
  }

  for (const [name, value] of Object.entries(opts.envOverrides ?? {})) {
    if (name in env) {
      env[name] = value;
    }
  }

  // mounts: container path -> host path (subPathExpr expanded like the kubelet does)
  const mounts: Array<[string, string]> = [];
  for (const m of c.volumeMounts ?? []) {
    let host = volumes[m.name];
    if (m.subPathExpr) {
      host = path.join(host, kubeletExpand(m.subPathExpr, env));
      fs.mkdirSync(host, { recursive: true });
    }
    mounts.push([m.mountPath, host]);
  }
  const termination = path.join(podDir, 'termination', c.name);
  fs.mkdirSync(path.dirname(termination), { recursive: true });
  fs.writeFileSync(termination, '');
  mounts.push([c.terminationMessagePath ?? '/dev/termination-log', termination]);
  const mapPath = (value: string): string => {
    for (const [inside, host] of mounts) {
      if (value === inside || value.startsWith(`${inside}/`)) {
        return host + value.slice(inside.length);
      }
    }
    return value;
  };
  for (const e of c.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = mapPath(env[e.name]);
    }
  }

  const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a: string) => kubeletExpand(a, env));
  if (argv[0] === '/bin/sh') {
    argv.splice(0, 1, ...opts.shell.argv);
  }
  const args = argv.map((a, i) => (i <= opts.shell.argv.length ? mapPath(a) : a));
  const cwd = c.workingDir ? mapPath(c.workingDir) : podDir;

  return new Promise<ContainerRun>((resolve, reject) => {
    // detached: the wrapper is the leader of its process group, as PID 1 of a container is
    const child = spawn(args[0], args.slice(1), { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`container ${c.name} did not finish within ${opts.timeoutMs ?? 30000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30000);
    child.on('error', reject);
    child.on('spawn', () => opts.onStart?.(c.name, child.pid!));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ name: c.name, code, signal, stdout, stderr, message: fs.readFileSync(termination, 'utf8') });
    });
  });
}

/** Polls until `check` is true or the deadline passes. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether any process of the given process group is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Container paths of the batch pod: host directories below them would be mapped like them. */
const CONTAINER_PATHS = ['/tmp', '/workspace', '/opt/serial-batch', '/dev'];

/**
 * A temporary directory for one test file. Host paths must not start with a container path such
 * as `/tmp`, or they would be mapped like one, so the directory goes under the repository's build/
 * folder, or, when the checkout itself lies below such a path, under the user's cache or /var/tmp.
 */
export function tempRoot(prefix: string): string {
  const candidates = [
    path.join(__dirname, '..', '..', '..', 'build', 'process-tests'),
    path.join(os.homedir(), '.cache', 'cdk8s-patterns', 'process-tests'),
    path.join('/var/tmp', 'cdk8s-patterns-process-tests'),
  ].map((p) => path.resolve(p));
  const base = candidates.find((p) => !CONTAINER_PATHS.some((c) => p === c || p.startsWith(`${c}/`)));
  if (base === undefined) {
    throw new Error(`no process-test directory outside the container paths ${CONTAINER_PATHS.join(', ')}: tried ${candidates.join(', ')}`);
  }
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, prefix));
}
