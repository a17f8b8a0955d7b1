/**
 * Pieces of the pod specs: paths, volumes, probes, resources and security contexts, as typed
 * Kubernetes objects of cdk8s-plus-27's `k8s` module (the workloads need fields the L2 constructs
 * lack: volumeClaimTemplates, capabilities, seccomp profiles, fsGroupChangePolicy, exec probes).
 */
import { k8s } from 'cdk8s-plus-27';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../common/security';

/** Where the data volume is mounted; PGDATA is a subdirectory of it. */
export const DATA_MOUNT = '/var/lib/postgresql/data';
/** Where the config ConfigMap (postgresql.conf, pg_hba.conf, scripts) is mounted. */
export const CONFIG_DIR = '/etc/postgresql';
/** The unix socket directory (an emptyDir shared with the pgBackRest agent). */
export const SOCKET_DIR = '/var/run/postgresql';
/** Spool shared by pgbackrest-archive.sh and the pgBackRest agent. */
export const SPOOL_DIR = '/var/spool/pgbackrest-agent';
/** Where Secret files are mounted. */
export const SECRETS_DIR = '/etc/postgresql-secrets';
/** pgBackRest configuration directory. */
export const PGBACKREST_CONFIG_DIR = '/etc/pgbackrest';
/** Mount of a volume repository. */
export const PGBACKREST_REPO_MOUNT = '/var/lib/pgbackrest';
/** Mount of the CA bundle an S3 repository's endpoint is verified with. */
export const PGBACKREST_CA_DIR = '/etc/pgbackrest-ca';
/** The pgBackRest stanza. */
export const STANZA = 'db';

/** A `{ name, value }` env entry. */
export function env(name: string, value: string): k8s.EnvVar {
  return { name, value };
}

/** An env entry from a Secret key. */
export function secretEnv(name: string, secretName: string, key: string): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

/** An env entry from a pod field. */
export function fieldEnv(name: string, fieldPath: string): k8s.EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** A volume with one key of a Secret as `<file>`, readable by the fsGroup only. */
export function secretFileVolume(name: string, secretName: string, key: string, file = 'password'): k8s.Volume {
  return { name, secret: { secretName, items: [{ key, path: file }], defaultMode: 0o440 } };
}

/** A volume with a whole ConfigMap, world-readable (the files hold no secret). */
export function configMapVolume(name: string, configMapName: string): k8s.Volume {
  return { name, configMap: { name: configMapName, defaultMode: 0o444 } };
}

/** An emptyDir volume with a size limit. */
export function emptyDir(name: string, sizeLimit: string, memory = false): k8s.Volume {
  const limit = k8s.Quantity.fromString(sizeLimit);
  return { name, emptyDir: memory ? { medium: 'Memory', sizeLimit: limit } : { sizeLimit: limit } };
}

/** Container resources: requests and limits, with ephemeral storage. */
export function resources(cpu: string, cpuLimit: string, memory: string, ephemeralRequest: string, ephemeralLimit: string): k8s.ResourceRequirements {
  const q = k8s.Quantity.fromString;
  return {
    requests: { cpu: q(cpu), memory: q(memory), 'ephemeral-storage': q(ephemeralRequest) },
    limits: { cpu: q(cpuLimit), memory: q(memory), 'ephemeral-storage': q(ephemeralLimit) },
  };
}

/** The restricted container security context for a uid/gid. */
export function containerSecurity(user: number, group: number): k8s.SecurityContext {
  return restrictedContainerSecurityContext({ user, group }) as k8s.SecurityContext;
}

/** The restricted pod security context: fsGroup = gid, fsGroupChangePolicy OnRootMismatch. */
export function podSecurity(user: number, group: number): k8s.PodSecurityContext {
  return restrictedPodSecurityContext({ user, group, fsGroup: group }) as k8s.PodSecurityContext;
}

/** A named TCP container port. */
export function tcpPort(name: string, containerPort: number): k8s.ContainerPort {
  return { name, containerPort, protocol: 'TCP' };
}

/** A probe checking that the named port accepts TCP connections. */
export function tcpProbe(port: string, periodSeconds: number, timeoutSeconds: number, failureThreshold: number): k8s.Probe {
  return { tcpSocket: { port: k8s.IntOrString.fromString(port) }, periodSeconds, timeoutSeconds, failureThreshold };
}

/** A probe getting `path` over HTTP on the named port. */
export function httpProbe(path: string, port: string, periodSeconds: number, timeoutSeconds: number, failureThreshold: number): k8s.Probe {
  return { httpGet: { path, port: k8s.IntOrString.fromString(port) }, periodSeconds, timeoutSeconds, failureThreshold };
}

/** A probe running `command`. */
export function execProbe(command: string[], periodSeconds: number, timeoutSeconds: number, failureThreshold: number): k8s.Probe {
  return { exec: { command }, periodSeconds, timeoutSeconds, failureThreshold };
}

/**
 * `pg_isready` on the local socket. With `alive`, exit status 1 (the server answers but rejects
 * connections, e.g. during crash recovery or WAL replay) counts as success, so startup and
 * liveness probes never kill a recovering server.
 */
export function pgIsReadyCommand(alive: boolean): string[] {
  const check = `pg_isready -q -h ${SOCKET_DIR} -p 5432`;
  return alive ? ['/bin/sh', '-c', `${check}; rc=$?; [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]`] : ['/bin/sh', '-c', check];
}

/**
 * Readiness of a fixed primary: accepting connections and writes. While it replays the WAL of a
 * restore PostgreSQL accepts read-only connections, and `recovery.signal` is gone before the
 * end-of-recovery checkpoint: only the control file's state (`in production`, read without a
 * login) says recovery is over, so the read-write Service routes no writes to it before.
 */
export function acceptingWritesCommand(): string[] {
  return [
    '/bin/sh',
    '-c',
    `pg_isready -q -h ${SOCKET_DIR} -p 5432 && LC_ALL=C pg_controldata "$PGDATA" | grep -q '^Database cluster state: *in production$'`,
  ];
}

/** Preferred anti-affinity on nodes and a zone spread for pods matching `selector`. */
export function spreadOut(selector: k8s.LabelSelector): { affinity: k8s.Affinity; topologySpreadConstraints: k8s.TopologySpreadConstraint[] } {
  return {
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: selector } },
        ],
      },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
    ],
  };
}
