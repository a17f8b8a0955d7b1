/**
 * Evaluation of Kubernetes label selectors and NetworkPolicy rules, as the API server and the
 * network plugins read them, so tests can prove which pods a selector or a policy lets through.
 */

export interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: string[] }>;
}

/** Whether `labels` satisfy `selector` (an empty selector matches everything). */
export function matchesSelector(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) {
    return true;
  }
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) {
      return false;
    }
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

/** A pod as a NetworkPolicy sees it. */
export interface PodEndpoint {
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

function peerMatches(peer: any, pod: PodEndpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) {
    return false;
  }
  const nsOk = peer.namespaceSelector
    ? matchesSelector(peer.namespaceSelector, { 'kubernetes.io/metadata.name': pod.namespace })
    : pod.namespace === policyNamespace;
  return nsOk && matchesSelector(peer.podSelector, pod.labels);
}

function portMatches(ports: any[] | undefined, port: number, protocol: string): boolean {
  return (
    ports === undefined || ports.length === 0 || ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port))
  );
}

/**
 * Whether the policies (all of them in the namespaces involved) allow a TCP connection from `from`
 * to `to` on `port`: the source's egress and the destination's ingress must both allow it, each
 * side being unrestricted when no policy selects its pod for that direction.
 */
export function connectionAllowed(policies: readonly any[], from: PodEndpoint, to: PodEndpoint, port: number, protocol: string = 'TCP'): boolean {
  const selecting = (pod: PodEndpoint, type: string) =>
    policies.filter(
      (p) =>
        (p.metadata?.namespace ?? 'default') === pod.namespace &&
        (p.spec.policyTypes ?? ['Ingress']).includes(type) &&
        matchesSelector(p.spec.podSelector, pod.labels),
    );
  const egress = selecting(from, 'Egress');
  const egressOk =
    egress.length === 0 ||
    egress.some((p) =>
      (p.spec.egress ?? []).some(
        (r: any) => (r.to === undefined || r.to.some((peer: any) => peerMatches(peer, to, from.namespace))) && portMatches(r.ports, port, protocol),
      ),
    );
  const ingress = selecting(to, 'Ingress');
  const ingressOk =
    ingress.length === 0 ||
    ingress.some((p) =>
      (p.spec.ingress ?? []).some(
        (r: any) =>
          (r.from === undefined || r.from.some((peer: any) => peerMatches(peer, from, to.namespace))) && portMatches(r.ports, port, protocol),
      ),
    );
  return egressOk && ingressOk;
}
