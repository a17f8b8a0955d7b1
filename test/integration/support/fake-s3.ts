/**
 * A local S3-compatible server for S3 repository tests: the gofakes3 program in ./fake-s3 (an
 * in-memory bucket over HTTPS on 127.0.0.1), built with the Go toolchain once per machine into
 * `${CDK8S_PATTERNS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-patterns}/fake-s3/<source hash>/`.
 * Suites that use it list `go` in {@link describeWithTools}, so a missing toolchain fails under
 * CI and skips loudly elsewhere.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tool } from './binaries';
import { selfSignedCertificate } from './certificates';
import { canConnect, freePort } from './ports';
import { Daemon, runOk, waitFor } from './processes';
import { Sandbox } from './sandbox';

const SOURCE_DIR = path.join(__dirname, 'fake-s3');
const SOURCES = ['go.mod', 'go.sum', 'main.go'];

function cacheRoot(): string {
  return process.env.CDK8S_PATTERNS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cdk8s-patterns');
}

/** The fake-s3 binary, built from its sources unless this version is already in the cache. */
export async function fakeS3Binary(): Promise<string> {
  const hash = createHash('sha256');
  for (const f of SOURCES) {
    hash.update(`${f}\0`).update(fs.readFileSync(path.join(SOURCE_DIR, f)));
  }
  const dir = path.join(cacheRoot(), 'fake-s3', hash.digest('hex').slice(0, 16));
  const binary = path.join(dir, 'fake-s3');
  if (fs.existsSync(binary)) {
    return binary;
  }
  fs.mkdirSync(dir, { recursive: true });
  // build next to the target and rename: a concurrent or interrupted build never leaves half a binary
  const partial = `${binary}.${process.pid}.partial`;
  // the developer's Go settings (module cache, proxy, flags) apply; the machine is shared, so build gently
  const goEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^GO|^(https?|no)_proxy$/i.test(k)));
  await runOk(tool('go'), ['build', '-p', '2', '-trimpath', '-o', partial, '.'], {
    cwd: SOURCE_DIR,
    env: { GOTOOLCHAIN: 'local', GOMAXPROCS: '2', CGO_ENABLED: '0', ...goEnv },
    timeoutMs: 600_000,
  });
  fs.renameSync(partial, binary);
  return binary;
}

export interface FakeS3Options {
  readonly bucket: string;
  /** PEM certificate and key the server presents. */
  readonly certFile: string;
  readonly keyFile: string;
}

export interface FakeS3 {
  readonly daemon: Daemon;
  readonly port: number;
}

/** Starts fake-s3 with `bucket` created, on a free port; stopped by `sandbox.dispose()`. */
export async function startFakeS3(sandbox: Sandbox, opts: FakeS3Options): Promise<FakeS3> {
  const binary = await fakeS3Binary();
  const port = await freePort();
  // runs as the test process (it reads the cache and the key), not as the pod's user
  const daemon = sandbox.track(
    Daemon.start('fake-s3', binary, ['-port', String(port), '-cert', opts.certFile, '-key', opts.keyFile, '-bucket', opts.bucket], {
      logFile: sandbox.path('fake-s3.log'),
    }),
  );
  await waitFor('fake-s3 to listen', async () => daemon.output().includes('fake-s3 listening') && (await canConnect(port)), {
    timeoutMs: 30_000,
    diagnostics: () => daemon.output(),
  });
  return { daemon, port };
}

/** What the cluster's Secret `db-s3` would hold; gofakes3 accepts any signed request. */
export const FAKE_S3_SECRETS = { 'db-s3': { AWS_ACCESS_KEY_ID: 'test-access-key', AWS_SECRET_ACCESS_KEY: 'test-secret-key' } };

/** fake-s3 on `localhost`, with the PEM of its certificate. */
export interface LocalFakeS3 extends FakeS3 {
  readonly caBundle: string;
}

/**
 * fake-s3 with `bucket`, serving HTTPS as `localhost` (pgBackRest checks the endpoint host against
 * the certificate's DNS names only) with a throw-away self-signed certificate, whose PEM is
 * `caBundle`, the bundle a client must trust.
 */
export async function startFakeS3OnLocalhost(sandbox: Sandbox, bucket: string): Promise<LocalFakeS3> {
  const cert = await selfSignedCertificate(sandbox, 's3-cert', ['DNS:localhost']);
  const s3 = await startFakeS3(sandbox, { bucket, certFile: cert.certFile, keyFile: cert.keyFile });
  return { ...s3, caBundle: cert.cert };
}
