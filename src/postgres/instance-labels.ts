/** The labels and selectors of an instance's objects. */
import { k8s } from 'cdk8s-plus-27';
import { ResolvedPodOptions } from '../common/resolve-pod-options';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NAME, selectorLabels, standardLabels, versionFromImage } from '../common/labels';
import { APP_NAME, ResolvedPostgres } from './resolve-props';

export { MEMBER_LABEL } from './resolve-props';

/** The components of member pods: fixed primary, fixed replicas, Patroni members. */
export const MEMBER_COMPONENTS = ['primary', 'read', 'member'];

/** Every recommended label of an object of `component`. */
export function labelsFor(r: ResolvedPostgres, component: string): Record<string, string> {
  return standardLabels({ name: APP_NAME, instance: r.name, component, version: versionFromImage(r.image) });
}

/** The stable selector labels of `component`'s pods. */
export function componentSelector(r: ResolvedPostgres, component: string): Record<string, string> {
  return selectorLabels({ name: APP_NAME, instance: r.name, component });
}

/** Pods of the instance whose component is one of `components`. */
export function componentsSelector(r: ResolvedPostgres, components: string[]): k8s.LabelSelector {
  return {
    matchLabels: { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: r.name },
    matchExpressions: [{ key: LABEL_COMPONENT, operator: 'In', values: components }],
  };
}

/** The pod options of pods other than members: everything but the extra volumes. */
export function podOptionsWithoutVolumes(r: ResolvedPostgres): ResolvedPodOptions {
  return { ...r.podOptions, volumes: [], volumeMounts: [] };
}

/** Every member pod, primary or replica, fixed or Patroni. */
export function memberSelector(r: ResolvedPostgres): k8s.LabelSelector {
  return componentsSelector(r, MEMBER_COMPONENTS);
}

/**
 * Annotations of the workloads running as the image's own account: below 10000, which kube-score
 * flags, with the reason.
 */
export function workloadAnnotations(r: ResolvedPostgres): Record<string, string> {
  if (r.uid >= 10000 && r.gid >= 10000) {
    return {};
  }
  return {
    'kube-score/ignore': 'container-security-context-user-group-id',
    'postgresql.cdk8s-patterns.io/uid-reason': `the image's postgres account is uid ${r.uid}/gid ${r.gid}; initdb and postgres refuse a uid without a passwd entry`,
  };
}
