/**
 * The containers of a member pod: PostgreSQL (started by its script, or by Patroni), its
 * bootstrap and restore init containers, postgres_exporter and the pgBackRest agent.
 */
import { k8s } from 'cdk8s-plus-27';
import { pullPolicyFor } from '../common/pull-policy';
import {
  CONFIG_DIR,
  DATA_MOUNT,
  PGBACKREST_CONFIG_DIR,
  SECRETS_DIR,
  SOCKET_DIR,
  SPOOL_DIR,
  containerSecurity,
  env,
  execProbe,
  fieldEnv,
  httpProbe,
  pgIsReadyCommand,
  acceptingWritesCommand,
  resources,
  secretEnv,
  tcpPort,
  tcpProbe,
} from './pod-parts';
import {
  METRICS_PORT,
  METRICS_USER,
  PATRONI_PORT,
  PG_PORT,
  REPLICATION_USER,
  ResolvedBackup,
  ResolvedPostgres,
  ResolvedRepository,
  SUPERUSER,
} from './resolve-props';
import { OnEmptyPrimary } from './props';

/** A member's role: fixed primary, fixed replica, or Patroni member. */
export type MemberRole = 'primary' | 'read' | 'member';

/** A container's `image` and `imagePullPolicy`: the policy asked for, else the one fitting the reference. */
export function imageOf(r: ResolvedPostgres, image: string): { image: string; imagePullPolicy: string } {
  return { image, imagePullPolicy: pullPolicyFor(image, r.imagePullPolicy) };
}

/**
 * A container of the instance's uid running one of the scripts of the config ConfigMap
 * (`/bin/sh <CONFIG_DIR>/<script>`), restricted like every container.
 */
export function scriptContainer(
  r: ResolvedPostgres,
  name: string,
  image: string,
  script: string,
  rest: Omit<k8s.Container, 'name' | 'image'>,
): k8s.Container {
  return { name, ...imageOf(r, image), command: ['/bin/sh', `${CONFIG_DIR}/${script}`], securityContext: containerSecurity(r.uid, r.gid), ...rest };
}

/** A mount of the Secret file volume `<name>-password` at `SECRETS_DIR/<name>`. */
export function passwordMount(name: string): k8s.VolumeMount {
  return { name: `${name}-password`, mountPath: `${SECRETS_DIR}/${name}`, readOnly: true };
}

/** The password files of the superuser and (with replicas) the replication role. */
function secretMounts(r: ResolvedPostgres): k8s.VolumeMount[] {
  return [passwordMount('superuser'), ...(r.replicationPassword ? [passwordMount('replication')] : [])];
}

/** Env every fixed member's script reads. */
function scriptEnv(r: ResolvedPostgres): k8s.EnvVar[] {
  const out = [
    env('PGDATA', r.pgdata),
    env('PG_CONFIG_DIR', CONFIG_DIR),
    env('PG_SCRIPTS_DIR', CONFIG_DIR),
    env('PG_SOCKET_DIR', SOCKET_DIR),
    env('PG_RUNTIME_DIR', '/tmp/postgres'),
    env('SUPERUSER_CREDENTIALS_FILE', `${SECRETS_DIR}/superuser/password`),
    env('REPLICATION_USER', REPLICATION_USER),
    fieldEnv('POD_NAME', 'metadata.name'),
  ];
  if (r.replicationPassword) {
    out.push(env('REPLICATION_CREDENTIALS_FILE', `${SECRETS_DIR}/replication/password`));
  }
  return out;
}

/**
 * The postgres container's mounts, the same for a fixed member and a Patroni member: data,
 * config, socket, tmp and shm, then the password files, the archive spool and the TLS Secret.
 */
