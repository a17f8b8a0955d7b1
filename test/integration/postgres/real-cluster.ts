/**
 * Runs a synthesized StatefulPostgres on this machine: the pods' own init containers, container
 * commands, env and ConfigMap files, through {@link PodSandbox} (see there for the emulation
 * rules). What differs from a cluster, and nothing else:
 * - Services are loopback ports: env that names a Service (`PRIMARY_HOST=db-rw`, `PGHOST=db-rw`)
 *   is overridden with `127.0.0.1` and the port of the server behind it;
 * - every postgres listens on 127.0.0.1 and a free port instead of `*:5432`, passed as extra
 *   `-c` arguments to the container's own start script (the command line wins over the file),
 *   and tools that connect to the local server get the port through their own env/options
 *   (`PGPORT`, `PGBACKREST_PG1_PORT`);
 * - Secret content, which never appears in the manifests, comes from {@link SECRETS}.
 */
import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { StatefulPostgres, StatefulPostgresProps } from '../../../src/postgres';
import { formatResult, RunResult } from '../support/processes';
import { freePort } from '../support/ports';
import { ContainerRunOptions, K8sObject, objectOf, PodSandbox } from '../support/pod-sandbox';
import { PostgresServer } from '../support/postgres-server';
import { Sandbox } from '../support/sandbox';

/**
 * Passwords with the characters that break naive quoting: `:` and `\` (pgpass), `"` (pgBouncer
 * userlist), `'` (SQL literals), spaces and `$` (shells).
 */
export const PASSWORDS = {
  superuser: `su:per\\user "pw" it's $HOME`,
  replication: `re:pl\\ica 'pw' "x"`,
  metrics: 'metrics-pw',
  pooler: `pool"er:pw 'x'`,
  app: `app:pw\\with 'quotes' "and" spaces`,
  app2: 'second-app-pw',
};

/** Secret content by Secret name and key, standing in for the cluster's Secrets. */
export const SECRETS: Record<string, Record<string, string>> = {
  'db-superuser': { password: PASSWORDS.superuser, 'metrics-password': PASSWORDS.metrics, 'pooler-password': PASSWORDS.pooler },
  'db-replication': { password: PASSWORDS.replication },
  'app-secret': { password: PASSWORDS.app },
  'reporting-secret': { password: PASSWORDS.app2 },
};

/** What {@link synthDb} hands its `props` callback: the chart and the test Secrets by name. */
export interface SynthContext {
  /** The chart the StatefulPostgres is in, for objects the props refer to (a CA bundle ConfigMap). */
  readonly chart: Chart;
  /** An imported Secret whose content the test supplies (see {@link SECRETS}). */
  readonly secret: (name: string) => kplus.ISecret;
}

/** Synthesizes a StatefulPostgres `db` with the test Secrets wired in; `props` win. */
export function synthDb(props: (ctx: SynthContext) => Partial<StatefulPostgresProps>): any[] {
  return synthDbConstruct(props).manifests;
}

/** {@link synthDb}, also returning the construct (for `db.connection()`). */
export function synthDbConstruct(props: (ctx: SynthContext) => Partial<StatefulPostgresProps>): { manifests: any[]; db: StatefulPostgres } {
  const chart = Testing.chart();
  const secrets = new Map<string, kplus.ISecret>();
  const secret = (name: string) => {
    if (!secrets.has(name)) {
      secrets.set(name, kplus.Secret.fromSecretName(chart, `S-${name}`, name));
    }
    return secrets.get(name)!;
  };
  const db = new StatefulPostgres(chart, 'db', {
    memory: Size.gibibytes(1),
    storage: Size.gibibytes(10),
    superuserSecret: secret('db-superuser'),
    replicationPassword: { secret: secret('db-replication') },
    ...props({ chart, secret }),
  });
  return { manifests: Testing.synth(chart), db };
}

/** Throws with the full output unless the container exited 0. */
export function expectSuccess(r: RunResult, what: string): RunResult {
  if (r.code !== 0) {
    throw new Error(`${what} failed\n${formatResult(r)}`);
  }
  return r;
}

/** One pod of the database (primary or replica) and its containers. */
export class DbPod {
  public readonly pod: PodSandbox;

  public constructor(
    sandbox: Sandbox,
    public readonly manifests: any[],
    public readonly workload: K8sObject,
    public readonly podName: string,
    dirName?: string,
    extraSecrets: Record<string, Record<string, string>> = {},
  ) {
    this.pod = new PodSandbox(sandbox, { manifests, workload, podName, secrets: { ...SECRETS, ...extraSecrets }, dirName });
  }

  /** The host directory behind the container's PGDATA. */
  public get dataDir(): string {
    return this.pod.processOf('postgres').env.PGDATA;
  }

  /** The host directory behind the unix socket directory. */
  public get socketDir(): string {
    return this.pod.processOf('postgres').env.PG_SOCKET_DIR;
  }

  /** Runs an init container (or any container) to completion. */
  public run(container: string, opts: ContainerRunOptions = {}): Promise<RunResult> {
    return this.pod.run(container, opts);
  }

  /** Starts the `postgres` container's own command on 127.0.0.1:`port` and waits until it is ready. */
  public async startPostgres(port: number, opts: ContainerRunOptions = {}): Promise<PostgresServer> {
    const daemon = this.pod.start('postgres', {
      ...opts,
      extraArgs: ['-c', 'listen_addresses=127.0.0.1', '-c', `port=${port}`, ...(opts.extraArgs ?? [])],
    });
    return PostgresServer.attach(this.pod.sandbox, daemon, { dataDir: this.dataDir, port, socketDir: this.socketDir, name: this.podName });
  }
}

export interface StartPrimaryOptions {
  /** The StatefulPostgres name. @default 'db' */
  readonly name?: string;
  readonly port?: number;
  /** Env overrides for every container (documented by the caller). */
  readonly env?: Record<string, string>;
  /** Secret content beyond {@link SECRETS}. */
  readonly secrets?: Record<string, Record<string, string>>;
  /** Extra `-c` arguments for the postgres container's start script (after the test's own). */
  readonly extraArgs?: string[];
}

/** The primary StatefulSet's pod `<name>-primary-0`, bootstrapped by its init containers and started. */
export async function startPrimary(
  sandbox: Sandbox,
  manifests: any[],
  opts: StartPrimaryOptions = {},
): Promise<{ pod: DbPod; server: PostgresServer }> {
  const name = opts.name ?? 'db';
  const pod = new DbPod(sandbox, manifests, objectOf(manifests, 'StatefulSet', `${name}-primary`), `${name}-primary-0`, undefined, opts.secrets);
  const initContainers: any[] = pod.pod.podSpec.initContainers ?? [];
  for (const c of initContainers) {
    expectSuccess(await pod.run(c.name, { env: opts.env }), `init container ${c.name}`);
  }
  const server = await pod.startPostgres(opts.port ?? (await freePort()), { env: opts.env, extraArgs: opts.extraArgs });
  return { pod, server };
}

/** psql options for the superuser over the primary's socket (password auth, as pg_hba.conf demands). */
export const SUPERUSER = { user: 'postgres', password: PASSWORDS.superuser } as const;
