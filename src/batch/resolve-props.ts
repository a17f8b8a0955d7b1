/**
 * Validation of `SerialBatchJobProps` and of each step, and resolution of every default, in one
 * place: the construct and the builders only ever see a complete, valid `ResolvedBatch` and
 * `ResolvedStep`s. Every problem is reported at once, prefixed with the construct path.
 */
import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { BatchRetry, BatchRetryMode } from './batch-retry';
import { activeDeadlineSeconds } from './job-spec';
import { SerialBatchJobProps, SerialBatchStep } from './serial-batch-job-props';
import { OrderableStep, orderSteps } from './step-order';
import { findDuplicateEnv, reservedEnvReason } from '../common/env';
import { ResolvedDatabaseConnection, resolveDatabaseConnections } from '../common/database-connections';
import { PropErrors } from '../common/errors';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, LABEL_PART_OF, LABEL_VERSION } from '../common/labels';
import { objectName } from '../common/object-names';
import { ResolvedPodOptions, resolvePodOptions } from '../common/resolve-pod-options';
import { SecretKeyReference } from '../common/secret-key-reference';
import {
  imagePinProblem,
  isDnsLabel,
  isDnsSubdomain,
  isEnvVarName,
  isLabelValue,
  isPort,
  isPortName,
  MAX_CRONJOB_NAME_LENGTH,
  MAX_JOB_NAME_LENGTH,
  MAX_LABEL_LENGTH,
} from '../common/names';
import { checkCronSchedule } from '../common/cron-schedule';
import { checkWholeSeconds } from '../common/duration-checks';
import { INT64_SAFE_MAX } from '../common/number-ranges';
import { checkNoNul } from '../common/process-strings';
import { isLabelMap } from '../common/resolve-pod-options';
import { pullPolicyFor } from '../common/pull-policy';
import { resolveRunAs } from '../common/resolve-security';
import { ResolvedResources, ResourceDefaults, resolveResources } from '../common/resources';
import { checkSizeKib, describeSize } from '../common/size-checks';
import { checkTimeZone } from '../common/time-zone';

/** Prefix of the variables the construct gives the wrapper; users may not set names with it. */
export const ENV_PREFIX = 'SERIAL_BATCH_';
/** One GiB in KiB: the unit of the resume claim's request. */
const GIB_IN_KIB = 1024 * 1024;
/** Linux MAX_ARG_STRLEN: one argument or one `NAME=value` string. */
const MAX_ARG_STRLEN = 131072;
/** What config, env and arguments of one step may take together, leaving half of ARG_MAX (2 MiB) to secrets, image and kubelet variables. */
const MAX_STEP_ENV_BYTES = 1024 * 1024;
/** A ConfigMap's data may hold at most 1 MiB. */
const MAX_CONFIG_MAP_BYTES = 1024 * 1024;
/** Names that look like credentials must come from Secrets (kube-linter env-var-secret, Polaris). */
const SECRET_LIKE = /secret|passw(or)?d|token|credential|private[-_.]?key|api[-_.]?key/i;

/** Where the construct's own volumes are mounted in the containers. */
export const WORKSPACE_PATH = '/workspace';
export const SCRIPTS_PATH = '/opt/serial-batch';
export const TMP_PATH = '/tmp';
const OWN_VOLUMES = ['workspace', 'tmp', 'serial-batch'];
/** Pod labels the construct or the Job controller sets. */
const OWN_POD_LABELS = [
  LABEL_NAME,
  LABEL_INSTANCE,
  LABEL_COMPONENT,
  LABEL_PART_OF,
  LABEL_VERSION,
  LABEL_MANAGED_BY,
  'job-name',
  'controller-uid',
  'batch.kubernetes.io/job-name',
  'batch.kubernetes.io/controller-uid',
];

const DEFAULTS = {
  retry: () => BatchRetry.failFast(),
  defaultStepTimeout: Duration.hours(1),
  defaultStepRetries: 0,
  defaultStepRetryBackoff: Duration.seconds(10),
  maxRetryBackoff: Duration.minutes(5),
  killGracePeriod: Duration.seconds(10),
  terminationGracePeriod: Duration.seconds(30),
  startingDeadline: Duration.minutes(10),
  concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
  successfulJobsRetained: 3,
  failedJobsRetained: 3,
  jobTtl: Duration.days(1),
  workspaceSizeLimit: Size.gibibytes(1),
  tmpSizeLimit: Size.mebibytes(256),
  claimStorage: Size.gibibytes(1),
  stepResources: {
    cpuRequest: kplus.Cpu.millis(250),
    cpuLimit: kplus.Cpu.units(1),
    memoryRequest: Size.mebibytes(256),
    memoryLimit: Size.mebibytes(512),
    ephemeralStorageRequest: Size.mebibytes(128),
    ephemeralStorageLimit: Size.gibibytes(1),
  } as ResourceDefaults,
  summaryResources: {
    cpuRequest: kplus.Cpu.millis(10),
    cpuLimit: kplus.Cpu.millis(100),
    memoryRequest: Size.mebibytes(16),
    memoryLimit: Size.mebibytes(32),
    ephemeralStorageRequest: Size.mebibytes(8),
    ephemeralStorageLimit: Size.mebibytes(16),
  } as ResourceDefaults,
};

