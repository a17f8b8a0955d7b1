/**
 * The batch pod's NetworkPolicy: no ingress; DNS egress plus the user's rules, or every egress
 * when no rule is given.
 */
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ResolvedBatch } from './resolve-props';
import { LABEL_COMPONENT, LABEL_INSTANCE } from '../common/labels';

export function createBatchNetworkPolicy(scope: Construct, batch: ResolvedBatch, name: string): kplus.NetworkPolicy {
  const selector = kplus.Pods.select(scope, 'Pods', { labels: { [LABEL_INSTANCE]: name, [LABEL_COMPONENT]: 'batch' } });
  const egress = batch.egress;
  const policy = new kplus.NetworkPolicy(scope, 'NetworkPolicy', {
    metadata: { name },
    selector,
    ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    egress: { default: egress === undefined ? kplus.NetworkPolicyTrafficDefault.ALLOW : kplus.NetworkPolicyTrafficDefault.DENY },
  });
  if (egress !== undefined) {
    policy.addEgressRule(kplus.NetworkPolicyIpBlock.anyIpv4(scope, 'AnyIpv4'), [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)]);
    for (const rule of egress) {
      policy.addEgressRule(rule.peer, rule.ports);
    }
  }
  return policy;
}
