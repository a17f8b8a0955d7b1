import { Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BatchRetry } from './batch-retry';
import { PodOptions } from '../common/pod-options';
import { SecretKeyReference } from '../common/secret-key-reference';
import { PostgresConnection } from '../postgres/connection';

/** One step of a SerialBatchJob: one command, run to completion before the next step starts. */
export interface SerialBatchStep {
  /**
   * The step's name: a DNS-1123 label, unique in the batch. The step's container is named
   * `s<NN>-<name>`, where NN is its position in the run order (`kubectl logs <pod> -c s03-load`).
   */
  readonly name: string;
  /**
   * The command and its arguments, exactly as the process receives them (no shell unless you
   * name one: `['sh', '-c', './extract.sh']`). `$(` is escaped so Kubernetes does not expand it.
   */
  readonly command: string[];
  /**
   * The step's image.
   *
   * @default - the batch's `image`
   */
  readonly image?: string;
  /**
   * Steps that must finish before this one. The run order is a topological order of these
   * dependencies that keeps declaration order wherever it can.
   *
   * @default - no dependencies: the step runs in declaration order
   */
  readonly dependsOn?: string[];
  /**
   * How long the step may run. The wrapper then sends SIGTERM to the step's processes, SIGKILL
   * after `killGracePeriod`, and records the step as timed out (exit code 124).
   *
   * @default - the batch's `defaultStepTimeout`
   */
  readonly timeout?: Duration;
  /**
   * Record a failure (or timeout) of this step in the summary and go on with the next step
   * instead of failing the Job. The steps that depend on it (`dependsOn`, transitively) are then
   * skipped and reported as skipped; the others run.
   *
   * @default false
   */
  readonly continueOnError?: boolean;
  /**
   * How many more times the wrapper runs the step, in the same container, after a failure or a
   * timeout. The timeout applies to each attempt; each attempt is logged.
   *
   * @default - the batch's `defaultStepRetries`
   */
  readonly retries?: number;
  /**
   * Wait before the first retry; it doubles for each further retry, up to the batch's `maxRetryBackoff`.
   *
   * @default - the batch's `defaultStepRetryBackoff`
   */
  readonly retryBackoff?: Duration;
  /**
   * Environment variables of this step only. Names must not repeat a `config` key or a secret
   * variable; names libpq, the kubelet or the shell read (`PG*`, `KUBERNETES_*`, service-link
   * shapes, `PATH`, `HOME`, `HOSTNAME`...) need `allowReservedEnv`.
   *
   * @default - none
   */
  readonly env?: { [name: string]: string };
  /**
   * Environment variables of this step read from Secrets with `secretKeyRef`.
   *
   * @default - none
   */
  readonly secretEnv?: { [name: string]: SecretKeyReference };
  /**
   * CPU, memory and ephemeral-storage requests and limits of this step. Each of cpu, memory and
   * ephemeralStorage given here replaces the batch's `stepResources` for it; a missing request or
   * limit inside it is taken from `stepResources`.
   *
   * @default - the batch's `stepResources`
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * The step's working directory.
   *
   * @default - the image's working directory
   */
  readonly workingDir?: string;
  /**
   * Run the command directly, without the generated `sh` wrapper: for images without a shell.
   * Such a step has no per-step timeout (only the Job's deadline), no retries, no continue-on-error,
   * no result record (the summary lists it as `ok-raw`) and, in resume mode, runs again in every
   * new pod. Nothing can keep it from running, so a failure of a main step before it stops the pod
   * at once: the finally steps and the summary do not run then, and a failing raw step stops it too.
   *
   * @default false
   */
  readonly raw?: boolean;
}

