/**
 * The manifest linters, run for real: the pinned kube-score, kube-linter and Polaris binaries
 * (scripts/cluster/install-linters.sh puts them in the per-machine cache) against the self-test
 * manifest and against synthesized WebAppWithIngress output, and the Polaris gate script against
 * audit JSON. Without the binaries the real-linter tests skip loudly; under CI=true they fail.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { stringify } from 'yaml';
import { BackupRepository, StatefulPostgres, WebAppWithIngress, WebAppWithIngressProps } from '../../src';
import { isCi } from '../integration/support/binaries';

const SCRIPTS = path.join(__dirname, '..', '..', 'scripts', 'cluster');
const env = Object.fromEntries(
  fs
    .readFileSync(path.join(SCRIPTS, 'linters.env'), 'utf8')
    .split('\n')
    .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1], m[2].replace(/^"|"$/g, '')]),
);
const cacheRoot = process.env.CDK8S_PATTERNS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cdk8s-patterns');
const binary = (tool: string, version: string): string => path.join(cacheRoot, 'linters', `${tool}@${version}`, tool);
const linters = {
  kubeScore: binary('kube-score', env.KUBE_SCORE_VERSION),
  kubeLinter: binary('kube-linter', env.KUBE_LINTER_VERSION),
  polaris: binary('polaris', env.POLARIS_VERSION),
};

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'linters-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

/** polaris audit of FILE, through the gate script: its exit status and findings. */
function polaris(file: string, gate: string = 'danger') {
  const json = path.join(tmp, `${path.basename(file)}.json`);
  const audit = spawnSync(linters.polaris, ['audit', '--audit-path', file, '--format', 'json', '--only-show-failed-tests'], { encoding: 'utf8' });
  expect(audit.status).toBe(0);
  fs.writeFileSync(json, audit.stdout);
  return run('node', [path.join(SCRIPTS, 'polaris-findings.mjs'), json, gate]);
}

/**
 * Writes copies of `objects`, each changed by `edit`, as one multi-document YAML file named
 * NAME.yaml; returns its path. The synthesized objects themselves stay as they are (the shared
 * setup records them for `npm run lint:manifests`).
 */
function yamlFile(name: string, objects: any[], edit: (o: any) => void = () => undefined): string {
  const copies = objects.map((o) => JSON.parse(JSON.stringify(o)));
  copies.forEach(edit);
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, copies.map((o) => stringify(o, { version: '1.1' })).join('---\n'));
  return file;
}

const stripPolarisExemptions = (o: any) => {
  for (const key of Object.keys(o.metadata.annotations ?? {})) {
    if (key.startsWith('polaris.fairwinds.com/')) {
      delete o.metadata.annotations[key];
    }
  }
};

/** A StatefulPostgres with every part that makes a workload or RBAC: replicas, pooler, both backups, users. */
function postgresYaml(name: string, edit?: (o: any) => void): string {
  const chart = Testing.chart();
  const secret = (id: string, n: string) => kplus.Secret.fromSecretName(chart, id, n);
  new StatefulPostgres(chart, 'db', {
    superuserSecret: secret('Su', 'db-superuser'),
    replicas: 2,
    users: [{ name: 'app', password: { secret: secret('App', 'app') } }],
    pooler: {},
    backup: { repository: BackupRepository.volume() },
    logicalBackup: {},
  });
  return yamlFile(name, Testing.synth(chart), edit);
}

function webYaml(name: string, props: Partial<WebAppWithIngressProps> = {}, edit: (o: any) => void = () => undefined): string {
  const chart = Testing.chart();
  new WebAppWithIngress(chart, 'shop', { image: 'ghcr.io/acme/shop:1.4.2', host: 'shop.example.com', ...props });
  return yamlFile(name, Testing.synth(chart), edit);
}

