/**
 * Finding the real binaries a suite needs, and the skip-or-fail rule: when one is missing the
 * suite FAILS under `CI=true` (CI installs them with scripts/install-test-deps.sh) and is
 * skipped with a loud message on a developer machine.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { prependPath } from './processes';

/** Binaries a real-server test may ask for. */
export type Tool =
  | 'postgres'
  | 'initdb'
  | 'pg_ctl'
  | 'psql'
  | 'pg_isready'
  | 'pg_basebackup'
  | 'pg_controldata'
  | 'pg_dump'
  | 'pg_restore'
  | 'pgbouncer'
  | 'pgbackrest'
  | 'sh'
  | 'dash'
  | 'busybox'
  | 'openssl'
  | 'go'
  | 'prometheus-postgres-exporter';

const PG_TOOLS = new Set<Tool>(['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pg_basebackup', 'pg_controldata', 'pg_dump', 'pg_restore']);

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

let pgBinDirCache: string | null | undefined;

/**
 * The PostgreSQL server bindir: `$PG_BINDIR`, else `pg_config --bindir`, else the newest
 * `/usr/lib/postgresql/<major>/bin` (Debian keeps `postgres` and `initdb` off PATH).
 */
export function pgBinDir(): string | undefined {
  if (pgBinDirCache !== undefined) {
    return pgBinDirCache ?? undefined;
  }
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) {
    candidates.push(process.env.PG_BINDIR);
  }
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config is optional
  }
  const debianRoot = '/usr/lib/postgresql';
  if (fs.existsSync(debianRoot)) {
    const majors = fs
      .readdirSync(debianRoot)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((m) => path.join(debianRoot, m, 'bin')));
  }
  pgBinDirCache = candidates.find((d) => isExecutable(path.join(d, 'postgres'))) ?? null;
  if (pgBinDirCache) {
    prependPath(pgBinDirCache);
  }
  return pgBinDirCache ?? undefined;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/bin', '/sbin'])) {
    const p = path.join(dir, name);
    if (dir && isExecutable(p)) {
      return p;
    }
  }
  return undefined;
}

/** Absolute path of a tool, or undefined when it is not installed. */
export function findTool(tool: Tool): string | undefined {
  if (PG_TOOLS.has(tool)) {
    const dir = pgBinDir();
    if (dir && isExecutable(path.join(dir, tool))) {
      return path.join(dir, tool);
    }
    return onPath(tool);
  }
  return onPath(tool);
}

/** Tools from `tools` that are not installed. */
export function missingTools(tools: readonly Tool[]): Tool[] {
  return tools.filter((t) => findTool(t) === undefined);
}

/** Absolute path of a tool; throws when missing (use after {@link describeWithTools} decided to run). */
export function tool(t: Tool): string {
  const p = findTool(t);
  if (!p) {
    throw new Error(`${t} is not installed (run scripts/install-test-deps.sh as root)`);
  }
  return p;
}

export function isCi(): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * `describe` that needs real binaries. Missing ones make the suite fail under CI and skip it
 * elsewhere with a loud warning naming what to install.
 */
export function describeWithTools(title: string, tools: readonly Tool[], body: () => void): void {
  const missing = missingTools(tools);
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const message = `${title}: missing ${missing.join(', ')} — install them with \`sudo bash scripts/install-test-deps.sh\``;
  if (isCi()) {
    describe(title, () => {
      test('has the real binaries it needs', () => {
        throw new Error(`${message} (CI=true: real-server tests must not be skipped)`);
      });
    });
    return;
  }
  console.warn(`\n!!!!!!!!!! SKIPPING REAL-SERVER TESTS !!!!!!!!!!\n${message}\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`);
  describe.skip(title, body);
}
