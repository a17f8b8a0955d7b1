/**
 * The parts of the web app's pod template that cdk8s-plus-27 cannot express (named probe ports,
 * sub-GiB ephemeral storage, topology spread, capabilities, seccomp), rendered as plain JSON.
 */
import * as kplus from 'cdk8s-plus-27';
import { ResolvedResources, ResolvedWebApp } from './resolve-props';

/** Name of the container port every probe, the Service and the NetworkPolicy refer to. */
export const HTTP_PORT_NAME = 'http';

/** Name of the app container. */
export const CONTAINER_NAME = 'app';

/**
 * JSON patches on cdk8s-plus workloads pass through the generated `toJson_*` converters of the
 * k8s import, which read `IntOrString` and `Quantity` fields from their `.value`: patch values of
 * those types must be the import's own classes, or the converters drop them.
 */
export const namedPort = (name: string) => kplus.k8s.IntOrString.fromString(name);

/** A container's resources in the shape the converters expect. */
export function resourcesPatch(resources: ResolvedResources): Record<string, unknown> {
  const quantities = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, kplus.k8s.Quantity.fromString(v)]));
  return { limits: quantities(resources.limits), requests: quantities(resources.requests) };
}

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
 * Spread across zones and hosts without ever blocking scheduling: topology spread constraints
 * (Polaris) plus preferred pod anti-affinity on hosts (what kube-score and kube-linter look for).
 * `matchLabelKeys: [pod-template-hash]` spreads each ReplicaSet revision on its own during rollouts.
 */
export function scheduling(selector: Record<string, string>): { affinity: unknown; topologySpreadConstraints: unknown[] } {
  const labelSelector = { matchLabels: { ...selector } };
  const spread = (topologyKey: string) => ({
    labelSelector,
    matchLabelKeys: ['pod-template-hash'],
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
  });
  return {
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ podAffinityTerm: { labelSelector, topologyKey: 'kubernetes.io/hostname' }, weight: 100 }],
      },
    },
    topologySpreadConstraints: [spread('topology.kubernetes.io/zone'), spread('kubernetes.io/hostname')],
  };
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
