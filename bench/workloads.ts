/**
 * The workloads the benchmarks synthesize. Each adds one web application (Deployment, Service,
 * Ingress) to a scope; the benchmarks and the FastApp tests share them.
 */
import { Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';

/**
 * A web application written by hand with cdk8s-plus: Deployment + Service + Ingress with the
 * production settings a user would write themselves (explicit labels and selectors, resources,
 * probes, hardened security context).
 */
export function handWrittenWebApp(scope: Construct, id: string): Construct {
  const app = new Construct(scope, id);
  const name = id.toLowerCase();
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
  const deployment = new kplus.Deployment(app, 'Deployment', {
    replicas: 2,
    select: false,
    metadata: { labels },
    podMetadata: { labels },
    automountServiceAccountToken: false,
    securityContext: { ensureNonRoot: true, user: 10001, group: 10001, fsGroup: 10001 },
    containers: [
      {
        name: 'web',
        image: 'ghcr.io/example/web:1.4.2',
        portNumber: 8080,
        resources: {
          cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
          memory: { request: sizeMi(128), limit: sizeMi(256) },
          // cdk8s-plus-27 renders ephemeral storage in whole gibibytes
          ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
        },
        securityContext: {
          ensureNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          user: 10001,
          group: 10001,
        },
        readiness: kplus.Probe.fromHttpGet('/ready', { port: 8080 }),
        liveness: kplus.Probe.fromHttpGet('/healthz', { port: 8080 }),
        envVariables: { LOG_FORMAT: kplus.EnvValue.fromValue('json') },
      },
    ],
  });
  deployment.select(kplus.LabelSelector.of({ labels }));
  const service = new kplus.Service(app, 'Service', {
    metadata: { labels },
    selector: deployment,
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
  });
  new kplus.Ingress(app, 'Ingress', {
    metadata: { labels },
    rules: [
      {
        host: `${name}.example.com`,
        path: '/',
        backend: kplus.IngressBackend.fromService(service, { port: 80 }),
        pathType: kplus.HttpIngressPathType.PREFIX,
      },
    ],
  });
  return app;
}

function sizeMi(n: number): Size {
  return Size.mebibytes(n);
}

/** A chart holding one hand-written web application. */
export function handWrittenChart(scope: Construct, id: string): Chart {
  const chart = new Chart(scope, id);
  handWrittenWebApp(chart, 'Web');
  return chart;
}
