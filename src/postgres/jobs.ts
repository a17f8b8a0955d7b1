/**
 * The Jobs and CronJobs: the users Job (roles, databases, grants), the backup CronJobs that start
 * a backup in the primary's pgBackRest agent, and the logical dump CronJob.
 */
import { Cron } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { sha256Of } from '../common/checksum';
import * as assets from './scripts/assets.generated';
import { applyPodOptions } from '../common/resolve-pod-options';
import { labelsFor, podOptionsWithoutVolumes } from './instance-labels';
import { imageOf, passwordMount, scriptContainer } from './member-containers';
import {
  CONFIG_DIR,
  SECRETS_DIR,
  STANZA,
  configMapVolume,
  containerSecurity,
  emptyDir,
  env,
  podSecurity,
  resources,
  secretFileVolume,
} from './pod-parts';
import { jobSslMode, PG_PORT, ResolvedLogicalBackup, ResolvedPostgres, TOOL_UID } from './resolve-props';

/** A Job's pod template: never restarted in place, no token, no Service links. */
function jobPodTemplate(
  r: ResolvedPostgres,
  component: string,
  containers: k8s.Container[],
  volumes: k8s.Volume[],
  extra: Partial<k8s.PodSpec> = {},
): k8s.PodTemplateSpec {
  const template: k8s.PodTemplateSpec = {
    metadata: { labels: labelsFor(r, component) },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: podSecurity(r.uid, r.gid),
      containers,
      volumes,
      ...extra,
    },
  };
  return applyPodOptions(template, podOptionsWithoutVolumes(r));
}

/** A CronJob spec running `template` on `schedule`, one at a time. */
export function cronJobSpec(r: ResolvedPostgres, schedule: Cron, component: string, template: k8s.PodTemplateSpec): k8s.CronJobSpec {
  return {
    schedule: schedule.expressionString,
    timeZone: 'Etc/UTC',
    concurrencyPolicy: 'Forbid',
    startingDeadlineSeconds: 600,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    jobTemplate: { metadata: { labels: labelsFor(r, component) }, spec: { backoffLimit: 2, template } },
  };
}

/** The users Job's ConfigMap data. */
export function usersJobData(usersSql: string): Record<string, string> {
  return { 'users.sql': usersSql, 'apply-users.sh': assets.APPLY_USERS_SH, 'pg-common.sh': assets.PG_COMMON_SH };
}

/**
 * The users Job: its name carries a hash of the script, the password references and the image,
 * so a change is a new Job that runs again.
 */
export function usersJob(
  r: ResolvedPostgres,
  data: Record<string, string>,
  configMapName: string,
  primaryService: string,
): { name: string; spec: k8s.JobSpec } {
  const volumes: k8s.Volume[] = [
    configMapVolume('users', configMapName),
    secretFileVolume('superuser-password', r.superuser.name, r.superuser.key),
    emptyDir('tmp', '64Mi'),
  ];
  const mounts: k8s.VolumeMount[] = [
    { name: 'users', mountPath: '/etc/postgres-users/script', readOnly: true },
    passwordMount('superuser'),
    { name: 'tmp', mountPath: '/tmp' },
  ];
  [...r.passwordFiles].forEach(([role, s], i) => {
    volumes.push(secretFileVolume(`password-${i}`, s.name, s.key));
    mounts.push({ name: `password-${i}`, mountPath: `/etc/postgres-users/passwords/${role}`, readOnly: true });
  });
  const hash = sha256Of({ data, secrets: [...r.passwordFiles.entries()], image: r.image }).slice(0, 8);
  const container: k8s.Container = {
    name: 'apply-users',
    ...imageOf(r, r.clientImage),
    command: ['/bin/sh', '/etc/postgres-users/script/apply-users.sh'],
    env: [
      env('PGHOST', primaryService),
      env('PGPORT', String(PG_PORT)),
      env('SUPERUSER_CREDENTIALS_FILE', `${SECRETS_DIR}/superuser/password`),
      env('USERS_SQL', '/etc/postgres-users/script/users.sql'),
      env('USER_CREDENTIALS_DIR', '/etc/postgres-users/passwords'),
      env('PG_RUNTIME_DIR', '/tmp/apply-users'),
      env('PGSSLMODE', jobSslMode(r)),
    ],
    resources: resources('50m', '500m', '64Mi', '16Mi', '64Mi'),
    securityContext: containerSecurity(r.uid, r.gid),
    volumeMounts: mounts,
  };
  return {
    name: `${r.name}-users-${hash}`,
    spec: {
      backoffLimit: 10,
      activeDeadlineSeconds: 1800,
      ttlSecondsAfterFinished: 3600,
      template: jobPodTemplate(r, 'users', [container], volumes),
    },
  };
}

