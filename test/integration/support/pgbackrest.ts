/** Running the real pgBackRest as the server user with a given configuration file. */
import { tool } from './binaries';
import { formatResult, run, RunResult } from './processes';
import { Sandbox } from './sandbox';

export interface PgBackRestOptions {
  /** pgbackrest.conf to use (`--config`). */
  readonly configFile: string;
  /** Extra environment (`PGBACKREST_<OPTION>` values, PATH for the postgres binaries…). */
  readonly env?: Record<string, string>;
  /** @default 120000 */
  readonly timeoutMs?: number;
}

/** Runs `pgbackrest --config=<file> <args>`; resolves whatever the exit code. */
export function pgbackrestResult(sandbox: Sandbox, args: readonly string[], opts: PgBackRestOptions): Promise<RunResult> {
  return run(tool('pgbackrest'), [`--config=${opts.configFile}`, ...args], {
    user: sandbox.user,
    env: opts.env,
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}

/** Runs pgbackrest and throws with its full output unless it exits 0. */
export async function pgbackrest(sandbox: Sandbox, args: readonly string[], opts: PgBackRestOptions): Promise<RunResult> {
  const r = await pgbackrestResult(sandbox, args, opts);
  if (r.code !== 0) {
    throw new Error(`pgbackrest failed\n${formatResult(r)}`);
  }
  return r;
}
