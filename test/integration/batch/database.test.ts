/**
 * A SerialBatchJob connected to a real PostgreSQL 15 through `database`: the StatefulPostgres
 * primary runs from its own synthesized pod (see test/integration/postgres/real-cluster.ts), the
 * batch pod's steps run as processes under dash and busybox sh (see pod-runner.ts) with exactly
 * the env of the manifest, the Service name standing in for 127.0.0.1 and its port. A failed night
 * and its re-run from the failed step, with SQL whose effects are counted in the database.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { availableShells, Obj, PodRunOptions, runPod, Shell, tempRoot } from './pod-runner';
import { BatchRetry, SerialBatchJob, StatefulPostgres } from '../../../src';
import { describeWithTools, tool } from '../support/binaries';
import { PostgresServer } from '../support/postgres-server';
import { Sandbox } from '../support/sandbox';
import { expectSuccess, PASSWORDS, SECRETS, startPrimary, SUPERUSER, synthDbConstruct } from '../postgres/real-cluster';
import { objectsOf, PodSandbox } from '../support/pod-sandbox';

jest.setTimeout(120_000);

const IMAGE = 'ghcr.io/acme/batch:2.3.0';
const PSQL = ['psql', '-X', '-v', 'ON_ERROR_STOP=1'];

describeWithTools(
  'SerialBatchJob steps on a real PostgreSQL 15 through database',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'sh'],
  () => {
    let sandbox: Sandbox;
    let server: PostgresServer;
    let db: StatefulPostgres;
    const root = tempRoot('serial-batch-db-');
    const found = availableShells(root);

    beforeAll(async () => {
      sandbox = Sandbox.create('batch-db');
      const synthesized = synthDbConstruct(({ secret }) => ({
        users: [{ name: 'etl', password: { secret: secret('app-secret') } }],
        databases: [{ name: 'sales', owner: 'etl' }],
      }));
      db = synthesized.db;
      ({ server } = await startPrimary(sandbox, synthesized.manifests));
      const users = objectsOf(synthesized.manifests, 'Job').find((j) => j.metadata.name.startsWith('db-users'))!;
      const job = new PodSandbox(sandbox, { manifests: synthesized.manifests, workload: users, podName: 'db-users-run', secrets: SECRETS });
      expectSuccess(await job.run(job.podSpec.containers[0].name, { env: { PGHOST: '127.0.0.1', PGPORT: String(server.port) } }), 'users Job');
    });

    afterAll(async () => {
      await sandbox?.dispose();
      fs.rmSync(root, { recursive: true, force: true });
    });

    test('the shells are installed', () => {
      if (process.env.CI === 'true') {
        expect(found.missing).toEqual([]);
      }
    });

    /** The shell's "image" with psql in it (a busybox image has nothing else on its PATH). */
    function withPsql(shell: Shell): Shell {
      const bin = path.join(root, `psql-${shell.name.replace(/ /g, '-')}`);
      fs.mkdirSync(bin, { recursive: true });
      for (const entry of fs.readdirSync(shell.bin)) {
        fs.symlinkSync(fs.readlinkSync(path.join(shell.bin, entry)), path.join(bin, entry));
      }
      fs.symlinkSync(tool('psql'), path.join(bin, 'psql'));
      return { ...shell, bin, path: shell.path.replace(shell.bin, bin) };
    }

    /** Rows of the summary table: index, name, status, exit, seconds, tries. */
    const rows = (out: string) =>
      out
        .split('\n')
        .filter((l) => /^[0-9]{2,} /.test(l))
        .map((l) => l.trim().split(/\s+/));

    describe.each(found.shells.map((s) => [s.name, s] as [string, Shell]))('under %s', (shellName, baseShell) => {
      const schema = `night_${shellName.replace(/ /g, '_')}`;
      const gate = path.join(root, `gate-${shellName.replace(/ /g, '-')}`);

      function manifest(): Obj[] {
        const chart = Testing.chart();
        new SerialBatchJob(chart, 'nightly', {
          image: IMAGE,
          database: db.connection('sales'),
          retry: BatchRetry.resumeFromVolume({ retries: 0 }),
          config: { CFG_GATE: gate, PGOPTIONS: `-c search_path=${schema}` },
          allowReservedEnv: ['PGOPTIONS'],
          steps: [
            { name: 'stage-create', command: [...PSQL, '-c', 'CREATE TABLE staging (id int); CREATE TABLE IF NOT EXISTS night_log (note text)'] },
            {
              name: 'load',
              command: [
                'sh',
                '-c',
                `${PSQL.join(' ')} -c 'INSERT INTO staging SELECT generate_series(1, 100)' && psql -XAtc 'SELECT count(*) FROM staging' > "$SERIAL_BATCH_RESULT_DIR/rows"`,
              ],
            },
            {
              name: 'merge',
              command: ['sh', '-c', `test -f "$CFG_GATE" && ${PSQL.join(' ')} -c 'CREATE TABLE sales_orders AS SELECT * FROM staging'`],
            },
          ],
          finallySteps: [{ name: 'log-night', command: [...PSQL, '-c', "INSERT INTO night_log VALUES ('finally')"] }],
        });
        return Testing.synth(chart);
      }

      test('a failed night and its re-run from the failed step, against the real database', async () => {
        await server.sql(`CREATE SCHEMA ${schema} AUTHORIZATION etl`, { ...SUPERUSER, database: 'sales' });
        const shell = withPsql(baseShell);
        const objects = manifest();
        const opts: PodRunOptions = {
          shell,
          root: fs.mkdtempSync(path.join(root, 'run-')),
          jobUid: 'uid-night',
          jobName: 'nightly-29412150',
          secrets: { 'app-secret/password': PASSWORDS.app },
          envOverrides: { PGHOST: '127.0.0.1', PGPORT: String(server.port) },
        };
        const count = (sql: string) => server.sql(sql, { ...SUPERUSER, database: 'sales' });

        const night = await runPod(objects, opts);
        const summary = night.containers[night.containers.length - 1];
        expect(night.succeeded).toBe(false);
        expect(rows(summary.stdout).map((r) => r.slice(1, 3))).toEqual([
          ['stage-create', 'ok'],
          ['load', 'ok'],
          ['merge', 'failed'],
          ['log-night', 'ok'],
        ]);
        expect(summary.stdout).toContain('result load.rows = 100');
        expect(summary.message.trim()).toMatch(/^failed at merge \(exit code 1, failed\);/);
        // the steps connected as etl, with the password from its Secret, and the finally step ran after the failure
        expect(await count(`SELECT tableowner FROM pg_tables WHERE schemaname = '${schema}' AND tablename = 'staging'`)).toBe('etl');
        expect(await count(`SELECT count(*) FROM ${schema}.night_log`)).toBe('1');
        expect(await count(`SELECT count(*) FROM pg_tables WHERE schemaname = '${schema}' AND tablename = 'sales_orders'`)).toBe('0');

        // the operator fixes the cause and re-runs the night (kubectl set env SERIAL_BATCH_RUN=nightly-29412150)
        fs.writeFileSync(gate, '');
        const rerunObjects = JSON.parse(JSON.stringify(objects)) as Obj[];
        const spec = rerunObjects.find((o) => o.kind === 'Job')!.spec.template.spec;
        for (const c of [...spec.initContainers, ...spec.containers] as Obj[]) {
          (c.env as Obj[]).find((e) => e.name === 'SERIAL_BATCH_RUN')!.value = 'nightly-29412150';
        }
        const rerun = await runPod(rerunObjects, { ...opts, jobUid: 'uid-rerun', jobName: 'nightly-29412150-rerun' });
        expect(rerun.succeeded).toBe(true);
        expect(rows(rerun.containers[4].stdout).map((r) => r.slice(1, 3))).toEqual([
          ['stage-create', 'done-earlier'],
          ['load', 'done-earlier'],
          ['merge', 'ok'],
          ['log-night', 'ok'],
        ]);
        // stage-create and load did not run again: a second CREATE TABLE would have failed, a second load doubled the rows
        expect(await count(`SELECT count(*) FROM ${schema}.staging`)).toBe('100');
        expect(await count(`SELECT count(*) FROM ${schema}.sales_orders`)).toBe('100');
        expect(await count(`SELECT count(*) FROM ${schema}.night_log`)).toBe('2');
      });
    });
  },
);
