import { escapeKubernetesExpansion, findDuplicateEnv, reservedEnvReason } from '../../src/common/env';

describe('environment guards', () => {
  test.each([
    ['PGPORT', 'libpq reads PG* variables'],
    ['PGHOST', 'libpq reads PG* variables'],
    ['PGPASSWORD', 'libpq reads PG* variables'],
    ['KUBERNETES_SERVICE_HOST', 'the kubelet sets KUBERNETES_* variables'],
    ['REDIS_SERVICE_HOST', 'it has the shape of a service-link variable'],
    ['REDIS_SERVICE_PORT_HTTP', 'it has the shape of a service-link variable'],
    ['REDIS_PORT_6379_TCP_ADDR', 'it has the shape of a service-link variable'],
    ['PATH', 'the container runtime and shells rely on it'],
    ['HOME', 'the container runtime and shells rely on it'],
    ['HOSTNAME', 'the container runtime and shells rely on it'],
    ['LD_PRELOAD', 'the container runtime and shells rely on it'],
  ])('%p is reserved: %s', (name, reason) => {
    expect(reservedEnvReason(name)).toBe(reason);
  });

  test.each(['CFG_REGION', 'LOG_LEVEL', 'DB_PORT', 'PAGE_SIZE', 'APP_HOME_URL'])('%p is free to use', (name) => {
    expect(reservedEnvReason(name)).toBeUndefined();
  });

  test('duplicates across sources are reported with every place they appear', () => {
    const dups = findDuplicateEnv([
      { source: 'config', names: ['A', 'B'] },
      { source: 'steps[1].env', names: ['B', 'C'] },
      { source: 'secretEnv', names: ['B'] },
    ]);
    expect([...dups.entries()]).toEqual([['B', ['config', 'steps[1].env', 'secretEnv']]]);
  });

  test('$( and $$ are escaped so Kubernetes passes them through literally, other dollars are untouched', () => {
    expect(escapeKubernetesExpansion('echo $(date) $HOME ${X} $$(y) $$x')).toBe('echo $$(date) $HOME ${X} $$$$(y) $$$x');
  });
});