/** The CronJob part of a scheduled batch. */
export interface ResolvedSchedule {
  readonly expression: string;
  readonly timeZone?: string;
  readonly concurrencyPolicy: string;
  readonly startingDeadlineSeconds: number;
  readonly successfulJobsHistoryLimit: number;
  readonly failedJobsHistoryLimit: number;
  readonly suspend: boolean;
}

/** The workspace claim of resume mode: the user's, or one the construct creates. */
export interface ResolvedClaim {
  readonly given?: kplus.IPersistentVolumeClaim;
  readonly storage: Size;
  readonly storageClassName?: string;
}

/** The batch-wide settings, every default applied. */
export interface ResolvedBatch {
  readonly image: string;
  /** Name of the Job or CronJob: `name`, or the construct id in kebab case. */
  readonly name: string;
  /** Namespace of the construct's chart; undefined: wherever the manifests are applied. */
  readonly namespace?: string;
  /** The databases of the steps, the unprefixed one first. */
  readonly databases: readonly ResolvedDatabaseConnection[];
  /** The shared pod options, checked. */
  readonly podOptions: ResolvedPodOptions;
  /** Set for a CronJob, undefined for a Job. */
  readonly schedule?: ResolvedSchedule;
  readonly config?: { readonly [key: string]: string };
  readonly configKeys: readonly string[];
  readonly configBytes: number;
  readonly secretEnv: { readonly [name: string]: SecretKeyReference };
  readonly allowReservedEnv: ReadonlySet<string>;
  readonly retry: BatchRetry;
  /** Pod restart policy: the kubelet restarts a failed step in place only in `inPlace` mode. */
  readonly restartPolicy: 'Never' | 'OnFailure';
  /** Set in resume mode: the workspace and markers live on a claim. */
  readonly claim?: ResolvedClaim;
  readonly cleanUpOnSuccess: boolean;
  readonly ttlSecondsAfterFinished?: number;
  /** The deadline the user gave; undefined means it is derived from the steps at synth. */
  readonly activeDeadlineSeconds?: number;
  readonly defaultStepTimeoutSeconds: number;
  readonly defaultStepRetries: number;
  readonly defaultStepRetryBackoffSeconds: number;
  readonly maxRetryBackoffSeconds: number;
  readonly killGraceSeconds: number;
  readonly terminationGraceSeconds: number;
  /** Defaults of every step's resources: the library's, overlaid with `stepResources`. */
  readonly stepResourceDefaults: ResourceDefaults;
  readonly stepResources: ResolvedResources;
  readonly summaryResources: ResolvedResources;
  readonly summaryImage: string;
  readonly workspaceSizeLimit: Size;
  readonly tmpSizeLimit: Size;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  readonly serviceAccount?: kplus.IServiceAccount;
  readonly automountServiceAccountToken: boolean;
  readonly networkPolicy: boolean;
  readonly egress?: readonly kplus.NetworkPolicyRule[];
  readonly partOf?: string;
}

/** One step, every default applied. */
export interface ResolvedStep {
  readonly name: string;
  readonly command: readonly string[];
  readonly image: string;
  readonly dependsOn: readonly string[];
  /** Seconds one attempt may run; 0 for a raw step (nothing enforces a limit). */
  readonly timeoutSeconds: number;
  readonly continueOnError: boolean;
  /** Runs after the main steps whatever happened to them. */
  readonly finally: boolean;
  /** Where the step is in the props, for errors: `steps["load"]`, `finallySteps["unlock"]`. */
  readonly prop: string;
  /** Further attempts after a failure or timeout (0 for a raw step). */
  readonly retries: number;
  /** Seconds before the first retry, doubling up to the batch's cap. */
  readonly retryBackoffSeconds: number;
  readonly env: { readonly [name: string]: string };
  readonly secretEnv: { readonly [name: string]: SecretKeyReference };
  readonly resources: ResolvedResources;
  readonly workingDir?: string;
  readonly raw: boolean;
}

/** `Always` for tagged images (a tag can move), `IfNotPresent` for digests (content-addressed). */
export function pullPolicyOf(batch: ResolvedBatch, image: string): string {
  return pullPolicyFor(image, batch.imagePullPolicy);
}

