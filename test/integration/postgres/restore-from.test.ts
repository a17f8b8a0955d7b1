/**
 * A restore never writes into its source, on real servers: cluster `db` backs up and archives
 * into its S3 repository (a local S3-compatible server, see s3-backup.test.ts) and keeps running
 * and writing; cluster `copy` is restored from it with `restoreFrom` (its restore and its WAL
 * replay read `db`'s repository) and then writes rows of its own, archived into its own
 * repository. Afterwards `db`'s stanza holds only `db`'s timeline, and a restore of `db` to
 * latest has every row `db` wrote and none of `copy`'s. (Before `restoreFrom`, a second cluster
 * was restored by pointing its `backup.repository` at the source: it then archived its new
 * timeline into the source's stanza, and the source's next restore to latest followed it.)
 * The second test reads an encrypted volume repository of a stopped cluster: the restore and
 * restore_command get the source's path and passphrase, the copy archives into its own claim.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as kplus from 'cdk8s-plus-27';
import { BackupRepository, OnEmptyPrimary, S3UriStyle } from '../../../src/postgres';
import { describeWithTools } from '../support/binaries';
import { FAKE_S3_SECRETS, LocalFakeS3, startFakeS3OnLocalhost } from '../support/fake-s3';
import { freePort } from '../support/ports';
import { PostgresServer } from '../support/postgres-server';
import { Sandbox } from '../support/sandbox';
import { AgentPod, archiveAll, fullBackup, startPrimaryWithAgent, waitForStanza, waitPromoted } from './backup-flow';
import { SUPERUSER, SynthContext, synthDb } from './real-cluster';

jest.setTimeout(300_000);

const BUCKET = 'backups';
const S3_SECRETS = FAKE_S3_SECRETS;

/**
 * Once the stanza exists: rows 1..`backedUp` of `origin` in a full backup, then the rest up to
 * `total`, which reach the repository only as archived WAL.
 */
async function rowsInBackupAndArchive(p: AgentPod, origin: string, backedUp: number, total: number): Promise<void> {
  await waitForStanza(p);
  await p.server.sql(
    `CREATE TABLE rows (id int PRIMARY KEY, origin text); INSERT INTO rows SELECT g, '${origin}' FROM generate_series(1, ${backedUp}) g`,
    SUPERUSER,
  );
  await fullBackup(p);
  await p.server.sql(`INSERT INTO rows SELECT g, '${origin}' FROM generate_series(${backedUp + 1}, ${total}) g`, SUPERUSER);
  await archiveAll(p);
}

/**
 * Starts the restoring cluster `name` and waits until it is promoted with `rows` (rows by origin),
 * the WAL after the backup replayed through restore_command, and its stanza in its own repository.
 */
async function startCopy(
  sandbox: Sandbox,
  manifests: any[],
  dirName: string,
  secrets: Record<string, Record<string, string>>,
  name: string,
  rows: string,
): Promise<AgentPod> {
  const copy = await startPrimaryWithAgent(sandbox, manifests, dirName, await freePort(), secrets, name);
  await waitPromoted(copy);
  expect(await rowsByOrigin(copy.server)).toBe(rows);
  expect(copy.server.log()).toMatch(/restored log file "[0-9A-F]{24}" from archive/);
  await waitForStanza(copy);
  return copy;
}

/** Rows by origin, e.g. `copy:600,db:3000`. */
async function rowsByOrigin(server: PostgresServer): Promise<string> {
  return (
    await server.sql(
      `SELECT string_agg(origin || ':' || n, ',' ORDER BY origin) FROM (SELECT origin, count(*) n FROM rows GROUP BY origin) c`,
      SUPERUSER,
    )
  ).trim();
}

/** The timelines of the archived WAL and history files in the repository pgBackRest in `p` is configured with. */
async function archivedTimelines(p: AgentPod): Promise<string[]> {
  const ls = await p.pod.pod.exec('pgbackrest', ['pgbackrest', '--stanza=db', '--recurse', '--output=json', 'repo-ls', 'archive/db']);
  expect(ls.code).toBe(0);
  const names = Object.keys(JSON.parse(ls.stdout));
  const timelines = new Set<string>();
  for (const n of names) {
    const m = /(?:^|\/)([0-9A-F]{8})(?:[0-9A-F]{16}-|\.history)/.exec(n);
    if (m) {
      timelines.add(m[1]);
    }
  }
  return [...timelines].sort();
}

