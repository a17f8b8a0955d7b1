/**
 * A connection to one database of a `StatefulPostgres`, handed to the workloads of other patterns.
 *
 * Contract for the patterns that consume it (`WebAppWithIngress` and `SerialBatchJob`, through a
 * `database` prop), so they never need to know how the database is built:
 * - `_env(prefix, clientNamespace)`: the container env as typed k8s `EnvVar`s: `PGHOST`, `PGPORT`,
 *   `PGDATABASE`, `PGUSER`, `PGPASSWORD` (a `secretKeyRef` to the user's Secret, never a value),
 *   `PGSSLMODE`, and, when the server certificate is verified, `PGSSLROOTCERT` naming the mounted
 *   CA file. libpq and most drivers read these directly. With a prefix (`ORDERS_`) every name is
 *   prefixed, for a second database in the same container. `clientNamespace` is the namespace of
 *   the client's chart (undefined: none): from another namespace than the database's, `PGHOST` is
 *   `<service>.<namespace>.svc`, and `verify-full` only when the certificate has a name that
 *   resolves from there (`tls.serverNames`).
 * - `_volumes()` and `_mounts()`: what the container needs for that env (the CA file, only the
 *   `ca.crt` key of the TLS Secret, never its key). A volume has the same name and content for
 *   every connection to one instance: add a volume once when two connections name it.
 * - `_egressPeer()`: where the client's pods connect, for its egress rule: the pod labels of the
 *   database (or pooler) pods, their namespace (undefined: the namespace the manifests are applied
 *   to) and the pod port (6432 for the pooler although the Service port is 5432: NetworkPolicies
 *   see pod ports).
 * - `_allowFrom(podLabels, namespace?)`: opens the database side: adds an ingress rule to the
 *   NetworkPolicy of the pods the connection reaches (members or pooler) for pods with these
 *   labels in `namespace` (undefined: the namespace of the database's chart). A namespaceSelector
 *   is added only when the namespaces differ, as `_egressPeer` does on the client side. Nothing
 *   happens when the database's NetworkPolicies are disabled.
 * - `_usesTls`: whether the env turns TLS on.
 */
import * as kplus from 'cdk8s-plus-27';

/** Options of `StatefulPostgres.connection()`. */
export interface PostgresConnectionOptions {
  /**
   * The role to connect as: a declared user.
   * @default - the owner of the database
   */
  readonly user?: string;
  /**
   * Whether to connect through pgBouncer when a pooler is configured.
   * @default true
   */
  readonly viaPooler?: boolean;
  /**
   * Connect to the read-only Service (the replicas) instead.
   * @default false
   */
  readonly readOnly?: boolean;
}

/** The NetworkPolicy peer a client's pods connect to. */
export interface PostgresConnectionPeer {
  /** Labels the database (or pooler) pods carry. */
  readonly podLabels: { [key: string]: string };
  /** Their namespace; undefined: wherever the manifests are applied. */
  readonly namespace?: string;
  /** The pod port. */
  readonly port: number;
}

/** What a connection is made of; resolved by StatefulPostgres. */
export interface ResolvedConnection {
  readonly database: string;
  readonly user: string;
  readonly host: string;
  readonly port: number;
  readonly sslMode: string;
  /** The host and sslMode seen from a client in `clientNamespace` (undefined: a chart without one). */
  readonly endpointFrom: (clientNamespace: string | undefined) => { readonly host: string; readonly sslMode: string };
  readonly readOnly: boolean;
  readonly viaPooler: boolean;
  readonly password: { readonly secret: kplus.ISecret; readonly key: string };
  /** The CA to verify the server with: a Secret and its key, mounted at `caFile`. */
  readonly ca?: { readonly secretName: string; readonly key: string; readonly volumeName: string; readonly directory: string; readonly file: string };
  readonly peer: PostgresConnectionPeer;
  /** Opens the database side for a client selector (no-op without NetworkPolicies). */
  readonly allowFrom: (podLabels: Record<string, string>, namespace: string | undefined) => void;
}

/**
 * A connection to one database of a `StatefulPostgres` as one user, read-write or read-only,
 * through the pooler or directly. Get one with `db.connection('orders')` and pass it to a
 * workload's `database` prop.
 */
export class PostgresConnection {
  /** @internal */
  public static _of(resolved: ResolvedConnection): PostgresConnection {
    return new PostgresConnection(resolved);
  }

