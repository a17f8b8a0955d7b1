/**
 * The Job spec of the batch, and the CronJob spec around it for a scheduled batch. Pure functions
 * of the resolved batch, the planned steps and the pod spec.
 */
import * as kplus from 'cdk8s-plus-27';
import { PlannedStep, ResolvedBatch, ResolvedStep } from './resolve-props';

/**
 * The Job's deadline: the one given, or the worst case. For each step, every attempt running to
 * its timeout plus the kill grace and a minute to start, and the backoffs between attempts; plus
 * 5 minutes for the pod; times the pods the Job may start.
 */
export function activeDeadlineSeconds(batch: ResolvedBatch, steps: readonly ResolvedStep[]): number {
  if (batch.activeDeadlineSeconds !== undefined) {
    return batch.activeDeadlineSeconds;
  }
  const perPod = steps.reduce((sum, step) => sum + worstCaseSeconds(batch, step), 0) + 300;
  return perPod * (batch.retry.retries + 1);
}

function worstCaseSeconds(batch: ResolvedBatch, step: ResolvedStep): number {
  let backoffs = 0;
  for (let retry = 0; retry < step.retries; retry++) {
    backoffs += Math.min(step.retryBackoffSeconds * 2 ** retry, batch.maxRetryBackoffSeconds);
  }
  return (step.timeoutSeconds + batch.killGraceSeconds + 60) * (step.retries + 1) + backoffs;
}

/** The Job spec: backoff, deadline, TTL and, with `restartPolicy: Never`, the disruption rule. */
export function buildJobSpec(batch: ResolvedBatch, steps: readonly PlannedStep[], template: kplus.k8s.PodTemplateSpec): kplus.k8s.JobSpec {
  return {
    backoffLimit: batch.retry.retries,
    activeDeadlineSeconds: activeDeadlineSeconds(
      batch,
      steps.map((p) => p.step),
    ),
    ttlSecondsAfterFinished: batch.ttlSecondsAfterFinished,
    // evictions, preemption and node drains (DisruptionTarget) do not use up the retries
    podFailurePolicy:
      batch.restartPolicy === 'Never'
        ? { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] }
        : undefined,
    template,
  };
}

/** The CronJob spec of a scheduled batch. */
export function buildCronJobSpec(batch: ResolvedBatch, labels: { [key: string]: string }, jobSpec: kplus.k8s.JobSpec): kplus.k8s.CronJobSpec {
  const s = batch.schedule!;
  return {
    schedule: s.expression,
    timeZone: s.timeZone,
    concurrencyPolicy: s.concurrencyPolicy,
    startingDeadlineSeconds: s.startingDeadlineSeconds,
    successfulJobsHistoryLimit: s.successfulJobsHistoryLimit,
    failedJobsHistoryLimit: s.failedJobsHistoryLimit,
    suspend: s.suspend,
    jobTemplate: { metadata: { labels }, spec: jobSpec },
  };
}
