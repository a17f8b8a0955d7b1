/**
 * The NetworkPolicies: the members (PostgreSQL from the instance's own pods and its clients,
 * metrics from anywhere, Patroni between members), the pooler, and the Jobs. Ingress rules stay
 * open to `db.connection()._allowFrom()` until synthesis.
 */
import { k8s } from 'cdk8s-plus-27';
import { componentSelector, componentsSelector, MEMBER_COMPONENTS, memberSelector } from './instance-labels';
import { METRICS_PORT, PATRONI_PORT, PG_PORT, POOLER_METRICS_PORT, POOLER_PORT, ResolvedPostgres } from './resolve-props';

/** One NetworkPolicy: its construct id, name, component and spec. */
export interface PolicyPlan {
  readonly id: string;
  readonly name: string;
  readonly component: string;
  readonly spec: k8s.NetworkPolicySpec;
}

/** The plans, and the ingress rule lists of the members' and the pooler's policies (filled later too). */
export interface PolicyPlans {
  readonly policies: PolicyPlan[];
  readonly memberIngress: k8s.NetworkPolicyIngressRule[];
  readonly poolerIngress?: k8s.NetworkPolicyIngressRule[];
}

/** TCP on `port`. */
export function tcp(port: number): k8s.NetworkPolicyPort {
  return { protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) };
}

const DNS: k8s.NetworkPolicyEgressRule = { ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, tcp(53)] };
/** The Kubernetes API (Patroni's store, `kubectl exec` of the backup Job) and HTTPS. */
const KUBERNETES_API: k8s.NetworkPolicyEgressRule = { ports: [tcp(443), tcp(6443)] };

/**
 * A policy isolating both directions. An empty `ingress` (no ingress at all) is left out: the API
 * server drops the empty list, so every `kubectl apply` would report the policy `configured`.
 * Rules added later by `connection()._allowFrom()` go to the member and pooler lists, never empty.
 */
function isolating(
  podSelector: k8s.LabelSelector,
  ingress: k8s.NetworkPolicyIngressRule[],
  egress: k8s.NetworkPolicyEgressRule[],
): k8s.NetworkPolicySpec {
  return { podSelector, policyTypes: ['Ingress', 'Egress'], ...(ingress.length > 0 ? { ingress } : {}), egress };
}

/** Every NetworkPolicy of the instance. */
export function networkPolicies(r: ResolvedPostgres): PolicyPlans {
  const sameInstance = (components: string[]): k8s.NetworkPolicyPeer => ({ podSelector: componentsSelector(r, components) });
  const clients: k8s.NetworkPolicyPeer[] = [{ podSelector: { matchLabels: { [r.clientLabelKey]: 'true' } } }];
  for (const ns of r.clientNamespaces) {
    clients.push({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
      podSelector: { matchLabels: { [r.clientLabelKey]: 'true' } },
    });
  }
  const memberIngress: k8s.NetworkPolicyIngressRule[] = [
    { from: [sameInstance([...MEMBER_COMPONENTS, 'pooler', 'users', 'backup']), ...clients], ports: [tcp(PG_PORT)] },
  ];
  if (r.metrics) {
    memberIngress.push({ from: [{ namespaceSelector: {} }], ports: [tcp(METRICS_PORT)] });
  }
  if (r.ha) {
    memberIngress.push({ from: [sameInstance(['member'])], ports: [tcp(PATRONI_PORT)] });
  }
  const toMembers: k8s.NetworkPolicyEgressRule = { to: [sameInstance(MEMBER_COMPONENTS)], ports: [tcp(PG_PORT)] };
  const memberEgress: k8s.NetworkPolicyEgressRule[] = [DNS, toMembers];
  if (r.cloneFrom) {
    memberEgress.push({ ports: [tcp(r.cloneFrom.port)] });
  }
  // S3 endpoints (own repository and restore source) on their own ports, 443 unless the endpoint names one
  const s3Ports = new Set<number>();
  for (const repo of [r.backup?.own, r.backup?.restoreSource]) {
    const port = repo?.repository._egressPort();
    if (port !== undefined) {
      s3Ports.add(port);
    }
  }
  if (s3Ports.size > 0) {
    memberEgress.push({ ports: [...s3Ports].sort((a, b) => a - b).map(tcp) });
  }
  if (r.ha) {
    memberEgress.push({ to: [sameInstance(['member'])], ports: [tcp(PATRONI_PORT)] }, KUBERNETES_API);
  }
  const policies: PolicyPlan[] = [
    { id: 'NetworkPolicy', name: r.name, component: 'member', spec: isolating(memberSelector(r), memberIngress, memberEgress) },
  ];
  let poolerIngress: k8s.NetworkPolicyIngressRule[] | undefined;
  if (r.pooler) {
    poolerIngress = [{ from: clients, ports: [tcp(POOLER_PORT)] }];
    if (r.metrics?.poolerImage) {
      poolerIngress.push({ from: [{ namespaceSelector: {} }], ports: [tcp(POOLER_METRICS_PORT)] });
    }
    policies.push({
      id: 'PoolerNetworkPolicy',
      name: `${r.name}-pooler`,
      component: 'pooler',
      spec: isolating({ matchLabels: componentSelector(r, 'pooler') }, poolerIngress, [DNS, toMembers]),
    });
  }
  const jobEgress = [DNS, toMembers, ...(r.backup ? [KUBERNETES_API] : [])];
  policies.push({
    id: 'JobsNetworkPolicy',
    name: `${r.name}-jobs`,
    component: 'users',
    spec: isolating(componentsSelector(r, ['users', 'backup']), [], jobEgress),
  });
  return { policies, memberIngress, poolerIngress };
}
