/**
 * A real PostgreSQL server in a sandbox: started with a given postgresql.conf and pg_hba.conf
 * (`-c config_file=… -c hba_file=…`), listening on 127.0.0.1 and a free port, with its own
 * unix socket directory; ready when `pg_isready` says so (polled with a deadline).
 */
import * as fs from 'fs';
import { tool } from './binaries';
import { freePort } from './ports';
import { Daemon, formatResult, run, runOk, RunResult, waitFor } from './processes';
import { Sandbox } from './sandbox';

export interface InitdbOptions {
  /** Bootstrap superuser. @default 'postgres' */
  readonly superuser?: string;
  /** Superuser password (written to a 0600 file for `--pwfile`). @default - no password */
  readonly password?: string;
  /** @default 'peer' */
  readonly authLocal?: string;
  /** @default 'scram-sha-256' */
  readonly authHost?: string;
  readonly extraArgs?: readonly string[];
}

/** Runs `initdb` into `dataDir` (which must not exist or be empty) as the server user. */
export async function initdb(sandbox: Sandbox, dataDir: string, opts: InitdbOptions = {}): Promise<void> {
  const args = [
    '-D',
    dataDir,
    '-U',
    opts.superuser ?? 'postgres',
    `--auth-local=${opts.authLocal ?? 'peer'}`,
    `--auth-host=${opts.authHost ?? 'scram-sha-256'}`,
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
    ...(opts.extraArgs ?? []),
  ];
  if (opts.password !== undefined) {
    args.push(`--pwfile=${sandbox.writeFile(`initdb-pw-${Date.now()}`, `${opts.password}\n`)}`);
  }
  await runOk(tool('initdb'), args, { user: sandbox.user, timeoutMs: 120_000 });
}

export interface PostgresOptions {
  /** Data directory (must already be initialised or cloned). */
  readonly dataDir: string;
  /** postgresql.conf to start with (`-c config_file=`). @default - the data directory's own */
  readonly configFile?: string;
  /** pg_hba.conf (`-c hba_file=`). @default - the data directory's own */
  readonly hbaFile?: string;
  /** Extra `-c name=value` settings, applied after the file (command line wins). */
  readonly settings?: Record<string, string>;
  /** Environment of the server (archive_command/restore_command inherit it). */
  readonly env?: Record<string, string>;
  /** Port. @default - a free one */
  readonly port?: number;
  /** A label for logs and errors. @default 'postgres' */
  readonly name?: string;
  /** @default 60000 */
  readonly startTimeoutMs?: number;
}

export interface PsqlOptions {
  /** @default 'postgres' */
  readonly database?: string;
  /** @default 'postgres' */
  readonly user?: string;
  /** Connect over TCP to 127.0.0.1 instead of the unix socket. */
  readonly tcp?: boolean;
  /** Password (sent via PGPASSWORD; only meaningful with password auth). */
  readonly password?: string;
  /** Port override (e.g. a pooler in front). */
  readonly port?: number;
  /** psql variables (`-v name=value`). */
  readonly vars?: Record<string, string>;
  /** Extra environment for psql (e.g. variables read by backticks in a script). */
  readonly env?: Record<string, string>;
}

/** A running PostgreSQL server owned by a sandbox. */
export class PostgresServer {
  /** Starts postgres and waits until it accepts connections; the sandbox stops it on dispose. */
  public static async start(sandbox: Sandbox, opts: PostgresOptions): Promise<PostgresServer> {
    const name = opts.name ?? 'postgres';
    const port = opts.port ?? (await freePort());
    const socketDir = sandbox.mkdir(`run-${name}`);
    const settings: Record<string, string> = {
      ...(opts.configFile ? { config_file: opts.configFile } : {}),
      ...(opts.hbaFile ? { hba_file: opts.hbaFile } : {}),
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: socketDir,
      ...opts.settings,
    };
    const args = ['-D', opts.dataDir];
    for (const [k, v] of Object.entries(settings)) {
      args.push('-c', `${k}=${v}`);
    }
    const daemon = Daemon.start(name, tool('postgres'), args, {
      user: sandbox.user,
      env: opts.env,
      logFile: sandbox.path(`${name}.log`),
    });
    const server = new PostgresServer(sandbox, name, daemon, port, socketDir, opts);
    sandbox.track(daemon);
    await server.waitReady(opts.startTimeoutMs ?? 60_000);
    return server;
  }