function postgresMounts(r: ResolvedPostgres, passwords: k8s.VolumeMount[]): k8s.VolumeMount[] {
  const mounts: k8s.VolumeMount[] = [
    { name: 'data', mountPath: DATA_MOUNT },
    { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    { name: 'run', mountPath: SOCKET_DIR },
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'shm', mountPath: '/dev/shm' },
    ...passwords,
  ];
  if (r.backup) {
    mounts.push({ name: 'spool', mountPath: SPOOL_DIR });
  }
  if (r.tls) {
    mounts.push({ name: 'tls', mountPath: `${SECRETS_DIR}/tls`, readOnly: true });
  }
  return mounts;
}

function postgresResources(r: ResolvedPostgres): k8s.ResourceRequirements {
  return resources(r.cpu, r.cpuLimit, r.memory, '256Mi', '2Gi');
}

/** PostgreSQL of a fixed member, started by start-postgres.sh. */
export function postgresContainer(r: ResolvedPostgres, role: 'primary' | 'read', primaryService: string): k8s.Container {
  const pgEnv = scriptEnv(r);
  pgEnv.push(env('PGHOST', SOCKET_DIR), env('PGUSER', SUPERUSER), env('PGPASSFILE', '/tmp/postgres/pgpass'));
  if (role === 'read') {
    pgEnv.push(env('PRIMARY_HOST', primaryService), env('PRIMARY_PORT', String(PG_PORT)));
  }
  if (r.backup) {
    pgEnv.push(env('ARCHIVE_SPOOL_DIR', SPOOL_DIR));
  }
  if (r.tls) {
    pgEnv.push(env('TLS_DIR', `${SECRETS_DIR}/tls`));
  }
  return scriptContainer(r, 'postgres', r.image, 'start-postgres.sh', {
    env: pgEnv,
    ports: [tcpPort('postgresql', PG_PORT)],
    resources: postgresResources(r),
    startupProbe: execProbe(pgIsReadyCommand(true), 10, 5, 360),
    livenessProbe: execProbe(pgIsReadyCommand(true), 10, 5, 6),
    // the primary is ready for the read-write Service once it accepts writes, replicas once they accept reads
    readinessProbe: execProbe(role === 'primary' ? acceptingWritesCommand() : pgIsReadyCommand(false), 5, 5, 3),
    volumeMounts: postgresMounts(r, secretMounts(r)),
  });
}

/** PostgreSQL of a Patroni member, started and managed by Patroni. */
export function patroniContainer(r: ResolvedPostgres): k8s.Container {
  const repl = r.replicationPassword!;
  const envs: k8s.EnvVar[] = [
    fieldEnv('PATRONI_NAME', 'metadata.name'),
    fieldEnv('PATRONI_KUBERNETES_NAMESPACE', 'metadata.namespace'),
    fieldEnv('PATRONI_KUBERNETES_POD_IP', 'status.podIP'),
    fieldEnv('POD_IP', 'status.podIP'),
    env('PATRONI_POSTGRESQL_CONNECT_ADDRESS', `$(POD_IP):${PG_PORT}`),
    env('PATRONI_RESTAPI_CONNECT_ADDRESS', `$(POD_IP):${PATRONI_PORT}`),
    secretEnv('PATRONI_SUPERUSER_PASSWORD', r.superuser.name, r.superuser.key),
    secretEnv('PATRONI_REPLICATION_PASSWORD', repl.name, repl.key),
    secretEnv('PATRONI_REWIND_PASSWORD', r.superuser.name, r.superuser.key),
    env('PGDATA', r.pgdata),
    env('PG_SCRIPTS_DIR', CONFIG_DIR),
    env('HOME', '/tmp'),
  ];
  if (r.backup) {
    envs.push(env('ARCHIVE_SPOOL_DIR', SPOOL_DIR));
  }
  return {
    name: 'postgres',
    ...imageOf(r, r.image),
    command: ['patroni', `${CONFIG_DIR}/patroni.yml`],
    env: envs,
    ports: [tcpPort('postgresql', PG_PORT), tcpPort('patroni', PATRONI_PORT)],
    resources: postgresResources(r),
    securityContext: containerSecurity(r.uid, r.gid),
    startupProbe: httpProbe('/liveness', 'patroni', 10, 5, 360),
    livenessProbe: httpProbe('/liveness', 'patroni', 10, 5, 6),
    readinessProbe: httpProbe('/readiness', 'patroni', 5, 5, 3),
    volumeMounts: postgresMounts(r, []),
  };
}