  /** The database. */
  public readonly database: string;
  /** The role. */
  public readonly user: string;
  /**
   * The host clients in the database's namespace connect to: a Service name (a name of the
   * server certificate when `tls.serverNames` has one). Clients in other namespaces given the
   * connection through a `database` prop get `<service>.<namespace>.svc`.
   */
  public readonly host: string;
  /** The port clients connect to. */
  public readonly port: number;
  /** libpq's `sslmode` in the database's namespace: `prefer` without TLS, `require`, `verify-ca` or `verify-full`. */
  public readonly sslMode: string;
  /** Whether the connection goes to the read-only Service. */
  public readonly readOnly: boolean;
  /** Whether the connection goes through pgBouncer. */
  public readonly viaPooler: boolean;

  private constructor(private readonly resolved: ResolvedConnection) {
    this.database = resolved.database;
    this.user = resolved.user;
    this.host = resolved.host;
    this.port = resolved.port;
    this.sslMode = resolved.sslMode;
    this.readOnly = resolved.readOnly;
    this.viaPooler = resolved.viaPooler;
  }

  /** @internal Whether the env turns TLS on. */
  public get _usesTls(): boolean {
    return this.sslMode !== 'prefer';
  }

  /**
   * @internal The env of a container in `clientNamespace` (its chart's; undefined: none) using the
   * connection, names prefixed with `prefix`.
   */
  public _env(prefix: string, clientNamespace: string | undefined): kplus.k8s.EnvVar[] {
    const r = this.resolved;
    const endpoint = r.endpointFrom(clientNamespace);
    const out: kplus.k8s.EnvVar[] = [
      { name: `${prefix}PGHOST`, value: endpoint.host },
      { name: `${prefix}PGPORT`, value: String(r.port) },
      { name: `${prefix}PGDATABASE`, value: r.database },
      { name: `${prefix}PGUSER`, value: r.user },
      { name: `${prefix}PGPASSWORD`, valueFrom: { secretKeyRef: { name: r.password.secret.name, key: r.password.key } } },
      { name: `${prefix}PGSSLMODE`, value: endpoint.sslMode },
    ];
    if (r.ca) {
      out.push({ name: `${prefix}PGSSLROOTCERT`, value: r.ca.file });
    }
    return out;
  }

  /**
   * @internal The same env as cdk8s-plus values (without `PGSSLROOTCERT` and its file: a workload
   * given only env cannot verify the server, so TLS is `require` there).
   */
  public _envValues(): { [name: string]: kplus.EnvValue } {
    const r = this.resolved;
    return {
      PGHOST: kplus.EnvValue.fromValue(r.host),
      PGPORT: kplus.EnvValue.fromValue(String(r.port)),
      PGDATABASE: kplus.EnvValue.fromValue(r.database),
      PGUSER: kplus.EnvValue.fromValue(r.user),
      PGPASSWORD: kplus.EnvValue.fromSecretValue({ secret: r.password.secret, key: r.password.key }),
      PGSSLMODE: kplus.EnvValue.fromValue(r.ca ? 'require' : r.sslMode),
    };
  }

  /** @internal Volumes the env needs (the CA file), none without a verified TLS. */
  public _volumes(): kplus.k8s.Volume[] {
    const ca = this.resolved.ca;
    return ca ? [{ name: ca.volumeName, secret: { secretName: ca.secretName, items: [{ key: ca.key, path: 'ca.crt' }], defaultMode: 0o444 } }] : [];
  }

  /** @internal Mounts of {@link _volumes} in the container. */
  public _mounts(): kplus.k8s.VolumeMount[] {
    const ca = this.resolved.ca;
    return ca ? [{ name: ca.volumeName, mountPath: ca.directory, readOnly: true }] : [];
  }

  /** @internal Where the client's pods connect: pod labels, namespace and pod port. */
  public _egressPeer(): PostgresConnectionPeer {
    const p = this.resolved.peer;
    return { podLabels: { ...p.podLabels }, namespace: p.namespace, port: p.port };
  }

  /** @internal Lets pods with `podLabels` in `namespace` (default: the database's) reach the pods behind the connection. */
  public _allowFrom(podLabels: { [key: string]: string }, namespace?: string): void {
    this.resolved.allowFrom({ ...podLabels }, namespace);
  }
}

/** `kubernetes.io/metadata.name`: the label the API server puts on every Namespace with its name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * A NetworkPolicy peer for pods with `podLabels` in `peerNamespace`, seen from a policy in
 * `policyNamespace`: a namespaceSelector only when the peer's namespace is known and differs.
 */
export function podPeer(
  podLabels: Record<string, string>,
  peerNamespace: string | undefined,
  policyNamespace: string | undefined,
): kplus.k8s.NetworkPolicyPeer {
  const podSelector = { matchLabels: { ...podLabels } };
  if (peerNamespace !== undefined && peerNamespace !== policyNamespace) {
    return { podSelector, namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peerNamespace } } };
  }
  return { podSelector };
}
