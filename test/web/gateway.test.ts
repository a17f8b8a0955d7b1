import { Chart, Duration, Testing } from 'cdk8s';
import { WebAppWithIngress, WebAppWithIngressProps } from '../../src';
import { connectionAllowed, matchesSelector } from '../support/selectors';
import { all, container, MINIMAL, only, synthWebApp } from './support';

const GATEWAY = { name: 'public', namespace: 'gateways' };
const CANARY = { image: 'ghcr.io/acme/shop:1.5.0' };

function synthIn(namespace: string, props: Partial<WebAppWithIngressProps>) {
  const chart = new Chart(Testing.app(), 'web', { namespace });
  const app = new WebAppWithIngress(chart, 'shop', { ...MINIMAL, ...props });
  return { app, objects: Testing.synth(chart) };
}

describe('HTTPRoute', () => {
  test('a gateway replaces the Ingress by default: the same hosts, paths and Service port', () => {
    const { objects, app } = synthWebApp({
      gateway: GATEWAY,
      additionalHosts: ['www.shop.example.com'],
      paths: ['/api', '/static'],
      servicePort: 8080,
    });
    expect(all(objects, 'Ingress')).toEqual([]);
    expect(app.ingress).toBeUndefined();
    const route = only(objects, 'HTTPRoute', 'shop');
    expect(route.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/managed-by': 'cdk8s-patterns' });
    expect(route.spec).toEqual({
      hostnames: ['shop.example.com', 'www.shop.example.com'],
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/api' } }, { path: { type: 'PathPrefix', value: '/static' } }],
          backendRefs: [{ kind: 'Service', name: 'shop', port: 8080 }],
        },
      ],
    });
    // the backend is the app's Service, on a port it declares
    const service = only(objects, 'Service', 'shop');
    expect(service.spec.ports.map((p: any) => p.port)).toContain(route.spec.rules[0].backendRefs[0].port);
  });

  test('besides the Ingress while moving from one to the other', () => {
    const { objects } = synthWebApp({ gateway: { ...GATEWAY, sectionName: 'https' }, ingressEnabled: true });
    expect(all(objects, 'Ingress')).toHaveLength(1);
    expect(only(objects, 'HTTPRoute').spec.parentRefs[0].sectionName).toBe('https');
    const np = only(objects, 'NetworkPolicy');
    expect(np.spec.ingress.map((r: any) => r.from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toEqual([
      'ingress-nginx',
      'gateways',
    ]);
  });

  test('TLS stays on the Gateway listener: the route has none, and no certificate annotation is emitted', () => {
    const { objects } = synthWebApp({ gateway: GATEWAY, tls: { secretName: 'shop-tls' } });
    const route = only(objects, 'HTTPRoute');
    expect(JSON.stringify(route)).not.toMatch(/tls|cert-manager/);
    expect(all(objects, 'ReferenceGrant')).toEqual([]);
  });

  test('weighted canary: one rule, two backendRefs weighted 100 - w and w', () => {
    const { objects } = synthWebApp({ gateway: GATEWAY, canary: { ...CANARY, weight: 20 } });
    expect(all(objects, 'Ingress')).toEqual([]);
    const rules = only(objects, 'HTTPRoute').spec.rules;
    expect(rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [
          { kind: 'Service', name: 'shop', port: 80, weight: 80 },
          { kind: 'Service', name: 'shop-canary', port: 80, weight: 20 },
        ],
      },
    ]);
  });

  test('default canary weight is 10, as with the Ingress', () => {
    const { objects } = synthWebApp({ gateway: GATEWAY, canary: CANARY });
    expect(only(objects, 'HTTPRoute').spec.rules[0].backendRefs.map((b: any) => b.weight)).toEqual([90, 10]);
  });

  test('header canary: a first rule with the header match goes to the canary only; the rest to the main track', () => {
    const { objects } = synthWebApp({ gateway: GATEWAY, paths: ['/', '/api'], canary: { ...CANARY, header: 'X-Canary' } });
    const rules = only(objects, 'HTTPRoute').spec.rules;
    expect(rules).toHaveLength(2);
    expect(rules[0].matches).toEqual([
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'X-Canary', type: 'Exact', value: 'always' }] },
      { path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'X-Canary', type: 'Exact', value: 'always' }] },
    ]);
    expect(rules[0].backendRefs).toEqual([{ kind: 'Service', name: 'shop-canary', port: 80 }]);
    expect(rules[1].backendRefs).toEqual([{ kind: 'Service', name: 'shop', port: 80 }]);
    expect(rules[1].matches.every((m: any) => m.headers === undefined)).toBe(true);
  });

  test('header and weight: "always" picks the canary, "never" the main track, the rest is split by weight', () => {
    const { objects } = synthWebApp({ gateway: GATEWAY, canary: { ...CANARY, header: 'X-Canary', weight: 30 } });
    const rules = only(objects, 'HTTPRoute').spec.rules;
    expect(rules.map((r: any) => [r.matches[0].headers?.[0].value, r.backendRefs.map((b: any) => `${b.name}:${b.weight ?? '-'}`)])).toEqual([
      ['always', ['shop-canary:-']],
      ['never', ['shop:-']],
      [undefined, ['shop:70', 'shop-canary:30']],
    ]);
  });

  test('with headerValue only that value picks the canary', () => {
    const { objects } = synthWebApp({ gateway: GATEWAY, canary: { ...CANARY, header: 'X-Canary', headerValue: 'beta', weight: 30 } });
    const rules = only(objects, 'HTTPRoute').spec.rules;
    expect(rules.map((r: any) => r.matches[0].headers?.[0].value)).toEqual(['beta', undefined]);
  });

  test('the canary Ingress exists only on the Ingress path; the canary Deployment and Service on both', () => {
    const gatewayOnly = synthWebApp({ gateway: GATEWAY, canary: CANARY });
    expect(gatewayOnly.app.canaryIngress).toBeUndefined();
    expect(only(gatewayOnly.objects, 'Service', 'shop-canary')).toBeDefined();
    const both = synthWebApp({ gateway: GATEWAY, ingressEnabled: true, canary: CANARY });
    expect(only(both.objects, 'Ingress', 'shop-canary').metadata.annotations['nginx.ingress.kubernetes.io/canary-weight']).toBe('10');
  });

  test('the route backends select exactly their track pods', () => {
    const { objects } = synthWebApp({ gateway: GATEWAY, canary: { ...CANARY, weight: 50 } });
    const podLabels = (name: string) => only(objects, 'Deployment', name).spec.template.metadata.labels;
    for (const ref of only(objects, 'HTTPRoute').spec.rules[0].backendRefs) {
      const selector = only(objects, 'Service', ref.name).spec.selector;
      expect(matchesSelector({ matchLabels: selector }, podLabels(ref.name))).toBe(true);
      const other = ref.name === 'shop' ? 'shop-canary' : 'shop';
      expect(matchesSelector({ matchLabels: selector }, podLabels(other))).toBe(false);
    }
  });

  test("the Gateway's data plane may reach the app port; the ingress controller no longer may", () => {
    const { objects } = synthIn('shop', {
      gateway: { ...GATEWAY, dataPlaneNamespace: 'envoy', dataPlanePodLabels: { app: 'envoy' } },
    });
    const policies = all(objects, 'NetworkPolicy');
    const app = { namespace: 'shop', labels: only(objects, 'Deployment').spec.template.metadata.labels };
    expect(connectionAllowed(policies, { namespace: 'envoy', labels: { app: 'envoy' } }, app, 8080)).toBe(true);
    expect(connectionAllowed(policies, { namespace: 'envoy', labels: { app: 'other' } }, app, 8080)).toBe(false);
    expect(connectionAllowed(policies, { namespace: 'gateways', labels: { app: 'envoy' } }, app, 8080)).toBe(false);
    expect(connectionAllowed(policies, { namespace: 'ingress-nginx', labels: {} }, app, 8080)).toBe(false);
    expect(connectionAllowed(policies, { namespace: 'envoy', labels: { app: 'envoy' } }, app, 9000)).toBe(false);
  });

  test('ReferenceGrant: lets Gateways of the Gateway namespace use the TLS Secret, only on request', () => {
    const { objects, app } = synthIn('shop', { gateway: { ...GATEWAY, referenceGrant: true }, tls: { secretName: 'shop-tls' } });
    const grant = only(objects, 'ReferenceGrant', 'shop-tls');
    expect(grant.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(grant.metadata.namespace).toBe('shop');
    expect(grant.spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'gateways' }],
      to: [{ group: '', kind: 'Secret', name: 'shop-tls' }],
    });
    expect(app.referenceGrant).toBeDefined();
  });
});

