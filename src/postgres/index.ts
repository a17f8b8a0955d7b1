// The postgres pattern's public API.
export * from './backup-repository';
export { PostgresConnection } from './connection';
export type { PostgresConnectionOptions, PostgresConnectionPeer } from './connection';
export * from './monitoring-props';
export * from './props';
export * from './stateful-postgres';