/** Checks the batch-wide props and applies their defaults; throws listing every problem. */
export function resolveBatchProps(scope: IConstruct, id: string, props: SerialBatchJobProps): ResolvedBatch {
  const errors = new PropErrors(scope);
  const scheduled = props.schedule !== undefined;
  const retry = props.retry ?? DEFAULTS.retry();
  const allowReservedEnv = new Set(props.allowReservedEnv ?? []);

  errors.check(imagePinProblem(props.image) === undefined, 'image', imagePinProblem(props.image) ?? '', props.image);
  if (props.summaryImage !== undefined) {
    errors.check(imagePinProblem(props.summaryImage) === undefined, 'summaryImage', imagePinProblem(props.summaryImage) ?? '', props.summaryImage);
  }
  const name = objectName(id, props.name);
  const max = scheduled ? MAX_CRONJOB_NAME_LENGTH : MAX_JOB_NAME_LENGTH;
  errors.check(
    isDnsLabel(name, max),
    'name',
    `a DNS-1123 label of at most ${max} characters (${scheduled ? 'the CronJob controller appends 11 characters for each Job' : "it becomes the pods' job-name label"})`,
    name,
  );
  const databases = resolveDatabaseConnections(errors, props.database, props.databases);
  for (const { envPrefix } of databases) {
    errors.check(
      !envPrefix.startsWith(ENV_PREFIX),
      `databases[${JSON.stringify(envPrefix)}]`,
      `keyed by a prefix other than ${ENV_PREFIX}`,
      envPrefix,
    );
  }
  const configBytes = checkConfig(errors, props.config, allowReservedEnv);
  checkEnvNames(errors, 'secretEnv', Object.keys(props.secretEnv ?? {}), allowReservedEnv);
  checkSecretRefs(errors, 'secretEnv', props.secretEnv);
  for (const name of props.allowReservedEnv ?? []) {
    errors.check(reservedEnvReason(name) !== undefined, 'allowReservedEnv', 'names that are reserved (the others need no allowance)', name);
  }
  const defaultStepTimeoutSeconds = checkWholeSeconds(errors, 'defaultStepTimeout', props.defaultStepTimeout ?? DEFAULTS.defaultStepTimeout, 1);
  const defaultStepRetries = props.defaultStepRetries ?? DEFAULTS.defaultStepRetries;
  checkRetries(errors, 'defaultStepRetries', defaultStepRetries);
  const defaultStepRetryBackoffSeconds = checkWholeSeconds(
    errors,
    'defaultStepRetryBackoff',
    props.defaultStepRetryBackoff ?? DEFAULTS.defaultStepRetryBackoff,
    0,
    3600,
  );
  const maxRetryBackoffSeconds = checkWholeSeconds(errors, 'maxRetryBackoff', props.maxRetryBackoff ?? DEFAULTS.maxRetryBackoff, 1, 3600);
  const killGraceSeconds = checkWholeSeconds(errors, 'killGracePeriod', props.killGracePeriod ?? DEFAULTS.killGracePeriod, 1, 3600);
  const grace = killGraceSeconds ?? 1;
  const termination = props.terminationGracePeriod ?? DEFAULTS.terminationGracePeriod;
  const terminationGraceSeconds = checkWholeSeconds(errors, 'terminationGracePeriod', termination);
  if (terminationGraceSeconds !== undefined) {
    errors.check(
      terminationGraceSeconds >= grace + 5,
      'terminationGracePeriod',
      `at least killGracePeriod + 5 seconds (${grace + 5}s) so the wrapper can stop the step and record it`,
      termination.toHumanString(),
    );
  }
  checkRetry(errors, retry);
  const schedule = resolveSchedule(errors, props);
  const ttlSeconds = props.ttlAfterFinished !== undefined ? checkWholeSeconds(errors, 'ttlAfterFinished', props.ttlAfterFinished) : undefined;
  const activeDeadlineSeconds = props.activeDeadline !== undefined ? checkWholeSeconds(errors, 'activeDeadline', props.activeDeadline, 1) : undefined;
  const runAs = resolveRunAs(errors, props);
  const stepResourceDefaults = overlayDefaults(DEFAULTS.stepResources, props.stepResources);
  const stepResources = resolveResources(errors, props.stepResources, DEFAULTS.stepResources, 'stepResources');
  const summaryResources = resolveResources(errors, props.summaryResources, DEFAULTS.summaryResources, 'summaryResources');
  for (const [prop, size] of [
    ['workspaceSizeLimit', props.workspaceSizeLimit],
    ['tmpSizeLimit', props.tmpSizeLimit],
  ] as const) {
    if (size !== undefined) {
      checkSizeKib(errors, prop, size);
    }
  }
  const databaseMounts = databases.flatMap((d) => d.connection._mounts());
  const podOptions = resolvePodOptions(errors, props, {
    labelKeys: OWN_POD_LABELS,
    volumeNames: [...OWN_VOLUMES, ...databaseMounts.map((m) => m.name)],
    mountPaths: [WORKSPACE_PATH, TMP_PATH, SCRIPTS_PATH, ...databaseMounts.map((m) => m.mountPath)],
  });
  const networkPolicy = props.networkPolicy ?? true;
  if (props.egress !== undefined) {
    errors.check(networkPolicy, 'egress', 'unset when networkPolicy is false (there is no policy to add it to)', `${props.egress.length} rules`);
    checkEgress(errors, props.egress);
  }
  if (props.partOf !== undefined) {
    errors.check(
      isLabelValue(props.partOf),
      'partOf',
      'a label value (at most 63 letters, digits, "-", "_", ".", starting and ending alphanumeric)',
      props.partOf,
    );
  }
  if (props.imagePullPolicy !== undefined) {
    errors.check(
      Object.values(kplus.ImagePullPolicy).includes(props.imagePullPolicy),
      'imagePullPolicy',
      `one of ${Object.values(kplus.ImagePullPolicy).join(', ')}`,
      props.imagePullPolicy,
    );
  }
  if (props.serviceAccount !== undefined) {
    checkReferenceName(errors, 'serviceAccount', 'a ServiceAccount', props.serviceAccount);
  }
  errors.throwIfAny();

  const resume = retry.mode === BatchRetryMode.RESUME_FROM_VOLUME;
  return {
    image: props.image,
    name,
    namespace: Chart.of(scope).namespace,
    databases,
    podOptions,
    schedule,
    config: props.config,
    configKeys: Object.keys(props.config ?? {}),
    configBytes,
    secretEnv: props.secretEnv ?? {},
    allowReservedEnv,
    retry,
    restartPolicy: retry.mode === BatchRetryMode.IN_PLACE ? 'OnFailure' : 'Never',
    claim: resume
      ? { given: retry.volume?.claim, storage: retry.volume?.storage ?? DEFAULTS.claimStorage, storageClassName: retry.volume?.storageClassName }
      : undefined,
    cleanUpOnSuccess: resume && (retry.volume?.cleanUpOnSuccess ?? true),
    // a CronJob keeps its Jobs by its history limits: a TTL only when asked for
    ttlSecondsAfterFinished: props.ttlAfterFinished !== undefined ? ttlSeconds : scheduled ? undefined : DEFAULTS.jobTtl.toSeconds(),
    activeDeadlineSeconds,
    // checked above: throwIfAny() has thrown unless each is defined
    defaultStepTimeoutSeconds: defaultStepTimeoutSeconds!,
    defaultStepRetries,
    defaultStepRetryBackoffSeconds: defaultStepRetryBackoffSeconds!,
    maxRetryBackoffSeconds: maxRetryBackoffSeconds!,
    killGraceSeconds: killGraceSeconds!,
    terminationGraceSeconds: terminationGraceSeconds!,
    stepResourceDefaults,
    stepResources,
    summaryResources,
    summaryImage: props.summaryImage ?? props.image,
    workspaceSizeLimit: props.workspaceSizeLimit ?? DEFAULTS.workspaceSizeLimit,
    tmpSizeLimit: props.tmpSizeLimit ?? DEFAULTS.tmpSizeLimit,
    runAsUser: runAs.user,
    runAsGroup: runAs.group,
    imagePullPolicy: props.imagePullPolicy,
    serviceAccount: props.serviceAccount,
    automountServiceAccountToken: props.automountServiceAccountToken ?? false,
    networkPolicy,
    egress: props.egress,
    partOf: props.partOf,
  };
}

