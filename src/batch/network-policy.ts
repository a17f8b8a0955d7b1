/**
 * The batch pod's NetworkPolicy: no ingress; egress to DNS, the databases and the user's rules,
 * or every egress when neither a database nor a rule is given.
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ResolvedBatch } from './resolve-props';
import { LABEL_COMPONENT, LABEL_INSTANCE } from '../common/labels';

export function createBatchNetworkPolicy(scope: Construct, batch: ResolvedBatch): kplus.NetworkPolicy {
  const selector = kplus.Pods.select(scope, 'Pods', { labels: { [LABEL_INSTANCE]: batch.name, [LABEL_COMPONENT]: 'batch' } });
  const restricted = batch.egress !== undefined || batch.databases.length > 0;
  const policy = new kplus.NetworkPolicy(scope, 'NetworkPolicy', {
    metadata: { name: batch.name },
    selector,
    ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    egress: { default: restricted ? kplus.NetworkPolicyTrafficDefault.DENY : kplus.NetworkPolicyTrafficDefault.ALLOW },
  });
  if (!restricted) {
    return policy;
  }
  policy.addEgressRule(kplus.NetworkPolicyIpBlock.anyIpv4(scope, 'AnyIpv4'), [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)]);
  const namespace = Chart.of(scope).namespace;
  const seen = new Set<string>();
  for (const d of batch.databases) {
    const peer = d.connection._egressPeer();
    const crossNamespace = peer.namespace !== undefined && peer.namespace !== namespace;
    const key = JSON.stringify([peer.podLabels, crossNamespace ? peer.namespace : undefined, peer.port]);
    if (seen.has(key)) {
      continue;
    }
    const id = `Database${seen.size}`;
    seen.add(key);
    const pods = kplus.Pods.select(scope, id, {
      labels: peer.podLabels,
      namespaces: crossNamespace ? kplus.Namespaces.select(scope, `${id}Namespace`, { names: [peer.namespace!] }) : undefined,
    });
    policy.addEgressRule(pods, [kplus.NetworkPolicyPort.tcp(peer.port)]);
  }
  for (const rule of batch.egress ?? []) {
    policy.addEgressRule(rule.peer, rule.ports);
  }
  return policy;
}
