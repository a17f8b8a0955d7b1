/**
 * A real scrape: Debian's prometheus-postgres-exporter against a real PostgreSQL 15 primary with
 * a streaming replica and failing WAL archiving, all on 127.0.0.1. Every metric name the
 * postgres_exporter alert expressions read must be in the scrape, with the values the alerts
 * depend on (a streaming replica's row, failed archive attempts, max_connections). The scrapes are
 * recorded (healthy, archiving failing again, PostgreSQL gone) and replayed as one-minute series,
 * with the labels the PodMonitor adds, into promtool's rule engine: the archiving and instance-down
 * alerts fire on them with the real series' labels, the others stay silent.
 *
 * pgBouncer: the pinned sidecar image runs the prometheus-community pgbouncer_exporter (not served
 * here), which turns the admin console's `SHOW POOLS` columns into gauges: `cl_waiting` into
 * `pgbouncer_pools_client_waiting_connections`, `maxwait` into
 * `pgbouncer_pools_client_maxwait_seconds`. (Debian's prometheus-pgbouncer-exporter 1.7 is another
 * program with other names, and fails on pgBouncer 1.18's `SHOW STATS` columns.) So a real
 * pgBouncer 1.18 queues a client behind a one-connection pool, and its `SHOW POOLS`, read as a
 * `stats_users` member like the sidecar, must show the waiting client and its wait.
 */
import * as http from 'http';
import * as fs from 'fs';
import { stringify } from 'yaml';
import { ALERT_METRICS, MonitoredInstance, prometheusRuleSpec } from '../../../src/postgres/monitoring';
import { INSTANCE, resolved } from '../../postgres/monitoring-fixtures';
import { findPromtool } from './promtool';
import { describeWithTools, isCi, tool } from '../support/binaries';
import { freePort } from '../support/ports';
import { initdb, PostgresServer } from '../support/postgres-server';
import { Daemon, run, runOk, waitFor } from '../support/processes';
import { PgBouncer } from '../support/pgbouncer';
import { Sandbox } from '../support/sandbox';

jest.setTimeout(180_000);

const SUPERUSER_PASSWORD = 'scrape-test-superuser';
const EXPORTER_PASSWORD = 'scrape-test-exporter';

function get(port: number, path = '/metrics'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m) {
      continue;
    }
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2];
    }
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return samples;
}

const named = (samples: Sample[], name: string) => samples.filter((s) => s.name === name);

