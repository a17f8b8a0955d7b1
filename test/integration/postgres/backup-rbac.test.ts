/**
 * The backup CronJob's RBAC against a real kube-apiserver 1.27 with RBAC authorization
 * (scripts/cluster/start-cluster.sh: etcd + kube-apiserver on 127.0.0.1, no nodes). The
 * ServiceAccount, Role, RoleBinding and `-rw` Service are applied as synthesized, and the CronJob's
 * own `kubectl exec svc/<name>-rw` command runs as that ServiceAccount while no primary pod exists
 * (a restart or failover): it must wait for one, not fail Forbidden.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BackupRepository, StatefulPostgres } from '../../../src';
import { isCi } from '../support/binaries';

jest.setTimeout(120_000);

const VERSION = '1.27.16';
const REPO = path.join(__dirname, '..', '..', '..');
const CACHE = process.env.CDK8S_PATTERNS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cdk8s-patterns');
const APISERVER = process.env.KUBE_APISERVER ?? path.join(CACHE, 'kube-apiserver', VERSION, 'kube-apiserver');
const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = [
  ...(fs.existsSync(APISERVER) ? [] : [`kube-apiserver ${VERSION} (scripts/cluster/build-apiserver.sh ${VERSION})`]),
  ...(onPath(process.env.ETCD ?? 'etcd') ? [] : ['etcd']),
  ...(onPath('kubectl') ? [] : ['kubectl']),
];
const suite = missing.length === 0 || isCi() ? describe : describe.skip;
if (missing.length > 0 && !isCi()) {
  console.warn(`backup RBAC against a real API server: skipped, missing ${missing.join(', ')}`);
}

suite(`the backup CronJob's RBAC on a real kube-apiserver ${VERSION}`, () => {
  let dir: string | undefined;
  let kubeconfig: string;
  const chart = Testing.chart();
  new StatefulPostgres(chart, 'db', {
    superuserSecret: kplus.Secret.fromSecretName(chart, 'Superuser', 'db-superuser'),
    backup: { repository: BackupRepository.volume() },
  });
  const objects = Testing.synth(chart);
  const rbac = objects.filter(
    (o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind) || (o.kind === 'Service' && o.metadata.name === 'db-rw'),
  );
  const cronJob = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'db-backup-full');
  const command: string[] = cronJob.spec.jobTemplate.spec.template.spec.containers[0].command;

  beforeAll(() => {
    if (missing.length > 0) {
      throw new Error(`missing ${missing.join(', ')} (CI=true: real-server tests must not be skipped)`);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-rbac-apiserver-'));
    fs.rmdirSync(dir);
    const started = spawnSync('bash', [path.join(REPO, 'scripts/cluster/start-cluster.sh'), VERSION, dir], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    if (started.status !== 0) {
      throw new Error(`start-cluster.sh failed: ${started.stderr}`);
    }
    kubeconfig = /KUBECONFIG=(.*)/.exec(fs.readFileSync(path.join(dir, 'env'), 'utf8'))![1].trim();
  });

  afterAll(() => {
    if (dir) {
      spawnSync('bash', [path.join(REPO, 'scripts/cluster/stop-cluster.sh'), dir], { stdio: 'ignore' });
    }
  });

  const kubectl = (args: string[], input?: string) => {
    const r = spawnSync('kubectl', args, { input, encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const apply = (items: any[]) => kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  /** The CronJob's command, run as its ServiceAccount, waiting at most 2 s for a running pod. */
  const backupAsServiceAccount = () => {
    expect(command.slice(0, 2)).toEqual(['kubectl', 'exec']);
    return kubectl(['exec', '--as=system:serviceaccount:default:db-backup', '--pod-running-timeout=2s', ...command.slice(2)]);
  };

  test('with no primary pod, kubectl exec waits for one (it may watch pods) instead of failing Forbidden', () => {
    expect(apply(rbac)).toMatchObject({ status: 0 });
    const run = backupAsServiceAccount();
    expect(run.status).not.toBe(0); // no node, so no pod ever runs
    expect(run.out).not.toMatch(/forbidden/i);
    expect(run.out).toMatch(/timed out waiting for the condition|no pods found|pod not found/i);

    // the same Role without `watch` on pods, as it was: the API server refuses the wait
    const role = rbac.find((o) => o.kind === 'Role');
    const withoutWatch = JSON.parse(JSON.stringify(role));
    for (const rule of withoutWatch.rules) {
      if (rule.resources.includes('pods')) {
        rule.verbs = rule.verbs.filter((v: string) => v !== 'watch');
      }
    }
    expect(apply([withoutWatch])).toMatchObject({ status: 0 });
    expect(backupAsServiceAccount().out).toMatch(/Forbidden.*pods/);
  });
});
