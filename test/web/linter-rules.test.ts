import { ApiObject, App, JsonPatch, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { shopApp } from '../../apps/shop';
import { WebAppWithIngress } from '../../src';
import { manifestProblems } from './manifest-rules';
import { MINIMAL, synthWebApp } from './support';

// kube-score's critical checks and kube-linter's default checks, as re-stated in manifest-rules.ts.
describe('the output passes the linters’ checks', () => {
  test('defaults', () => {
    expect(manifestProblems(synthWebApp().objects)).toEqual([]);
  });

  test('with a health check, config, TLS, autoscaling and a canary', () => {
    const { objects } = synthWebApp({
      healthCheckPath: '/healthz',
      config: { LOG_LEVEL: 'info' },
      tls: { secretName: 'shop-tls', clusterIssuer: 'letsencrypt' },
      autoscaling: { maxReplicas: 6 },
      canary: { image: 'ghcr.io/acme/shop:1.5.0' },
    });
    expect(manifestProblems(objects)).toEqual([]);
  });

  test('deviations the user asks for are annotated, so the linters accept them', () => {
    const { objects } = synthWebApp({
      image: `ghcr.io/acme/shop@sha256:${'e'.repeat(64)}`,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: false,
      port: 22,
    });
    expect(manifestProblems(objects)).toEqual([]);
  });

  test('the shop example', () => {
    const app = new App();
    shopApp(app);
    expect(app.charts.map((c) => c.node.id)).toEqual(['shop']);
    for (const chart of app.charts) {
      expect(manifestProblems(Testing.synth(chart))).toEqual([]);
    }
  });
});

describe('the rules catch what they check (so the tests above prove something)', () => {
  test('a replica count under an autoscaler, a missing PDB and a missing NetworkPolicy', () => {
    const chart = Testing.chart();
    const app = new WebAppWithIngress(chart, 'shop', { ...MINIMAL, autoscaling: { maxReplicas: 4 } });
    ApiObject.of(app.deployment).addJsonPatch(JsonPatch.add('/spec/replicas', 2));
    expect(app.node.tryRemoveChild(app.podDisruptionBudget!.node.id)).toBe(true);
    expect(app.node.tryRemoveChild(app.networkPolicy!.node.id)).toBe(true);
    const problems = manifestProblems(chart.toJson()).map((p) => p.split(': ')[1]);
    expect(problems).toEqual([
      'deployment-targeted-by-hpa-does-not-have-replicas-configured',
      'deployment-has-poddisruptionbudget',
      'pod-networkpolicy',
    ]);
  });

  test('identical probes, a latest image and a writable root filesystem without annotations', () => {
    const { app, chart } = synthWebApp();
    const obj = ApiObject.of(app.deployment);
    obj.addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/image', 'nginx:latest'));
    obj.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/livenessProbe', { tcpSocket: { port: k8s.IntOrString.fromString('http') } }));
    obj.addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem', false));
    obj.addJsonPatch(JsonPatch.remove('/spec/template/spec/containers/0/resources/limits/memory'));
    const problems = manifestProblems(chart.toJson()).map((p) => p.split(': ')[1]);
    expect(problems).toEqual(
      expect.arrayContaining([
        'container-image-tag',
        'pod-probes-identical',
        'container-security-context-readonlyrootfilesystem',
        'no-read-only-root-fs',
        'container-resources',
      ]),
    );
  });

  test('a Service and an Ingress pointing nowhere', () => {
    const { app, chart } = synthWebApp();
    ApiObject.of(app.service).addJsonPatch(JsonPatch.replace('/spec/selector/app.kubernetes.io~1instance', 'other'));
    ApiObject.of(app.ingress!).addJsonPatch(JsonPatch.replace('/spec/rules/0/http/paths/0/backend/service/port/number', 81));
    const problems = manifestProblems(chart.toJson()).map((p) => p.split(': ')[1]);
    expect(problems).toEqual(expect.arrayContaining(['service-targets-pod', 'ingress-targets-service']));
  });
});