describe('ServiceMonitor', () => {
  test('metrics on the app port: scraped through the http Service port', () => {
    const { objects, app } = synthWebApp({ metrics: { port: 8080 } });
    const monitor = only(objects, 'ServiceMonitor', 'shop');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.spec).toEqual({
      endpoints: [{ interval: '30s', path: '/metrics', port: 'http', scheme: 'http' }],
      selector: { matchLabels: { 'app.kubernetes.io/instance': 'shop', 'app.kubernetes.io/name': 'shop' } },
    });
    expect(only(objects, 'Service').spec.ports).toHaveLength(1);
    expect(container(only(objects, 'Deployment')).ports).toHaveLength(1);
    expect(app.serviceMonitor).toBeDefined();
  });

  test("metrics on a port of their own: a named port on the container and the Services, and the monitor's selector matches both tracks", () => {
    const { objects } = synthIn('shop', { metrics: { port: 9090, interval: Duration.seconds(10) }, canary: CANARY });
    const monitor = only(objects, 'ServiceMonitor');
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', interval: '10s' });
    const services = all(objects, 'Service');
    expect(services).toHaveLength(2);
    for (const service of services) {
      expect(service.spec.ports).toContainEqual({ name: 'metrics', port: 9090, targetPort: 'metrics' });
      expect(matchesSelector(monitor.spec.selector, service.metadata.labels)).toBe(true);
    }
    for (const deployment of all(objects, 'Deployment')) {
      expect(container(deployment).ports).toContainEqual({ containerPort: 9090, name: 'metrics' });
    }
    // Prometheus may scrape the metrics port, not the app port; nobody else may reach the metrics port
    const policies = all(objects, 'NetworkPolicy');
    const app = { namespace: 'shop', labels: only(objects, 'Deployment', 'shop').spec.template.metadata.labels };
    const prometheus = { namespace: 'monitoring', labels: { app: 'prometheus' } };
    expect(connectionAllowed(policies, prometheus, app, 9090)).toBe(true);
    expect(connectionAllowed(policies, prometheus, app, 8080)).toBe(false);
    expect(connectionAllowed(policies, { namespace: 'ingress-nginx', labels: {} }, app, 9090)).toBe(false);
  });
});