/**
 * Checks one step against the batch and the steps added before it, and applies its defaults.
 * Problems that need every step (unknown dependencies, cycles) are left to `checkStepSet`.
 */
export function resolveStep(
  scope: IConstruct,
  batch: ResolvedBatch,
  step: SerialBatchStep,
  earlier: readonly ResolvedStep[],
  isFinally: boolean,
): ResolvedStep {
  const errors = new PropErrors(scope);
  const group = isFinally ? 'finallySteps' : 'steps';
  const index = earlier.filter((s) => s.finally === isFinally).length;
  const nameOk = errors.check(
    typeof step.name === 'string' && isDnsLabel(step.name),
    `${group}[${index}].name`,
    'a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
    step.name,
  );
  if (nameOk) {
    errors.check(!earlier.some((s) => s.name === step.name), `${group}[${index}].name`, 'unique among the steps', step.name);
  }
  const at = nameOk ? `${group}[${JSON.stringify(step.name)}]` : `${group}[${index}]`;

  const commandOk = errors.check(
    Array.isArray(step.command) && step.command.length > 0 && step.command.every((c) => typeof c === 'string'),
    `${at}.command`,
    'a non-empty list of strings',
    step.command,
  );
  if (commandOk) {
    errors.check(step.command[0].length > 0, `${at}.command`, 'a list whose first element (the program) is not empty', step.command);
    checkNoNul(errors, `${at}.command`, step.command);
    for (const arg of step.command) {
      errors.check(
        Buffer.byteLength(arg) < MAX_ARG_STRLEN,
        `${at}.command`,
        `arguments shorter than ${MAX_ARG_STRLEN} bytes (Linux MAX_ARG_STRLEN)`,
        `${arg.slice(0, 40)}... (${Buffer.byteLength(arg)} bytes)`,
      );
    }
  }
  if (step.image !== undefined) {
    errors.check(imagePinProblem(step.image) === undefined, `${at}.image`, imagePinProblem(step.image) ?? '', step.image);
  }
  if (step.dependsOn !== undefined) {
    errors.check(
      Array.isArray(step.dependsOn) && step.dependsOn.every((d) => typeof d === 'string'),
      `${at}.dependsOn`,
      'a list of step names',
      step.dependsOn,
    );
  }
  if (step.timeout !== undefined) {
    checkWholeSeconds(errors, `${at}.timeout`, step.timeout, 1);
    errors.check(
      !step.raw,
      `${at}.timeout`,
      'unset on a raw step (without the wrapper nothing enforces it; the Job deadline still applies)',
      step.timeout.toHumanString(),
    );
  }
  if (step.continueOnError) {
    errors.check(
      !step.raw,
      `${at}.continueOnError`,
      'unset on a raw step (without the wrapper a failure always stops the batch)',
      step.continueOnError,
    );
  }
  if (step.retries !== undefined) {
    checkRetries(errors, `${at}.retries`, step.retries);
    errors.check(!step.raw, `${at}.retries`, 'unset on a raw step (without the wrapper nothing retries it)', step.retries);
  }
  if (step.retryBackoff !== undefined) {
    checkWholeSeconds(errors, `${at}.retryBackoff`, step.retryBackoff, 0, 3600);
  }
  if (step.workingDir !== undefined) {
    if (
      errors.check(typeof step.workingDir === 'string' && step.workingDir.startsWith('/'), `${at}.workingDir`, 'an absolute path', step.workingDir)
    ) {
      checkNoNul(errors, `${at}.workingDir`, step.workingDir);
    }
  }

  const env = step.env ?? {};
  const envNames = Object.keys(env);
  const secretNames = Object.keys(step.secretEnv ?? {});
  checkEnvNames(errors, `${at}.env`, envNames, batch.allowReservedEnv);
  checkEnvNames(errors, `${at}.secretEnv`, secretNames, batch.allowReservedEnv);
  checkSecretRefs(errors, `${at}.secretEnv`, step.secretEnv);
  for (const [name, value] of Object.entries(env)) {
    if (
      !errors.check(typeof value === 'string', `${at}.env[${JSON.stringify(name)}]`, 'a string', value) ||
      !checkNoNul(errors, `${at}.env[${JSON.stringify(name)}]`, value)
    ) {
      continue;
    }
    errors.check(
      !SECRET_LIKE.test(name),
      `${at}.env`,
      'names that do not look like credentials (put credentials in a Secret and use secretEnv)',
      name,
    );
    errors.check(
      Buffer.byteLength(name) + Buffer.byteLength(value) + 2 <= MAX_ARG_STRLEN,
      `${at}.env[${JSON.stringify(name)}]`,
      `shorter than ${MAX_ARG_STRLEN} bytes with its name (Linux MAX_ARG_STRLEN)`,
      `${value.slice(0, 40)}...`,
    );
  }
  const dups = findDuplicateEnv([
    { source: 'database', names: batch.databases.flatMap((d) => d.connection._env(d.envPrefix, batch.namespace).map((e) => e.name)) },
    { source: 'config', names: [...batch.configKeys] },
    { source: 'secretEnv', names: Object.keys(batch.secretEnv) },
    { source: `${at}.env`, names: envNames },
    { source: `${at}.secretEnv`, names: secretNames },
  ]);
  for (const [name, where] of dups) {
    errors.add(`${at}.env`, `free of names set elsewhere (${name} is set in ${where.join(' and ')}; one would silently overwrite the other)`, name);
  }
  if (commandOk && !errors.hasProblems) {
    const bytes =
      batch.configBytes +
      Object.entries(env).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v) + 2, 0) +
      step.command.reduce((sum, a) => sum + Buffer.byteLength(a) + 1, 0);
    errors.check(
      bytes <= MAX_STEP_ENV_BYTES,
      `${at}.env`,
      `small enough that config, env and command take at most ${MAX_STEP_ENV_BYTES} bytes (half of the kernel's ARG_MAX)`,
      `${bytes} bytes`,
    );
  }
  const resources =
    step.resources === undefined ? batch.stepResources : resolveResources(errors, step.resources, batch.stepResourceDefaults, `${at}.resources`);
  errors.throwIfAny();

  const raw = step.raw ?? false;
  return {
    name: step.name,
    command: [...step.command],
    image: step.image ?? batch.image,
    dependsOn: [...(step.dependsOn ?? [])],
    timeoutSeconds: raw ? 0 : (step.timeout?.toSeconds() ?? batch.defaultStepTimeoutSeconds),
    continueOnError: step.continueOnError ?? false,
    finally: isFinally,
    prop: at,
    retries: raw ? 0 : (step.retries ?? batch.defaultStepRetries),
    retryBackoffSeconds: step.retryBackoff?.toSeconds() ?? batch.defaultStepRetryBackoffSeconds,
    env,
    secretEnv: step.secretEnv ?? {},
    resources,
    workingDir: step.workingDir,
    raw,
  };
}

