/**
 * The `database` and `databases` props of the patterns that consume a `StatefulPostgres`'s
 * connections: checked the same way everywhere, with the prefix each database's variables get.
 */
import { PropErrors } from './errors';
import { PostgresConnection } from '../postgres/connection';

/** The prefix of a database's variables in `databases`: `ORDERS_` gives `ORDERS_PGHOST`. */
const DATABASE_ENV_PREFIX = /^[A-Z][A-Z0-9_]*_$/;

/** A connection a workload uses and the prefix of its variables ('' for `database`). */
export interface ResolvedDatabaseConnection {
  readonly connection: PostgresConnection;
  readonly envPrefix: string;
}

/** Checks `database` and `databases` (keyed by env prefix); the unprefixed one comes first. */
export function resolveDatabaseConnections(
  errors: PropErrors,
  database: PostgresConnection | undefined,
  databases: { [envPrefix: string]: PostgresConnection } | undefined,
): ResolvedDatabaseConnection[] {
  const out: ResolvedDatabaseConnection[] = [];
  const isConnection = (value: unknown, prop: string) =>
    errors.check(value instanceof PostgresConnection, prop, 'a PostgresConnection from StatefulPostgres.connection()', value);
  if (database !== undefined && isConnection(database, 'database')) {
    out.push({ connection: database, envPrefix: '' });
  }
  if (
    databases !== undefined &&
    errors.check(
      databases !== null && typeof databases === 'object' && !Array.isArray(databases),
      'databases',
      'a map of env prefixes to PostgresConnections',
      databases,
    )
  ) {
    for (const [envPrefix, connection] of Object.entries(databases)) {
      const prop = `databases[${JSON.stringify(envPrefix)}]`;
      const prefixOk = errors.check(
        DATABASE_ENV_PREFIX.test(envPrefix),
        prop,
        'keyed by an env prefix of capitals, digits and "_" ending in "_" (such as ORDERS_)',
        envPrefix,
      );
      if (isConnection(connection, prop) && prefixOk) {
        out.push({ connection, envPrefix });
      }
    }
  }
  return out;
}
