/**
 * Physical backups to an S3 repository on real servers: the backup, WAL archiving and restore
 * story of backup-flow.ts against a local S3-compatible server (gofakes3, support/fake-s3.ts)
 * on HTTPS with a throw-away CA. Everything pgBackRest needs to reach it comes from the
 * construct's props: the endpoint with its port, path-style addressing, the CA bundle ConfigMap
 * (TLS stays verified) and the credentials Secret, which reaches the agent and the restore init
 * container as secretKeyRef env like in a cluster.
 */
import * as kplus from 'cdk8s-plus-27';
import { BackupRepository, S3RepositoryOptions, S3UriStyle } from '../../../src/postgres';
import { describeWithTools } from '../support/binaries';
import { FAKE_S3_SECRETS, LocalFakeS3, startFakeS3OnLocalhost } from '../support/fake-s3';
import { configMapValue, objectOf } from '../support/pod-sandbox';
import { Sandbox } from '../support/sandbox';
import { backupLoseAndRestore } from './backup-flow';
import { DbPod, SynthContext, synthDb } from './real-cluster';

jest.setTimeout(300_000);

const BUCKET = 'db-backups';
const S3_SECRETS = FAKE_S3_SECRETS;

describeWithTools(
  'StatefulPostgres pgBackRest backup to an S3 repository on real servers',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pg_controldata', 'pgbackrest', 'sh', 'openssl', 'go'],
  () => {
    let sandbox: Sandbox;
    let s3: LocalFakeS3;
    let caBundle: string;

    beforeAll(async () => {
      sandbox = Sandbox.create('pg-s3-backup');
      s3 = await startFakeS3OnLocalhost(sandbox, BUCKET);
      caBundle = s3.caBundle;
    });

    /** The bucket on fake-s3, as a user of an S3-compatible store would declare it. */
    function fakeS3Repository(secret: SynthContext['secret'], options: Partial<S3RepositoryOptions>): BackupRepository {
      return BackupRepository.s3({
        bucket: BUCKET,
        region: 'us-east-1',
        endpoint: `localhost:${s3.port}`,
        uriStyle: S3UriStyle.PATH,
        credentials: secret('db-s3'),
        ...options,
      });
    }

    afterAll(async () => {
      await sandbox?.dispose();
    });

    test('a full backup plus archived WAL in the bucket restores into an empty data directory with no rows lost', async () => {
      const { manifests, original, rows } = await backupLoseAndRestore(sandbox, {
        props: ({ chart, secret }) => ({
          backup: {
            repository: fakeS3Repository(secret, {
              caBundle: new kplus.ConfigMap(chart, 'S3Ca', { metadata: { name: 's3-ca' }, data: { 'ca.crt': caBundle } }),
            }),
          },
        }),
        secrets: S3_SECRETS,
      });
      const conf = configMapValue(manifests, 'db-pgbackrest', 'pgbackrest.conf');
      expect(conf).toMatch(/^repo1-type=s3$/m);
      expect(conf).toContain(`repo1-s3-endpoint=localhost:${s3.port}`);
      expect(conf).toMatch(/^repo1-s3-uri-style=path$/m);
      expect(conf).toMatch(/^repo1-s3-key-type=shared$/m);
      expect(rows).toBe(8000);
      // the backup and the WAL really are in the bucket, under the construct's default path
      const info = await original.pod.pod.exec('pgbackrest', ['pgbackrest', '--stanza=db', '--output=json', 'info']);
      const stanza = JSON.parse(info.stdout)[0];
      expect(stanza.repo[0].status.message).toBe('ok');
      const listing = await original.pod.pod.exec('pgbackrest', ['pgbackrest', '--stanza=db', 'repo-ls', '--recurse', 'archive/db']);
      expect(listing.stdout).toMatch(/[0-9A-F]{24}-[0-9a-f]{40}/);
      expect(s3.daemon.isRunning).toBe(true);
    });

    test('the agent refuses the endpoint when its certificate is not the trusted one', async () => {
      // same server, no caBundle: the image's public CAs do not sign it, so pgBackRest must fail
      const manifests = synthDb(({ secret }) => ({ backup: { repository: fakeS3Repository(secret, { path: '/untrusted' }) } }));
      const pod = new DbPod(sandbox, manifests, objectOf(manifests, 'StatefulSet', 'db-primary'), 'db-primary-0', 'pod-untrusted', S3_SECRETS);
      const r = await pod.pod.exec('pgbackrest', ['pgbackrest', '--stanza=db', '--io-timeout=5', 'info']);
      expect(`${r.stdout}${r.stderr}`).toMatch(/certificate verify failed|unable to verify/i);
    });
  },
);
