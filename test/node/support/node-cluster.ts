/**
 * The single-node cluster of `npm run test:node` (started by scripts/node/up.sh): kubectl with
 * its admin kubeconfig, the local images, one namespace per scenario, waits on real status with
 * deadlines (never sleeps), and on failure what a person would look at: events, `describe` and
 * the logs of every container.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { stringify } from 'yaml';

const REPO_ROOT = path.join(__dirname, '..', '..', '..');
const STATE_DIR = process.env.NODE_STATE_DIR ?? '/tmp/cdk8s-patterns-node';

/** KEY=VALUE lines of a file (comments and blank lines ignored). */
function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) {
      out[m[1]] = m[2];
    }
  }
  return out;
}

function nodeEnv(): Record<string, string> {
  const file = path.join(STATE_DIR, 'env');
  if (!fs.existsSync(file)) {
    throw new Error(`no running node (${file} is missing): start it with npm run node:up`);
  }
  return readEnvFile(file);
}

/** The local images (scripts/node/images.env): `POSTGRES_IMAGE`, `HTTP_IMAGE`, ... */
export const IMAGES: Readonly<Record<string, string>> = readEnvFile(path.join(REPO_ROOT, 'scripts', 'node', 'images.env'));

/** The local image named by `key` in scripts/node/images.env. */
export function image(key: string): string {
  const ref = IMAGES[key];
  if (!ref) {
    throw new Error(`scripts/node/images.env has no ${key}`);
  }
  return ref;
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the node's kubectl (the client of its Kubernetes version). Throws on a non-zero exit unless `allowFailure`. */
export function kubectl(args: string[], opts: { input?: string; allowFailure?: boolean; timeoutMs?: number } = {}): KubectlResult {
  const env = nodeEnv();
  const r = spawnSync(env.KUBECTL, args, {
    input: opts.input,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', KUBECONFIG: env.KUBECONFIG },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const result = { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
  if (result.code !== 0 && !opts.allowFailure) {
    throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}

/** `kubectl get -o json`, parsed. */
export function getJson(args: string[]): any {
  return JSON.parse(kubectl(['get', ...args, '-o', 'json']).stdout);
}

/** Starts kubectl in the background (e.g. a request loop through `kubectl exec`); resolves with its output when it exits. */
export function kubectlBackground(args: string[]): Promise<KubectlResult> {
  const env = nodeEnv();
  return new Promise((resolve) => {
    const child = spawn(env.KUBECTL, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', KUBECONFIG: env.KUBECONFIG },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * Synthesizes a chart through the constructs (every object schema-checked by the shared jest
 * setup) and returns the objects as one multi-document YAML, exactly as synthesized.
 */
export function synthYaml(chart: Chart): { objects: any[]; yaml: string } {
  const objects = Testing.synth(chart);
  return { objects, yaml: objects.map((o) => stringify(o)).join('---\n') };
}

/** `kubectl apply` of a chart's objects; returns kubectl's one line per object. */
export function apply(chart: Chart): string[] {
  const { yaml } = synthYaml(chart);
  return kubectl(['apply', '-f', '-'], { input: yaml })
    .stdout.split('\n')
    .filter((l) => l.trim() !== '');
}

/** Polls `probe` every half second until it returns a value other than undefined, or throws `describe()` at the deadline. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined, describe?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not reached after ${Math.round(timeoutMs / 1000)} s${describe ? `\n${describe()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The distinct Warning events of a namespace, oldest first, as `Kind/name: reason: message`. */
export function warnings(ns: string): string[] {
  const events = getJson(['events', '-n', ns]).items as any[];
  const lines = events
    .filter((e) => e.type === 'Warning')
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime).localeCompare(String(b.lastTimestamp ?? b.eventTime)))
    .map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}: ${e.reason}: ${e.message}`);
  return [...new Set(lines)];
}

/** What a person would look at when a scenario fails: events, `describe` of the object and its pods, every container's log. */
export function diagnostics(ns: string, object?: string): string {
  const parts: string[] = [];
  const section = (title: string, body: string) => parts.push(`----- ${title}\n${body.trim()}`);
  section(`kubectl get events -n ${ns}`, kubectl(['get', 'events', '-n', ns, '--sort-by=.lastTimestamp'], { allowFailure: true }).stdout);
  if (object) {
    section(`kubectl describe ${object}`, kubectl(['describe', '-n', ns, object], { allowFailure: true }).stdout);
  }
  const pods = (getJson(['pods', '-n', ns]).items as any[]) ?? [];
  for (const pod of pods) {
    section(`kubectl describe pod ${pod.metadata.name}`, kubectl(['describe', 'pod', '-n', ns, pod.metadata.name], { allowFailure: true }).stdout);
    const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c: any) => c.name);
    for (const c of containers) {
      const log = kubectl(['logs', '-n', ns, pod.metadata.name, '-c', c, '--tail=40'], { allowFailure: true });
      section(`kubectl logs ${pod.metadata.name} -c ${c}`, log.stdout || log.stderr);
    }
  }
  return parts.join('\n');
}

/** A namespace per scenario, with the restricted Pod Security Standard enforced. */
export class Namespace {
  public static create(prefix: string): Namespace {
    const name = `${prefix}-${Date.now().toString(36)}`;
    kubectl(['create', 'namespace', name]);
    kubectl(['label', 'namespace', name, 'pod-security.kubernetes.io/enforce=restricted']);
    return new Namespace(name);
  }

  private constructor(public readonly name: string) {}

  /** Deletes the namespace, waits until it is gone, then frees the local volumes its claims held. */
  public async delete(): Promise<void> {
    kubectl(['delete', 'namespace', this.name, '--wait=false'], { allowFailure: true });
    await waitFor(`namespace ${this.name} deleted`, 180_000, () =>
      kubectl(['get', 'namespace', this.name], { allowFailure: true }).code !== 0 ? true : undefined,
    );
    recycleVolumes();
  }
}

/**
 * Makes the static local PersistentVolumes released by deleted claims available again (what a
 * volume provisioner's deleter does): empties their directory and clears the claim reference.
 */
export function recycleVolumes(): void {
  const pvs = getJson(['pv', '-l', 'cdk8s-patterns.io/node-volume=true']).items as any[];
  for (const pv of pvs.filter((p) => p.status?.phase === 'Released' || p.status?.phase === 'Failed')) {
    const dir = pv.spec.local.path as string;
    if (!dir.startsWith(`${STATE_DIR}/volumes/`)) {
      continue;
    }
    for (const entry of fs.readdirSync(dir)) {
      fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    fs.chmodSync(dir, 0o755);
    fs.chownSync(dir, 0, 0);
    kubectl(['patch', 'pv', pv.metadata.name, '--type=json', '-p', '[{"op":"remove","path":"/spec/claimRef"}]']);
  }
}

/** Container states no wait recovers from by itself: fail at once instead of at the deadline. */
const HOPELESS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

/** Throws when a pod of the namespace has a container in a hopeless waiting state (an image that cannot be pulled, ...). */
export function failOnHopelessPods(ns: string): void {
  const problems: string[] = [];
  for (const pod of getJson(['pods', '-n', ns]).items as any[]) {
    for (const st of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const w = st.state?.waiting;
      if (w && HOPELESS.has(w.reason)) {
        problems.push(`pod/${pod.metadata.name} container ${st.name}: ${w.reason}: ${w.message ?? ''}`.trim());
      }
    }
  }
  if (problems.length > 0) {
    console.log(diagnostics(ns));
    throw new Error(problems.join('\n'));
  }
}

/** Waits until a Deployment rolled out: every replica updated and available. Throws with the namespace's warnings otherwise. */
export async function waitForRollout(ns: string, name: string, timeoutMs = 180_000): Promise<void> {
  await waitFor(
    `deployment/${name} rolled out`,
    timeoutMs,
    () => {
      failOnHopelessPods(ns);
      const d = getJson(['deployment', '-n', ns, name]);
      const want = d.spec.replicas ?? 1;
      const s = d.status ?? {};
      const done =
        (s.observedGeneration ?? 0) >= d.metadata.generation &&
        (s.updatedReplicas ?? 0) === want &&
        (s.availableReplicas ?? 0) === want &&
        (s.replicas ?? 0) === want;
      return done ? true : undefined;
    },
    () => `warnings: ${warnings(ns).join('\n  ') || '(none)'}\n${diagnostics(ns, `deployment/${name}`)}`,
  );
}

/** Waits until a StatefulSet has every replica ready. */
export async function waitForStatefulSet(ns: string, name: string, timeoutMs = 300_000): Promise<void> {
  await waitFor(
    `statefulset/${name} ready`,
    timeoutMs,
    () => {
      failOnHopelessPods(ns);
      const s = getJson(['statefulset', '-n', ns, name]);
      return (s.status?.readyReplicas ?? 0) === (s.spec.replicas ?? 1) ? true : undefined;
    },
    () => `warnings: ${warnings(ns).join('\n  ') || '(none)'}\n${diagnostics(ns, `statefulset/${name}`)}`,
  );
}

/** The termination messages of a Job's failed containers (the step wrapper names the failed step there). */
export function failureMessages(ns: string, job: string): string[] {
  const pods = getJson(['pods', '-n', ns, '-l', `job-name=${job}`]).items as any[];
  const out: string[] = [];
  for (const pod of pods) {
    for (const st of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const t = st.state?.terminated ?? st.lastState?.terminated;
      if (t && t.exitCode !== 0) {
        out.push(`${pod.metadata.name}/${st.name}: exit ${t.exitCode}${t.message ? `: ${t.message.trim()}` : ''}`);
      }
    }
  }
  return out;
}

/** Waits until a Job is Complete. Throws when it fails, naming the failed containers and their termination messages. */
export async function waitForJob(ns: string, name: string, timeoutMs = 300_000): Promise<any> {
  let failed: string | undefined;
  const job = await waitFor(
    `job/${name} complete`,
    timeoutMs,
    () => {
      const j = getJson(['job', '-n', ns, name]);
      const conditions = (j.status?.conditions ?? []) as any[];
      const failedCondition = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failedCondition) {
        failed = `${failedCondition.reason}: ${failedCondition.message}`;
        return j;
      }
      return conditions.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    },
    () => diagnostics(ns, `job/${name}`),
  );
  if (failed !== undefined) {
    const reasons = failureMessages(ns, name);
    console.log(diagnostics(ns, `job/${name}`));
    throw new Error(`job/${name} failed (${failed}); failed containers: ${reasons.join('; ') || '(none)'}`);
  }
  return job;
}

/** Runs a command in a container and returns its stdout (throws on a non-zero exit). */
export function exec(ns: string, pod: string, command: string[], container?: string): string {
  return kubectl(['exec', '-n', ns, pod, ...(container ? ['-c', container] : []), '--', ...command]).stdout;
}

/** Names of the running pods matching a label selector. */
export function podNames(ns: string, selector: string): string[] {
  return (getJson(['pods', '-n', ns, '-l', selector]).items as any[]).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
}

/**
 * A long-running client pod, compliant with the restricted Pod Security Standard: by default from
 * the shell image (busybox: sh, nc, nslookup); `clientImage` and `uid` for another (e.g. psql).
 */
export async function startClientPod(ns: string, name = 'client', clientImage = image('SHELL_IMAGE'), uid = 65534): Promise<string> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/name': 'test-client' } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'client',
          image: clientImage,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'],
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }],
    },
  };
  kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
  await waitFor(
    `pod/${name} ready`,
    120_000,
    () => {
      const p = getJson(['pod', '-n', ns, name]);
      return (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    },
    () => diagnostics(ns, `pod/${name}`),
  );
  return name;
}

/** One HTTP/1.0 GET from a pod with busybox `nc`; returns the whole response (headers and body). */
export function httpGet(ns: string, pod: string, host: string, port: number, urlPath = '/'): string {
  const script = `printf 'GET ${urlPath} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' | nc -w 5 '${host}' ${port}`;
  return exec(ns, pod, ['sh', '-c', script]);
}
