/** The pod emulation used by real-server tests: env, `$(VAR)` expansion, volumes and path mapping. */
import * as fs from 'fs';
import { describeWithTools } from './binaries';
import { expandKubernetesVars, parseQuantity, PodSandbox } from './pod-sandbox';
import { Sandbox } from './sandbox';

describe('expandKubernetesVars', () => {
  test('expands defined variables, unescapes $$ and leaves unknown references alone', () => {
    expect(expandKubernetesVars('$(A)-$(B)-$$(A)-$$HOME-$(A', { A: 'x' })).toBe('x-$(B)-$(A)-$HOME-$(A');
  });
});

describe('parseQuantity', () => {
  test('binary, decimal and milli suffixes', () => {
    expect(parseQuantity('2Gi')).toBe(2 * 2 ** 30);
    expect(parseQuantity('500m')).toBeCloseTo(0.5);
    expect(parseQuantity('1k')).toBe(1000);
    expect(() => parseQuantity('1Zz')).toThrow(/unknown quantity suffix/);
  });
});

describeWithTools('PodSandbox', ['sh'], () => {
  let sandbox: Sandbox;
  const workload = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db' },
    spec: {
      volumeClaimTemplates: [{ metadata: { name: 'data' } }],
      template: {
        metadata: { labels: { role: 'primary' } },
        spec: {
          securityContext: { fsGroup: 999 },
          volumes: [
            { name: 'config', configMap: { name: 'db-config', items: [{ key: 'run.sh', path: 'run.sh' }] } },
            { name: 'secret', secret: { secretName: 'db-su', defaultMode: 0o400 } },
            { name: 'tmp', emptyDir: {} },
          ],
          containers: [
            {
              name: 'main',
              command: ['sh', '/scripts/run.sh'],
              args: ['$(POD_NAME)', '/var/lib/postgresql/data/pgdata', '$$(literal)'],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                { name: 'SLOT', value: 'slot_$(POD_NAME)' },
                { name: 'PW', valueFrom: { secretKeyRef: { name: 'db-su', key: 'password' } } },
                { name: 'ROLE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['role']" } } },
                { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              ],
              resources: { limits: { memory: '1Gi' } },
              volumeMounts: [
                { name: 'config', mountPath: '/scripts' },
                { name: 'secret', mountPath: '/etc/secret' },
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'data', mountPath: '/var/lib/postgresql/data' },
              ],
            },
          ],
        },
      },
    },
  };
  const manifests = [
    workload,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db-config' }, data: { 'run.sh': 'echo "$1 $2 $3 $PGDATA $SLOT $PW $ROLE $MEM"\n' } },
  ];

  beforeAll(() => {
    sandbox = Sandbox.create('podsandbox');
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  test('runs the container command with kubelet env and mount paths mapped to volume directories', async () => {
    const pod = new PodSandbox(sandbox, { manifests, workload: workload as any, podName: 'db-0', secrets: { 'db-su': { password: 's3cret' } } });
    const data = pod.volumeDir('data');
    expect(data).toBe(sandbox.path('pvc', 'data-db-0'));
    const r = await pod.run('main');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`db-0 ${data}/pgdata $(literal) ${data}/pgdata slot_db-0 s3cret primary 1024`);
  });

  test('mapping is a single pass: a mapped path is never mapped again by a shorter mount (/tmp)', () => {
    const pod = new PodSandbox(sandbox, { manifests, workload: workload as any, podName: 'db-1', secrets: { 'db-su': { password: 'x' } } });
    // the sandbox itself lives under /tmp; its paths must survive untouched
    expect(pod.mapPaths('main', '/tmp/x /var/lib/postgresql/data/pgdata --dir=/tmp /tmpfoo /scripts')).toBe(
      `${pod.volumeDir('tmp')}/x ${pod.volumeDir('data')}/pgdata --dir=${pod.volumeDir('tmp')} /tmpfoo ${pod.volumeDir('config')}`,
    );
  });

  test('a directory that only holds mount points maps to a skeleton whose entries lead to the volumes', () => {
    const pod = new PodSandbox(sandbox, { manifests, workload: workload as any, podName: 'db-5', secrets: { 'db-su': { password: 'pw' } } });
    // /etc holds the mount /etc/secret: "$DIR/secret/password" must reach the Secret file
    const etc = pod.mapPaths('main', '/etc');
    expect(etc).not.toBe('/etc');
    expect(fs.readFileSync(`${etc}/secret/password`, 'utf8')).toBe('pw');
    // other paths below such a directory stay as they are
    expect(pod.mapPaths('main', '/etc/passwd /var/lib/x')).toBe('/etc/passwd /var/lib/x');
  });

  test('Secret files follow kubelet fsGroup rules: group-readable, so libpq would reject them as a pgpass', () => {
    const pod = new PodSandbox(sandbox, { manifests, workload: workload as any, podName: 'db-2', secrets: { 'db-su': { password: 'x' } } });
    const st = fs.statSync(`${pod.volumeDir('secret')}/password`);
    expect(st.mode & 0o777).toBe(0o440);
    expect(st.gid).toBe(sandbox.user.gid);
  });

  test('a missing Secret is a clear test error, not a silent empty value', () => {
    expect(() => new PodSandbox(sandbox, { manifests, workload: workload as any, podName: 'db-3' })).toThrow(
      /mounts Secret db-su: the test must supply its content/,
    );
  });

  test('the same claim is the same directory for a restarted pod', () => {
    const a = new PodSandbox(sandbox, {
      manifests,
      workload: workload as any,
      podName: 'db-4',
      dirName: 'a',
      secrets: { 'db-su': { password: 'x' } },
    });
    fs.writeFileSync(`${a.volumeDir('data')}/marker`, 'kept');
    const b = new PodSandbox(sandbox, {
      manifests,
      workload: workload as any,
      podName: 'db-4',
      dirName: 'b',
      secrets: { 'db-su': { password: 'x' } },
    });
    expect(fs.readFileSync(`${b.volumeDir('data')}/marker`, 'utf8')).toBe('kept');
  });
});
