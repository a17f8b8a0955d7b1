/** The pgBouncer Deployment in front of the primary, and what it mounts. */
import { k8s } from 'cdk8s-plus-27';
import { sha256Of } from '../common/checksum';
import * as assets from './scripts/assets.generated';
import { applyPodOptions } from '../common/resolve-pod-options';
import { componentSelector, labelsFor, podOptionsWithoutVolumes } from './instance-labels';
import { imageOf } from './member-containers';
import {
  configMapVolume,
  containerSecurity,
  emptyDir,
  env,
  httpProbe,
  podSecurity,
  resources,
  SECRETS_DIR,
  secretEnv,
  secretFileVolume,
  spreadOut,
  tcpPort,
  tcpProbe,
} from './pod-parts';
import { POOLER_TLS_DIR, renderPgBouncerIni } from './pgbouncer-ini';
import { POOLER_METRICS_PORT, POOLER_PORT, POOLER_USER, ResolvedPooler, ResolvedPostgres, TOOL_UID } from './resolve-props';

const RUNTIME_DIR = '/etc/pgbouncer/run';

/** The pooler ConfigMap's data: pgbouncer.ini and the init script. */
export function poolerConfigData(r: ResolvedPostgres, pooler: ResolvedPooler, primaryService: string): Record<string, string> {
  return { 'pgbouncer.ini': renderPgBouncerIni(r, pooler, primaryService), 'pooler-init.sh': assets.POOLER_INIT_SH };
}

/** The pgBouncer Deployment: an init container writes the runtime files, pgBouncer serves them. */
export function poolerDeployment(
  r: ResolvedPostgres,
  pooler: ResolvedPooler,
  data: Record<string, string>,
  configMapName: string,
): k8s.KubeDeploymentProps {
  const selector = componentSelector(r, 'pooler');
  const init: k8s.Container = {
    name: 'config',
    // the instance's image (a mirrored or local one works); with Patroni, the official image as for the users Job
    ...imageOf(r, r.clientImage),
    command: ['/bin/sh', '/etc/pgbouncer/config/pooler-init.sh'],
    env: [
      env('POOLER_CONFIG_DIR', '/etc/pgbouncer/config'),
      env('POOLER_RUNTIME_DIR', RUNTIME_DIR),
      env('POOLER_AUTH_USER', POOLER_USER),
      env('POOLER_CREDENTIALS_FILE', `${SECRETS_DIR}/pooler/password`),
    ],
    resources: resources('50m', '200m', '32Mi', '16Mi', '32Mi'),
    securityContext: containerSecurity(TOOL_UID, TOOL_UID),
    volumeMounts: [
      { name: 'config', mountPath: '/etc/pgbouncer/config', readOnly: true },
      { name: 'runtime', mountPath: RUNTIME_DIR },
      { name: 'pooler-password', mountPath: `${SECRETS_DIR}/pooler`, readOnly: true },
    ],
  };
  const pgbouncer: k8s.Container = {
    name: 'pgbouncer',
    ...imageOf(r, pooler.image),
    command: ['pgbouncer', `${RUNTIME_DIR}/pgbouncer.ini`],
    ports: [tcpPort('pgbouncer', POOLER_PORT)],
    resources: resources(pooler.cpu, pooler.cpuLimit, pooler.memory, '16Mi', '64Mi'),
    securityContext: containerSecurity(TOOL_UID, TOOL_UID),
    livenessProbe: tcpProbe('pgbouncer', 20, 5, 3),
    readinessProbe: tcpProbe('pgbouncer', 5, 3, 3),
    volumeMounts: [
      { name: 'runtime', mountPath: RUNTIME_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      ...(r.tls ? [{ name: 'tls', mountPath: POOLER_TLS_DIR, readOnly: true }] : []),
    ],
  };
  return {
    metadata: {
      name: `${r.name}-pooler`,
      labels: labelsFor(r, 'pooler'),
      annotations: {
        'kube-score/ignore': 'pod-probes-identical',
        'postgresql.cdk8s-patterns.io/probes-reason': 'pgBouncer has no health endpoint: both probes check its listener, with different thresholds',
      },
    },
    spec: {
      replicas: pooler.replicas,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
      template: applyPodOptions(
        {
          metadata: {
            labels: labelsFor(r, 'pooler'),
            annotations: {
              'checksum/config': sha256Of(data),
              ...(r.metrics?.poolerImage
                ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(POOLER_METRICS_PORT), 'prometheus.io/path': '/metrics' }
                : {}),
            },
          },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurity(TOOL_UID, TOOL_UID),
            terminationGracePeriodSeconds: 60,
            ...spreadOut({ matchLabels: selector }),
            initContainers: [init],
            containers: r.metrics?.poolerImage ? [pgbouncer, poolerExporterContainer(r, pooler, r.metrics.poolerImage)] : [pgbouncer],
            volumes: [
              configMapVolume('config', configMapName),
              emptyDir('runtime', '1Mi', true),
              emptyDir('tmp', '16Mi'),
              secretFileVolume('pooler-password', pooler.auth.name, pooler.auth.key),
              ...(r.tls ? [{ name: 'tls', secret: { secretName: r.tls.secretName, defaultMode: 0o440 } }] : []),
            ],
          },
        },
        podOptionsWithoutVolumes(r),
      ),
    },
  };
}

/**
 * The pgBouncer exporter: reads `SHOW POOLS`, `SHOW STATS`, ... from pgBouncer's admin console over
 * loopback as the auth role (a `stats_users` member; its password, which the pod holds anyway, as
 * a `secretKeyRef`) and publishes them on port 9127, named `metrics`.
 */
export function poolerExporterContainer(r: ResolvedPostgres, pooler: ResolvedPooler, image: string): k8s.Container {
  const sslmode = r.tls?.require ? 'require' : 'disable';
  return {
    name: 'metrics',
    ...imageOf(r, image),
    args: [
      `--pgBouncer.connectionString=postgres://${POOLER_USER}@127.0.0.1:${POOLER_PORT}/pgbouncer?sslmode=${sslmode}`,
      `--web.listen-address=:${POOLER_METRICS_PORT}`,
      '--web.telemetry-path=/metrics',
    ],
    env: [secretEnv('PGPASSWORD', pooler.auth.name, pooler.auth.key)],
    ports: [tcpPort('metrics', POOLER_METRICS_PORT)],
    resources: resources('10m', '100m', '32Mi', '16Mi', '16Mi'),
    securityContext: containerSecurity(TOOL_UID, TOOL_UID),
    livenessProbe: tcpProbe('metrics', 20, 5, 6),
    readinessProbe: httpProbe('/', 'metrics', 10, 5, 3),
  };
}

/** A PodDisruptionBudget letting one pod of `selector` go at a time, even an unhealthy one. */
export function oneAtATime(selector: k8s.LabelSelector): k8s.PodDisruptionBudgetSpec {
  return { maxUnavailable: k8s.IntOrString.fromNumber(1), unhealthyPodEvictionPolicy: 'AlwaysAllow', selector };
}
