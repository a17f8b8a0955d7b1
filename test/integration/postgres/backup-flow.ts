/**
 * The physical backup story both repository kinds must pass, on real servers with the generated
 * pgBackRest configuration: the primary archives WAL through the generated archive_command
 * (pgbackrest-archive.sh → the pgBackRest agent container), the backup CronJob's command takes a
 * full backup, more rows arrive only through WAL, the agent outlives PostgreSQL on shutdown and
 * archives the last segment, the primary volume is lost, and a primary with onEmptyPrimary
 * RESTORE_FROM_BACKUP restores it, replays the archived WAL and has every row.
 * See real-cluster.ts for the emulation.
 */
import * as fs from 'fs';
import { OnEmptyPrimary, StatefulPostgresProps } from '../../../src/postgres';
import { objectOf } from '../support/pod-sandbox';
import { freePort } from '../support/ports';
import { PostgresServer, systemIdentifier } from '../support/postgres-server';
import { Daemon, formatResult, waitFor } from '../support/processes';
import { Sandbox } from '../support/sandbox';
import { DbPod, expectSuccess, SUPERUSER, SynthContext, synthDb } from './real-cluster';

/** The primary pod with its pgBackRest agent container running next to PostgreSQL. */
export interface AgentPod {
  readonly pod: DbPod;
  readonly server: PostgresServer;
  readonly agent: Daemon;
}

/** Runs the primary pod's init containers, then postgres and the pgBackRest agent container. */
export async function startPrimaryWithAgent(
  sandbox: Sandbox,
  manifests: any[],
  dirName: string,
  port: number,
  secrets: Record<string, Record<string, string>> = {},
  name = 'db',
  agentOverrides: Record<string, string | undefined> = { AGENT_POLL_SECONDS: '0.2' },
): Promise<AgentPod> {
  const pod = new DbPod(sandbox, manifests, objectOf(manifests, 'StatefulSet', `${name}-primary`), `${name}-primary-0`, dirName, secrets);
  // the agent serves archive_command and restore_command; it connects to the local server's port
  const agentEnv: Record<string, string> = { PGBACKREST_PG1_PORT: String(port) };
  for (const [k, v] of Object.entries(agentOverrides)) {
    if (v !== undefined) {
      agentEnv[k] = v;
    }
  }
  for (const c of pod.pod.podSpec.initContainers ?? []) {
    expectSuccess(await pod.run(c.name, { env: agentEnv }), `init container ${c.name}`);
  }
  // containers start together, as in a pod
  const agent = pod.pod.start('pgbackrest', { env: agentEnv });
  const server = await pod.startPostgres(port);
  return { pod, server, agent };
}

export interface BackupRestoreOptions {
  /** The props that choose the repository (`backup`), applied to both synthesized clusters. */
  readonly props: (ctx: SynthContext) => Partial<StatefulPostgresProps>;
  /** Secret content beyond the suite's own (repository credentials). */
  readonly secrets?: Record<string, Record<string, string>>;
}

export interface BackupRestoreResult {
  /** The manifests of the original cluster. */
  readonly manifests: any[];
  readonly original: AgentPod;
  readonly restored: AgentPod;
  /** Rows of the test table, of which those after the first 5000 came after the backup. */
  readonly rows: number;
}

export const diagnostics = (p: { agent: Daemon; server: PostgresServer }) => () => `--- agent\n${p.agent.output()}\n--- postgres\n${p.server.log()}`;

/** Switches to a new WAL segment and waits until the one holding everything written so far is archived. */
export async function archiveAll(p: AgentPod): Promise<void> {
  const segment = (await p.server.sql(`SELECT pg_walfile_name(pg_current_wal_lsn()); SELECT pg_switch_wal()`, SUPERUSER)).split('\n')[0];
  await waitFor(
    `${p.pod.podName}: WAL ${segment} to be archived`,
    async () => (await p.server.sql(`SELECT coalesce(last_archived_wal, '') >= '${segment}' FROM pg_stat_archiver`, SUPERUSER)) === 't',
    { timeoutMs: 90_000, diagnostics: diagnostics(p) },
  );
}

export async function waitPromoted(p: AgentPod, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    'recovery to finish and the server to be promoted',
    async () => (await p.server.sql('SELECT pg_is_in_recovery()', SUPERUSER)) === 'f',
    { timeoutMs, diagnostics: diagnostics(p) },
  );
}

/** Waits until the agent of `p` has created the stanza. */
export async function waitForStanza(p: AgentPod): Promise<void> {
  await waitFor(`${p.pod.podName}: the stanza`, async () => /stanza db ready/.test(p.agent.output()), {
    timeoutMs: 60_000,
    diagnostics: diagnostics(p),
  });
}

/** A full backup, run in the agent container of `p` (where the backup CronJob starts it). */
export async function fullBackup(p: AgentPod): Promise<void> {
  const r = await p.pod.pod.exec('pgbackrest', ['pgbackrest', '--stanza=db', '--type=full', 'backup'], {
    env: { PGBACKREST_PG1_PORT: String(p.server.port) },
  });
  expect(formatResult(r)).toMatch(/\(exit 0\)/);
}