describe('polaris-findings.mjs, the Polaris gate', () => {
  const audit = (severity: string) => ({
    Results: [
      {
        Kind: 'Deployment',
        Namespace: 'shop',
        Name: 'web',
        Results: { priorityClassNotSet: { ID: 'priorityClassNotSet', Message: 'Priority class should be set', Success: false, Severity: 'warning' } },
        PodResult: {
          Results: {},
          ContainerResults: [
            { Name: 'web', Results: { x: { ID: 'runAsRootAllowed', Message: 'Should not run as root', Success: false, Severity: severity } } },
          ],
        },
      },
    ],
  });
  const gate = (severity: string, level: string) => {
    const file = path.join(tmp, `audit-${severity}.json`);
    fs.writeFileSync(file, JSON.stringify(audit(severity)));
    return run('node', [path.join(SCRIPTS, 'polaris-findings.mjs'), file, level]);
  };

  test('a danger finding fails the danger gate and names object, container and check', () => {
    const r = gate('danger', 'danger');
    expect(r.status).toBe(1);
    expect(r.out).toContain('Deployment shop/web container web: danger runAsRootAllowed: Should not run as root');
  });

  test('warnings are listed but pass the danger gate, and fail the warning gate', () => {
    expect(gate('warning', 'danger')).toEqual({ status: 0, out: expect.stringContaining('Deployment shop/web: warning priorityClassNotSet') });
    expect(gate('warning', 'warning').status).toBe(1);
    expect(gate('ignore', 'warning').out).not.toContain('runAsRootAllowed');
  });
});

const missing = Object.values(linters).filter((p) => !fs.existsSync(p));
const describeLinters = missing.length === 0 ? describe : isCi() ? describe : describe.skip;
if (missing.length > 0 && !isCi()) {
  console.warn(`\n!!!!!!!!!! SKIPPING REAL LINTER TESTS: missing ${missing.join(', ')} (scripts/cluster/install-linters.sh) !!!!!!!!!!\n`);
}

describeLinters('the real linters', () => {
  test('are installed (CI=true: never skipped)', () => {
    expect(missing).toEqual([]);
  });

  test('all three flag the self-test manifest', () => {
    const selftest = path.join(SCRIPTS, 'selftest', 'lint-critical.yaml');
    expect(run(linters.kubeScore, ['score', '--output-format', 'ci', selftest]).out).toMatch(/^\[CRITICAL\]/m);
    expect(run(linters.kubeLinter, ['lint', selftest]).status).not.toBe(0);
    const p = polaris(selftest);
    expect(p.status).toBe(1);
    expect(p.out).toContain('danger tagNotSpecified');
  });

  test('a default WebAppWithIngress passes kube-score, kube-linter and Polaris (no danger)', () => {
    const file = webYaml('default');
    expect(run(linters.kubeScore, ['score', '--output-format', 'ci', '--kubernetes-version', 'v1.27', file]).out).not.toMatch(/^\[CRITICAL\]/m);
    expect(run(linters.kubeLinter, ['lint', file])).toEqual({ status: 0, out: expect.any(String) });
    expect(polaris(file).status).toBe(0);
  });

  test('the Polaris exemptions the construct adds silence exactly the checks the options ask for', () => {
    const deviation: Partial<WebAppWithIngressProps> = {
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      readOnlyRootFilesystem: false,
      networkPolicy: { enabled: false },
    };
    const checks = ['pullPolicyNotAlways', 'notReadOnlyRootFilesystem', 'missingNetworkPolicy'];
    const exempted = polaris(webYaml('exempted', deviation)).out;
    // the same objects with the exemption annotations removed: Polaris reports every deviation
    const stripped = polaris(webYaml('stripped', deviation, stripPolarisExemptions)).out;
    for (const check of checks) {
      expect(stripped).toContain(`warning ${check}`);
      expect(exempted).not.toContain(check);
    }
    // what the exemptions do not cover is still reported
    expect(exempted).toContain('warning priorityClassNotSet');
  });

  test('StatefulPostgres has no Polaris danger finding; without its exemptions only the backup pods/exec RBAC is one', () => {
    const exempted = polaris(postgresYaml('postgres'));
    expect(exempted.status).toBe(0);
    expect(exempted.out).not.toContain('sensitiveContainerEnvVar');
    const stripped = polaris(postgresYaml('postgres-stripped', stripPolarisExemptions));
    expect(stripped.status).toBe(1);
    const dangers = stripped.out.split('\n').filter((l) => l.includes(' danger '));
    expect(dangers.map((l) => l.replace(/:.*? danger /, ' ').replace(/:.*$/, '')).sort()).toEqual([
      'Role -/db-backup rolePodExecAttach',
      'RoleBinding -/db-backup rolebindingRolePodExecAttach',
    ]);
  });
});