/**
 * The Role the backup CronJobs' ServiceAccount needs to `kubectl exec` into the primary's agent.
 * `kubectl exec svc/...` lists the Service's pods and, when none is running (the primary is
 * restarting or failing over), watches for one until `--pod-running-timeout`: hence `watch`.
 */
export function backupRoleRules(primaryService: string): k8s.PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['services'], resourceNames: [primaryService], verbs: ['get'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
  ];
}

const EXEC_REASON =
  "the backup CronJob starts pgbackrest backup in the primary's pgbackrest container with kubectl exec (no shell: one fixed command)";

/**
 * The backup Role's and RoleBinding's annotations: Polaris rates `pods/exec` danger, so both carry
 * its exemption, with the reason.
 */
export function backupRbacAnnotations(): { role: Record<string, string>; binding: Record<string, string> } {
  return {
    role: { 'polaris.fairwinds.com/rolePodExecAttach-exempt': 'true', 'postgresql.cdk8s-patterns.io/pods-exec-reason': EXEC_REASON },
    binding: { 'polaris.fairwinds.com/rolebindingRolePodExecAttach-exempt': 'true', 'postgresql.cdk8s-patterns.io/pods-exec-reason': EXEC_REASON },
  };
}

/** The pod of a backup CronJob: `kubectl exec` of `pgbackrest backup --type=<type>` in the agent of the primary. */
export function backupPodTemplate(
  r: ResolvedPostgres,
  kubectlImage: string,
  type: 'full' | 'diff',
  primaryService: string,
  serviceAccountName: string,
): k8s.PodTemplateSpec {
  const container: k8s.Container = {
    name: 'backup',
    ...imageOf(r, kubectlImage),
    command: ['kubectl', 'exec', `svc/${primaryService}`, '-c', 'pgbackrest', '--', 'pgbackrest', `--stanza=${STANZA}`, `--type=${type}`, 'backup'],
    env: [env('HOME', '/tmp')],
    resources: resources('20m', '200m', '64Mi', '16Mi', '64Mi'),
    securityContext: containerSecurity(TOOL_UID, TOOL_UID),
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
  return jobPodTemplate(r, 'backup', [container], [emptyDir('tmp', '64Mi')], {
    serviceAccountName,
    automountServiceAccountToken: true,
    securityContext: podSecurity(TOOL_UID, TOOL_UID),
  });
}

/** The pod of the logical dump CronJob: `pg_dump -Fc` of each database and the roles, kept `retentionDays`. */
export function dumpPodTemplate(
  r: ResolvedPostgres,
  opts: ResolvedLogicalBackup,
  configMapName: string,
  claimName: string,
  primaryService: string,
): k8s.PodTemplateSpec {
  const envs = [
    env('PGHOST', primaryService),
    env('PGPORT', String(PG_PORT)),
    env('SUPERUSER_CREDENTIALS_FILE', `${SECRETS_DIR}/superuser/password`),
    env('DUMP_DIR', '/backup'),
    env('RETENTION_DAYS', String(opts.retentionDays)),
    env('PG_RUNTIME_DIR', '/tmp/logical-backup'),
    env('PGSSLMODE', jobSslMode(r)),
  ];
  if (opts.databases.length > 0) {
    envs.push(env('DUMP_DATABASES', opts.databases.join(' ')));
  }
  const container = scriptContainer(r, 'dump', r.clientImage, 'logical-backup.sh', {
    env: envs,
    resources: resources('100m', '1', '256Mi', '64Mi', '1Gi'),
    volumeMounts: [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'dumps', mountPath: '/backup' },
      { name: 'tmp', mountPath: '/tmp' },
      passwordMount('superuser'),
    ],
  });
  return jobPodTemplate(
    r,
    'backup',
    [container],
    [
      configMapVolume('config', configMapName),
      { name: 'dumps', persistentVolumeClaim: { claimName } },
      emptyDir('tmp', '1Gi'),
      secretFileVolume('superuser-password', r.superuser.name, r.superuser.key),
    ],
  );
}

/** The names of the backup CronJobs: pgBackRest full and differential, and the logical dump. */
export function backupCronJobNames(r: ResolvedPostgres): { readonly full: string; readonly diff: string; readonly dump: string } {
  return { full: `${r.name}-backup-full`, diff: `${r.name}-backup-diff`, dump: `${r.name}-dump` };
}
