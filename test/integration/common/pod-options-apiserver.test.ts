/**
 * The pod options are checked "as the API server checks them": this suite asks a real
 * kube-apiserver 1.27 (the library's floor; built and cached by scripts/cluster/build-apiserver.sh,
 * started on 127.0.0.1 with etcd by scripts/cluster/start-cluster.sh) about every case. Each case is
 * a raw pod-template field value; `resolvePodOptions` must accept it exactly when the server's
 * validation (dry-run create of a Deployment, strict field validation) does, except for the rules
 * where the library is stricter on purpose, which are listed as such and must be accepted by the
 * server (so the table says precisely where we differ).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { PropErrors } from '../../../src/common/errors';
import { ExtraVolumeSource, PodOptions } from '../../../src/common/pod-options';
import { resolvePodOptions } from '../../../src/common/resolve-pod-options';
import { isCi } from '../support/binaries';

jest.setTimeout(180_000);

const VERSION = '1.27.16';
const REPO = path.join(__dirname, '..', '..', '..');
const CACHE = process.env.CDK8S_PATTERNS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cdk8s-patterns');
const APISERVER = process.env.KUBE_APISERVER ?? path.join(CACHE, 'kube-apiserver', VERSION, 'kube-apiserver');

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const missing = [
  ...(fs.existsSync(APISERVER) ? [] : [`kube-apiserver ${VERSION} (scripts/cluster/build-apiserver.sh ${VERSION})`]),
  ...(which(process.env.ETCD ?? 'etcd') ? [] : ['etcd']),
  ...(which('kubectl') ? [] : ['kubectl']),
];

/** What the library is stricter about than the API server, on purpose. */
type Verdict = 'same' | 'stricter';

interface Case {
  readonly name: string;
  /** The options as a user gives them. */
  readonly options: PodOptions;
  /** The raw pod-template fields they stand for, sent to the server unchecked. */
  readonly template: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    spec?: Record<string, unknown>;
    mount?: Record<string, unknown>;
  };
  readonly verdict?: Verdict;
}

const chart = Testing.chart();
const secret = kplus.Secret.fromSecretName(chart, 'S', 'certs');
const tol = (t: Record<string, unknown>): Case => ({
  name: `toleration ${JSON.stringify(t)}`,
  options: { tolerations: [t as any] },
  template: { spec: { tolerations: [t] } },
});
const label = (k: string, v: string, verdict?: Verdict): Case => ({
  name: `pod label ${k}=${v}`,
  options: { podLabels: { [k]: v } },
  template: { labels: { [k]: v } },
  verdict,
});
const annotation = (k: string, v: string): Case => ({
  name: `pod annotation ${k}`,
  options: { podAnnotations: { [k]: v } },
  template: { annotations: { [k]: v } },
});
const nodeSel = (k: string, v: string): Case => ({
  name: `nodeSelector ${k}=${v}`,
  options: { nodeSelector: { [k]: v } },
  template: { spec: { nodeSelector: { [k]: v } } },
});
const pull = (names: string[], verdict?: Verdict): Case => ({
  name: `imagePullSecrets ${names.join(',')}`,
  options: { imagePullSecrets: names },
  template: { spec: { imagePullSecrets: names.map((name) => ({ name })) } },
  verdict,
});
const volume = (name: string, mountPath: string, subPath?: string, verdict?: Verdict): Case => ({
  name: `volume ${name} at ${mountPath}${subPath ? ` (${subPath})` : ''}`,
  options: { volumes: [{ name, source: ExtraVolumeSource.fromSecret(secret), mountPath, subPath }] },
  template: {
    spec: { volumes: [{ name, secret: { secretName: 'certs' } }] },
    mount: { name, mountPath, readOnly: true, ...(subPath ? { subPath } : {}) },
  },
  verdict,
});