/** A step in run order, with its zero-padded position, its container name and what the wrapper needs to know of the others. */
export interface PlannedStep {
  readonly step: ResolvedStep;
  readonly index: string;
  readonly containerName: string;
  /** `index-name` of every step it depends on, directly or not, in run order. */
  readonly ancestors: readonly string[];
  /**
   * Whether a failure of this step must stop the pod: the kubelet retries it in place, or a raw
   * main step comes later that nothing could keep from running.
   */
  readonly stopOnFailure: boolean;
}

/** Zero-padded position (at least two digits, more when there are more steps). */
export function indexLabel(position: number, count: number): string {
  return String(position + 1).padStart(Math.max(2, String(count).length), '0');
}

/** Problems that need every step: at least one, names short enough once prefixed, dependencies, a derived deadline in range. */
export function checkStepSet(scope: IConstruct, batch: ResolvedBatch, steps: readonly ResolvedStep[]): string[] {
  const errors = new PropErrors(scope);
  if (!errors.check(steps.length > 0, 'steps', 'a list of at least one step (pass steps or call addStep())', steps.length)) {
    return errors.messages();
  }
  if (batch.activeDeadlineSeconds === undefined) {
    // the derived worst case must still be a number the Job's int64 field holds exactly
    const derived = activeDeadlineSeconds(batch, steps);
    errors.check(
      derived <= INT64_SAFE_MAX,
      'activeDeadline',
      `given when the worst case of the steps' timeouts, retries and pods exceeds ${INT64_SAFE_MAX} seconds`,
      `${derived} seconds derived`,
    );
  }
  const width = indexLabel(0, steps.length).length;
  const max = MAX_LABEL_LENGTH - width - 2;
  for (const step of steps) {
    errors.check(
      step.name.length <= max,
      `steps[${JSON.stringify(step.name)}].name`,
      `at most ${max} characters (the container name s${'N'.repeat(width)}-<name> must fit 63)`,
      step.name,
    );
  }
  const byName = new Map(steps.map((s) => [s.name, s]));
  steps.forEach((step) => {
    for (const dep of step.dependsOn) {
      const target = byName.get(dep);
      if (target !== undefined && target.finally !== step.finally) {
        errors.add(
          `${step.prop}.dependsOn`,
          step.finally
            ? `names of finally steps (finally step ${JSON.stringify(step.name)} runs after every main step whatever happened to them)`
            : `names of main steps (step ${JSON.stringify(step.name)} cannot wait for a finally step, which runs after every main step)`,
          dep,
        );
      }
    }
  });
  const ordered = orderSteps(orderable(steps));
  for (const p of ordered.problems) {
    errors.add(propOf(steps, p.prop), p.rule, p.value);
  }
  if (ordered.problems.length === 0) {
    // a raw step cannot skip itself: it must not depend on a step that may fail and go on
    for (const i of ordered.order) {
      const step = steps[i];
      if (step.raw) {
        for (const a of ancestorsOf(steps, i)) {
          errors.check(
            !steps[a].continueOnError,
            `${step.prop}.dependsOn`,
            'free of steps with continueOnError, directly or not (a raw step cannot skip itself when they fail)',
            steps[a].name,
          );
        }
      }
    }
  }
  return errors.messages();
}

