/**
 * The parts of the web app's pod template that cdk8s-plus-27 cannot express (named probe ports,
 * sub-GiB ephemeral storage, topology spread, capabilities, seccomp), rendered as plain JSON.
 */
import * as kplus from 'cdk8s-plus-27';
import type { ResolvedWebApp } from './resolve-props';

/** Name of the container port every probe, the Service and the NetworkPolicy refer to. */
export const HTTP_PORT_NAME = 'http';

/** Name of the container and Service port serving metrics on a port of their own. */
export const METRICS_PORT_NAME = 'metrics';

/** Name of the app container. */
export const CONTAINER_NAME = 'app';

/**
 * JSON patches on cdk8s-plus workloads pass through the generated `toJson_*` converters of the
 * k8s import, which read `IntOrString` and `Quantity` fields from their `.value`: patch values of
 * those types must be the import's own classes, or the converters drop them.
 */
export const namedPort = (name: string) => kplus.k8s.IntOrString.fromString(name);

function handler(path: string | undefined): Record<string, unknown> {
  return path === undefined
    ? { tcpSocket: { port: namedPort(HTTP_PORT_NAME) } }
    : { httpGet: { path, port: namedPort(HTTP_PORT_NAME), scheme: 'HTTP' } };
}

/**
 * Readiness decides whether the pod receives traffic: checked often, fails fast (15 s).
 */
export function readinessProbe(app: ResolvedWebApp): Record<string, unknown> {
  return { ...handler(app.healthCheckPath), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 };
}

/**
 * Liveness restarts a stuck container: lenient (a minute of failures) and never the same check as
 * readiness. Without a health check path there is no liveness probe: a TCP check identical to the
 * readiness check would restart pods that are merely busy.
 */
export function livenessProbe(app: ResolvedWebApp): Record<string, unknown> | undefined {
  if (app.livenessCheckPath === undefined && app.healthCheckPath === undefined) {
    return undefined;
  }
  return { ...handler(app.livenessCheckPath), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1 };
}

/**
 * Startup holds the other probes back until the app first answers, for up to `startupTimeout`.
 */
export function startupProbe(app: ResolvedWebApp): Record<string, unknown> {
  return { ...handler(app.healthCheckPath), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: app.startupFailureThreshold, successThreshold: 1 };
}

/**
 * The app container's env: `secretEnv` as `secretKeyRef`s, then each database's libpq variables
 * (`PGHOST`, ..., `PGPASSWORD` from the user's Secret), prefixed for `databases`, as seen from the
 * app's `namespace` (a database in another namespace is named with its namespace).
 */
export function containerEnv(app: ResolvedWebApp, namespace: string | undefined): kplus.k8s.EnvVar[] {
  const env: kplus.k8s.EnvVar[] = app.secretEnv.map(([name, ref]) => ({
    name,
    valueFrom: { secretKeyRef: { key: ref.key, name: ref.secret.name, optional: ref.optional ?? false } },
  }));
  for (const { connection, envPrefix } of app.databases) {
    env.push(...connection._env(envPrefix, namespace));
  }
  return env;
}

/** A volume name for a writable directory: `/var/cache/nginx` → `var-cache-nginx`. */
export function volumeNameFor(path: string, index: number, taken: Set<string>): string {
  let name = path
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  for (let n = 0; name === '' || taken.has(name); n++) {
    name = n === 0 ? `writable-${index}` : `writable-${index}-${n}`;
  }
  taken.add(name);
  return name;
}
