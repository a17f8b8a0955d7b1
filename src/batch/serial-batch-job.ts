import { ApiObject, Chart, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { STEP_SH, SUMMARY_SH } from './scripts/assets.generated';
import { BatchRetry } from './batch-retry';
import { buildCronJobSpec, buildJobSpec } from './job-spec';
import { createBatchNetworkPolicy } from './network-policy';
import { buildPodTemplate } from './pod-spec';
import { checkStepSet, planSteps, PlannedStep, pullPolicyOf, resolveBatchProps, ResolvedBatch, ResolvedStep, resolveStep } from './resolve-props';
import { renderRunPlan } from './run-plan';
import { SerialBatchJobProps, SerialBatchStep } from './serial-batch-job-props';
import { labelAll, selectorLabels, standardLabels, versionFromImage } from '../common/labels';
import { addKubeLinterIgnore, addKubeScoreIgnore } from '../common/linter-annotations';
import { ensureUniqueObjectNames } from '../common/unique-names';

/**
 * A batch of steps that run strictly one after another in one Job pod (or one pod per scheduled
 * run of a CronJob).
 *
 * Each step is an init container: the kubelet runs them in order, and the pod reserves the largest
 * step's request rather than the sum; `kubectl get pods` shows the progress as `Init:N/M`. A
 * generated POSIX `sh` wrapper gives each step a timeout per attempt and retries with a doubling
 * backoff, forwards SIGTERM to it, records its outcome in the shared workspace and writes a one-line
 * termination message. After a failed step the main steps after it record themselves as not run,
 * the `finally` steps run, and the final `summary` container prints a table of every step and
 * fails the pod, its termination message naming the first failed step.
 *
 * ```ts
 * const nightly = new SerialBatchJob(chart, 'nightly', {
 *   image: 'ghcr.io/acme/batch:2.3.0',
 *   steps: [
 *     { name: 'extract', command: ['sh', '-c', './extract.sh'] },
 *     { name: 'load', command: ['psql', '-f', 'load.sql'], timeout: Duration.minutes(30) },
 *   ],
 *   finallySteps: [{ name: 'unlock', command: ['psql', '-c', 'SELECT pg_advisory_unlock_all()'] }],
 *   config: { CFG_REGION: 'eu' },
 *   schedule: Cron.daily(),
 * });
 * nightly.addStep({ name: 'vacuum', command: ['psql', '-c', 'VACUUM ANALYZE'], dependsOn: ['load'] });
 * ```
 */
export class SerialBatchJob extends Construct {
  /** The Job, or the CronJob when a schedule is set. */
  public readonly workload: ApiObject;
  /** Whether the workload is a CronJob. */
  public readonly scheduled: boolean;
  /** Name of the Job or CronJob. */
  public readonly name: string;
  /** The ConfigMap every step reads with `envFrom` (only when `config` is given). */
  public readonly configMap?: kplus.ConfigMap;
  /** The ConfigMap holding the step wrapper, the summary script and the run plan. */
  public readonly scriptsConfigMap: kplus.ConfigMap;
  /** The claim holding the workspace and done-markers (resume mode only). */
  public readonly workspaceClaim?: kplus.IPersistentVolumeClaim;
  /** The NetworkPolicy of the batch pod (unless `networkPolicy` is false). */
  public readonly networkPolicy?: kplus.NetworkPolicy;
  /** The retry behaviour. */
  public readonly retry: BatchRetry;

  private readonly batch: ResolvedBatch;
  private readonly steps: ResolvedStep[] = [];

  public constructor(scope: Construct, id: string, props: SerialBatchJobProps) {
    super(scope, id);
    ensureUniqueObjectNames(this);
    const batch = resolveBatchProps(this, id, props);
    this.batch = batch;
    this.scheduled = batch.schedule !== undefined;
    this.retry = batch.retry;

    this.workload = new ApiObject(this, 'Resource', {
      apiVersion: 'batch/v1',
      kind: this.scheduled ? 'CronJob' : 'Job',
      metadata: { name: batch.name },
      spec: Lazy.any({ produce: () => this.renderSpec() }),
    });
    this.name = this.workload.name;
    if (this.scheduled && batch.ttlSecondsAfterFinished !== undefined) {
      this.workload.metadata.addAnnotation(
        'ignore-check.kube-linter.io/job-ttl-seconds-after-finished',
        'ttlAfterFinished is set on purpose: finished Jobs of this CronJob are deleted after it, even within the history limits',
      );
    }

    if (batch.config !== undefined) {
      this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${this.name}-config` }, data: { ...batch.config } });
    }
    this.scriptsConfigMap = new kplus.ConfigMap(this, 'Scripts', { metadata: { name: `${this.name}-scripts` } });
    this.scriptsConfigMap.addData('step.sh', STEP_SH);
    this.scriptsConfigMap.addData('summary.sh', SUMMARY_SH);
    // the run plan is known only once every step is added: resolved at synth like the Job spec
    this.scriptsConfigMap.addData('plan', Lazy.any({ produce: () => renderRunPlan(this.plan()) }) as unknown as string);
    this.notePullPolicy(batch.summaryImage);

    if (batch.claim !== undefined) {
      this.workspaceClaim =
        batch.claim.given ??
        new kplus.PersistentVolumeClaim(this, 'Workspace', {
          metadata: { name: `${this.name}-workspace` },
          accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
          storage: batch.claim.storage,
          storageClassName: batch.claim.storageClassName,
          volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
        });
    }

    if (batch.runAsUser < 10000 || batch.runAsGroup < 10000) {
      // asked for explicitly: kube-score wants ids above 10000, away from host accounts
      addKubeScoreIgnore(this.workload, 'container-security-context-user-group-id');
    }
    if (batch.networkPolicy) {
      this.networkPolicy = createBatchNetworkPolicy(this, batch);
    } else {
      // asked for explicitly: the pod's traffic is governed by policies outside this construct
      addKubeScoreIgnore(this.workload, 'pod-networkpolicy');
    }
    if (batch.serviceAccount !== undefined) {
      addKubeLinterIgnore(
        this.workload,
        'non-existent-service-account',
        `the ServiceAccount ${batch.serviceAccount.name} is managed outside this construct`,
      );
    }

    // the databases' NetworkPolicies let the batch pods in
    for (const d of batch.databases) {
      d.connection._allowFrom(selectorLabels(this.identity()), Chart.of(this).namespace);
    }

    for (const step of props.steps ?? []) {
      this.addStep(step);
    }
    for (const step of props.finallySteps ?? []) {
      this.addFinallyStep(step);
    }
    this.node.addValidation({ validate: () => checkStepSet(this, this.batch, this.steps) });

    labelAll(this, this.identity());
  }

  /**
   * Adds a step. It runs after the steps declared before it, unless its `dependsOn` (or another
   * step's) lets the order differ. Problems with the step itself are reported at once; unknown
   * dependencies and cycles at synth, when every step is known.
   */
  public addStep(step: SerialBatchStep): void {
    this.add(step, false);
  }

  /**
   * Adds a finally step: it runs after every main step whatever happened to them, after the
   * finally steps added before it unless `dependsOn` lets the order differ.
   */
  public addFinallyStep(step: SerialBatchStep): void {
    this.add(step, true);
  }

  private add(step: SerialBatchStep, isFinally: boolean): void {
    const resolved = resolveStep(this, this.batch, step, this.steps, isFinally);
    this.steps.push(resolved);
    this.notePullPolicy(resolved.image);
  }

  /** The step names in run order. Throws when the dependencies have unknown names or a cycle. */
  public runOrder(): string[] {
    return this.plan().map((p) => p.step.name);
  }

  /** The container name of a step: `s<NN>-<name>`, NN being its position in the run order. */
  public containerNameOf(stepName: string): string {
    const planned = this.plan().find((p) => p.step.name === stepName);
    if (planned === undefined) {
      throw new Error(`[${this.node.path}] stepName must be the name of a step, got ${JSON.stringify(stepName)}`);
    }
    return planned.containerName;
  }

  private plan(): PlannedStep[] {
    return planSteps(this, this.steps, this.batch.restartPolicy === 'OnFailure');
  }

  private renderSpec(): unknown {
    const steps = this.plan();
    const labels = standardLabels(this.identity());
    const template = buildPodTemplate(
      this.batch,
      steps,
      { scriptsConfigMap: this.scriptsConfigMap.name, configMap: this.configMap?.name, workspaceClaim: this.workspaceClaim?.name },
      labels,
    );
    const jobSpec = buildJobSpec(this.batch, steps, template);
    return this.scheduled ? kplus.k8s.toJson_CronJobSpec(buildCronJobSpec(this.batch, labels, jobSpec)) : kplus.k8s.toJson_JobSpec(jobSpec);
  }

  private identity() {
    return {
      name: 'serial-batch-job',
      instance: this.name,
      component: 'batch',
      partOf: this.batch.partOf,
      version: versionFromImage(this.batch.image),
    };
  }

  /** kube-score wants `imagePullPolicy: Always`; a digest-pinned image needs no re-pull, so say why it is skipped. */
  private notePullPolicy(image: string): void {
    if (pullPolicyOf(this.batch, image) !== 'Always') {
      addKubeScoreIgnore(this.workload, 'container-image-pull-policy');
    }
  }
}
