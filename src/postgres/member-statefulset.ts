/**
 * The StatefulSet of the members, one builder for every topology: the fixed primary (init
 * containers bootstrap, restore or clone it), the fixed replicas (cloned from the primary), and the
 * Patroni members (Patroni bootstraps, promotes and re-clones them).
 */
import { JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { applyPodOptions } from '../common/resolve-pod-options';
import {
  agentContainer,
  bootstrapContainer,
  exporterContainer,
  MemberRole,
  patroniContainer,
  postgresContainer,
  repositoryVolumes,
  restoreContainer,
  restoresOnEmpty,
} from './member-containers';
import { componentSelector, labelsFor, MEMBER_LABEL, memberSelector, workloadAnnotations } from './instance-labels';
import { configMapVolume, emptyDir, podSecurity, secretFileVolume, spreadOut } from './pod-parts';
import { PATRONI_SCOPE_LABEL, patroniScope, ResolvedPostgres } from './resolve-props';

/** The objects a member StatefulSet refers to. */
export interface MemberContext {
  readonly configMapName: string;
  readonly pgbackrestConfigMapName: string;
  readonly headlessServiceName: string;
  readonly primaryServiceName: string;
  /** Hash of every configuration file, so a change rolls the pods. */
  readonly checksum: string;
  /** Patroni's ServiceAccount (Patroni members only). */
  readonly serviceAccountName?: string;
}

/**
 * Labels a member pod needs beyond the instance's: Patroni counts as members only the pods with its
 * scope label, and a clone's primary is a client of the source (whose NetworkPolicy admits those).
 */
function extraPodLabels(r: ResolvedPostgres, role: MemberRole): Record<string, string> {
  if (role === 'member') {
    return { [PATRONI_SCOPE_LABEL]: patroniScope(r) };
  }
  const source = role === 'primary' ? r.cloneFrom?.sourceName : undefined;
  return source ? { [`${source}-client`]: 'true' } : {};
}

/** The StatefulSet name of `role`'s members. */
export function memberStatefulSetName(r: ResolvedPostgres, role: MemberRole): string {
  return role === 'member' ? r.name : `${r.name}-${role}`;
}

function podAnnotations(r: ResolvedPostgres, checksum: string): Record<string, string> {
  const a: Record<string, string> = { 'checksum/config': checksum };
  if (r.metrics) {
    a['prometheus.io/scrape'] = 'true';
    a['prometheus.io/port'] = '9187';
    a['prometheus.io/path'] = '/metrics';
  }
  return a;
}

function volumes(r: ResolvedPostgres, role: MemberRole, ctx: MemberContext): k8s.Volume[] {
  const patroni = role === 'member';
  const runsAgent = r.backup !== undefined && role !== 'read';
  const vols: k8s.Volume[] = [
    configMapVolume('config', ctx.configMapName),
    emptyDir('run', '16Mi'),
    emptyDir('tmp', '1Gi'),
    emptyDir('shm', r.shmSize, true),
    secretFileVolume('superuser-password', r.superuser.name, r.superuser.key),
  ];
  if (r.replicationPassword && !patroni) {
    vols.push(secretFileVolume('replication-password', r.replicationPassword.name, r.replicationPassword.key));
  }
  if (r.metrics) {
    vols.push(secretFileVolume('metrics-password', r.metrics.password.name, r.metrics.password.key));
  }
  if (r.backup) {
    vols.push(emptyDir('spool', '64Mi'));
  }
  if (r.backup && (runsAgent || (role === 'primary' && restoresOnEmpty(r)))) {
    vols.push(configMapVolume('pgbackrest-config', ctx.pgbackrestConfigMapName), ...repositoryVolumes(r.backup.own));
    if (role === 'primary' && r.backup.restoreSource) {
      vols.push(...repositoryVolumes(r.backup.restoreSource));
    }
  }
  if (runsAgent) {
    vols.push(emptyDir('agent-tmp', '1Gi'));
  }
  if (r.tls) {
    vols.push({ name: 'tls', secret: { secretName: r.tls.secretName, defaultMode: 0o440 } });
  }
  if (role === 'primary' && r.cloneFrom) {
    vols.push(secretFileVolume('clone-password', r.cloneFrom.password.name, r.cloneFrom.password.key));
  }
  return vols;
}

/** The metadata name, labels, annotations and spec of the StatefulSet of `role`'s members. */
export function memberStatefulSet(r: ResolvedPostgres, role: MemberRole, ctx: MemberContext): k8s.KubeStatefulSetProps {
  const patroni = role === 'member';
  const initContainers: k8s.Container[] = [];
  if (role === 'primary' && r.backup && restoresOnEmpty(r)) {
    initContainers.push(restoreContainer(r, r.backup));
  }
  if (!patroni) {
    initContainers.push(bootstrapContainer(r, role, ctx.primaryServiceName));
  }
  const containers = [patroni ? patroniContainer(r) : postgresContainer(r, role, ctx.primaryServiceName)];
  if (r.metrics) {
    containers.push(exporterContainer(r, r.metrics.image));
  }
  if (r.backup && role !== 'read') {
    containers.push(agentContainer(r, r.backup));
  }
  const labels = labelsFor(r, role);
  return {
    metadata: { name: memberStatefulSetName(r, role), labels, annotations: workloadAnnotations(r) },
    spec: {
      replicas: role === 'primary' ? 1 : role === 'read' ? r.replicas - 1 : r.replicas,
      serviceName: ctx.headlessServiceName,
      podManagementPolicy: patroni ? 'Parallel' : 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      minReadySeconds: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: componentSelector(r, role) },
      template: applyPodOptions(
        {
          metadata: {
            labels: { ...labels, [MEMBER_LABEL]: 'true', ...extraPodLabels(r, role) },
            annotations: podAnnotations(r, ctx.checksum),
          },
          spec: {
            ...(patroni ? { serviceAccountName: ctx.serviceAccountName } : {}),
            automountServiceAccountToken: patroni,
            enableServiceLinks: false,
            securityContext: podSecurity(r.uid, r.gid),
            terminationGracePeriodSeconds: r.terminationGracePeriodSeconds,
            ...spreadOut(memberSelector(r)),
            ...(initContainers.length > 0 ? { initContainers } : {}),
            containers,
            volumes: volumes(r, role, ctx),
          },
        },
        r.podOptions,
        ['postgres'],
      ),
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: k8s.Quantity.fromString(r.storage) } },
            ...(r.storageClassName ? { storageClassName: r.storageClassName } : {}),
            volumeMode: 'Filesystem',
          },
        },
      ],
    },
  };
}

/**
 * The fields the API server stores in every `volumeClaimTemplates` entry beyond what the typed
 * template can say: `apiVersion`, `kind`, `metadata.creationTimestamp: null` and
 * `status.phase: Pending` (with `spec.volumeMode: Filesystem`, set in the template). kubectl sends
 * the whole list again whenever it differs from the stored one (the list has no merge key), so
 * without them every `kubectl apply` reports the StatefulSet `configured`.
 */
export function storedClaimTemplateFields(templates: number): JsonPatch[] {
  return Array.from({ length: templates }, (_, i) => [
    JsonPatch.add(`/spec/volumeClaimTemplates/${i}/apiVersion`, 'v1'),
    JsonPatch.add(`/spec/volumeClaimTemplates/${i}/kind`, 'PersistentVolumeClaim'),
    JsonPatch.add(`/spec/volumeClaimTemplates/${i}/metadata/creationTimestamp`, null),
    JsonPatch.add(`/spec/volumeClaimTemplates/${i}/status`, { phase: 'Pending' }),
  ]).flat();
}
