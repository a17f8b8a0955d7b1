/**
 * The limits StatefulPostgres checks hostile input against, observed on a real PostgreSQL 15:
 * the predefined roles `memberOf` may name are the server's own, the largest memory and storage
 * the construct accepts give a postgresql.conf the server loads, and one more MiB of either would
 * have pushed a derived setting past what the server takes.
 */
import * as path from 'path';
import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { StatefulPostgres } from '../../../src';
import { predefinedRoles } from '../../../src/postgres/predefined-roles';
import { describeWithTools, tool } from '../support/binaries';
import { initdb, PostgresServer } from '../support/postgres-server';
import { formatResult, run } from '../support/processes';
import { Sandbox } from '../support/sandbox';

jest.setTimeout(120_000);

/** The largest memory and storage the construct accepts (test/postgres/hostile.test.ts refuses one MiB more). */
const MAX_MEMORY_MIB = 22369621;
const MAX_STORAGE_MIB = 8796093022;

function postgresqlConf(memoryMiB: number, storageMiB: number): string {
  const chart = Testing.chart();
  new StatefulPostgres(chart, 'db', {
    superuserSecret: kplus.Secret.fromSecretName(chart, 'Su', 'db-superuser'),
    memory: Size.mebibytes(memoryMiB),
    storage: Size.mebibytes(storageMiB),
  });
  const config = Testing.synth(chart).find((o) => o.kind === 'ConfigMap' && o.data?.['postgresql.conf'] !== undefined);
  return config!.data['postgresql.conf'] as string;
}

/** The settings of the construct's postgresql.conf as one `name = value` per line (without its includes). */
function settingsOf(conf: string, names: readonly string[]): string {
  return conf
    .split('\n')
    .filter((l) => names.some((n) => l.startsWith(`${n} = `)))
    .join('\n');
}

describeWithTools('hostile-input limits on a real PostgreSQL 15', ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready'], () => {
  let sandbox: Sandbox;
  let dataDir: string;

  beforeAll(async () => {
    sandbox = Sandbox.create('pg-limits');
    dataDir = path.join(sandbox.root, 'data');
    await initdb(sandbox, dataDir);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  test("memberOf's predefined roles of version 15 are exactly the server's", async () => {
    const server = await PostgresServer.start(sandbox, { dataDir, name: 'roles' });
    try {
      const roles = (await server.sql("SELECT rolname FROM pg_roles WHERE rolname LIKE 'pg\\_%' ORDER BY rolname"))
        .split('\n')
        .filter((r) => r !== '');
      expect(roles).toEqual([...predefinedRoles(15)]);
    } finally {
      await server.stop();
    }
  });

  const DERIVED = [
    'shared_buffers',
    'effective_cache_size',
    'work_mem',
    'maintenance_work_mem',
    'wal_buffers',
    'max_slot_wal_keep_size',
    'wal_keep_size',
  ];

  /** `postgres -C` loads the settings as the server does at start (range checks included), prints one and exits. */
  async function load(settings: string, show: string) {
    const file = sandbox.writeFile(`limits-${Date.now()}-${Math.random().toString(36).slice(2)}.conf`, `${settings}\n`);
    return run(tool('postgres'), ['-D', dataDir, '-c', `config_file=${file}`, '-C', show], { user: sandbox.user });
  }

  test('the largest accepted memory and storage give derived settings the server loads', async () => {
    const settings = settingsOf(postgresqlConf(MAX_MEMORY_MIB, MAX_STORAGE_MIB), DERIVED);
    expect(settings.split('\n')).toHaveLength(DERIVED.length);
    const r = await load(settings, 'effective_cache_size');
    expect(r.code).toBe(0);
    // shown in the server's units: 8kB pages, MB
    expect(r.stdout.trim()).toBe(String(16777215 * 128));
    const slot = await load(settings, 'max_slot_wal_keep_size');
    expect(slot.code).toBe(0);
    // the claim's quantity limit comes first: a fifth of 8796093022MiB, inside PostgreSQL's range
    expect(Number(slot.stdout.trim())).toBeGreaterThan(1_000_000_000);
    expect(Number(slot.stdout.trim())).toBeLessThanOrEqual(2147483647);
  });

  test('one more step of each derived setting is what the server refuses', async () => {
    // what the settings would be one MiB further: effective_cache_size 16777216MB, max_slot_wal_keep_size 2147483648MB
    const cache = await load("effective_cache_size = '16777216MB'", 'effective_cache_size');
    expect(cache.code).not.toBe(0);
    expect(formatResult(cache)).toMatch(/invalid value for parameter "effective_cache_size": "16777216MB"/);
    const slot = await load("max_slot_wal_keep_size = '2147483648MB'", 'max_slot_wal_keep_size');
    expect(slot.code).not.toBe(0);
    expect(formatResult(slot)).toMatch(/invalid value for parameter "max_slot_wal_keep_size": "2147483648MB"/);
  });
});
