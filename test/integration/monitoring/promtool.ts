/**
 * promtool, built from the pinned Prometheus Go module by scripts/install-promtool.sh into the
 * per-machine cache. Missing: the suite fails under `CI=true` and is skipped elsewhere.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isCi } from '../support/binaries';

const ROOT = path.join(__dirname, '..', '..', '..');
const cacheRoot = process.env.CDK8S_PATTERNS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cdk8s-patterns');

/** The Prometheus version the install script pins. */
export function pinnedPrometheusVersion(): string {
  const script = fs.readFileSync(path.join(ROOT, 'scripts', 'install-promtool.sh'), 'utf8');
  const m = /PROMETHEUS_VERSION="\$\{PROMETHEUS_VERSION:-(v[0-9.]+)\}"/.exec(script);
  if (!m) {
    throw new Error('scripts/install-promtool.sh pins no PROMETHEUS_VERSION');
  }
  return m[1];
}

/** The cached promtool of the pinned version, or undefined. */
export function findPromtool(): string | undefined {
  const p = process.env.PROMTOOL ?? path.join(cacheRoot, `promtool@${pinnedPrometheusVersion()}`, 'promtool');
  return fs.existsSync(p) ? p : undefined;
}

/** `describe` that needs promtool: fails under CI when it is missing, skips loudly elsewhere. */
export function describeWithPromtool(title: string, body: (promtool: () => string) => void): void {
  const promtool = findPromtool();
  if (promtool) {
    describe(title, () => body(() => promtool));
    return;
  }
  const message = `${title}: promtool ${pinnedPrometheusVersion()} is not built — run \`bash scripts/install-promtool.sh\``;
  if (isCi()) {
    describe(title, () => {
      test('has promtool', () => {
        throw new Error(`${message} (CI=true: the alert rules must be checked)`);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${message}`);
  describe.skip(title, () => body(() => ''));
}
