/**
 * The Secrets a StatefulPostgres scenario needs, created by the test with test-only passwords
 * (never part of the synthesized objects).
 */
import { kubectl } from './node-cluster';

export const SUPERUSER_PASSWORD = 'node-test-superuser';
export const APP_PASSWORD = 'node-test-app';

/** `db-superuser`: the superuser's, replication, metrics and pooler passwords. */
export function createSuperuserSecret(ns: string): void {
  kubectl([
    'create',
    'secret',
    'generic',
    '-n',
    ns,
    'db-superuser',
    `--from-literal=password=${SUPERUSER_PASSWORD}`,
    '--from-literal=replication-password=node-test-replication',
    '--from-literal=metrics-password=node-test-metrics',
    '--from-literal=pooler-password=node-test-pooler',
  ]);
}

/** `db-app`: the application user's password. */
export function createAppSecret(ns: string): void {
  kubectl(['create', 'secret', 'generic', '-n', ns, 'db-app', `--from-literal=password=${APP_PASSWORD}`]);
}
