/**
 * OnEmptyPrimary CLONE from a single instance, on real servers: a StatefulPostgres with one
 * instance and a `replicationPassword` has the `replicator` role and the pg_hba line another
 * cluster clones with (before, the role existed only with replicas, and the clone failed with
 * `password authentication failed for user "replicator"`).
 */
import { OnEmptyPrimary } from '../../../src/postgres';
import { describeWithTools } from '../support/binaries';
import { objectOf } from '../support/pod-sandbox';
import { systemIdentifier } from '../support/postgres-server';
import { Sandbox } from '../support/sandbox';
import { startPrimary, SUPERUSER, synthDb } from './real-cluster';

jest.setTimeout(180_000);

describeWithTools(
  'StatefulPostgres CLONE from a single instance on real servers',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pg_controldata', 'pg_basebackup', 'sh'],
  () => {
    let sandbox: Sandbox;

    beforeAll(() => {
      sandbox = Sandbox.create('pg-clone-single');
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    test('a new cluster clones a single instance and becomes its own primary', async () => {
      // one instance; synthDb gives it a replicationPassword (Secret db-replication)
      const sourceManifests = synthDb(() => ({}));
      expect(objectOf(sourceManifests, 'StatefulSet', 'db-primary').spec.replicas).toBe(1);
      const { pod: sourcePod, server: source } = await startPrimary(sandbox, sourceManifests);
      expect(await source.sql(`SELECT rolreplication AND rolcanlogin FROM pg_roles WHERE rolname = 'replicator'`, SUPERUSER)).toBe('t');
      await source.sql(`CREATE TABLE accounts (id int PRIMARY KEY); INSERT INTO accounts SELECT generate_series(1, 1234)`, SUPERUSER);

      const cloneManifests = synthDb(({ secret }) => ({
        name: 'copy',
        onEmptyPrimary: OnEmptyPrimary.CLONE,
        cloneFrom: { host: 'db-rw', password: { secret: secret('db-replication') } },
      }));
      // the clone's primary is a client of the source, which the source's NetworkPolicy admits
      const clonePod = objectOf(cloneManifests, 'StatefulSet', 'copy-primary').spec.template;
      expect(clonePod.metadata.labels['db-client']).toBe('true');
      const sourcePolicy = objectOf(sourceManifests, 'NetworkPolicy', 'db');
      expect(sourcePolicy.spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { 'db-client': 'true' } } });

      // the source's Service db-rw is its loopback port
      const { pod, server: copy } = await startPrimary(sandbox, cloneManifests, {
        name: 'copy',
        env: { CLONE_HOST: '127.0.0.1', CLONE_PORT: String(source.port) },
      });
      expect(await systemIdentifier(sandbox, pod.dataDir)).toBe(await systemIdentifier(sandbox, sourcePod.dataDir));
      expect(await copy.sql('SELECT pg_is_in_recovery()', SUPERUSER)).toBe('f');
      expect(await copy.sql('SELECT count(*) FROM accounts', SUPERUSER)).toBe('1234');
      await copy.stop();
      await source.stop();
    });
  },
);
