import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/** kube-score's per-object opt-out: a comma-separated list of check ids. */
export const KUBE_SCORE_IGNORE = 'kube-score/ignore';
/** kube-linter's per-object opt-out prefix: `ignore-check.kube-linter.io/<check>: "<reason>"`. */
export const KUBE_LINTER_IGNORE_PREFIX = 'ignore-check.kube-linter.io';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/**
 * Adds check ids to an object's `kube-score/ignore` annotation, keeping the ones already there,
 * so several reasons for deviating from kube-score never overwrite each other.
 */
export function addKubeScoreIgnore(obj: ApiObject, ...checks: string[]): void {
  const current: string | undefined = obj.metadata.toJson().annotations?.[KUBE_SCORE_IGNORE];
  const ids = new Set((current ?? '').split(',').filter((c) => c.length > 0));
  for (const check of checks) {
    ids.add(check);
  }
  obj.metadata.addAnnotation(KUBE_SCORE_IGNORE, [...ids].join(','));
}

/** Tells kube-linter why an object deviates from one of its checks. */
export function addKubeLinterIgnore(obj: ApiObject, check: string, reason: string): void {
  obj.metadata.addAnnotation(`${KUBE_LINTER_IGNORE_PREFIX}/${check}`, reason);
}

/** The workload ApiObjects (Deployments, StatefulSets, Jobs, CronJobs, ...) below `scope`. */
export function workloadsBelow(scope: IConstruct): ApiObject[] {
  return scope.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && WORKLOAD_KINDS.has(c.kind));
}