describe('errors', () => {
  const build = (props: Partial<WebAppWithIngressProps>, namespace?: string) =>
    new WebAppWithIngress(new Chart(Testing.app(), 'c', { namespace }), 'shop', { ...MINIMAL, ...props });

  test.each<[string, Partial<WebAppWithIngressProps>, RegExp]>([
    ['gateway name', { gateway: { name: 'Public', namespace: 'gw' } }, /gateway.name must be a Gateway name \(DNS-1123 subdomain\), got "Public"/],
    [
      'gateway namespace',
      { gateway: { name: 'public', namespace: 'gw.x' } },
      /gateway.namespace must be a namespace name \(DNS-1123 label\), got "gw.x"/,
    ],
    ['gateway section', { gateway: { ...GATEWAY, sectionName: 'HTTPS' } }, /gateway.sectionName must be a listener name/],
    ['data plane namespace', { gateway: { ...GATEWAY, dataPlaneNamespace: '' } }, /gateway.dataPlaneNamespace must be a namespace name/],
    [
      'data plane labels',
      { gateway: { ...GATEWAY, dataPlanePodLabels: { app: 'a b' } } },
      /gateway.dataPlanePodLabels must be a map of valid label keys and values/,
    ],
    [
      'reference grant without tls',
      { gateway: { ...GATEWAY, referenceGrant: true } },
      /gateway.referenceGrant must be false unless tls names the Secret the Gateway uses, got true/,
    ],
    [
      'nothing published',
      { ingressEnabled: false },
      /ingressEnabled must be true unless gateway is set \(the app would not be published\), got false/,
    ],
    [
      'cookie canary through a gateway',
      { gateway: GATEWAY, canary: { ...CANARY, cookie: 'canary' } },
      /canary.cookie must be unset when gateway is set/,
    ],
    [
      'ingress class without an Ingress',
      { gateway: GATEWAY, ingressClassName: 'nginx' },
      /ingressClassName must be unset without an Ingress \(ingressEnabled is false\), got "nginx"/,
    ],
    [
      'ingress annotations without an Ingress',
      { gateway: GATEWAY, ingressAnnotations: { a: 'b' } },
      /ingressAnnotations must be unset without an Ingress/,
    ],
    [
      'cert-manager issuer without an Ingress',
      { gateway: GATEWAY, tls: { secretName: 'shop-tls', issuer: 'ca' } },
      /tls.issuer must be unset without an Ingress \(ingressEnabled is false\): the Gateway's listener holds the certificate/,
    ],
    ['metrics port', { metrics: { port: 0 } }, /metrics.port must be an integer from 1 to 65535, got 0/],
    [
      'metrics port on the Service port',
      { metrics: { port: 80 } },
      /metrics.port must be the app port \(8080\) or a port other than the Service port \(80\): it is published on the Service too, got 80/,
    ],
    ['metrics path', { metrics: { port: 9090, path: 'metrics' } }, /metrics.path must be an absolute path/],
    [
      'metrics interval',
      { metrics: { port: 9090, interval: Duration.millis(500) } },
      /metrics.interval must be a whole number of seconds from 1 to 3600/,
    ],
    ['scraper namespace', { metrics: { port: 9090, scraperNamespace: 'Monitoring' } }, /metrics.scraperNamespace must be a namespace name/],
  ])('%s', (_name, props, message) => {
    expect(() => build(props, 'shop')).toThrow(message);
  });

  test('reference grant without a chart namespace, or in the Gateway namespace', () => {
    const props = { gateway: { ...GATEWAY, referenceGrant: true }, tls: { secretName: 'shop-tls' } };
    expect(() => build(props)).toThrow(
      /gateway.referenceGrant must be false unless the chart's namespace \(unset\) is set and differs from gateway.namespace/,
    );
    expect(() => build(props, 'gateways')).toThrow(/chart's namespace \(gateways\) is set and differs/);
  });
});
