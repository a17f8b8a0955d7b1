/**
 * A real pgBouncer in a sandbox, started with a given pgbouncer.ini and ready when it accepts
 * TCP connections on its port.
 */
import { execFileSync } from 'child_process';
import { tool } from './binaries';
import { canConnect } from './ports';
import { Daemon, waitFor } from './processes';
import { Sandbox } from './sandbox';

/** Installed pgBouncer version as [major, minor, patch]. */
export function pgbouncerVersion(): [number, number, number] {
  const out = execFileSync(tool('pgbouncer'), ['--version'], { encoding: 'utf8' });
  const m = /PgBouncer (\d+)\.(\d+)\.(\d+)/i.exec(out);
  if (!m) {
    throw new Error(`cannot parse pgbouncer --version: ${out}`);
  }
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * `[pgbouncer]` settings newer than some distributions' pgBouncer, with the version that
 * introduced them. Older versions refuse to start on an unknown key ("cannot load config file").
 */
export const PGBOUNCER_SETTING_SINCE: Record<string, [number, number]> = {
  auth_dbname: [1, 19],
  max_prepared_statements: [1, 21],
};

export interface AdaptedIni {
  readonly ini: string;
  /** The `key = value` lines removed because the installed pgBouncer predates them. */
  readonly removed: string[];
}

/**
 * Removes only the settings of {@link PGBOUNCER_SETTING_SINCE} that the installed version does
 * not know; every other line is kept byte for byte.
 */
export function adaptIniToVersion(ini: string, version: [number, number, number]): AdaptedIni {
  const removed: string[] = [];
  const lines = ini.split('\n').filter((line) => {
    const m = /^\s*([a-z_]+)\s*=/.exec(line);
    const since = m ? PGBOUNCER_SETTING_SINCE[m[1]] : undefined;
    if (since && (version[0] < since[0] || (version[0] === since[0] && version[1] < since[1]))) {
      removed.push(line.trim());
      return false;
    }
    return true;
  });
  return { ini: lines.join('\n'), removed };
}

/** A running pgBouncer owned by a sandbox. */
export class PgBouncer {
  /** Starts `pgbouncer <ini>` in the foreground and waits until `port` accepts connections. */
  public static async start(sandbox: Sandbox, iniFile: string, port: number, name = 'pgbouncer'): Promise<PgBouncer> {
    const daemon = Daemon.start(name, tool('pgbouncer'), [iniFile], { user: sandbox.user, logFile: sandbox.path(`${name}.log`) });
    sandbox.track(daemon);
    const state = await waitFor(
      `${name} to listen on 127.0.0.1:${port}`,
      async () => (!daemon.isRunning ? 'exited' : (await canConnect(port)) ? 'ready' : undefined),
      {
        timeoutMs: 20_000,
        diagnostics: () => `--- ${name} log\n${daemon.output()}`,
      },
    );
    if (state === 'exited') {
      throw new Error(`${name} exited during startup\n--- log\n${daemon.output()}`);
    }
    return new PgBouncer(daemon, port);
  }

  private constructor(
    public readonly daemon: Daemon,
    public readonly port: number,
  ) {}

  public log(): string {
    return this.daemon.output();
  }

  public async stop(): Promise<void> {
    await this.daemon.stop('SIGTERM', 10_000);
  }
}
