import { App, Chart, Size } from 'cdk8s';
import { Cpu, Secret } from 'cdk8s-plus-27';
import { WebAppNetworkPeer, WebAppWithIngress } from '../src';

/**
 * A shop: a server-rendered web front at shop.example.com and its JSON API at api.shop.example.com,
 * both with cert-manager certificates. The front calls the API inside the cluster, the API reaches
 * a managed PostgreSQL outside it; the NetworkPolicies allow exactly that. A release candidate of
 * the front gets 10 % of the traffic, or all requests sent with `X-Canary: always`.
 */
export function shopApp(app: App): void {
  const chart = new Chart(app, 'shop', { namespace: 'shop' });

  const api = new WebAppWithIngress(chart, 'Api', {
    image: 'ghcr.io/acme/shop-api:1.4.2',
    host: 'api.shop.example.com',
    partOf: 'shop',
    component: 'api',
    healthCheckPath: '/readyz',
    livenessCheckPath: '/livez',
    tls: { secretName: 'shop-api-tls', clusterIssuer: 'letsencrypt' },
    autoscaling: { minReplicas: 2, maxReplicas: 10, targetCpuUtilization: 70 },
    config: { LOG_LEVEL: 'info', DB_POOL_SIZE: '10' },
    secretEnv: {
      DATABASE_URL: { secret: Secret.fromSecretName(chart, 'ShopDb', 'shop-db'), key: 'url' },
    },
    resources: {
      cpu: { request: Cpu.millis(250), limit: Cpu.units(2) },
      memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
    },
    networkPolicy: {
      // The managed PostgreSQL instance of the shop.
      allowTo: [{ peer: WebAppNetworkPeer.ipBlock('10.20.0.0/16'), ports: [5432] }],
    },
  });

  const web = new WebAppWithIngress(chart, 'Web', {
    image: 'ghcr.io/acme/shop-web:2.3.1',
    host: 'shop.example.com',
    additionalHosts: ['www.shop.example.com'],
    port: 3000,
    replicas: 3,
    partOf: 'shop',
    healthCheckPath: '/healthz',
    tls: { secretName: 'shop-web-tls', clusterIssuer: 'letsencrypt' },
    config: { LOG_LEVEL: 'info', API_URL: `http://${api.service.name}.shop.svc.cluster.local` },
    ingressAnnotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' },
    canary: { image: 'ghcr.io/acme/shop-web:2.4.0-rc.1', weight: 10, header: 'X-Canary' },
  });

  web.connectTo(api);
}