describeWithTools(
  'StatefulPostgres restoreFrom: a restored cluster reads its source and archives only into its own repository',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pg_controldata', 'pgbackrest', 'sh', 'openssl', 'go'],
  () => {
    let sandbox: Sandbox;
    let s3: LocalFakeS3;
    let caBundle: string;

    beforeAll(async () => {
      sandbox = Sandbox.create('pg-restore-from');
      s3 = await startFakeS3OnLocalhost(sandbox, BUCKET);
      caBundle = s3.caBundle;
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    /** The bucket as both clusters declare it; each cluster's default path is `/pgbackrest/<name>`. */
    function repository({ chart, secret }: SynthContext): BackupRepository {
      const ca = chart.node.tryFindChild('S3Ca') as kplus.ConfigMap | undefined;
      return BackupRepository.s3({
        bucket: BUCKET,
        region: 'us-east-1',
        endpoint: `localhost:${s3.port}`,
        uriStyle: S3UriStyle.PATH,
        credentials: secret('db-s3'),
        caBundle: ca ?? new kplus.ConfigMap(chart, 'S3Ca', { metadata: { name: 's3-ca' }, data: { 'ca.crt': caBundle } }),
      });
    }

    test('the source keeps only its own timeline and restores every row it wrote and none of the copy', async () => {
      // the source cluster: a full backup, then rows that reach the repository only as WAL
      const source = await startPrimaryWithAgent(
        sandbox,
        synthDb((ctx) => ({ backup: { repository: repository(ctx) } })),
        'pod-db',
        await freePort(),
        S3_SECRETS,
      );
      await rowsInBackupAndArchive(source, 'db', 1000, 2000);

      // the copy restores from the source's repository while the source keeps running
      const copyManifests = synthDb((ctx) => ({
        name: 'copy',
        backup: { repository: repository(ctx) },
        onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
        restoreFrom: { repository: repository(ctx), clusterName: 'db' },
      }));
      const copy = await startCopy(sandbox, copyManifests, 'pod-copy', S3_SECRETS, 'copy', 'db:2000');
      // the copy writes rows of its own (the same ids the source writes next) and archives them
      await copy.server.sql(`INSERT INTO rows SELECT g, 'copy' FROM generate_series(2001, 2600) g`, SUPERUSER);
      await archiveAll(copy);
      // the source goes on writing
      await source.server.sql(`INSERT INTO rows SELECT g, 'db' FROM generate_series(2001, 3000) g`, SUPERUSER);
      await archiveAll(source);

      // the copy's new timeline is in its own repository, never in the source's
      expect(await archivedTimelines(copy)).toContain('00000002');
      expect(await archivedTimelines(source)).toEqual(['00000001']);

      // the source loses its volume and is restored to latest from its own repository
      await source.server.stop();
      await source.agent.stop();
      fs.rmSync(source.pod.dataDir, { recursive: true, force: true });
      const again = synthDb((ctx) => ({ backup: { repository: repository(ctx) }, onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP }));
      const restored = await startPrimaryWithAgent(sandbox, again, 'pod-db-again', await freePort(), S3_SECRETS);
      await waitPromoted(restored);
      expect(await rowsByOrigin(restored.server)).toBe('db:3000');
      for (const p of [copy, restored]) {
        await p.server.stop();
        await p.agent.stop();
      }
    });

    test('an encrypted volume repository of a stopped cluster is read with its passphrase, and the copy archives into its own', async () => {
      const secrets = { 'vault-cipher': { password: `cipher "pass" it's` } };
      const source = await startPrimaryWithAgent(
        sandbox,
        synthDb(({ secret }) => ({
          name: 'vault',
          backup: { repository: BackupRepository.volume(), encryptionKey: { secret: secret('vault-cipher') } },
        })),
        'pod-vault',
        await freePort(),
        secrets,
        'vault',
      );
      await rowsInBackupAndArchive(source, 'vault', 500, 900);
      // a volume repository's claim is free once the source's primary is stopped
      await source.server.stop();
      await source.agent.stop();

      const copyManifests = synthDb(({ secret }) => ({
        name: 'vault-copy',
        backup: { repository: BackupRepository.volume() },
        onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
        restoreFrom: { repository: BackupRepository.volume(), clusterName: 'vault', encryptionKey: { secret: secret('vault-cipher') } },
      }));
      // the rows after the backup came through restore_command, decrypted with the source's passphrase
      const copy = await startCopy(sandbox, copyManifests, 'pod-vault-copy', secrets, 'vault-copy', 'vault:900');
      await copy.server.sql(`INSERT INTO rows SELECT g, 'copy' FROM generate_series(901, 1000) g`, SUPERUSER);
      await archiveAll(copy);
      const timelines = (claim: string) =>
        fs
          .readdirSync(path.join(copy.pod.pod.claimDir(claim), 'archive', 'db', '15-1'), { recursive: true })
          .map(String)
          .map((f) => /([0-9A-F]{8})(?:[0-9A-F]{16}-|\.history)/.exec(f)?.[1])
          .filter((t): t is string => t !== undefined);
      expect(new Set(timelines('vault-pgbackrest-repo'))).toEqual(new Set(['00000001']));
      expect(timelines('vault-copy-pgbackrest-repo')).toContain('00000002');
      await copy.server.stop();
      await copy.agent.stop();
    });
  },
);
