/**
 * TLS on a real PostgreSQL 15: the primary started by the synthesized pod with a
 * `kubernetes.io/tls` Secret (a throw-away certificate made here with openssl) serves TLS, and
 * with `require` (the default) pg_hba.conf refuses TCP clients without it. pg_hba.conf lets
 * 127.0.0.1 in without TLS (the metrics sidecar in the pod), so "another pod" is a client whose
 * connection reaches the server from 127.0.0.2, through a loopback forwarder.
 */
import * as fs from 'fs';
import { describeWithTools } from '../support/binaries';
import { selfSignedCertificate } from '../support/certificates';
import { forwardFrom, Forwarder } from '../support/ports';
import { formatResult } from '../support/processes';
import { PostgresServer } from '../support/postgres-server';
import { Sandbox } from '../support/sandbox';
import { DbPod, startPrimary, SUPERUSER, synthDb } from './real-cluster';

jest.setTimeout(120_000);

describeWithTools('StatefulPostgres TLS on a real PostgreSQL 15', ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'openssl', 'sh'], () => {
  let sandbox: Sandbox;
  let pod: DbPod;
  let primary: PostgresServer;
  let caFile: string;
  let otherPod: Forwarder;

  beforeAll(async () => {
    sandbox = Sandbox.create('pg-tls');
    // a self-signed certificate for the Service name and the loopback address the test connects to
    const cert = await selfSignedCertificate(sandbox, 'cert', ['DNS:db-rw', 'IP:127.0.0.1']);
    caFile = cert.certFile;
    const tlsSecret = { 'tls.crt': cert.cert, 'tls.key': cert.key };
    const manifests = synthDb(({ secret }) => ({ tls: { secret: secret('db-tls') } }));
    ({ pod, server: primary } = await startPrimary(sandbox, manifests, {
      secrets: { 'db-tls': tlsSecret },
    }));
    otherPod = await forwardFrom('127.0.0.2', primary.port);
  });

  afterAll(async () => {
    await otherPod?.close();
    await sandbox?.dispose();
  });

  test('the forwarder really makes the client another address', async () => {
    const addr = await primary.sql('SELECT host(inet_client_addr())', {
      ...SUPERUSER,
      tcp: true,
      port: otherPod.port,
      env: { PGSSLMODE: 'require' },
    });
    expect(addr).toBe('127.0.0.2');
  });

  test('serves TLS with the Secret certificate, verifiable against it (verify-full)', async () => {
    expect(await primary.sql('SHOW ssl', SUPERUSER)).toBe('on');
    const r = await primary.sql(`SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`, {
      ...SUPERUSER,
      tcp: true,
      port: otherPod.port,
      env: { PGSSLMODE: 'verify-full', PGSSLROOTCERT: caFile },
    });
    expect(r).toMatch(/^t\|TLSv1\.[23]$/);
  });

  test('TCP without TLS from another address is refused by pg_hba.conf', async () => {
    const r = await primary.psqlResult('SELECT 1', { ...SUPERUSER, tcp: true, port: otherPod.port, env: { PGSSLMODE: 'disable' } });
    expect(r.code).not.toBe(0);
    expect(formatResult(r)).toMatch(/pg_hba\.conf rejects connection for host "127\.0\.0\.2".*no encryption/);
    // the pod-local loopback rule (metrics sidecar, sslmode=disable) still works
    expect(await primary.sql('SELECT 1', { ...SUPERUSER, tcp: true, env: { PGSSLMODE: 'disable' } })).toBe('1');
  });

  test('the server uses a private 0600 copy of the group-readable Secret key', async () => {
    const keyFile = await primary.sql('SHOW ssl_key_file', SUPERUSER);
    expect(keyFile.startsWith(pod.pod.processOf('postgres').env.PG_RUNTIME_DIR)).toBe(true);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
  });
});