const CASES: Case[] = [
  tol({ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }),
  tol({ key: 'dedicated', value: 'web' }),
  tol({ operator: 'Exists' }),
  tol({ key: 'example.com/gpu', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }),
  tol({ key: 'dedicated', operator: 'equal', value: 'web' }),
  tol({ key: 'dedicated', operator: 'Exists', value: 'web' }),
  tol({ value: 'web' }),
  tol({ key: 'dedicated', effect: 'NoScheduled' }),
  tol({ key: 'dedicated', effect: 'NoSchedule', tolerationSeconds: 30 }),
  tol({ key: 'bad key', operator: 'Exists' }),
  tol({ key: 'dedicated', value: 'a b' }),
  tol({ key: 'dedicated', value: 'x'.repeat(64) }),
  label('team', 'shop'),
  label('example.com/team', 'shop'),
  label('team', ''),
  label('team', '-shop'),
  label('team', 'x'.repeat(63)),
  label('team', 'x'.repeat(64)),
  label('Example.com/team', 'shop'),
  label('example.com/' + 'x'.repeat(64), 'shop'),
  label('a/b/c', 'shop'),
  // the construct's own and the controllers' labels: the server takes them, we never override them
  label('app.kubernetes.io/name', 'other', 'stricter'),
  label('pod-template-hash', 'abc', 'stricter'),
  annotation('example.com/log-format', 'json'),
  annotation('example.com/anything', 'values may hold anything: spaces, / and :'),
  annotation('bad key', 'x'),
  // the server stores a NUL byte in an annotation value; we refuse it (YAML and C tools end the string there)
  { ...annotation('example.com/nul', 'a\u0000b'), verdict: 'stricter' },
  annotation('example.com/big', 'x'.repeat(256 * 1024 - 20)),
  annotation('example.com/too-big', 'x'.repeat(256 * 1024)),
  nodeSel('kubernetes.io/arch', 'arm64'),
  nodeSel('zone', 'a b'),
  nodeSel('bad key', 'x'),
  pull(['ghcr-pull']),
  pull(['registry.example.com']),
  // the server does not check the name of a referenced Secret, but no Secret can carry this one
  pull(['Ghcr'], 'stricter'),
  // server-side apply refuses the duplicate key of this map-like list, as we do
  pull(['ghcr', 'ghcr']),
  volume('certs', '/etc/certs'),
  volume('certs', '/etc/certs', 'tls'),
  volume('Certs', '/etc/certs'),
  // the server takes a relative mount path (the runtime resolves it against /): refused here
  volume('certs', 'etc/certs', undefined, 'stricter'),
  volume('certs', '/etc/certs', '../x'),
  volume('certs', '/etc/certs', '/abs'),
  // the server stores a NUL byte in a mount path or subPath, which no kernel path can hold: the
  // container would fail to start, so we refuse it
  volume('certs', '/etc/ce\u0000rts', undefined, 'stricter'),
  volume('certs', '/etc/certs', 't\u0000ls', 'stricter'),
  // a path the server takes but that is not normalized (the kubelet resolves it): refused here
  volume('certs', '/etc//certs', undefined, 'stricter'),
];

function deployment(c: Case): Record<string, unknown> {
  const container: Record<string, unknown> = { name: 'app', image: 'registry.example.com/app:1.0.0' };
  if (c.template.mount) {
    container.volumeMounts = [c.template.mount];
  }
  const labels = { app: 'probe', ...(c.template.labels ?? {}) };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'probe', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'probe' } },
      template: {
        metadata: { labels, ...(c.template.annotations ? { annotations: c.template.annotations } : {}) },
        spec: { containers: [container], ...(c.template.spec ?? {}) },
      },
    },
  };
}

function libraryAccepts(c: Case): boolean {
  const errors = new PropErrors(chart);
  resolvePodOptions(errors, c.options, { labelKeys: ['app.kubernetes.io/name', 'app.kubernetes.io/instance'] });
  return !errors.hasProblems;
}

const suite = missing.length === 0 ? describe : isCi() ? describe : describe.skip;
if (missing.length > 0 && !isCi()) {
  console.warn(`pod options against a real API server: skipped, missing ${missing.join(', ')}`);
}

suite(`pod options against a real kube-apiserver ${VERSION}`, () => {
  let dir: string | undefined;
  let kubeconfig: string;

  beforeAll(() => {
    if (missing.length > 0) {
      throw new Error(`missing ${missing.join(', ')} (CI=true: real-server tests must not be skipped)`);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-options-apiserver-'));
    fs.rmdirSync(dir);
    execFileSync('bash', [path.join(REPO, 'scripts/cluster/start-cluster.sh'), VERSION, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    kubeconfig = /KUBECONFIG=(.*)/.exec(fs.readFileSync(path.join(dir, 'env'), 'utf8'))![1].trim();
  });

  afterAll(() => {
    if (dir) {
      execFileSync('bash', [path.join(REPO, 'scripts/cluster/stop-cluster.sh'), dir], { stdio: 'ignore' });
    }
  });

  function serverAccepts(c: Case): { ok: boolean; output: string } {
    try {
      const output = execFileSync('kubectl', ['apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', '-'], {
        input: JSON.stringify(deployment(c)),
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
      return { ok: true, output };
    } catch (e: any) {
      return { ok: false, output: String(e.stderr ?? e.message) };
    }
  }

  test('the control case is accepted', () => {
    expect(serverAccepts({ name: 'none', options: {}, template: {} }).ok).toBe(true);
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const server = serverAccepts(c);
    const library = libraryAccepts(c);
    if (c.verdict === 'stricter') {
      expect({ server: server.ok, library }).toEqual({ server: true, library: false });
    } else {
      expect({ library, server: server.ok, said: server.output.trim().split('\n')[0] }).toEqual({
        library: server.ok,
        server: server.ok,
        said: expect.any(String),
      });
    }
  });
});
