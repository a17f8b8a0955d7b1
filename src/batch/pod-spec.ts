/**
 * The batch pod: one init container per step (under the `step.sh` wrapper unless raw), then the
 * `summary` container, sharing the workspace, a writable /tmp and the scripts ConfigMap.
 * Pure functions of the resolved batch and the planned steps.
 */
import * as kplus from 'cdk8s-plus-27';
import { ENV_PREFIX, pullPolicyOf, PlannedStep, ResolvedBatch, SCRIPTS_PATH, TMP_PATH, WORKSPACE_PATH } from './resolve-props';
import { escapeKubernetesExpansion } from '../common/env';
import { applyPodOptions } from '../common/resolve-pod-options';
import { SecretKeyReference } from '../common/secret-key-reference';
import { sizeToQuantity } from '../common/quantities';
import { uniqueByName } from '../common/unique-by-name';
import { ResolvedResources, toResourceRequirements } from '../common/resources';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../common/security';

const k8s = kplus.k8s;

const TERMINATION_LOG = '/dev/termination-log';
const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
/** The run identity: the Job's name, unless a re-run sets it to the run it repeats. */
export const RUN_ENV = `${ENV_PREFIX}RUN`;
export const SUMMARY_CONTAINER = 'summary';

/** Names of the objects the pod refers to. */
export interface PodObjectNames {
  readonly scriptsConfigMap: string;
  readonly configMap?: string;
  readonly workspaceClaim?: string;
}

/** The pod template of the batch's Job: the pod spec below, its labels and the shared pod options. */
export function buildPodTemplate(
  batch: ResolvedBatch,
  steps: readonly PlannedStep[],
  names: PodObjectNames,
  labels: { [key: string]: string },
): kplus.k8s.PodTemplateSpec {
  // the extra volumes go into the steps (init containers), which buildPodSpec mounts them in
  return applyPodOptions({ metadata: { labels }, spec: buildPodSpec(batch, steps, names) }, batch.podOptions, []);
}

/** The pod spec of the batch's Job. */
function buildPodSpec(batch: ResolvedBatch, steps: readonly PlannedStep[], names: PodObjectNames): kplus.k8s.PodSpec {
  const workspace: kplus.k8s.Volume =
    names.workspaceClaim !== undefined
      ? { name: 'workspace', persistentVolumeClaim: { claimName: names.workspaceClaim } }
      : { name: 'workspace', emptyDir: { sizeLimit: quantity(sizeToQuantity(batch.workspaceSizeLimit)) } };
  return {
    restartPolicy: batch.restartPolicy,
    enableServiceLinks: false,
    automountServiceAccountToken: batch.automountServiceAccountToken,
    terminationGracePeriodSeconds: batch.terminationGraceSeconds,
    securityContext: restrictedPodSecurityContext({ user: batch.runAsUser, group: batch.runAsGroup }) as kplus.k8s.PodSecurityContext,
    serviceAccountName: batch.serviceAccount?.name,
    initContainers: steps.map((s) => buildStepContainer(batch, s, names)),
    containers: [buildSummaryContainer(batch)],
    volumes: [
      workspace,
      { name: 'tmp', emptyDir: { sizeLimit: quantity(sizeToQuantity(batch.tmpSizeLimit)) } },
      { name: 'serial-batch', configMap: { name: names.scriptsConfigMap, defaultMode: 0o444 } },
      ...databaseVolumes(batch),
    ],
  };
}

/**
 * The connections' variables as seen from the job's namespace: a database in another namespace is
 * reached by the Service's namespaced name (a short name resolves only in the pod's own namespace).
 */
function databaseEnv(batch: ResolvedBatch): kplus.k8s.EnvVar[] {
  return batch.databases.flatMap((d) => d.connection._env(d.envPrefix, batch.namespace));
}

/** The volumes the database connections need (CA files), each once: two connections to one instance share them. */
function databaseVolumes(batch: ResolvedBatch): kplus.k8s.Volume[] {
  return uniqueByName(batch.databases.flatMap((d) => d.connection._volumes()));
}

/** The mounts of {@link databaseVolumes}, each once. */
function databaseMounts(batch: ResolvedBatch): kplus.k8s.VolumeMount[] {
  return uniqueByName(batch.databases.flatMap((d) => d.connection._mounts()));
}

