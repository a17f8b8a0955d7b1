/**
 * The workloads the benchmarks synthesize, shared with the FastApp tests.
 *
 * - `patternWebApp`: one `WebAppWithIngress` with its defaults (ServiceAccount, Deployment,
 *   Service, Ingress, PodDisruptionBudget, NetworkPolicy).
 * - `handWrittenWebApp`: the same six objects written by hand with cdk8s-plus (and the L1
 *   `k8s` classes or JSON patches where cdk8s-plus has no field), as a user without this library
 *   would. The pattern-overhead benchmark compares the two; a test keeps them equivalent.
 * - `deploymentAndService`: the two-object chart body the chain benchmark links together.
 */
import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { WebAppWithIngress } from '../src';

/** The web application every benchmark chart holds, named after its index. */
export function patternWebApp(scope: Construct, name: string): Construct {
  return new WebAppWithIngress(scope, 'Web', {
    name,
    image: 'ghcr.io/example/storefront:1.4.2',
    host: `${name}.example.com`,
  });
}

/** The same objects as `patternWebApp`, written by hand with cdk8s-plus. */
export function handWrittenWebApp(scope: Construct, name: string): Construct {
  const app = new Construct(scope, 'Web');
  const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
  // cdk8s-plus renders IntOrString and Quantity fields from their L1 classes, patches included
  const port = kplus.k8s.IntOrString.fromString('http');
  const quantity = (q: string) => kplus.k8s.Quantity.fromString(q);
  const labels = { ...selector, 'app.kubernetes.io/component': 'web', 'app.kubernetes.io/managed-by': 'cdk8s-patterns' };
  const versioned = { ...labels, 'app.kubernetes.io/version': '1.4.2' };

  const serviceAccount = new kplus.ServiceAccount(app, 'ServiceAccount', {
    metadata: { name, labels },
    automountToken: false,
  });

  const tmp = kplus.Volume.fromEmptyDir(app, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(256) });
  const deployment = new kplus.Deployment(app, 'Deployment', {
    metadata: { name, labels: versioned },
    podMetadata: { labels: versioned },
    select: false,
    replicas: 2,
    minReady: Duration.seconds(10),
    strategy: kplus.DeploymentStrategy.rollingUpdate({
      maxSurge: kplus.PercentOrAbsolute.percent(25),
      maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
    }),
    serviceAccount,
    automountServiceAccountToken: false,
    terminationGracePeriod: Duration.seconds(35),
    securityContext: {
      ensureNonRoot: true,
      user: 10001,
      group: 10001,
      fsGroup: 10001,
      fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
    },
    volumes: [tmp],
    containers: [
      {
        name: 'app',
        image: 'ghcr.io/example/storefront:1.4.2',
        imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
        ports: [{ number: 8080, name: 'http' }],
        resources: {
          cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
          memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
        },
        securityContext: {
          ensureNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          user: 10001,
          group: 10001,
        },
        readiness: kplus.Probe.fromTcpSocket({
          failureThreshold: 3,
          periodSeconds: Duration.seconds(5),
          successThreshold: 1,
          timeoutSeconds: Duration.seconds(3),
        }),
        startup: kplus.Probe.fromTcpSocket({
          failureThreshold: 60,
          periodSeconds: Duration.seconds(5),
          successThreshold: 1,
          timeoutSeconds: Duration.seconds(3),
        }),
        lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', '10']) },
        volumeMounts: [{ path: '/tmp', volume: tmp }],
      },
    ],
  });
  deployment.select(kplus.LabelSelector.of({ labels: selector }));
  const spread = (topologyKey: string) => ({
    labelSelector: { matchLabels: selector },
    matchLabelKeys: ['pod-template-hash'],
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
  });
  const container = '/spec/template/spec/containers/0';
  ApiObject.of(deployment).addJsonPatch(
    // fields cdk8s-plus-27 does not model
    JsonPatch.add('/spec/revisionHistoryLimit', 5),
    JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
    JsonPatch.add('/spec/template/spec/enableServiceLinks', false),
    // a false hostNetwork is never stored by the API server: leaving it out keeps apply idempotent
    JsonPatch.remove('/spec/template/spec/hostNetwork'),
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    JsonPatch.add(`${container}/securityContext/capabilities`, { drop: ['ALL'] }),
    JsonPatch.add(`${container}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }),
    // cdk8s-plus-27 renders ephemeral storage in whole GiB only
    JsonPatch.add(`${container}/resources`, {
      limits: { cpu: quantity('1'), 'ephemeral-storage': quantity('512Mi'), memory: quantity('256Mi') },
      requests: { cpu: quantity('100m'), 'ephemeral-storage': quantity('128Mi'), memory: quantity('256Mi') },
    }),
    JsonPatch.add(`${container}/readinessProbe/tcpSocket/port`, port),
    JsonPatch.add(`${container}/startupProbe/tcpSocket/port`, port),
    JsonPatch.add('/spec/template/spec/affinity', {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' }, weight: 100 },
        ],
      },
    }),
    JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [spread('topology.kubernetes.io/zone'), spread('kubernetes.io/hostname')]),
  );

  const service = new kplus.Service(app, 'Service', {
    metadata: { name, labels: versioned },
    selector: kplus.Pods.select(app, 'Pods', { labels: selector }),
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
  });
  ApiObject.of(service).addJsonPatch(JsonPatch.replace('/spec/ports/0/targetPort', port), JsonPatch.remove('/spec/externalIPs'));

  const ingress = new kplus.Ingress(app, 'Ingress', {
    metadata: { name, labels: versioned },
    className: 'nginx',
    rules: [
      {
        host: `${name}.example.com`,
        path: '/',
        backend: kplus.IngressBackend.fromService(service, { port: 80 }),
        pathType: kplus.HttpIngressPathType.PREFIX,
      },
    ],
  });
  void ingress;

  new kplus.k8s.KubePodDisruptionBudget(app, 'PodDisruptionBudget', {
    metadata: { name, labels: versioned },
    spec: {
      maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: selector },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });

  new kplus.k8s.KubeNetworkPolicy(app, 'NetworkPolicy', {
    metadata: { name, labels: versioned },
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
          ports: [{ port: kplus.k8s.IntOrString.fromNumber(8080), protocol: 'TCP' }],
        },
      ],
      egress: [
        {
          ports: [
            { port: kplus.k8s.IntOrString.fromNumber(53), protocol: 'UDP' },
            { port: kplus.k8s.IntOrString.fromNumber(53), protocol: 'TCP' },
          ],
        },
      ],
    },
  });
  return app;
}

/** A Deployment and its Service (the two-object chart body of the chain benchmark). */
export function deploymentAndService(scope: Construct, name: string): Construct {
  const app = new Construct(scope, 'Web');
  const labels = { 'app.kubernetes.io/name': name };
  const deployment = new kplus.Deployment(app, 'Deployment', {
    metadata: { name },
    podMetadata: { labels },
    select: false,
    containers: [{ image: 'ghcr.io/example/web:1.4.2', portNumber: 8080, securityContext: { user: 10001 } }],
  });
  deployment.select(kplus.LabelSelector.of({ labels }));
  new kplus.Service(app, 'Service', {
    metadata: { name },
    selector: kplus.Pods.select(app, 'Pods', { labels }),
    ports: [{ port: 80, targetPort: 8080 }],
  });
  return app;
}

/** Adds one workload to a scope; `name` is unique per app. */
export type Workload = (scope: Construct, name: string) => Construct;

/** A chart holding one workload, named after `name`. */
export function workloadChart(scope: Construct, name: string, workload: Workload): Chart {
  const chart = new Chart(scope, name);
  workload(chart, name);
  return chart;
}
