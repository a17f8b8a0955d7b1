/**
 * The Gateway API objects of a web app, as pure functions of the resolved props: the HTTPRoute
 * that attaches the app to an existing Gateway and the optional ReferenceGrant for the TLS Secret.
 */
import {
  HttpRouteSpec,
  HttpRouteSpecRules,
  HttpRouteSpecRulesBackendRefs,
  HttpRouteSpecRulesMatches,
  HttpRouteSpecRulesMatchesHeadersType,
  HttpRouteSpecRulesMatchesPathType,
} from '../imports/gateway-httproutes-gateway.networking.k8s.io';
import { ReferenceGrantV1Beta1Spec } from '../imports/gateway-referencegrants-gateway.networking.k8s.io';
import type { ResolvedWebApp } from './resolve-props';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** The value of the canary header that sends a request to the canary when no `headerValue` is given (as ingress-nginx's `always`). */
export const CANARY_HEADER_DEFAULT_VALUE = 'always';

/** The value of the canary header that keeps a request away from the canary when no `headerValue` is given (as ingress-nginx's `never`). */
export const CANARY_HEADER_NEVER_VALUE = 'never';

/** The Service names the route sends traffic to. */
export interface RouteBackends {
  readonly main: string;
  readonly canary?: string;
}

/**
 * The HTTPRoute's spec: the app's hosts, and one rule matching every path prefix.
 *
 * With a canary, the rule splits the traffic by `canary.weight` between the two Services
 * (`backendRefs` weights: 100 - weight and weight); with `canary.header`, a first rule matches
 * the same paths plus the header and sends those requests to the canary alone (a rule with more
 * header matches takes precedence over one with fewer, so the header wins over the weight, as it
 * does with ingress-nginx). Without `headerValue`, the header's `always` picks the canary and,
 * when a weight splits the rest, its `never` the main track, as ingress-nginx reads them.
 */
export function httpRouteSpec(app: ResolvedWebApp, backends: RouteBackends): HttpRouteSpec {
  const gateway = app.gateway!;
  const backend = (name: string, weight?: number): HttpRouteSpecRulesBackendRefs => ({
    kind: 'Service',
    name,
    port: app.servicePort,
    ...(weight !== undefined ? { weight } : {}),
  });
  const pathMatches = (extra: Partial<HttpRouteSpecRulesMatches> = {}): HttpRouteSpecRulesMatches[] =>
    app.paths.map((value) => ({ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value }, ...extra }));

  const rules: HttpRouteSpecRules[] = [];
  const canary = app.canary;
  const headerRule = (header: string, value: string, to: string): HttpRouteSpecRules => ({
    matches: pathMatches({ headers: [{ name: header, type: HttpRouteSpecRulesMatchesHeadersType.EXACT, value }] }),
    backendRefs: [backend(to)],
  });
  if (canary && backends.canary && canary.header !== undefined) {
    rules.push(headerRule(canary.header, canary.headerValue ?? CANARY_HEADER_DEFAULT_VALUE, backends.canary));
    if (canary.headerValue === undefined && canary.weight !== undefined) {
      rules.push(headerRule(canary.header, CANARY_HEADER_NEVER_VALUE, backends.main));
    }
  }
  if (canary && backends.canary && canary.weight !== undefined) {
    rules.push({ matches: pathMatches(), backendRefs: [backend(backends.main, 100 - canary.weight), backend(backends.canary, canary.weight)] });
  } else {
    rules.push({ matches: pathMatches(), backendRefs: [backend(backends.main)] });
  }

  return {
    hostnames: [...app.hosts],
    parentRefs: [
      {
        group: GATEWAY_GROUP,
        kind: 'Gateway',
        name: gateway.name,
        namespace: gateway.namespace,
        ...(gateway.sectionName !== undefined ? { sectionName: gateway.sectionName } : {}),
      },
    ],
    rules,
  };
}

/**
 * A ReferenceGrant in the app's namespace letting the Gateways of the Gateway's namespace use the
 * app's TLS Secret in their listeners' `certificateRefs`.
 */
export function tlsReferenceGrantSpec(app: ResolvedWebApp): ReferenceGrantV1Beta1Spec {
  return {
    from: [{ group: GATEWAY_GROUP, kind: 'Gateway', namespace: app.gateway!.namespace }],
    to: [{ group: '', kind: 'Secret', name: app.tls!.secretName }],
  };
}
