import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { WebAppNetworkPeer, WebAppWithIngress } from '../../src';
import { all, MINIMAL, only, synthWebApp } from './support';

const DNS = {
  ports: [
    { port: 53, protocol: 'UDP' },
    { port: 53, protocol: 'TCP' },
  ],
};

test('connectTo lets one app call another: egress on the caller, ingress on the callee, on the callee port', () => {
  const chart = Testing.chart();
  const api = new WebAppWithIngress(chart, 'api', { ...MINIMAL, host: 'api.example.com', port: 9000 });
  const web = new WebAppWithIngress(chart, 'web', MINIMAL);
  web.connectTo(api);
  const objects = Testing.synth(chart);

  const webPolicy = only(objects, 'NetworkPolicy', 'web');
  expect(webPolicy.spec.egress).toEqual([
    DNS,
    {
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'api' } } }],
      ports: [{ port: 9000, protocol: 'TCP' }],
    },
  ]);
  const apiPolicy = only(objects, 'NetworkPolicy', 'api');
  expect(apiPolicy.spec.ingress[1]).toEqual({
    from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' } } }],
    ports: [{ port: 9000, protocol: 'TCP' }],
  });
  // The selectors of the rules select the pods of the real Deployments.
  const webPods = only(objects, 'Deployment', 'web').spec.template.metadata.labels;
  expect(webPods).toMatchObject(apiPolicy.spec.ingress[1].from[0].podSelector.matchLabels);
});

test('a peer in another namespace gets a namespaceSelector', () => {
  const app = new App();
  const shop = new Chart(app, 'shop', { namespace: 'shop' });
  const payments = new Chart(app, 'payments', { namespace: 'payments' });
  const web = new WebAppWithIngress(shop, 'web', MINIMAL);
  const pay = new WebAppWithIngress(payments, 'pay', { ...MINIMAL, host: 'pay.example.com' });
  web.connectTo(pay);
  const egress = only(Testing.synth(shop), 'NetworkPolicy').spec.egress[1];
  expect(egress.to).toEqual([
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'pay', 'app.kubernetes.io/instance': 'pay' } },
    },
  ]);
  const ingress = only(Testing.synth(payments), 'NetworkPolicy').spec.ingress[1];
  expect(ingress.from[0].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'shop' } });
});

test('a web app peer with a canary covers both tracks', () => {
  const chart = Testing.chart();
  const api = new WebAppWithIngress(chart, 'api', { ...MINIMAL, host: 'api.example.com', canary: { image: 'ghcr.io/acme/shop:2.0.0' } });
  const web = new WebAppWithIngress(chart, 'web', MINIMAL);
  web.connectTo(api);
  const objects = Testing.synth(chart);
  expect(only(objects, 'NetworkPolicy', 'web').spec.egress[1].to[0].podSelector).toEqual({
    matchLabels: { 'app.kubernetes.io/name': 'api' },
    matchExpressions: [{ key: 'app.kubernetes.io/instance', operator: 'In', values: ['api', 'api-canary'] }],
  });
  // Both tracks of the callee let the caller in.
  expect(only(objects, 'NetworkPolicy', 'api').spec.ingress).toHaveLength(2);
  expect(only(objects, 'NetworkPolicy', 'api-canary').spec.ingress).toHaveLength(2);
});

test('pods, namespace and ipBlock peers; egress without ports allows every port', () => {
  const { app, chart } = synthWebApp({
    networkPolicy: {
      allowFrom: [WebAppNetworkPeer.pods({ 'app.kubernetes.io/name': 'prometheus' }, 'monitoring')],
      allowTo: [{ peer: WebAppNetworkPeer.pods({ app: 'redis' }), ports: [6379] }],
    },
  });
  app.allowTo(WebAppNetworkPeer.ipBlock('10.0.0.0/8', ['10.1.0.0/16']), [443]);
  app.allowTo(WebAppNetworkPeer.allPodsIn('search'));
  app.allowTo(WebAppNetworkPeer.ipBlock('fd00::/8'), [53], kplus.NetworkProtocol.UDP);
  app.allowFrom(WebAppNetworkPeer.allPodsIn('batch'));
  const spec = only(Testing.synth(chart), 'NetworkPolicy').spec;
  expect(spec.ingress.slice(1)).toEqual([
    {
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
        },
      ],
      ports: [{ port: 8080, protocol: 'TCP' }],
    },
    { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } } }], ports: [{ port: 8080, protocol: 'TCP' }] },
  ]);
  expect(spec.egress.slice(1)).toEqual([
    { to: [{ podSelector: { matchLabels: { app: 'redis' } } }], ports: [{ port: 6379, protocol: 'TCP' }] },
    { to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 443, protocol: 'TCP' }] },
    { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'search' } } }] },
    { to: [{ ipBlock: { cidr: 'fd00::/8' } }], ports: [{ port: 53, protocol: 'UDP' }] },
  ]);
});

test('rules added after construction reach the manifest (the spec is rendered at synthesis)', () => {
  const { app, chart, objects } = synthWebApp();
  expect(only(objects, 'NetworkPolicy').spec.egress).toHaveLength(1);
  app.allowTo(WebAppNetworkPeer.allPodsIn('search'));
  expect(only(Testing.synth(chart), 'NetworkPolicy').spec.egress).toHaveLength(2);
});

test('disabled: no NetworkPolicy', () => {
  const { app, objects } = synthWebApp({ networkPolicy: { enabled: false } });
  expect(all(objects, 'NetworkPolicy')).toEqual([]);
  expect(app.networkPolicy).toBeUndefined();
  // The deviation is the user's choice: kube-score is told so.
  expect(only(objects, 'Deployment').metadata.annotations['kube-score/ignore']).toBe('pod-networkpolicy');
});
