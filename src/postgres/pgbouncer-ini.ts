/** pgbouncer.ini, from the template in pgbouncer.ini.tmpl. */
import * as assets from './scripts/assets.generated';
import { clientTls, PG_PORT, POOLER_PORT, POOLER_USER, ResolvedPooler, ResolvedPostgres } from './resolve-props';

/** Where the pgBouncer container mounts the TLS Secret. */
export const POOLER_TLS_DIR = '/etc/pgbouncer/tls';

/**
 * pgbouncer.ini's TLS lines. With `tls`, clients reach pgBouncer over TLS with the server's own
 * certificate (required unless `tls.require` is false), and pgBouncer reaches PostgreSQL over TLS,
 * verifying it as a client of `db.connection()` would.
 */
function tlsSettings(r: ResolvedPostgres, primaryService: string): string {
  if (!r.tls) {
    return 'server_tls_sslmode = prefer';
  }
  const server = clientTls(r, primaryService, r.namespace);
  const lines = [
    `client_tls_sslmode = ${r.tls.require ? 'require' : 'allow'}`,
    `client_tls_cert_file = ${POOLER_TLS_DIR}/tls.crt`,
    `client_tls_key_file = ${POOLER_TLS_DIR}/tls.key`,
    `server_tls_sslmode = ${server.sslMode}`,
  ];
  if (server.verifies) {
    lines.push(`server_tls_ca_file = ${POOLER_TLS_DIR}/ca.crt`);
  }
  return lines.join('\n');
}

/** Renders pgbouncer.ini for a pooler in front of the Service `primaryService`. */
export function renderPgBouncerIni(r: ResolvedPostgres, pooler: ResolvedPooler, primaryService: string): string {
  const values: Record<string, string> = {
    primaryHost: clientTls(r, primaryService, r.namespace).host,
    primaryPort: String(PG_PORT),
    listenPort: String(POOLER_PORT),
    authUser: POOLER_USER,
    statsUsers: r.metrics?.poolerImage ? POOLER_USER : '',
    poolMode: pooler.poolMode,
    maxClientConnections: String(pooler.maxClientConnections),
    defaultPoolSize: String(pooler.defaultPoolSize),
    reservePoolSize: String(pooler.reservePoolSize),
    maxDbConnections: String(pooler.maxDbConnections),
    maxPreparedStatements: String(pooler.maxPreparedStatements),
    tlsSettings: tlsSettings(r, primaryService),
  };
  return assets.PGBOUNCER_INI_TMPL.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key]);
}
