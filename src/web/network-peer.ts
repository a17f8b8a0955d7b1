import { isIP } from 'net';
import { isDnsLabel, isLabelKey, isLabelValue } from '../common/names';
import type { WebAppWithIngress } from './web-app-with-ingress';

/** `kubernetes.io/metadata.name`: the label the API server puts on every Namespace with its name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

type Labels = Record<string, string>;

/**
 * The other end of a NetworkPolicy rule of a `WebAppWithIngress`: pods, a namespace, an IP block
 * or another web app.
 */
export class WebAppNetworkPeer {
  /**
   * The pods of another web app (its canary too), in its namespace.
   */
  public static webApp(app: WebAppWithIngress): WebAppNetworkPeer {
    return new WebAppNetworkPeer('webApp', { app });
  }

  /**
   * Pods with these labels.
   *
   * @param labels labels the pods carry, e.g. `{ 'app.kubernetes.io/name': 'redis' }`
   * @param podNamespace namespace of the pods; default: the namespace of the policy
   */
  public static pods(labels: { [key: string]: string }, podNamespace?: string): WebAppNetworkPeer {
    return new WebAppNetworkPeer('pods', { labels: { ...labels }, namespace: podNamespace });
  }

  /** Every pod of a namespace, e.g. `WebAppNetworkPeer.allPodsIn('monitoring')`. */
  public static allPodsIn(namespaceName: string): WebAppNetworkPeer {
    return new WebAppNetworkPeer('namespace', { namespace: namespaceName });
  }

  /**
   * An IP range outside the cluster, e.g. a managed database.
   *
   * @param cidr IPv4 or IPv6 CIDR, e.g. `10.20.0.0/16`
   * @param excluded ranges inside `cidr` to leave out (`except`)
   */
  public static ipBlock(cidr: string, excluded?: string[]): WebAppNetworkPeer {
    return new WebAppNetworkPeer('ipBlock', { cidr, except: excluded ? [...excluded] : undefined });
  }

  private constructor(
    private readonly kind: 'webApp' | 'pods' | 'namespace' | 'ipBlock',
    private readonly data: {
      readonly app?: WebAppWithIngress;
      readonly labels?: Labels;
      readonly namespace?: string;
      readonly cidr?: string;
      readonly except?: string[];
    },
  ) {}

  /**
   * @internal Problems with the peer's arguments, as `[subprop, rule, value]`.
   */
  public _problems(): Array<[string, string, unknown]> {
    const out: Array<[string, string, unknown]> = [];
    const { labels, namespace, cidr, except } = this.data;
    if (this.kind === 'pods') {
      const entries = labels && typeof labels === 'object' ? Object.entries(labels) : [];
      if (entries.length === 0) {
        out.push(['labels', 'a non-empty map of labels (an empty selector would match every pod)', labels]);
      }
      for (const [k, v] of entries) {
        if (!isLabelKey(k) || !isLabelValue(v)) {
          out.push([`labels[${JSON.stringify(k)}]`, 'a valid label key and value', v]);
        }
      }
    }
    if ((this.kind === 'pods' && namespace !== undefined) || this.kind === 'namespace') {
      if (!isDnsLabel(namespace as string)) {
        out.push(['namespace', 'a namespace name (DNS-1123 label)', namespace]);
      }
    }
    if (this.kind === 'ipBlock') {
      if (!isCidr(cidr)) {
        out.push(['cidr', 'an IPv4 or IPv6 CIDR such as 10.0.0.0/8', cidr]);
      }
      (except ?? []).forEach((e, i) => {
        if (!isCidr(e)) {
          out.push([`except[${i}]`, 'an IPv4 or IPv6 CIDR such as 10.0.0.0/8', e]);
        }
      });
    }
    return out;
  }

  /**
   * @internal The NetworkPolicyPeer JSON for a policy in `policyNamespace`, and the ports to use
   * when a rule gives none (a web app's container port).
   */
  public _render(policyNamespace: string | undefined): { peer: Record<string, unknown>; defaultPorts?: number[] } {
    switch (this.kind) {
      case 'webApp': {
        const app = this.data.app!;
        const selector = app._peerPodSelector();
        return {
          peer: { ...namespaceSelectorFor(app._namespace, policyNamespace), podSelector: selector },
          defaultPorts: [app.port],
        };
      }
      case 'pods':
        return {
          peer: { ...namespaceSelectorFor(this.data.namespace, policyNamespace), podSelector: { matchLabels: { ...this.data.labels } } },
        };
      case 'namespace':
        return { peer: { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: this.data.namespace } } } };
      case 'ipBlock':
        return { peer: { ipBlock: { cidr: this.data.cidr, ...(this.data.except?.length ? { except: this.data.except } : {}) } } };
    }
  }
}

/**
 * A namespaceSelector when the peer lives in another namespace than the policy. An unset namespace
 * means "wherever the manifest is applied", the same place as the policy.
 */
function namespaceSelectorFor(peerNamespace: string | undefined, policyNamespace: string | undefined): Record<string, unknown> {
  if (peerNamespace === undefined || peerNamespace === policyNamespace) {
    return {};
  }
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peerNamespace } } };
}

function isCidr(value: unknown): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(value);
  if (!m) {
    return false;
  }
  const family = isIP(m[1]);
  const bits = Number(m[2]);
  return (family === 4 && bits <= 32) || (family === 6 && bits <= 128);
}