/** An ordering problem's `steps[<n>]...` path, with the step named as in the props (`finallySteps["unlock"]`). */
function propOf(steps: readonly ResolvedStep[], prop: string): string {
  const m = /^steps\[([0-9]+)\](.*)$/.exec(prop);
  return m && !steps[Number(m[1])].finally ? prop : m ? `${steps[Number(m[1])].prop}${m[2]}` : prop;
}

/** The steps as the ordering sees them: finally steps after every main step, no dependency across the two groups. */
function orderable(steps: readonly ResolvedStep[]): OrderableStep[] {
  const group = new Map(steps.map((s) => [s.name, s.finally]));
  const main = steps.filter((s) => !s.finally).map((s) => s.name);
  return steps.map((s) => ({
    name: s.name,
    dependsOn: [...s.dependsOn.filter((d) => group.get(d) === undefined || group.get(d) === s.finally), ...(s.finally ? main : [])],
  }));
}

/** Indexes of the steps `i` depends on, directly or not, through declared dependencies. */
function ancestorsOf(steps: readonly ResolvedStep[], i: number): Set<number> {
  const indexByName = new Map(steps.map((s, n) => [s.name, n]));
  const found = new Set<number>();
  const visit = (n: number) => {
    for (const dep of steps[n].dependsOn) {
      const d = indexByName.get(dep);
      if (d !== undefined && !found.has(d) && steps[d].finally === steps[i].finally) {
        found.add(d);
        visit(d);
      }
    }
  };
  visit(i);
  return found;
}

/** The steps in run order; throws the ordering problems (unknown names, cycles). */
export function planSteps(scope: IConstruct, steps: readonly ResolvedStep[], stopEveryFailure: boolean): PlannedStep[] {
  const result = orderSteps(orderable(steps));
  const errors = new PropErrors(scope);
  for (const p of result.problems) {
    errors.add(propOf(steps, p.prop), p.rule, p.value);
  }
  errors.throwIfAny();
  const indexOf = new Map(result.order.map((i, position) => [i, indexLabel(position, steps.length)]));
  const lastRawMain = Math.max(-1, ...result.order.map((i, position) => (steps[i].raw && !steps[i].finally ? position : -1)));
  return result.order.map((i, position) => {
    const step = steps[i];
    const index = indexOf.get(i)!;
    const ancestors = [...ancestorsOf(steps, i)].sort((a, b) => indexOf.get(a)!.localeCompare(indexOf.get(b)!));
    return {
      step,
      index,
      containerName: `s${index}-${step.name}`,
      ancestors: ancestors.map((a) => `${indexOf.get(a)}-${steps[a].name}`),
      stopOnFailure: !step.raw && (stopEveryFailure || position < lastRawMain),
    };
  });
}

