/**
 * The predefined roles of each PostgreSQL major version: what `memberOf` may name besides the
 * declared users. `GRANT` of a role the server does not have fails the users job at run time.
 *
 * @see https://www.postgresql.org/docs/current/predefined-roles.html
 */
const PG14 = [
  'pg_database_owner',
  'pg_execute_server_program',
  'pg_monitor',
  'pg_read_all_data',
  'pg_read_all_settings',
  'pg_read_all_stats',
  'pg_read_server_files',
  'pg_signal_backend',
  'pg_stat_scan_tables',
  'pg_write_all_data',
  'pg_write_server_files',
];
const PG15 = [...PG14, 'pg_checkpoint'];
const PG16 = [...PG15, 'pg_create_subscription', 'pg_use_reserved_connections'];
const PG17 = [...PG16, 'pg_maintain'];

const BY_VERSION: Readonly<Record<number, readonly string[]>> = { 14: PG14, 15: PG15, 16: PG16, 17: PG17 };

/** The predefined roles of PostgreSQL `version` (none for a version the construct does not know). */
export function predefinedRoles(version: number): readonly string[] {
  return [...(BY_VERSION[version] ?? [])].sort();
}
