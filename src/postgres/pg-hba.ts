/**
 * pg_hba.conf generation: scram-sha-256 everywhere, never `trust`, and with TLS required every
 * TCP connection from outside the pod must use it.
 */

/** What pg_hba.conf depends on. */
export interface HbaOptions {
  /** The role replicas stream as. */
  readonly replicationUser: string;
  /** Whether TCP clients outside the pod must use TLS. */
  readonly requireTls: boolean;
}

/** Renders pg_hba.conf. The first matching line decides, so the order matters. */
export function renderPgHba(opts: HbaOptions): string {
  const host = opts.requireTls ? 'hostssl' : 'host';
  const rows: string[][] = [
    ['# TYPE', 'DATABASE', 'USER', 'ADDRESS', 'METHOD'],
    ['# unix socket: probes use pg_isready (no login); tools in the pod use a password file'],
    ['local', 'all', 'all', '', 'scram-sha-256'],
    ['# loopback: sidecars in the pod (metrics exporter)'],
    ['host', 'all', 'all', '127.0.0.1/32', 'scram-sha-256'],
    ['host', 'all', 'all', '::1/128', 'scram-sha-256'],
    ['# streaming replication and base backups'],
    [host, 'replication', opts.replicationUser, '0.0.0.0/0', 'scram-sha-256'],
    [host, 'replication', opts.replicationUser, '::/0', 'scram-sha-256'],
    ['# clients, the pooler and jobs (the NetworkPolicy decides which pods can connect)'],
    [host, 'all', 'all', '0.0.0.0/0', 'scram-sha-256'],
    [host, 'all', 'all', '::/0', 'scram-sha-256'],
  ];
  if (opts.requireTls) {
    rows.push(
      ['# everything else over TCP without TLS is refused'],
      ['hostnossl', 'all', 'all', '0.0.0.0/0', 'reject'],
      ['hostnossl', 'all', 'all', '::/0', 'reject'],
    );
  }
  return (
    rows
      .map((r) => (r.length === 1 ? r[0] : [r[0].padEnd(10), r[1].padEnd(12), r[2].padEnd(16), r[3].padEnd(15), r[4]].join(' ').trimEnd()))
      .join('\n') + '\n'
  );
}
