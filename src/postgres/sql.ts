/**
 * SQL text generation. Names are validated at synth time (see `isSqlName`) and still quoted
 * here, so generated SQL is safe even for names that happen to be keywords.
 */

/** Lowercase identifiers only: what `psql` users type without quotes, at most 63 bytes. */
const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A role, database or schema name StatefulPostgres accepts. */
export function isSqlName(name: string): boolean {
  return typeof name === 'string' && SQL_NAME.test(name);
}

/**
 * An extension name as extensions are shipped: lowercase, digits, `_` and `-` (`uuid-ossp`), at
 * most 63 bytes. It is always written quoted, so the hyphen is safe.
 */
const EXTENSION_NAME = /^[a-z_][a-z0-9_-]{0,62}$/;

/** An extension name StatefulPostgres accepts in `databases[].extensions`. */
export function isExtensionName(name: string): boolean {
  return typeof name === 'string' && EXTENSION_NAME.test(name);
}

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A single-quoted SQL string literal (standard_conforming_strings is on since 9.1). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A single-quoted POSIX shell word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