function checkConfig(errors: PropErrors, config: { [key: string]: string } | undefined, allowed: ReadonlySet<string>): number {
  let bytes = 0;
  checkEnvNames(errors, 'config', Object.keys(config ?? {}), allowed);
  for (const [key, value] of Object.entries(config ?? {})) {
    if (
      !errors.check(typeof value === 'string', `config[${JSON.stringify(key)}]`, 'a string', value) ||
      !checkNoNul(errors, `config[${JSON.stringify(key)}]`, value)
    ) {
      continue;
    }
    errors.check(!SECRET_LIKE.test(key), 'config', 'keys that do not look like credentials (put credentials in a Secret and use secretEnv)', key);
    const entry = Buffer.byteLength(key) + Buffer.byteLength(value);
    errors.check(
      entry + 2 <= MAX_ARG_STRLEN,
      `config[${JSON.stringify(key)}]`,
      `shorter than ${MAX_ARG_STRLEN} bytes with its key (Linux MAX_ARG_STRLEN, every step gets it as a variable)`,
      `${entry} bytes`,
    );
    bytes += entry + 2;
  }
  errors.check(bytes <= MAX_CONFIG_MAP_BYTES, 'config', `at most ${MAX_CONFIG_MAP_BYTES} bytes in total (ConfigMap size limit)`, `${bytes} bytes`);
  errors.check(
    bytes <= MAX_STEP_ENV_BYTES,
    'config',
    `at most ${MAX_STEP_ENV_BYTES} bytes in total (half of the kernel's ARG_MAX: every step gets all of it as variables)`,
    `${bytes} bytes`,
  );
  return bytes;
}

function checkEnvNames(errors: PropErrors, prop: string, names: string[], allowed: ReadonlySet<string>): void {
  for (const name of names) {
    if (!errors.check(isEnvVarName(name), prop, 'environment variable names (letters, digits, "_", "-", "."; not starting with a digit)', name)) {
      continue;
    }
    if (!errors.check(!name.startsWith(ENV_PREFIX), prop, `names that do not start with ${ENV_PREFIX} (the step wrapper's own variables)`, name)) {
      continue;
    }
    const reason = reservedEnvReason(name);
    if (reason !== undefined && !allowed.has(name)) {
      errors.add(prop, `free of names that overlay well-known variables (${reason}; list it in allowReservedEnv to set it on purpose)`, name);
    }
  }
}

function checkSecretRefs(errors: PropErrors, prop: string, refs: { [name: string]: SecretKeyReference } | undefined): void {
  for (const [name, ref] of Object.entries(refs ?? {})) {
    const ok = errors.check(
      ref !== undefined && ref !== null && typeof ref.key === 'string' && /^[-._a-zA-Z0-9]+$/.test(ref.key) && ref.secret !== undefined,
      `${prop}[${JSON.stringify(name)}]`,
      'a Secret and one of its keys',
      ref?.key,
    );
    if (ok) {
      checkReferenceName(errors, `${prop}[${JSON.stringify(name)}].secret`, 'a Secret', ref.secret);
    }
  }
}

/** The name of a referenced object (an imported one may carry any string), checked as a DNS-1123 subdomain. */
function checkReferenceName(errors: PropErrors, prop: string, what: string, ref: { readonly name: string }): void {
  let name: unknown;
  try {
    name = ref.name;
  } catch (e) {
    name = e instanceof Error ? e.message : e;
  }
  errors.check(typeof name === 'string' && isDnsSubdomain(name), prop, `${what} whose name is a DNS-1123 subdomain`, name);
}

/** Ports and pod selectors of the user's egress rules, as the API server checks a NetworkPolicy. */
function checkEgress(errors: PropErrors, egress: readonly kplus.NetworkPolicyRule[]): void {
  if (!errors.check(Array.isArray(egress), 'egress', 'a list of rules', egress)) {
    return;
  }
  egress.forEach((rule, i) => {
    (rule?.ports ?? []).forEach((port, j) => {
      const at = `egress[${i}].ports[${j}]`;
      const kube = port._toKube();
      const number = kube.port?.value;
      errors.check(
        number === undefined || (typeof number === 'number' ? isPort(number) : isPortName(String(number))),
        at,
        'a port from 1 to 65535 or a port name',
        number,
      );
      if (kube.endPort !== undefined) {
        errors.check(
          typeof number === 'number' && isPort(kube.endPort) && kube.endPort >= number,
          `${at}.endPort`,
          'a port from the range start to 65535',
          kube.endPort,
        );
      }
    });
    let selector: kplus.PodSelectorConfig | undefined;
    try {
      selector = rule?.peer?.toNetworkPolicyPeerConfig().podSelector;
    } catch {
      selector = undefined;
    }
    const namespaces = selector?.namespaces;
    for (const [what, labels] of [
      ['pods', selector?.labelSelector._toKube().matchLabels],
      ['namespaces', namespaces?.labelSelector?._toKube().matchLabels],
    ] as const) {
      if (labels !== undefined) {
        errors.check(isLabelMap(labels), `egress[${i}].peer`, `a peer whose ${what} are selected by valid labels`, labels);
      }
    }
    (namespaces?.names ?? []).forEach((name) => {
      errors.check(isDnsLabel(name), `egress[${i}].peer`, 'a peer whose namespaces are named by DNS-1123 labels', name);
    });
  });
}

