import { Testing } from 'cdk8s';
import { WebAppWithIngress } from '../../src';
import { all, container, MINIMAL, only, synthWebApp } from './support';

const CANARY = { image: 'ghcr.io/acme/shop:1.5.0-rc.1' };

test('a canary is a second Deployment, Service, Ingress and NetworkPolicy named <instance>-canary', () => {
  const { objects, app } = synthWebApp({ canary: CANARY, tls: { secretName: 'shop-tls', clusterIssuer: 'letsencrypt' } });
  expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    'Deployment/shop',
    'Deployment/shop-canary',
    'Ingress/shop',
    'Ingress/shop-canary',
    'NetworkPolicy/shop',
    'NetworkPolicy/shop-canary',
    'PodDisruptionBudget/shop',
    'Service/shop',
    'Service/shop-canary',
    'ServiceAccount/shop',
  ]);
  expect(app.canaryDeployment).toBeDefined();
  expect(app.canaryService).toBeDefined();
  expect(app.canaryIngress).toBeDefined();
  expect(app.canaryNetworkPolicy).toBeDefined();
  // One canary pod: no PDB (it would block drains), and kube-score is told the small size is on purpose.
  expect(app.canaryPodDisruptionBudget).toBeUndefined();
  const deployment = only(objects, 'Deployment', 'shop-canary');
  expect(deployment.spec.replicas).toBe(1);
  expect(deployment.metadata.annotations['kube-score/ignore']).toBe('deployment-replicas');
  expect(container(deployment).image).toBe(CANARY.image);
  expect(deployment.metadata.labels['app.kubernetes.io/version']).toBe('1.5.0-rc.1');
  expect(deployment.metadata.labels['app.kubernetes.io/instance']).toBe('shop-canary');
});

test('the tracks select disjoint pods: the main Service never sends traffic to canary pods', () => {
  const { objects } = synthWebApp({ canary: CANARY });
  const labelsOf = (name: string) => only(objects, 'Deployment', name).spec.template.metadata.labels;
  const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  const main = only(objects, 'Service', 'shop').spec.selector;
  const canary = only(objects, 'Service', 'shop-canary').spec.selector;
  expect(matches(main, labelsOf('shop'))).toBe(true);
  expect(matches(main, labelsOf('shop-canary'))).toBe(false);
  expect(matches(canary, labelsOf('shop-canary'))).toBe(true);
  expect(matches(canary, labelsOf('shop'))).toBe(false);
  expect(only(objects, 'Deployment', 'shop-canary').spec.selector.matchLabels).toEqual(canary);
});

test('the canary Ingress repeats hosts, paths and TLS, carries the canary annotations and no issuer', () => {
  const { objects } = synthWebApp({
    additionalHosts: ['www.shop.example.com'],
    paths: ['/', '/api'],
    tls: { secretName: 'shop-tls', clusterIssuer: 'letsencrypt' },
    ingressAnnotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' },
    canary: CANARY,
  });
  const main = only(objects, 'Ingress', 'shop');
  const canary = only(objects, 'Ingress', 'shop-canary');
  const routes = (ing: any) =>
    ing.spec.rules.map((r: any) => [r.host, r.http.paths.map((p: any) => `${p.path} ${p.pathType} ${p.backend.service.name}`)]);
  expect(routes(canary)).toEqual(
    routes(main).map(([host, paths]: [string, string[]]) => [host, paths.map((p) => p.replace(/ shop$/, ' shop-canary'))]),
  );
  expect(canary.spec.tls).toEqual(main.spec.tls);
  expect(canary.spec.ingressClassName).toBe(main.spec.ingressClassName);
  // cert-manager would manage the same Secret twice; ingress-nginx ignores most annotations on canaries.
  expect(canary.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '10' });
});

test('header and cookie routing: no default weight then', () => {
  const annotations = only(synthWebApp({ canary: { ...CANARY, header: 'X-Canary', cookie: 'canary' } }).objects, 'Ingress', 'shop-canary').metadata
    .annotations;
  expect(annotations).toEqual({
    'nginx.ingress.kubernetes.io/canary': 'true',
    'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary',
    'nginx.ingress.kubernetes.io/canary-by-cookie': 'canary',
  });
});

test('weight 0 is kept (the canary only gets header traffic)', () => {
  const annotations = only(
    synthWebApp({ canary: { ...CANARY, weight: 0, header: 'X-Canary', headerValue: 'yes' } }).objects,
    'Ingress',
    'shop-canary',
  ).metadata.annotations;
  expect(annotations['nginx.ingress.kubernetes.io/canary-weight']).toBe('0');
  expect(annotations['nginx.ingress.kubernetes.io/canary-by-header-value']).toBe('yes');
});

test('the canary shares config (same checksum), ServiceAccount and pod hardening', () => {
  const { objects } = synthWebApp({ canary: CANARY, config: { LOG_LEVEL: 'info' } });
  const main = only(objects, 'Deployment', 'shop').spec.template;
  const canary = only(objects, 'Deployment', 'shop-canary').spec.template;
  expect(canary.metadata.annotations).toEqual(main.metadata.annotations);
  expect(canary.spec.serviceAccountName).toBe('shop');
  expect(container({ spec: { template: canary } }).envFrom).toEqual([{ configMapRef: { name: 'shop-config' } }]);
  expect(canary.spec.securityContext).toEqual(main.spec.securityContext);
  expect(canary.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels).toEqual({
    'app.kubernetes.io/name': 'shop',
    'app.kubernetes.io/instance': 'shop-canary',
  });
});

test('with autoscaling the canary keeps a fixed size and gets no autoscaler', () => {
  const { objects } = synthWebApp({ canary: { ...CANARY, replicas: 2 }, autoscaling: { maxReplicas: 5 } });
  expect(all(objects, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name)).toEqual(['shop']);
  expect(only(objects, 'Deployment', 'shop-canary').spec.replicas).toBe(2);
  expect(only(objects, 'PodDisruptionBudget', 'shop-canary').spec.selector.matchLabels['app.kubernetes.io/instance']).toBe('shop-canary');
});

test('a digest-pinned canary is pulled IfNotPresent', () => {
  const chart = Testing.chart();
  new WebAppWithIngress(chart, 'shop', { ...MINIMAL, canary: { image: `ghcr.io/acme/shop@sha256:${'c'.repeat(64)}` } });
  const deployment = only(Testing.synth(chart), 'Deployment', 'shop-canary');
  expect(container(deployment).imagePullPolicy).toBe('IfNotPresent');
  expect(deployment.metadata.annotations['kube-score/ignore']).toBe('container-image-pull-policy,deployment-replicas');
});
