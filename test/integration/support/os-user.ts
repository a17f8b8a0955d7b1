/**
 * The unprivileged OS user real servers run as. PostgreSQL, pgBouncer and pgBackRest refuse to
 * run as root, so a root test process switches to:
 * 1. `postgres`, when it exists (the Debian postgresql package creates it): like the official
 *    image, whose server runs as the OS user `postgres`, so `local ... postgres peer` in a
 *    generated pg_hba.conf works exactly as in the container;
 * 2. otherwise `pgtest`, a system user created here (no home, no login shell).
 * A non-root test process runs everything as itself.
 */
import { execFileSync } from 'child_process';
import * as os from 'os';

export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** HOME for child processes (a temp dir is used per sandbox). */
  readonly home?: string;
  /** True when child processes must switch to this uid/gid (the test runs as root). */
  readonly switchTo: boolean;
  /**
   * The sandbox the processes belong to: exported to them as `TEST_SANDBOX`, which every
   * descendant inherits, so the sandbox can find and end stragglers.
   */
  readonly sandbox?: string;
}

const PREFERRED = 'postgres';
const CREATED = 'pgtest';

function lookup(name: string): { uid: number; gid: number } | undefined {
  try {
    const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
    const fields = line.split(':');
    return { uid: Number(fields[2]), gid: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

let cached: OsUser | undefined;

/** The OS user servers run as (created on first use when running as root and none exists). */
export function serverUser(): OsUser {
  if (cached) {
    return cached;
  }
  if (process.getuid!() !== 0) {
    const me = os.userInfo();
    cached = { name: me.username, uid: me.uid, gid: me.gid, switchTo: false };
    return cached;
  }
  let found = lookup(PREFERRED);
  let name = PREFERRED;
  if (!found) {
    name = CREATED;
    found = lookup(CREATED);
    if (!found) {
      try {
        execFileSync(
          'useradd',
          ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', CREATED],
          {
            stdio: 'pipe',
          },
        );
      } catch {
        // another test worker may have created it in the meantime; the lookup below decides
      }
      found = lookup(CREATED);
      if (!found) {
        throw new Error(`cannot create the unprivileged OS user ${CREATED} for real-server tests (useradd failed)`);
      }
    }
  }
  cached = { name, uid: found.uid, gid: found.gid, switchTo: true };
  return cached;
}

/** The same user with HOME pointing at `home`, its processes tagged with `sandbox`. */
export function withHome(user: OsUser, home: string, sandbox?: string): OsUser {
  return { ...user, home, sandbox };
}