/** Properties of a SerialBatchJob. */
export interface SerialBatchJobProps extends PodOptions {
  /** The image every step runs, unless a step names its own. Pinned: a tag other than `latest`, or a digest. */
  readonly image: string;
  /**
   * The steps. More can be added with `addStep()`; at least one is required at synth.
   *
   * @default - none
   */
  readonly steps?: SerialBatchStep[];
  /**
   * Finally steps: they run after every main step, whatever happened to them (success, a failed
   * step, a step timeout), for cleanup such as dropping staging tables or releasing a lock. They
   * run in declaration order (or `dependsOn` order among themselves; they may depend only on each
   * other). A finally step that fails is reported and fails the Job, without hiding the failure of
   * a main step. More can be added with `addFinallyStep()`.
   *
   * @default - none
   */
  readonly finallySteps?: SerialBatchStep[];
  /**
   * Name of the Job (or CronJob when `schedule` is set): at most 63 characters for a Job, 52 for a
   * CronJob. Other objects are named after it (`<name>-config`, `<name>-scripts`, ...).
   *
   * @default - the construct id in kebab case (`NightlyLoad` becomes `nightly-load`)
   */
  readonly name?: string;
  /**
   * The database the steps work on: every step gets libpq's `PGHOST`, `PGPORT`, `PGDATABASE`,
   * `PGUSER`, `PGPASSWORD` (from the user's Secret, never a value) and `PGSSLMODE` (with TLS, the CA
   * as a file and `PGSSLROOTCERT` naming it), so `psql` connects with no option. The batch pod's
   * NetworkPolicy lets it reach the database's pods on their port, and the database's lets it in.
   *
   * @default - no database variables
   */
  readonly database?: PostgresConnection;
  /**
   * More databases, keyed by the prefix of their variables (`ARCHIVE_` gives `ARCHIVE_PGHOST`,
   * `ARCHIVE_PGUSER`...; libpq reads only the unprefixed ones, so pass these to it as a connection
   * string), each wired like `database`.
   *
   * @default - no other databases
   */
  readonly databases?: { [envPrefix: string]: PostgresConnection };
  /**
   * Configuration for every step: one ConfigMap that each step reads with `envFrom`. Keys must be
   * environment variable names; keys that would overlay variables libpq, the kubelet or the shell
   * read are rejected unless listed in `allowReservedEnv`; values never look like secrets.
   *
   * @default - no ConfigMap
   */
  readonly config?: { [key: string]: string };
  /**
   * Environment variables of every step read from Secrets with `secretKeyRef`.
   *
   * @default - none
   */
  readonly secretEnv?: { [name: string]: SecretKeyReference };
  /**
   * Reserved names (`PGOPTIONS`, `HOME`...) that `config`, `env` or `secretEnv` may set on purpose.
   * A database's variables come from `database` and need no allowance.
   *
   * @default - none
   */
  readonly allowReservedEnv?: string[];
  /**
   * Run the batch on a schedule: a CronJob instead of a Job.
   *
   * @default - a Job that runs once
   */
  readonly schedule?: Cron;
  /**
   * Time zone of the schedule (IANA name, e.g. `Europe/Paris`).
   *
   * @default - the kube-controller-manager's time zone (usually UTC)
   */
  readonly timeZone?: string;
  /**
   * What the CronJob does when a run is still going at the next schedule.
   *
   * @default kplus.ConcurrencyPolicy.FORBID
   */
  readonly concurrencyPolicy?: kplus.ConcurrencyPolicy;
  /**
   * How late a scheduled run may start (after a controller outage, for example) before it is
   * skipped. At least 10 seconds: the CronJob controller checks every 10 seconds.
   *
   * @default Duration.minutes(10)
   */
  readonly startingDeadline?: Duration;
  /**
   * Finished successful Jobs (and their pods and logs) the CronJob keeps.
   *
   * @default 3
   */
  readonly successfulJobsRetained?: number;
  /**
   * Failed Jobs (and their pods and logs) the CronJob keeps.
   *
   * @default 3
   */
  readonly failedJobsRetained?: number;
  /**
   * Create the CronJob suspended: no run starts until it is resumed.
   *
   * @default false
   */
  readonly suspend?: boolean;
  /**
   * What happens when a step fails.
   *
   * @default BatchRetry.failFast()
   */
  readonly retry?: BatchRetry;
  /**
   * How long a finished Job (with its pod and logs) stays before it is deleted. A scheduled batch
   * keeps `successfulJobsRetained`/`failedJobsRetained` Jobs instead and sets no TTL unless this is
   * given (then its Jobs carry the TTL too, with a kube-linter ignore annotation saying why).
   *
   * @default - Duration.days(1) for a Job; none for a CronJob's Jobs
   */
  readonly ttlAfterFinished?: Duration;
  /**
   * Deadline of the whole Job, pending time included: the Job fails with `DeadlineExceeded` when it is reached.
   *
   * @default - the worst case: for each step, (timeout + kill grace + 1 minute) per attempt plus the
   * backoffs between attempts; plus 5 minutes; times the pods the Job may start (`retry`)
   */
  readonly activeDeadline?: Duration;
  /**
   * Timeout of the steps that set none.
   *
   * @default Duration.hours(1)
   */
  readonly defaultStepTimeout?: Duration;
  /**
   * Retries of the steps that set none (see `SerialBatchStep.retries`).
   *
   * @default 0
   */
  readonly defaultStepRetries?: number;
  /**
   * Backoff before the first retry of the steps that set none; it doubles for each further retry.
   *
   * @default Duration.seconds(10)
   */
  readonly defaultStepRetryBackoff?: Duration;
  /**
   * The longest wait between two attempts of a step, however often the backoff doubled.
   *
   * @default Duration.minutes(5)
   */
  readonly maxRetryBackoff?: Duration;
  /**
   * Time between the SIGTERM the wrapper sends to a timed-out or stopped step and the SIGKILL.
   *
   * @default Duration.seconds(10)
   */
  readonly killGracePeriod?: Duration;
  /**
   * Time the kubelet gives a step between SIGTERM and SIGKILL when the pod is stopped (deletion,
   * deadline, eviction). At least `killGracePeriod` plus 5 seconds, so the wrapper can record the result.
   *
   * @default Duration.seconds(30)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Requests and limits of every step. The pod reserves the largest step's request, not the sum,
   * because steps run one at a time.
   *
   * @default - cpu 250m request / 1 limit, memory 256Mi / 512Mi, ephemeral-storage 128Mi / 1Gi
   */
  readonly stepResources?: kplus.ContainerResources;
  /**
   * Requests and limits of the final summary container.
   *
   * @default - cpu 10m / 100m, memory 16Mi / 32Mi, ephemeral-storage 8Mi / 16Mi
   */
  readonly summaryResources?: kplus.ContainerResources;
  /**
   * Image of the summary container; it needs `/bin/sh`.
   *
   * @default - the batch's `image`
   */
  readonly summaryImage?: string;
  /**
   * Size limit of the shared workspace (an emptyDir, mounted at `/workspace` in every step). In
   * resume mode the workspace is on the claim instead.
   *
   * @default Size.gibibytes(1)
   */
  readonly workspaceSizeLimit?: Size;
  /**
   * Size limit of the writable `/tmp` of each step (the root filesystem is read-only).
   *
   * @default Size.mebibytes(256)
   */
  readonly tmpSizeLimit?: Size;
  /**
   * UID every container runs as.
   *
   * @default 10001
   */
  readonly runAsUser?: number;
  /**
   * GID every container runs as (and owner group of the volumes).
   *
   * @default 10001
   */
  readonly runAsGroup?: number;
  /**
   * Pull policy of every container.
   *
   * @default - `Always` for tagged images, `IfNotPresent` when every image is pinned by digest
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * Service account of the pod.
   *
   * @default - the namespace's default service account, without a mounted token
   */
  readonly serviceAccount?: kplus.IServiceAccount;
  /**
   * Mount the service account token (only when steps call the Kubernetes API).
   *
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /**
   * Create a NetworkPolicy for the batch pod: no ingress, DNS egress and the `egress` rules.
   *
   * @default true
   */
  readonly networkPolicy?: boolean;
  /**
   * Destinations the steps may reach besides DNS and the databases, e.g. an export target:
   * `{ peer: kplus.NetworkPolicyIpBlock.ipv4(this, 'Sftp', '192.0.2.10/32'), ports: [kplus.NetworkPolicyPort.tcp(22)] }`.
   *
   * @default - with `database` or `databases`: only DNS and the databases; without: every destination
   * (the NetworkPolicy then only blocks ingress)
   */
  readonly egress?: kplus.NetworkPolicyRule[];
  /**
   * `app.kubernetes.io/part-of` label of every object.
   *
   * @default - none
   */
  readonly partOf?: string;
}