/** Backs up, loses the primary volume and restores it; asserts no row is lost on the way. */
export async function backupLoseAndRestore(sandbox: Sandbox, opts: BackupRestoreOptions): Promise<BackupRestoreResult> {
  const manifests = synthDb(opts.props);
  const original = await startPrimaryWithAgent(sandbox, manifests, 'pod-original', await freePort(), opts.secrets);
  const { pod, server, agent } = original;
  expect(await server.sql('SHOW archive_command', SUPERUSER)).toMatch(/pgbackrest-archive\.sh" push "%p" "%f"/);
  await waitFor('the agent to create the stanza', async () => /stanza db ready/.test(agent.output()), {
    timeoutMs: 60_000,
    diagnostics: diagnostics(original),
  });

  await server.sql(
    `CREATE TABLE payments (id int PRIMARY KEY, amount numeric); INSERT INTO payments SELECT g, g * 1.5 FROM generate_series(1, 5000) g`,
    SUPERUSER,
  );

  // the backup CronJob runs `kubectl exec svc/db-rw -c <agent> -- pgbackrest ... backup` in the primary pod
  const cron = objectOf(manifests, 'CronJob', 'db-backup-full');
  const command: string[] = cron.spec.jobTemplate.spec.template.spec.containers[0].command;
  const dash = command.indexOf('--');
  expect(command.slice(0, dash)).toEqual(['kubectl', 'exec', 'svc/db-rw', '-c', 'pgbackrest']);
  const backup = await pod.pod.exec('pgbackrest', command.slice(dash + 1), { env: { PGBACKREST_PG1_PORT: String(server.port) } });
  expect(formatResult(backup)).toMatch(/\(exit 0\)/);
  const info = await pod.pod.exec('pgbackrest', ['pgbackrest', '--stanza=db', '--output=json', 'info']);
  const stanza = JSON.parse(info.stdout)[0];
  expect(stanza.status.message).toBe('ok');
  expect(stanza.backup.map((b: any) => b.type)).toEqual(['full']);

  // rows written after the backup reach the repository only through WAL archiving
  await server.sql(`INSERT INTO payments SELECT g, g * 1.5 FROM generate_series(5001, 7500) g`, SUPERUSER);
  const lastWal = await server.sql(`SELECT pg_walfile_name(pg_current_wal_lsn()); SELECT pg_switch_wal()`, SUPERUSER);
  const segment = lastWal.split('\n')[0];
  await waitFor(
    `WAL ${segment} to be archived`,
    async () => (await server.sql(`SELECT coalesce(last_archived_wal, '') >= '${segment}' FROM pg_stat_archiver`, SUPERUSER)) === 't',
    { timeoutMs: 60_000, diagnostics: diagnostics(original) },
  );
  expect(await server.sql('SELECT failed_count FROM pg_stat_archiver', SUPERUSER)).toBe('0');

  // pod shutdown: the agent gets its SIGTERM while PostgreSQL still runs, and keeps archiving
  agent.signal('SIGTERM');
  await server.sql(`INSERT INTO payments SELECT g, g * 1.5 FROM generate_series(7501, 8000) g`, SUPERUSER);
  const finalWal = (await server.sql(`SELECT pg_walfile_name(pg_current_wal_lsn()); SELECT pg_switch_wal()`, SUPERUSER)).split('\n')[0];
  await waitFor(
    `WAL ${finalWal} to be archived by the stopping agent`,
    async () => (await server.sql(`SELECT last_archived_wal >= '${finalWal}' FROM pg_stat_archiver`, SUPERUSER)) === 't',
    { timeoutMs: 60_000, diagnostics: diagnostics(original) },
  );
  expect(agent.isRunning).toBe(true);
  const expected = await server.sql('SELECT count(*), sum(amount) FROM payments', SUPERUSER);
  expect(expected).toBe('8000|48006000.0');
  const originalId = await systemIdentifier(sandbox, pod.dataDir);

  // PostgreSQL stops fast (nothing waits for a dead agent), then the agent follows by itself
  const stopping = Date.now();
  await server.stop();
  await waitFor('the agent to stop after PostgreSQL', async () => !agent.isRunning, { timeoutMs: 30_000, diagnostics: () => agent.output() });
  expect(Date.now() - stopping).toBeLessThan(30_000);
  expect(agent.output()).toMatch(/waiting for PostgreSQL to stop before stopping[\s\S]*stopping/);
  // nothing is left waiting to be archived
  expect(fs.readdirSync(`${pod.dataDir}/pg_wal/archive_status`).filter((f) => f.endsWith('.ready'))).toEqual([]);

  // the primary volume is lost
  fs.rmSync(pod.dataDir, { recursive: true, force: true });

  // a primary that restores when its volume is empty, from the same repository
  const restoring = synthDb((ctx) => ({ ...opts.props(ctx), onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP }));
  const restored = await startPrimaryWithAgent(sandbox, restoring, 'pod-restored', await freePort(), opts.secrets);
  expect(restored.pod.dataDir).toBe(pod.dataDir);
  await waitFor(
    'recovery to finish and the server to be promoted',
    async () => (await restored.server.sql('SELECT pg_is_in_recovery()', SUPERUSER)) === 'f',
    { timeoutMs: 60_000, diagnostics: diagnostics(restored) },
  );
  expect(await restored.server.sql('SELECT count(*), sum(amount) FROM payments', SUPERUSER)).toBe(expected);
  // the same database, not a new one
  expect(await systemIdentifier(sandbox, restored.pod.dataDir)).toBe(originalId);
  // WAL replay came through restore_command (pgbackrest-archive.sh get via the agent)
  expect(restored.server.log()).toMatch(/restored log file "[0-9A-F]{24}" from archive/);
  return { manifests, original, restored, rows: Number(expected.split('|')[0]) };
}