function buildStepContainer(batch: ResolvedBatch, planned: PlannedStep, names: PodObjectNames): kplus.k8s.Container {
  const step = planned.step;
  const command = step.command.map(escapeKubernetesExpansion);
  return {
    ...containerBase(batch, planned.containerName, step.image, step.resources),
    ...(step.raw ? { command } : { command: ['/bin/sh', `${SCRIPTS_PATH}/step.sh`], args: command }),
    env: [
      { name: `${ENV_PREFIX}STEP`, value: step.name },
      { name: `${ENV_PREFIX}INDEX`, value: planned.index },
      { name: `${ENV_PREFIX}TIMEOUT`, value: String(step.timeoutSeconds) },
      { name: `${ENV_PREFIX}KILL_GRACE`, value: String(batch.killGraceSeconds) },
      { name: `${ENV_PREFIX}CONTINUE_ON_ERROR`, value: String(step.continueOnError) },
      ...(step.retries > 0
        ? [
            { name: `${ENV_PREFIX}RETRIES`, value: String(step.retries) },
            { name: `${ENV_PREFIX}RETRY_BACKOFF`, value: String(step.retryBackoffSeconds) },
            { name: `${ENV_PREFIX}RETRY_BACKOFF_MAX`, value: String(batch.maxRetryBackoffSeconds) },
          ]
        : []),
      ...(step.finally ? [{ name: `${ENV_PREFIX}FINALLY`, value: 'true' }] : []),
      ...(planned.ancestors.length > 0 ? [{ name: `${ENV_PREFIX}DEPENDS_ON`, value: planned.ancestors.join(' ') }] : []),
      ...(planned.stopOnFailure ? [{ name: `${ENV_PREFIX}STOP_ON_FAILURE`, value: 'true' }] : []),
      ...commonEnv(batch),
      ...databaseEnv(batch),
      ...secretEnv(batch.secretEnv),
      ...secretEnv(step.secretEnv),
      ...Object.entries(step.env).map(([name, value]) => ({ name, value: escapeKubernetesExpansion(value) })),
    ],
    envFrom: names.configMap !== undefined ? [{ configMapRef: { name: names.configMap } }] : undefined,
    workingDir: step.workingDir,
    volumeMounts: [...mounts(batch), ...databaseMounts(batch), ...batch.podOptions.volumeMounts],
  };
}

function buildSummaryContainer(batch: ResolvedBatch): kplus.k8s.Container {
  return {
    ...containerBase(batch, SUMMARY_CONTAINER, batch.summaryImage, batch.summaryResources),
    command: ['/bin/sh', `${SCRIPTS_PATH}/summary.sh`],
    env: [...commonEnv(batch), { name: `${ENV_PREFIX}CLEAN_UP`, value: String(batch.cleanUpOnSuccess) }],
    volumeMounts: mounts(batch),
  };
}

function containerBase(batch: ResolvedBatch, name: string, image: string, resources: ResolvedResources): kplus.k8s.Container {
  return {
    name,
    image,
    imagePullPolicy: pullPolicyOf(batch, image),
    resources: toResourceRequirements(resources),
    securityContext: restrictedContainerSecurityContext({ user: batch.runAsUser, group: batch.runAsGroup }) as kplus.k8s.SecurityContext,
    terminationMessagePath: TERMINATION_LOG,
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

function commonEnv(batch: ResolvedBatch): kplus.k8s.EnvVar[] {
  const fieldRef = (name: string, fieldPath: string): kplus.k8s.EnvVar => ({ name: `${ENV_PREFIX}${name}`, valueFrom: { fieldRef: { fieldPath } } });
  return [
    fieldRef('POD_UID', 'metadata.uid'),
    ...(batch.claim !== undefined
      ? [
          fieldRef('JOB_UID', `metadata.labels['${JOB_UID_LABEL}']`),
          fieldRef('JOB_NAME', `metadata.labels['${JOB_NAME_LABEL}']`),
          { name: RUN_ENV, value: `$(${ENV_PREFIX}JOB_NAME)` },
        ]
      : []),
    { name: `${ENV_PREFIX}WORKSPACE`, value: WORKSPACE_PATH },
    { name: `${ENV_PREFIX}RESULTS`, value: `${WORKSPACE_PATH}/.serial-batch/results` },
    { name: `${ENV_PREFIX}PLAN`, value: `${SCRIPTS_PATH}/plan` },
    { name: `${ENV_PREFIX}TERMINATION_LOG`, value: TERMINATION_LOG },
    { name: `${ENV_PREFIX}RESUME`, value: String(batch.claim !== undefined) },
  ];
}

function mounts(batch: ResolvedBatch): kplus.k8s.VolumeMount[] {
  return [
    batch.claim !== undefined
      ? { name: 'workspace', mountPath: WORKSPACE_PATH, subPathExpr: `$(${RUN_ENV})` }
      : { name: 'workspace', mountPath: WORKSPACE_PATH },
    { name: 'tmp', mountPath: TMP_PATH },
    { name: 'serial-batch', mountPath: SCRIPTS_PATH, readOnly: true },
  ];
}

function secretEnv(refs: { readonly [name: string]: SecretKeyReference }): kplus.k8s.EnvVar[] {
  return Object.entries(refs).map(([name, ref]) => ({
    name,
    valueFrom: { secretKeyRef: { name: ref.secret.name, key: ref.key, optional: ref.optional } },
  }));
}

function quantity(value: string): kplus.k8s.Quantity {
  return k8s.Quantity.fromString(value);
}