/** The init container that initializes, restores, clones or (for a replica) copies the data directory. */
export function bootstrapContainer(r: ResolvedPostgres, role: 'primary' | 'read', primaryService: string): k8s.Container {
  const initEnv = scriptEnv(r);
  const mounts: k8s.VolumeMount[] = [
    { name: 'data', mountPath: DATA_MOUNT },
    { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
    ...secretMounts(r),
  ];
  if (role === 'primary') {
    initEnv.push(env('ON_EMPTY_PRIMARY', r.onEmptyPrimary));
    if (r.cloneFrom) {
      initEnv.push(
        env('CLONE_HOST', r.cloneFrom.host),
        env('CLONE_PORT', String(r.cloneFrom.port)),
        env('CLONE_USER', r.cloneFrom.user),
        env('CLONE_CREDENTIALS_FILE', `${SECRETS_DIR}/clone/password`),
      );
      mounts.push(passwordMount('clone'));
    }
  } else {
    initEnv.push(env('PRIMARY_HOST', primaryService), env('PRIMARY_PORT', String(PG_PORT)));
  }
  return scriptContainer(r, 'bootstrap', r.image, role === 'primary' ? 'bootstrap-primary.sh' : 'bootstrap-replica.sh', {
    env: initEnv,
    resources: postgresResources(r),
    volumeMounts: mounts,
  });
}

/** pgBackRest's stanza and paths for `repo`, shared by the agent and the restore container. */
function pgbackrestEnv(r: ResolvedPostgres, repo: ResolvedRepository, withSocket: boolean): k8s.EnvVar[] {
  return [
    env('PGDATA', r.pgdata),
    env('PGBACKREST_STANZA', repo.stanza),
    env('PGBACKREST_CONFIG', `${PGBACKREST_CONFIG_DIR}/${repo.configFile}`),
    env('PGBACKREST_PG1_PATH', r.pgdata),
    ...(withSocket ? [env('PGBACKREST_PG1_SOCKET_PATH', SOCKET_DIR)] : []),
    env('PGBACKREST_LOCK_PATH', '/tmp/pgbackrest'),
    env('PGBACKREST_SPOOL_PATH', '/tmp/pgbackrest/spool'),
  ];
}

/** Where `repo` is, its credentials and its encryption passphrase (from their Secrets), named `<prefix>REPO1_...`. */
function repositoryEnv(repo: ResolvedRepository, prefix: string = 'PGBACKREST_'): k8s.EnvVar[] {
  const out = repo.repository._env(prefix, repo.suffix);
  if (repo.encryptionKey) {
    out.push(secretEnv(`${prefix}REPO1_CIPHER_PASS`, repo.encryptionKey.name, repo.encryptionKey.key));
  }
  return out;
}

/** Mounts of `repo` (read-only for a restore source). */
export function repositoryMounts(repo: ResolvedRepository): k8s.VolumeMount[] {
  return repo.repository._mounts(repo.suffix, repo.readOnly);
}

/** The volumes behind {@link repositoryMounts}. */
export function repositoryVolumes(repo: ResolvedRepository): k8s.Volume[] {
  return repo.repository._volumes(repo.clusterName, repo.suffix, repo.readOnly);
}

/**
 * The init container restoring the latest backup (or `recoveryTargetTime`) into an empty volume:
 * from the restore source when there is one, else from the own repository.
 */
export function restoreContainer(r: ResolvedPostgres, backup: ResolvedBackup): k8s.Container {
  const from = backup.restoreSource ?? backup.own;
  const restoreEnv = [...pgbackrestEnv(r, from, false), env('PG_SCRIPTS_DIR', CONFIG_DIR), ...repositoryEnv(from)];
  if (r.recoveryTargetTime) {
    restoreEnv.push(env('RECOVERY_TARGET_TIME', r.recoveryTargetTime));
  }
  return scriptContainer(r, 'restore', backup.image, 'restore-backup.sh', {
    env: restoreEnv,
    resources: resources('100m', '2', '256Mi', '64Mi', '1Gi'),
    volumeMounts: [
      { name: 'data', mountPath: DATA_MOUNT },
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'pgbackrest-config', mountPath: PGBACKREST_CONFIG_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      ...repositoryMounts(from),
    ],
  });
}

/** The pgBackRest agent next to the primary: archives WAL handed over through the spool and runs backups. */
export function agentContainer(r: ResolvedPostgres, backup: ResolvedBackup): k8s.Container {
  const source = backup.restoreSource;
  return scriptContainer(r, 'pgbackrest', backup.image, 'pgbackrest-agent.sh', {
    env: [
      ...pgbackrestEnv(r, backup.own, true),
      env('ARCHIVE_SPOOL_DIR', SPOOL_DIR),
      env('PG_RUNTIME_DIR', '/tmp/pgbackrest-agent'),
      env('PGPASSFILE', '/tmp/pgbackrest-agent/pgpass'),
      env('SUPERUSER_CREDENTIALS_FILE', `${SECRETS_DIR}/superuser/password`),
      ...repositoryEnv(backup.own),
      // restore_command reads the restore source, read only (see pgbackrest-agent.sh)
      ...(source
        ? [
            env('RESTORE_SOURCE_CONFIG', `${PGBACKREST_CONFIG_DIR}/${source.configFile}`),
            env('RESTORE_SOURCE_STANZA', source.stanza),
            ...repositoryEnv(source, 'RESTORE_SOURCE_'),
          ]
        : []),
    ],
    resources: resources('50m', '1', '128Mi', '64Mi', '1Gi'),
    livenessProbe: execProbe(['/bin/sh', '-c', `test -d ${SPOOL_DIR}/request`], 30, 5, 3),
    readinessProbe: execProbe(['pgbackrest', 'version'], 30, 10, 3),
    volumeMounts: [
      { name: 'data', mountPath: DATA_MOUNT },
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'pgbackrest-config', mountPath: PGBACKREST_CONFIG_DIR, readOnly: true },
      { name: 'run', mountPath: SOCKET_DIR },
      { name: 'spool', mountPath: SPOOL_DIR },
      { name: 'agent-tmp', mountPath: '/tmp' },
      passwordMount('superuser'),
      ...repositoryMounts(backup.own),
      ...(source ? repositoryMounts(source) : []),
    ],
  });
}

/** postgres_exporter, logging in over loopback as the metrics role. */
export function exporterContainer(r: ResolvedPostgres, image: string): k8s.Container {
  return {
    name: 'metrics',
    ...imageOf(r, image),
    env: [
      env('DATA_SOURCE_URI', `127.0.0.1:${PG_PORT}/postgres?sslmode=disable`),
      env('DATA_SOURCE_USER', METRICS_USER),
      env('DATA_SOURCE_PASS_FILE', `${SECRETS_DIR}/metrics/password`),
    ],
    ports: [tcpPort('metrics', METRICS_PORT)],
    resources: resources('50m', '200m', '64Mi', '16Mi', '64Mi'),
    securityContext: containerSecurity(r.uid, r.gid),
    livenessProbe: tcpProbe('metrics', 20, 5, 6),
    readinessProbe: httpProbe('/', 'metrics', 10, 5, 3),
    volumeMounts: [passwordMount('metrics')],
  };
}

/** Whether the primary restores from the repository when its volume is empty. */
export function restoresOnEmpty(r: ResolvedPostgres): boolean {
  return r.onEmptyPrimary === OnEmptyPrimary.RESTORE_FROM_BACKUP;
}