describeWithTools(
  'the postgres_exporter alert metrics in a real scrape',
  ['postgres', 'initdb', 'psql', 'pg_isready', 'pg_basebackup', 'prometheus-postgres-exporter'],
  () => {
    let sandbox: Sandbox;
    let primary: PostgresServer;
    let exporterPort: number;
    let scrape: Sample[];
    /** Scrapes one minute apart in the rule test's time: healthy, archiving failing again, PostgreSQL gone. */
    const recorded: Sample[][] = [];

    beforeAll(async () => {
      sandbox = Sandbox.create('cdk8s-patterns-scrape');
      const primaryDir = sandbox.path('primary');
      await initdb(sandbox, primaryDir, { password: SUPERUSER_PASSWORD });
      // archive_command fails every time: the archiver counts failed attempts, as it does when
      // a backup repository is unreachable
      primary = await PostgresServer.start(sandbox, {
        dataDir: primaryDir,
        name: 'primary',
        settings: { wal_level: 'replica', max_wal_senders: '4', archive_mode: 'on', archive_command: '/bin/false', max_connections: '40' },
      });
      await primary.sql(`CREATE ROLE postgres_exporter LOGIN PASSWORD '${EXPORTER_PASSWORD}' IN ROLE pg_monitor`);

      const replicaDir = sandbox.path('replica');
      await runOk(
        tool('pg_basebackup'),
        ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream', '--no-sync'],
        {
          user: sandbox.user,
          env: { PGPASSWORD: SUPERUSER_PASSWORD, PGAPPNAME: 'replica-1' },
          timeoutMs: 120_000,
        },
      );
      await PostgresServer.start(sandbox, {
        dataDir: replicaDir,
        name: 'replica',
        settings: {
          archive_mode: 'off',
          primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres password=${SUPERUSER_PASSWORD} application_name=replica-1`,
          max_connections: '40',
        },
      });
      await waitFor(
        'the replica to stream',
        async () => (await primary.sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")) === '1',
        {
          timeoutMs: 60_000,
        },
      );
      // WAL to archive: each switch is one more failed archive attempt
      await primary.sql('CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g; SELECT pg_switch_wal();');
      await waitFor('a failed archive attempt', async () => Number(await primary.sql('SELECT failed_count FROM pg_stat_archiver')) > 0, {
        timeoutMs: 60_000,
      });

      exporterPort = await freePort();
      const exporter = Daemon.start(
        'postgres-exporter',
        tool('prometheus-postgres-exporter'),
        [`--web.listen-address=127.0.0.1:${exporterPort}`, '--log.level=warn'],
        {
          user: sandbox.user,
          env: { DATA_SOURCE_NAME: `postgresql://postgres_exporter:${EXPORTER_PASSWORD}@127.0.0.1:${primary.port}/postgres?sslmode=disable` },
          logFile: sandbox.path('postgres-exporter.log'),
        },
      );
      sandbox.track(exporter);
      scrape = await waitFor(
        'postgres_exporter to report pg_up 1',
        async () => {
          const s = parseExposition(await get(exporterPort));
          return named(s, 'pg_up')[0]?.value === 1 ? s : undefined;
        },
        { timeoutMs: 30_000, diagnostics: () => exporter.output() },
      );
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    const scrapeNow = async (): Promise<Sample[]> => parseExposition(await get(exporterPort));

    test('every metric name the alert expressions read is in the scrape', () => {
      const names = new Set(scrape.map((s) => s.name));
      const missing = ALERT_METRICS.postgresExporter.filter((n) => !names.has(n));
      expect(missing).toEqual([]);
    });

    test('the replica shows on the primary as a streaming row with its WAL distance', () => {
      const rows = named(scrape, 'pg_stat_replication_pg_wal_lsn_diff');
      expect(rows).toEqual([expect.objectContaining({ labels: expect.objectContaining({ application_name: 'replica-1', state: 'streaming' }) })]);
      expect(rows[0].value).toBeGreaterThanOrEqual(0);
    });

    test('failed archive attempts are counted', () => {
      expect(named(scrape, 'pg_stat_archiver_failed_count')[0].value).toBeGreaterThan(0);
    });

    test('max_connections and the connections in use, per state', () => {
      expect(named(scrape, 'pg_settings_max_connections')[0].value).toBe(40);
      const active = named(scrape, 'pg_stat_activity_count').filter((s) => s.labels.state === 'active');
      expect(active.reduce((a, s) => a + s.value, 0)).toBeGreaterThanOrEqual(1);
    });

    test('an open transaction shows in pg_stat_activity_max_tx_duration', async () => {
      // a transaction left open for a few seconds, in the background
      const open = primary.psqlResult('BEGIN; SELECT txid_current(); SELECT pg_sleep(4); COMMIT;');
      const seen = await waitFor(
        'the open transaction in the scrape',
        async () => {
          const s = parseExposition(await get(exporterPort));
          const max = Math.max(0, ...named(s, 'pg_stat_activity_max_tx_duration').map((x) => x.value));
          return max >= 2 ? max : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 500 },
      );
      expect(seen).toBeGreaterThanOrEqual(2);
      await open;
    });

    test('another failed archive attempt raises the counter in the next scrape', async () => {
      recorded.push(scrape);
      const before = named(scrape, 'pg_stat_archiver_failed_count')[0].value;
      await primary.sql('INSERT INTO t SELECT g FROM generate_series(1, 1000) g; SELECT pg_switch_wal();');
      const after = await waitFor(
        'a higher failed_count',
        async () => {
          const s = await scrapeNow();
          return named(s, 'pg_stat_archiver_failed_count')[0]?.value > before ? s : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      recorded.push(after);
    });

    test('pg_up falls to 0 when PostgreSQL is gone', async () => {
      expect(named(parseExposition(await get(exporterPort)), 'pg_up')[0].value).toBe(1);
      await primary.stop();
      const down = await waitFor(
        'pg_up 0',
        async () => (named(parseExposition(await get(exporterPort)), 'pg_up')[0]?.value === 0 ? true : undefined),
        {
          timeoutMs: 30_000,
          intervalMs: 500,
        },
      );
      expect(down).toBe(true);
      recorded.push(await scrapeNow());
    });

    test("Prometheus's rule engine (promtool test rules) evaluates the alerts on the recorded scrapes", async () => {
      const promtool = findPromtool();
      if (!promtool) {
        if (isCi()) {
          throw new Error('promtool is not built: run scripts/install-promtool.sh (CI=true: the alerts must be evaluated)');
        }
        console.warn('SKIPPED the alert evaluation on real scrapes: promtool is not built (scripts/install-promtool.sh)');
        return;
      }
      expect(recorded).toHaveLength(3);
      // the labels the PodMonitor's relabeling puts on every series of the primary
      const target = { app_kubernetes_io_instance: 'orders', app_kubernetes_io_component: 'primary', namespace: 'shop', pod: 'orders-0' };
      // minute 0: healthy; 1-9: archiving failed once more; 10-20: PostgreSQL gone
      const timeline: Sample[][] = [recorded[0], ...Array(9).fill(recorded[1]), ...Array(11).fill(recorded[2])];
      const wanted = new Set(ALERT_METRICS.postgresExporter);
      const series = new Map<string, (number | undefined)[]>();
      timeline.forEach((samples, t) => {
        for (const x of samples.filter((y) => wanted.has(y.name) && Number.isFinite(y.value))) {
          const labels = { ...x.labels, ...target };
          const key = `${x.name}{${Object.entries(labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(', ')}}`;
          const values = series.get(key) ?? Array(timeline.length).fill(undefined);
          values[t] = x.value;
          series.set(key, values);
        }
      });
      const labelsOf = (name: string, scrapeIndex: number) => ({ ...named(recorded[scrapeIndex], name)[0].labels, ...target });
      const silent = (eval_time: string, alertname: string) => ({ eval_time, alertname, exp_alerts: [] });
      const tests = [
        {
          name: 'recorded scrapes of a real primary with one streaming replica',
          interval: '1m',
          input_series: [...series].map(([key, values]) => ({
            series: key,
            values: values.map((v) => (v === undefined ? '_' : String(v))).join(' '),
          })),
          alert_rule_test: [
            {
              eval_time: '2m',
              alertname: 'PostgresWalArchivingFailing',
              exp_alerts: [{ exp_labels: { ...labelsOf('pg_stat_archiver_failed_count', 1), severity: 'critical' } }],
            },
            silent('9m', 'PostgresInstanceDown'),
            silent('9m', 'PostgresConnectionsNearLimit'),
            silent('9m', 'PostgresLongRunningTransaction'),
            silent('9m', 'PostgresReplicationLagging'),
            silent('9m', 'PostgresReplicaNotStreaming'),
            silent('12m', 'PostgresInstanceDown'),
            { eval_time: '16m', alertname: 'PostgresInstanceDown', exp_alerts: [{ exp_labels: { ...labelsOf('pg_up', 2), severity: 'critical' } }] },
            silent('16m', 'PostgresReplicaNotStreaming'),
          ],
        },
      ];
      const instance: MonitoredInstance = { ...INSTANCE, members: 2, pooler: false, backupCronJobs: [] };
      const spec = JSON.parse(JSON.stringify(prometheusRuleSpec(instance, resolved())));
      for (const rule of spec.groups[0].rules) {
        rule.expr = rule.expr.value ?? rule.expr;
        delete rule.annotations;
      }
      fs.writeFileSync(sandbox.path('rules.yaml'), stringify({ groups: spec.groups }));
      fs.writeFileSync(sandbox.path('tests.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
      const r = await run(promtool, ['test', 'rules', 'tests.yaml'], { cwd: sandbox.root, timeoutMs: 60_000 });
      expect(`${r.stdout}${r.stderr}`).toMatch(/SUCCESS/);
      expect(r.code).toBe(0);
    });
  },
);

/** The `SHOW POOLS` column pgbouncer_exporter publishes as each pooler metric the alerts read. */
const POOLER_METRIC_COLUMNS: Record<string, string> = {
  pgbouncer_pools_client_waiting_connections: 'cl_waiting',
  pgbouncer_pools_client_maxwait_seconds: 'maxwait',
};

describeWithTools('the pgBouncer alert signals in a real pgBouncer', ['postgres', 'initdb', 'psql', 'pg_isready', 'pgbouncer'], () => {
  let sandbox: Sandbox;
  let primary: PostgresServer;
  let pooler: PgBouncer;

  beforeAll(async () => {
    sandbox = Sandbox.create('cdk8s-patterns-pooler-scrape');
    const dataDir = sandbox.path('data');
    await initdb(sandbox, dataDir, { password: SUPERUSER_PASSWORD });
    primary = await PostgresServer.start(sandbox, { dataDir, name: 'primary' });
    const port = await freePort();
    const users = sandbox.writeFile('userlist.txt', `"postgres" "${SUPERUSER_PASSWORD}"\n"stats" "${EXPORTER_PASSWORD}"\n`);
    const ini = sandbox.writeFile(
      'pgbouncer.ini',
      [
        '[databases]',
        `app = host=127.0.0.1 port=${primary.port} dbname=postgres`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = scram-sha-256',
        `auth_file = ${users}`,
        'pool_mode = session',
        'default_pool_size = 1',
        'stats_users = stats',
        '',
      ].join('\n'),
    );
    pooler = await PgBouncer.start(sandbox, ini, port);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  const pools = async (): Promise<Record<string, string>[]> => {
    const r = await primary.psqlArgs(['-F', '\t', '-P', 'footer=off', '-c', 'SHOW POOLS'], {
      tcp: true,
      port: pooler.port,
      user: 'stats',
      password: EXPORTER_PASSWORD,
      database: 'pgbouncer',
    });
    if (r.code !== 0) {
      throw new Error(`SHOW POOLS failed: ${r.stderr}`);
    }
    return r.stdout
      .trim()
      .split('\n')
      .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [String(i), v])));
  };

  test('SHOW POOLS has the columns pgbouncer_exporter reads, and they show a client queued behind a full pool', async () => {
    // the column names: psql prints them as the first line outside tuples-only mode
    const described = await primary.psqlArgs(['-F', '\t', '-P', 'tuples_only=off', '-P', 'footer=off', '-c', 'SHOW POOLS'], {
      tcp: true,
      port: pooler.port,
      user: 'stats',
      password: EXPORTER_PASSWORD,
      database: 'pgbouncer',
    });
    const columns = described.stdout.split('\n')[0].split('\t');
    for (const column of Object.values(POOLER_METRIC_COLUMNS)) {
      expect(columns).toContain(column);
    }
    const at = (name: string) => String(columns.indexOf(name));

    const app = { tcp: true, port: pooler.port, user: 'postgres', password: SUPERUSER_PASSWORD, database: 'app' };
    // the only server connection is held for 6 s; a second client must wait for it
    const holder = primary.psqlResult('SELECT pg_sleep(6)', app);
    await waitFor(
      'the holder on the server connection',
      async () => (await pools()).some((p) => p[at('database')] === 'app' && p[at('sv_active')] === '1'),
      {
        timeoutMs: 10_000,
      },
    );
    const waiter = primary.psqlResult('SELECT 1', app);
    const queued = await waitFor(
      'a client waiting at least 2 s',
      async () => (await pools()).find((p) => p[at('database')] === 'app' && p[at('cl_waiting')] === '1' && Number(p[at('maxwait')]) >= 2),
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    expect(Number(queued[at('maxwait')])).toBeGreaterThanOrEqual(2);
    expect((await holder).code).toBe(0);
    expect((await waiter).code).toBe(0);
    // served: nobody waits any more
    const after = (await pools()).find((p) => p[at('database')] === 'app')!;
    expect(after[at('cl_waiting')]).toBe('0');
  });
});
