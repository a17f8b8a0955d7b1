/**
 * A temporary directory owned by the server user, plus everything started inside it. `dispose()`
 * stops every daemon (newest first), runs the registered cleanups and removes the directory,
 * whatever failed before. Set `KEEP_TEST_DIRS=1` to keep the directory for debugging.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OsUser, serverUser, withHome } from './os-user';
import { Daemon, killSandboxProcesses } from './processes';

const OPEN = new Set<string>();
let exitHookInstalled = false;

export class Sandbox {
  /** Creates `<tmpdir>/<prefix>-XXXXXX` (mode 0700) owned by the server user. */
  public static create(prefix: string): Sandbox {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    const user = serverUser();
    if (user.switchTo) {
      fs.chownSync(root, user.uid, user.gid);
    }
    fs.chmodSync(root, 0o700);
    const home = path.join(root, 'home');
    const sandbox = new Sandbox(root, withHome(user, home, root));
    OPEN.add(root);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // an aborted run still ends every process a sandbox started
      process.on('exit', () => OPEN.forEach((r) => killSandboxProcesses(r)));
    }
    sandbox.mkdir('home');
    return sandbox;
  }

  private readonly daemons: Daemon[] = [];
  private readonly cleanups: Array<() => Promise<void> | void> = [];
  private disposed = false;

  private constructor(
    public readonly root: string,
    public readonly user: OsUser,
  ) {}

  /** Absolute path inside the sandbox. */
  public path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  /** Creates a directory (and parents) owned by the server user; returns its absolute path. */
  public mkdir(rel: string, mode = 0o700): string {
    const abs = this.path(rel);
    const parts = path.relative(this.root, abs).split(path.sep);
    let cur = this.root;
    for (const p of parts) {
      cur = path.join(cur, p);
      if (!fs.existsSync(cur)) {
        fs.mkdirSync(cur, { mode });
        this.own(cur);
      }
    }
    fs.chmodSync(abs, mode);
    return abs;
  }

  /** Writes a file owned by the server user; returns its absolute path. */
  public writeFile(rel: string, content: string, mode = 0o600): string {
    const abs = this.path(rel);
    this.mkdir(path.dirname(path.relative(this.root, abs)) || '.');
    fs.writeFileSync(abs, content, { mode });
    fs.chmodSync(abs, mode);
    this.own(abs);
    return abs;
  }

  /** Hands a path to the server user. */
  public own(abs: string): void {
    if (this.user.switchTo) {
      fs.chownSync(abs, this.user.uid, this.user.gid);
    }
  }

  /** Registers a daemon so dispose() stops it. */
  public track<T extends Daemon>(daemon: T, stop?: () => Promise<void>): T {
    this.daemons.push(daemon);
    if (stop) {
      this.cleanups.push(stop);
    }
    return daemon;
  }

  /** Registers a cleanup step (run before the directory is removed, newest first). */
  public defer(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  /** Stops everything and removes the directory; never throws before it has tried all of it. */
  public async dispose(): Promise<void> {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    const errors: unknown[] = [];
    for (const fn of [...this.cleanups].reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    for (const d of [...this.daemons].reverse()) {
      try {
        await d.stop('SIGINT', 10_000);
      } catch (e) {
        errors.push(e);
      }
    }
    // stragglers of any process started in this sandbox
    killSandboxProcesses(this.root);
    OPEN.delete(this.root);
    if (process.env.KEEP_TEST_DIRS === '1') {
      console.warn(`KEEP_TEST_DIRS=1: kept ${this.root}`);
    } else {
      fs.rmSync(this.root, { recursive: true, force: true });
    }
    if (errors.length > 0) {
      throw new Error(`sandbox cleanup: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`);
    }
  }
}