  /**
   * Wraps a postgres process started some other way (e.g. a synthesized container's own command
   * through a PodSandbox) and waits until it accepts connections on `socketDir`/`port`.
   */
  public static async attach(
    sandbox: Sandbox,
    daemon: Daemon,
    opts: { dataDir: string; port: number; socketDir: string; name?: string; startTimeoutMs?: number },
  ): Promise<PostgresServer> {
    const server = new PostgresServer(sandbox, opts.name ?? daemon.name, daemon, opts.port, opts.socketDir, {
      dataDir: opts.dataDir,
      port: opts.port,
    });
    await server.waitReady(opts.startTimeoutMs ?? 60_000);
    return server;
  }

  private constructor(
    public readonly sandbox: Sandbox,
    public readonly name: string,
    public readonly daemon: Daemon,
    public readonly port: number,
    public readonly socketDir: string,
    public readonly options: PostgresOptions,
  ) {}

  public get dataDir(): string {
    return this.options.dataDir;
  }

  /** Server log so far (stderr; the generated config logs to stderr). */
  public log(): string {
    return this.daemon.output();
  }

  /** Polls `pg_isready` on the socket until it answers 0; fails fast when the server exits. */
  public async waitReady(timeoutMs = 60_000): Promise<void> {
    const state = await waitFor(
      `${this.name} to accept connections on port ${this.port}`,
      async () => {
        if (!this.daemon.isRunning) {
          return 'exited';
        }
        const r = await run(tool('pg_isready'), ['-q', '-h', this.socketDir, '-p', String(this.port), '-d', 'postgres', '-t', '2'], {
          user: this.sandbox.user,
        });
        return r.code === 0 ? 'ready' : undefined;
      },
      { timeoutMs, diagnostics: () => `--- ${this.name} log\n${this.log()}` },
    );
    if (state === 'exited') {
      const { code, signal } = await this.daemon.exited;
      throw new Error(`${this.name} exited during startup (code ${code}, signal ${signal})\n--- log\n${this.log()}`);
    }
  }

  /** Environment that points libpq at this server. */
  public libpqEnv(opts: PsqlOptions = {}): Record<string, string> {
    return {
      PGHOST: opts.tcp ? '127.0.0.1' : this.socketDir,
      PGPORT: String(opts.port ?? this.port),
      PGUSER: opts.user ?? 'postgres',
      PGDATABASE: opts.database ?? 'postgres',
      // fail instead of hanging when a server or pooler never answers
      PGCONNECT_TIMEOUT: '10',
      ...(opts.password !== undefined ? { PGPASSWORD: opts.password } : {}),
      ...opts.env,
    };
  }

  /** Runs SQL (stdin) through psql; resolves with the result whatever the exit code. */
  public psqlResult(sql: string, opts: PsqlOptions = {}): Promise<RunResult> {
    return this.psqlArgs(['-f', '-'], opts, sql);
  }

  /** Runs psql with `args` (e.g. `['-f', file]`); resolves with the result whatever the exit code. */
  public psqlArgs(args: readonly string[], opts: PsqlOptions = {}, input?: string): Promise<RunResult> {
    const vars = Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ['-v', `${k}=${v}`]);
    return run(tool('psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-w', ...vars, ...args], {
      user: this.sandbox.user,
      env: this.libpqEnv(opts),
      input,
    });
  }

  /** Runs SQL and returns trimmed stdout (unaligned, tuples only); throws with output on error. */
  public async sql(sql: string, opts: PsqlOptions = {}): Promise<string> {
    const r = await this.psqlResult(sql, opts);
    if (r.code !== 0) {
      throw new Error(`SQL failed on ${this.name}\n${formatResult(r)}`);
    }
    return r.stdout.trim();
  }

  /** Fast shutdown (SIGINT) and wait. */
  public async stop(): Promise<void> {
    await this.daemon.stop('SIGINT', 30_000);
  }
}

/** `Database system identifier` from pg_controldata: changes only when a new cluster is created. */
export async function systemIdentifier(sandbox: Sandbox, dataDir: string): Promise<string> {
  const r = await runOk(tool('pg_controldata'), ['-D', dataDir], { user: sandbox.user });
  const m = /^Database system identifier:\s+(\d+)$/m.exec(r.stdout);
  if (!m) {
    throw new Error(`no system identifier in pg_controldata output:\n${r.stdout}`);
  }
  return m[1];
}

/** Lists the entries of a directory (empty when missing). */
export function listDir(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}
