/** Throw-away TLS certificates for real-server tests, made with the real openssl. */
import * as fs from 'fs';
import * as path from 'path';
import { tool } from './binaries';
import { runOk } from './processes';
import { Sandbox } from './sandbox';

export interface SelfSignedCertificate {
  /** PEM certificate (also the CA a client trusts), mode 0644. */
  readonly certFile: string;
  /** PEM private key, mode 0600. */
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * A one-day self-signed P-256 certificate in the sandbox directory `dirName`, valid for
 * `subjectAltNames` (`DNS:db-rw`, `IP:127.0.0.1`); the first DNS name is also the CN.
 */
export async function selfSignedCertificate(sandbox: Sandbox, dirName: string, subjectAltNames: readonly string[]): Promise<SelfSignedCertificate> {
  const dir = sandbox.mkdir(dirName, 0o755);
  const certFile = path.join(dir, 'tls.crt');
  const keyFile = path.join(dir, 'tls.key');
  const cn = subjectAltNames.find((n) => n.startsWith('DNS:'))?.slice(4) ?? 'test';
  await runOk(tool('openssl'), [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    `subjectAltName=${subjectAltNames.join(',')}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  fs.chmodSync(certFile, 0o644);
  fs.chmodSync(keyFile, 0o600);
  return { certFile, keyFile, cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
}
