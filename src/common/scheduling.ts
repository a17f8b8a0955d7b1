/**
 * Spreading of a workload's pods, the same for every pattern.
 */
import * as kplus from 'cdk8s-plus-27';

/** The scheduling fields of a pod spec that spread its replicas. */
export interface SpreadScheduling {
  readonly affinity: kplus.k8s.Affinity;
  readonly topologySpreadConstraints: kplus.k8s.TopologySpreadConstraint[];
}

/**
 * Spread across zones and hosts without ever blocking scheduling: topology spread constraints
 * (Polaris) plus preferred pod anti-affinity on hosts (what kube-score and kube-linter look for).
 * `matchLabelKeys: [pod-template-hash]` spreads each ReplicaSet revision on its own during
 * rollouts; pass `revisionLabelKeys: []` for workloads without that label (StatefulSets, Jobs).
 */
export function spreadScheduling(selector: Record<string, string>, revisionLabelKeys: string[] = ['pod-template-hash']): SpreadScheduling {
  const labelSelector = { matchLabels: { ...selector } };
  const spread = (topologyKey: string): kplus.k8s.TopologySpreadConstraint => ({
    labelSelector,
    ...(revisionLabelKeys.length > 0 ? { matchLabelKeys: [...revisionLabelKeys] } : {}),
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
  });
  return {
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ podAffinityTerm: { labelSelector, topologyKey: 'kubernetes.io/hostname' }, weight: 100 }],
      },
    },
    topologySpreadConstraints: [spread('topology.kubernetes.io/zone'), spread('kubernetes.io/hostname')],
  };
}