function checkRetry(errors: PropErrors, r: BatchRetry): void {
  checkRetries(errors, 'retry.retries', r.retries);
  if (r.mode !== BatchRetryMode.RESUME_FROM_VOLUME) {
    return;
  }
  const storage = r.volume?.storage;
  if (storage !== undefined) {
    // cdk8s-plus writes a claim's request in GiB and fails at synth on anything else
    const kib = checkSizeKib(errors, 'retry.storage', storage, GIB_IN_KIB);
    if (kib !== undefined) {
      errors.check(kib % GIB_IN_KIB === 0, 'retry.storage', 'a whole number of GiB', describeSize(storage));
    }
  }
  const storageClassName = r.volume?.storageClassName;
  if (storageClassName !== undefined) {
    errors.check(isDnsSubdomain(storageClassName), 'retry.storageClassName', 'a DNS-1123 subdomain', storageClassName);
  }
  if (r.volume?.claim !== undefined) {
    checkReferenceName(errors, 'retry.claim', 'a PersistentVolumeClaim', r.volume.claim);
  }
}

function checkRetries(errors: PropErrors, prop: string, retries: number): void {
  errors.check(Number.isInteger(retries) && retries >= 0 && retries <= 100, prop, 'a whole number from 0 to 100', retries);
}

function resolveSchedule(errors: PropErrors, p: SerialBatchJobProps): ResolvedSchedule | undefined {
  if (p.schedule === undefined) {
    for (const [prop, value] of Object.entries({
      timeZone: p.timeZone,
      concurrencyPolicy: p.concurrencyPolicy,
      startingDeadline: p.startingDeadline?.toHumanString(),
      successfulJobsRetained: p.successfulJobsRetained,
      failedJobsRetained: p.failedJobsRetained,
      suspend: p.suspend,
    })) {
      errors.check(value === undefined, prop, 'unset unless a schedule is set', value);
    }
    return undefined;
  }
  const expression = p.schedule.expressionString;
  checkCronSchedule(errors, 'schedule', expression);
  if (p.timeZone !== undefined) {
    checkTimeZone(errors, 'timeZone', p.timeZone);
  }
  // at least 10 s: the CronJob controller checks every 10 seconds
  const startingDeadlineSeconds = checkWholeSeconds(errors, 'startingDeadline', p.startingDeadline ?? DEFAULTS.startingDeadline, 10);
  if (p.concurrencyPolicy !== undefined) {
    errors.check(
      Object.values(kplus.ConcurrencyPolicy).includes(p.concurrencyPolicy),
      'concurrencyPolicy',
      `one of ${Object.values(kplus.ConcurrencyPolicy).join(', ')}`,
      p.concurrencyPolicy,
    );
  }
  for (const [prop, value] of [
    ['successfulJobsRetained', p.successfulJobsRetained],
    ['failedJobsRetained', p.failedJobsRetained],
  ] as const) {
    if (value !== undefined) {
      errors.check(Number.isInteger(value) && value >= 0 && value <= 100, prop, 'a whole number from 0 to 100', value);
    }
  }
  return {
    expression,
    timeZone: p.timeZone,
    concurrencyPolicy: p.concurrencyPolicy ?? DEFAULTS.concurrencyPolicy,
    startingDeadlineSeconds: startingDeadlineSeconds ?? 0,
    successfulJobsHistoryLimit: p.successfulJobsRetained ?? DEFAULTS.successfulJobsRetained,
    failedJobsHistoryLimit: p.failedJobsRetained ?? DEFAULTS.failedJobsRetained,
    suspend: p.suspend ?? false,
  };
}

/** The library's defaults with what `given` sets replacing them, field by field. */
function overlayDefaults(defaults: ResourceDefaults, given: kplus.ContainerResources | undefined): ResourceDefaults {
  return {
    cpuRequest: given?.cpu?.request ?? defaults.cpuRequest,
    cpuLimit: given?.cpu?.limit ?? defaults.cpuLimit,
    memoryRequest: given?.memory?.request ?? defaults.memoryRequest,
    memoryLimit: given?.memory?.limit ?? defaults.memoryLimit,
    ephemeralStorageRequest: given?.ephemeralStorage?.request ?? defaults.ephemeralStorageRequest,
    ephemeralStorageLimit: given?.ephemeralStorage?.limit ?? defaults.ephemeralStorageLimit,
  };
}
