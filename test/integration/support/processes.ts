/**
 * Child processes for real-server tests: one-shot commands with captured output, long-running
 * daemons that are always stopped (even when a test fails or the worker exits), and polling
 * with a deadline instead of sleeps.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import { OsUser } from './os-user';

/** How a command runs. */
export interface RunOptions {
  /** Run as this OS user (the test process itself may be root). */
  readonly user?: OsUser;
  /** Extra environment on top of the minimal one from {@link baseEnv}. */
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Written to stdin, then stdin is closed. */
  readonly input?: string;
  /** Kill the command (SIGKILL) after this long. @default 60000 */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

const PATH_PREFIX: string[] = [];

/** Put a directory (e.g. the PostgreSQL bindir) first on PATH for every child process. */
export function prependPath(dir: string): void {
  if (!PATH_PREFIX.includes(dir)) {
    PATH_PREFIX.unshift(dir);
  }
}

/**
 * The environment every child starts from: nothing inherited from the developer's shell
 * that could change what a tool does (no PG*, no PGBACKREST_*, no locale surprises).
 */
export function baseEnv(user?: OsUser): Record<string, string> {
  return {
    PATH: [...PATH_PREFIX, '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'].join(':'),
    HOME: user?.home ?? process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    ...(user?.sandbox ? { TEST_SANDBOX: user.sandbox } : {}),
  };
}

/**
 * SIGKILLs every process whose environment has `TEST_SANDBOX=<sandbox>`: descendants that left
 * their process group (PostgreSQL children call setsid) or outlived their parent, e.g. an
 * archive_command still waiting. Needs /proc and permission to read the processes' environ.
 */
export function killSandboxProcesses(sandbox: string): number {
  const needle = Buffer.from(`\0TEST_SANDBOX=${sandbox}\0`);
  let killed = 0;
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) {
      continue;
    }
    try {
      const environ = Buffer.concat([Buffer.from([0]), fs.readFileSync(`/proc/${pid}/environ`), Buffer.from([0])]);
      if (environ.includes(needle)) {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return killed;
}

function mergeEnv(user: OsUser | undefined, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = baseEnv(user);
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) {
      delete env[k];
    } else {
      env[k] = v;
    }
  }
  return env;
}

function describeCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function spawnAs(cmd: string, args: readonly string[], opts: RunOptions): ChildProcess {
  return spawn(cmd, [...args], {
    cwd: opts.cwd ?? opts.user?.home ?? '/tmp',
    env: mergeEnv(opts.user, opts.env),
    // libuv drops supplementary groups when switching uid/gid
    uid: opts.user?.switchTo ? opts.user.uid : undefined,
    gid: opts.user?.switchTo ? opts.user.gid : undefined,
    stdio: ['pipe', 'pipe', 'pipe'],
    // its own process group: a kill reaches the children too (postgres backends, a script's
    // sleep), which otherwise keep the output pipes open and the test waiting
    detached: true,
  });
}

/** Sends `signal` to the child's whole process group (falls back to the child alone). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Runs a command to completion and returns its exit status and output; never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = describeCommand(cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawnAs(cmd, args, opts);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
      // a descendant outside the group may still hold the pipes
      child.stdout!.destroy();
      child.stderr!.destroy();
    }, opts.timeoutMs ?? 60_000);
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        command,
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(opts.input ?? '');
  });
}

/** Formats a result for an assertion message. */
export function formatResult(r: RunResult): string {
  const status = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return `$ ${r.command}\n(${status})\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/** Runs a command and throws with its full output unless it exits 0. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`command failed\n${formatResult(r)}`);
  }
  return r;
}

const LIVE = new Set<Daemon>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  // last line of defence when a test run is aborted: never leave a server behind
  process.on('exit', () => {
    for (const d of LIVE) {
      d.killNow();
    }
  });
}

/** A long-running process (postgres, pgbouncer) with its output kept for failure messages. */
export class Daemon {
  /** Starts `cmd`; its output is appended to `logFile` when given and the last 64 KiB kept in memory. */
  public static start(name: string, cmd: string, args: readonly string[], opts: RunOptions & { logFile?: string } = {}): Daemon {
    installExitHook();
    return new Daemon(name, spawnAs(cmd, args, opts), describeCommand(cmd, args), opts.logFile);
  }

  /** Resolves when the process has exited. */
  public readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private tail = '';
  private running = true;

  private constructor(
    public readonly name: string,
    private readonly child: ChildProcess,
    public readonly command: string,
    logFile?: string,
  ) {
    LIVE.add(this);
    const log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : undefined;
    const onData = (b: Buffer) => {
      this.tail = (this.tail + b.toString('utf8')).slice(-65536);
      log?.write(b);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.stdin!.on('error', () => undefined);
    child.stdin!.end();
    this.exited = new Promise((resolve) => {
      child.on('error', (e) => {
        this.tail += `\n[spawn error] ${e.message}\n`;
      });
      child.on('exit', () => {
        this.running = false;
        // children that outlive the main process would hold the pipes open: end them
        killGroup(child, 'SIGKILL');
      });
      child.on('close', (code, signal) => {
        this.running = false;
        LIVE.delete(this);
        log?.end();
        resolve({ code, signal });
      });
    });
  }

  public get pid(): number | undefined {
    return this.child.pid;
  }

  public get isRunning(): boolean {
    return this.running;
  }

  /** The last 64 KiB of combined stdout and stderr. */
  public output(): string {
    return this.tail;
  }

  /**
   * Sends `signal` to the main process (postgres: SIGINT = fast shutdown) and waits for the
   * exit; after `timeoutMs` SIGKILLs its whole process group. Leftover children of an exited
   * main process are killed too. Safe to call twice.
   */
  public async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<void> {
    if (!this.running) {
      killGroup(this.child, 'SIGKILL');
      return;
    }
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        killGroup(this.child, 'SIGKILL');
        // a descendant outside the group (postgres children call setsid) may still hold the pipes
        this.child.stdout!.destroy();
        this.child.stderr!.destroy();
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }

  /** Sends a signal to the main process without waiting (e.g. a SIGTERM the process may outlive on purpose). */
  public signal(signal: NodeJS.Signals): void {
    if (this.running) {
      this.child.kill(signal);
    }
  }

  /** Synchronous SIGKILL for exit hooks. */
  public killNow(): void {
    killGroup(this.child, 'SIGKILL');
  }
}

export interface WaitOptions {
  /** Give up after this long. @default 30000 */
  readonly timeoutMs?: number;
  /** Pause between attempts. @default 100 */
  readonly intervalMs?: number;
  /** Extra diagnostics for the timeout error (e.g. a server's log). */
  readonly diagnostics?: () => string;
}

/**
 * Polls `probe` until it returns something other than `undefined`/`false` and returns that
 * value; throws after the deadline, including the last probe error and diagnostics.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) {
        return v;
      }
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `\nlast error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}${opts.diagnostics ? `\n${opts.diagnostics()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
