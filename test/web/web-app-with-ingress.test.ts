import { ApiObject, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ExtraVolumeSource, StatefulPostgres, WebAppNetworkPeer, WebAppWithIngress, WebAppWithIngressProps } from '../../src';
import { all, container, MINIMAL, only, synthWebApp } from './support';

const SELECTOR = { 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/instance': 'shop' };

describe('defaults', () => {
  test('snapshot', () => {
    const { objects } = synthWebApp();
    expect(objects).toMatchSnapshot();
  });

  test('emits a ServiceAccount, Deployment, Service, Ingress, PodDisruptionBudget and NetworkPolicy, all named after the instance', () => {
    const { objects } = synthWebApp();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/shop',
      'Ingress/shop',
      'NetworkPolicy/shop',
      'PodDisruptionBudget/shop',
      'Service/shop',
      'ServiceAccount/shop',
    ]);
    // Polaris' metadataAndInstanceMismatched: the instance label equals the controller's name.
    const deployment = only(objects, 'Deployment');
    expect(deployment.metadata.labels['app.kubernetes.io/instance']).toBe(deployment.metadata.name);
  });

  test('every object carries the standard labels', () => {
    const { objects } = synthWebApp();
    for (const obj of objects) {
      expect(obj.metadata.labels).toMatchObject({
        ...SELECTOR,
        'app.kubernetes.io/component': 'web',
        'app.kubernetes.io/managed-by': 'cdk8s-patterns',
      });
    }
    expect(only(objects, 'Deployment').metadata.labels['app.kubernetes.io/version']).toBe('1.4.2');
  });

  test('the selector is name + instance only, and nothing derives from the construct path', () => {
    const { objects } = synthWebApp();
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.selector).toEqual({ matchLabels: SELECTOR });
    expect(deployment.spec.template.metadata.labels).toMatchObject(SELECTOR);
    expect(only(objects, 'Service').spec.selector).toEqual(SELECTOR);
    expect(only(objects, 'PodDisruptionBudget').spec.selector).toEqual({ matchLabels: SELECTOR });
    expect(only(objects, 'NetworkPolicy').spec.podSelector).toEqual({ matchLabels: SELECTOR });
    expect(JSON.stringify(objects)).not.toContain('cdk8s.io/metadata.addr');
  });

  test('rolls out without losing capacity: maxUnavailable 0, history kept, new pods must stay ready', () => {
    const spec = only(synthWebApp().objects, 'Deployment').spec;
    expect(spec.replicas).toBe(2);
    expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } });
    expect(spec.revisionHistoryLimit).toBe(5);
    expect(spec.minReadySeconds).toBe(10);
    expect(spec.progressDeadlineSeconds).toBe(600);
  });

  test('container: restricted security context, named port, explicit resources, /tmp writable', () => {
    const deployment = only(synthWebApp().objects, 'Deployment');
    const c = container(deployment);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 10001,
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.ports).toEqual([{ containerPort: 8080, name: 'http' }]);
    expect(c.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '128Mi' },
      limits: { cpu: '1', memory: '256Mi', 'ephemeral-storage': '512Mi' },
    });
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.volumeMounts).toEqual([{ mountPath: '/tmp', name: 'tmp' }]);
    expect(deployment.spec.template.spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
  });

  test('pod: own ServiceAccount without token, no service links, restricted pod security context', () => {
    const { objects } = synthWebApp();
    const pod = only(objects, 'Deployment').spec.template.spec;
    expect(pod.serviceAccountName).toBe('shop');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(only(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('spreads across zones and hosts without ever blocking scheduling', () => {
    const pod = only(synthWebApp().objects, 'Deployment').spec.template.spec;
    // kube-score and kube-linter only accept anti-affinity; Polaris wants topology spread constraints.
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: SELECTOR }, topologyKey: 'kubernetes.io/hostname' } },
    ]);
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(pod.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    for (const tsc of pod.topologySpreadConstraints) {
      expect(tsc).toMatchObject({
        maxSkew: 1,
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: SELECTOR },
        matchLabelKeys: ['pod-template-hash'],
      });
    }
  });

  test('without a health check path: TCP readiness and startup checks, and no liveness probe', () => {
    const c = container(only(synthWebApp().objects, 'Deployment'));
    expect(c.readinessProbe).toMatchObject({ tcpSocket: { port: 'http' } });
    expect(c.startupProbe).toMatchObject({ tcpSocket: { port: 'http' } });
    // A liveness TCP check identical to readiness is what kube-score's pod-probes-identical rejects.
    expect(c.livenessProbe).toBeUndefined();
  });

  test('graceful shutdown: preStop sleep, then a grace period longer than delay plus drain', () => {
    const pod = only(synthWebApp().objects, 'Deployment').spec.template.spec;
    expect(pod.containers[0].lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '10'] } } });
    expect(pod.terminationGracePeriodSeconds).toBe(35);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10 + 20);
  });

  test('Service: ClusterIP, named port, targetPort by name', () => {
    const svc = only(synthWebApp().objects, 'Service');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
  });

  test('Ingress: class, host, Prefix path to the Service port, no TLS unless asked', () => {
    const ing = only(synthWebApp().objects, 'Ingress');
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.spec.rules).toEqual([
      {
        host: 'shop.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] },
      },
    ]);
    expect(ing.spec.tls).toBeUndefined();
    expect(ing.metadata.annotations).toBeUndefined();
  });

  test('PodDisruptionBudget: one pod at a time, and unhealthy pods never block a drain', () => {
    const pdb = only(synthWebApp().objects, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: SELECTOR }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
  });

  test('NetworkPolicy: ingress from the ingress-nginx namespace on the app port, egress to DNS only', () => {
    const np = only(synthWebApp().objects, 'NetworkPolicy');
    expect(np.spec).toEqual({
      podSelector: { matchLabels: SELECTOR },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
          ports: [{ port: 8080, protocol: 'TCP' }],
        },
      ],
      egress: [
        {
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
      ],
    });
  });

  test('exposes its children and identity', () => {
    const { app } = synthWebApp();
    expect(app.deployment).toBeInstanceOf(kplus.Deployment);
    expect(app.service).toBeInstanceOf(kplus.Service);
    expect(app.ingress).toBeInstanceOf(kplus.Ingress);
    expect(app.serviceAccount).toBeInstanceOf(kplus.ServiceAccount);
    expect(app.podDisruptionBudget).toBeInstanceOf(ApiObject);
    expect(app.networkPolicy).toBeInstanceOf(ApiObject);
    expect(app.autoscaler).toBeUndefined();
    expect(app.configMap).toBeUndefined();
    expect(app.canaryDeployment).toBeUndefined();
    expect([app.appName, app.instance, app.port, app.servicePort, app.url]).toEqual(['shop', 'shop', 8080, 80, 'http://shop.example.com']);
    expect(app.selectorLabels).toEqual(SELECTOR);
  });
});

const LIBPQ_ENV = ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'PGSSLMODE'];

test('every prop', () => {
  const cdk8sApp = Testing.app();
  const chart = new Chart(cdk8sApp, 'shop', { namespace: 'shop' });
  // the database lives in a chart of its own: the snapshot holds the web app's objects only
  const dbChart = new Chart(cdk8sApp, 'data', { namespace: 'data' });
  const pg = new StatefulPostgres(dbChart, 'shop-db', {
    superuserSecret: kplus.Secret.fromSecretName(dbChart, 'Su', 'shop-db-superuser'),
    users: [{ name: 'shop', password: { secret: kplus.Secret.fromSecretName(dbChart, 'Pw', 'shop-db-shop') } }],
    databases: [{ name: 'shop', owner: 'shop' }],
  });
  const db = kplus.Secret.fromSecretName(chart, 'Db', 'shop-db');
  const sa = kplus.ServiceAccount.fromServiceAccountName(chart, 'Sa', 'shop-runner');
  const props: Required<WebAppWithIngressProps> = {
    image: 'ghcr.io/acme/shop@sha256:' + 'a'.repeat(64),
    host: 'shop.example.com',
    additionalHosts: ['www.shop.example.com'],
    paths: ['/', '/static'],
    port: 3000,
    servicePort: 8080,
    replicas: 3,
    name: 'shop',
    instance: 'shop-eu',
    component: 'frontend',
    partOf: 'acme-shop',
    healthCheckPath: '/readyz',
    livenessCheckPath: '/livez',
    startupTimeout: Duration.minutes(2),
    preStopDelay: Duration.seconds(15),
    drainTimeout: Duration.seconds(30),
    tls: { secretName: 'shop-tls', clusterIssuer: 'letsencrypt' },
    ingressClassName: 'public',
    ingressAnnotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' },
    autoscaling: { minReplicas: 3, maxReplicas: 12, targetCpuUtilization: 60, targetMemoryUtilization: 80 },
    config: { LOG_LEVEL: 'debug' },
    secretEnv: { DATABASE_URL: { secret: db, key: 'url', optional: true } },
    command: ['/app/server'],
    args: ['--greeting=$(NAME)'],
    resources: {
      cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.millis(1500) },
      memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
      ephemeralStorage: { request: Size.mebibytes(256), limit: Size.gibibytes(2) },
    },
    runAsUser: 20000,
    runAsGroup: 20001,
    readOnlyRootFilesystem: true,
    writableDirectories: ['/tmp', '/var/cache/app'],
    writableDirectorySizeLimit: Size.mebibytes(512),
    imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
    imagePullSecrets: ['ghcr-pull'],
    nodeSelector: { 'kubernetes.io/arch': 'arm64' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
    podLabels: { 'example.com/team': 'shop' },
    podAnnotations: { 'example.com/log-format': 'json' },
    volumes: [
      {
        name: 'certs',
        source: ExtraVolumeSource.fromSecret(kplus.Secret.fromSecretName(chart, 'Certs', 'shop-certs')),
        mountPath: '/etc/certs',
        readOnly: true,
        subPath: 'tls',
      },
    ],
    serviceAccount: sa,
    automountServiceAccountToken: true,
    priorityClassName: 'web-high',
    networkPolicy: {
      enabled: true,
      ingressControllerNamespace: 'ingress',
      ingressControllerPodLabels: { 'app.kubernetes.io/name': 'ingress-nginx' },
      allowFrom: [WebAppNetworkPeer.allPodsIn('monitoring')],
      allowTo: [{ peer: WebAppNetworkPeer.ipBlock('10.20.0.0/16'), ports: [5432], protocol: kplus.NetworkProtocol.TCP }],
    },
    // canary.cookie is Ingress-only: covered in canary.test.ts
    canary: { image: 'ghcr.io/acme/shop:1.5.0', replicas: 2, weight: 5, header: 'X-Canary', headerValue: 'yes' },
    database: pg.connection('shop'),
    databases: { AUDIT_: pg.connection('shop') },
    ingressEnabled: true,
    gateway: {
      name: 'public',
      namespace: 'gateways',
      sectionName: 'https',
      dataPlaneNamespace: 'envoy-gateway-system',
      dataPlanePodLabels: { 'app.kubernetes.io/name': 'envoy' },
      referenceGrant: true,
    },
    metrics: { port: 9090, path: '/internal/metrics', interval: Duration.seconds(15), scraperNamespace: 'prometheus' },
    revisionHistoryLimit: 3,
    minReady: Duration.seconds(5),
    progressDeadline: Duration.minutes(5),
  };
  const app = new WebAppWithIngress(chart, 'Shop', props);
  const objects = Testing.synth(chart);
  expect(objects).toMatchSnapshot();

  const deployment = only(objects, 'Deployment', 'shop-eu');
  const pod = deployment.spec.template.spec;
  const c = pod.containers[0];
  expect(deployment.metadata.labels).toMatchObject({
    'app.kubernetes.io/name': 'shop',
    'app.kubernetes.io/instance': 'shop-eu',
    'app.kubernetes.io/component': 'frontend',
    'app.kubernetes.io/part-of': 'acme-shop',
  });
  expect(deployment.metadata.labels['app.kubernetes.io/version']).toBeUndefined(); // digest only
  expect(deployment.spec.replicas).toBeUndefined(); // the autoscaler owns it
  expect(deployment.spec).toMatchObject({ revisionHistoryLimit: 3, minReadySeconds: 5, progressDeadlineSeconds: 300 });
  expect(c.image).toBe(props.image);
  expect(c.imagePullPolicy).toBe('Always');
  expect(c.command).toEqual(['/app/server']);
  expect(c.args).toEqual(['--greeting=$$(NAME)']);
  expect(c.readinessProbe.httpGet.path).toBe('/readyz');
  expect(c.livenessProbe.httpGet.path).toBe('/livez');
  expect(c.startupProbe.failureThreshold).toBe(24);
  expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '15']);
  expect(pod.terminationGracePeriodSeconds).toBe(50);
  expect(c.resources).toEqual({
    requests: { cpu: '250m', memory: '512Mi', 'ephemeral-storage': '256Mi' },
    limits: { cpu: '1500m', memory: '1Gi', 'ephemeral-storage': '2Gi' },
  });
  expect(c.securityContext).toMatchObject({ runAsUser: 20000, runAsGroup: 20001, readOnlyRootFilesystem: true });
  expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/tmp', '/var/cache/app', '/etc/certs']);
  expect(c.volumeMounts[2]).toEqual({ name: 'certs', mountPath: '/etc/certs', readOnly: true, subPath: 'tls' });
  expect(pod.volumes).toEqual([
    { name: 'tmp', emptyDir: { sizeLimit: '512Mi' } },
    { name: 'var-cache-app', emptyDir: { sizeLimit: '512Mi' } },
    { name: 'certs', secret: { secretName: 'shop-certs', defaultMode: 0o440 } },
  ]);
  expect(c.env.map((e: any) => e.name)).toEqual(['DATABASE_URL', ...LIBPQ_ENV, ...LIBPQ_ENV.map((n) => `AUDIT_${n}`)]);
  expect(c.env[0]).toEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'shop-db', key: 'url', optional: true } } });
  expect(c.env.find((e: any) => e.name === 'PGPASSWORD').valueFrom).toEqual({ secretKeyRef: { name: 'shop-db-shop', key: 'password' } });
  // the database is in another namespace: its Service is named with that namespace
  expect(c.env.find((e: any) => e.name === 'PGHOST').value).toBe('shop-db-rw.data.svc');
  expect(c.envFrom).toEqual([{ configMapRef: { name: 'shop-eu-config' } }]);
  expect(pod.imagePullSecrets).toEqual([{ name: 'ghcr-pull' }]);
  expect(pod.serviceAccountName).toBe('shop-runner');
  expect(pod.automountServiceAccountToken).toBe(true);
  expect(pod.priorityClassName).toBe('web-high');
  expect(pod.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64' });
  expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }]);
  expect(deployment.spec.template.metadata.labels['example.com/team']).toBe('shop');
  expect(deployment.spec.template.metadata.annotations['example.com/log-format']).toBe('json');
  expect(deployment.spec.selector.matchLabels['example.com/team']).toBeUndefined();
  expect(all(objects, 'ServiceAccount')).toEqual([]);

  const ing = only(objects, 'Ingress', 'shop-eu');
  expect(ing.spec.ingressClassName).toBe('public');
  expect(ing.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/proxy-body-size': '8m', 'cert-manager.io/cluster-issuer': 'letsencrypt' });
  expect(ing.spec.tls).toEqual([{ hosts: ['shop.example.com', 'www.shop.example.com'], secretName: 'shop-tls' }]);
  expect(ing.spec.rules.map((r: any) => [r.host, r.http.paths.map((p: any) => p.path)])).toEqual([
    ['shop.example.com', ['/', '/static']],
    ['www.shop.example.com', ['/', '/static']],
  ]);
  expect(only(objects, 'Service', 'shop-eu').spec.ports).toEqual([
    { name: 'http', port: 8080, targetPort: 'http' },
    { name: 'metrics', port: 9090, targetPort: 'metrics' },
  ]);
  expect(c.ports).toEqual([
    { containerPort: 3000, name: 'http' },
    { containerPort: 9090, name: 'metrics' },
  ]);

  const route = only(objects, 'HTTPRoute', 'shop-eu');
  expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
  expect(route.spec.parentRefs).toEqual([
    { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways', sectionName: 'https' },
  ]);
  expect(route.spec.hostnames).toEqual(['shop.example.com', 'www.shop.example.com']);
  expect(route.spec.rules.map((r: any) => r.backendRefs.map((b: any) => [b.name, b.weight]))).toEqual([
    [['shop-eu-canary', undefined]],
    [
      ['shop-eu', 95],
      ['shop-eu-canary', 5],
    ],
  ]);
  expect(route.spec.rules[0].matches[0]).toEqual({
    path: { type: 'PathPrefix', value: '/' },
    headers: [{ name: 'X-Canary', type: 'Exact', value: 'yes' }],
  });
  expect(only(objects, 'ReferenceGrant', 'shop-eu-tls').spec).toEqual({
    from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'gateways' }],
    to: [{ group: '', kind: 'Secret', name: 'shop-tls' }],
  });
  const monitor = only(objects, 'ServiceMonitor', 'shop-eu');
  expect(monitor.spec.endpoints).toEqual([{ interval: '15s', path: '/internal/metrics', port: 'metrics', scheme: 'http' }]);
  expect(app.httpRoute).toBeDefined();
  expect(app.referenceGrant).toBeDefined();
  expect(app.serviceMonitor).toBeDefined();

  const hpa = only(objects, 'HorizontalPodAutoscaler');
  expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 12, scaleTargetRef: { kind: 'Deployment', name: 'shop-eu' } });
  expect(hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([
    ['cpu', 60],
    ['memory', 80],
  ]);

  const np = only(objects, 'NetworkPolicy', 'shop-eu');
  expect(np.spec.ingress[0].from).toEqual([
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
    },
  ]);
  expect(np.spec.ingress.slice(1)).toEqual([
    {
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'envoy' } },
        },
      ],
      ports: [{ port: 3000, protocol: 'TCP' }],
    },
    { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prometheus' } } }], ports: [{ port: 9090, protocol: 'TCP' }] },
    { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 3000, protocol: 'TCP' }] },
  ]);
  expect(np.spec.egress[1]).toEqual({ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ port: 5432, protocol: 'TCP' }] });
  // one egress rule for the two connections to the same pods, across namespaces
  expect(np.spec.egress.slice(2)).toEqual([
    {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } },
          podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/instance': 'shop-db' }) },
        },
      ],
      ports: [{ port: 5432, protocol: 'TCP' }],
    },
  ]);

  const canaryIngress = only(objects, 'Ingress', 'shop-eu-canary');
  expect(canaryIngress.metadata.annotations).toEqual({
    'nginx.ingress.kubernetes.io/canary': 'true',
    'nginx.ingress.kubernetes.io/canary-weight': '5',
    'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary',
    'nginx.ingress.kubernetes.io/canary-by-header-value': 'yes',
  });
  expect(only(objects, 'Deployment', 'shop-eu-canary').spec.replicas).toBe(2);
  expect(only(objects, 'PodDisruptionBudget', 'shop-eu-canary').spec.maxUnavailable).toBe(1);
  expect(app.canaryPodDisruptionBudget).toBeDefined();
  expect(app.url).toBe('https://shop.example.com');
});

describe('targeted', () => {
  test('the default name is the construct id in kebab case', () => {
    const { objects, app } = synthWebApp({}, 'ShopFront');
    expect(app.appName).toBe('shop-front');
    expect(only(objects, 'Deployment').metadata.name).toBe('shop-front');
  });

  test('objects land in the chart namespace', () => {
    const chart = new Chart(Testing.app(), 'prod', { namespace: 'shop' });
    new WebAppWithIngress(chart, 'shop', MINIMAL);
    for (const obj of Testing.synth(chart)) {
      expect(obj.metadata.namespace).toBe('shop');
    }
  });

  test('synthesizing twice gives identical output', () => {
    const chart = Testing.chart();
    new WebAppWithIngress(chart, 'shop', {
      ...MINIMAL,
      healthCheckPath: '/healthz',
      config: { A: 'b' },
      autoscaling: { maxReplicas: 4 },
      canary: { image: 'ghcr.io/acme/shop:1.5.0' },
    });
    const first = JSON.stringify(Testing.synth(chart));
    const second = JSON.stringify(Testing.synth(chart));
    expect(second).toEqual(first);
    expect(chart.toJson()).toEqual(JSON.parse(first));
  });

  test('moving the construct under another parent changes neither the selector nor the pod template', () => {
    const flat = Testing.chart();
    new WebAppWithIngress(flat, 'shop', MINIMAL);
    const nested = Testing.chart();
    new WebAppWithIngress(new Construct(new Construct(nested, 'Team'), 'Storefront'), 'shop', MINIMAL);
    const a = Testing.synth(flat);
    const b = Testing.synth(nested);
    expect(only(b, 'Deployment').spec.selector).toEqual(only(a, 'Deployment').spec.selector);
    expect(only(b, 'Deployment').spec.template).toEqual(only(a, 'Deployment').spec.template);
    expect(b).toEqual(a);
  });

  describe('config checksum', () => {
    const checksumOf = (props: Partial<WebAppWithIngressProps>) =>
      only(synthWebApp(props).objects, 'Deployment').spec.template.metadata.annotations?.['checksum/config'];

    test('config becomes a ConfigMap read with envFrom', () => {
      const { objects } = synthWebApp({ config: { LOG_LEVEL: 'info' } });
      expect(only(objects, 'ConfigMap')).toMatchObject({ metadata: { name: 'shop-config' }, data: { LOG_LEVEL: 'info' } });
      expect(container(only(objects, 'Deployment')).envFrom).toEqual([{ configMapRef: { name: 'shop-config' } }]);
    });

    test('changes when the config changes', () => {
      const before = checksumOf({ config: { LOG_LEVEL: 'info' } });
      expect(before).toMatch(/^[0-9a-f]{64}$/);
      expect(checksumOf({ config: { LOG_LEVEL: 'debug' } })).not.toEqual(before);
      expect(checksumOf({ config: { LOG_LEVEL: 'info', EXTRA: '1' } })).not.toEqual(before);
    });

    test('does not change when anything else changes', () => {
      const before = checksumOf({ config: { LOG_LEVEL: 'info', B: '2' } });
      expect(checksumOf({ config: { B: '2', LOG_LEVEL: 'info' } })).toEqual(before);
      expect(checksumOf({ config: { LOG_LEVEL: 'info', B: '2' }, image: 'ghcr.io/acme/shop:9.9.9', replicas: 5, port: 9000 })).toEqual(before);
    });

    test('covers data added to the ConfigMap after construction', () => {
      const chart = Testing.chart();
      const app = new WebAppWithIngress(chart, 'shop', { ...MINIMAL, config: { LOG_LEVEL: 'info' } });
      const before = only(Testing.synth(chart), 'Deployment').spec.template.metadata.annotations['checksum/config'];
      app.configMap!.addData('FEATURE_X', 'on');
      const after = only(Testing.synth(chart), 'Deployment').spec.template.metadata.annotations['checksum/config'];
      expect(after).not.toEqual(before);
    });

    test('is absent without config', () => {
      expect(checksumOf({})).toBeUndefined();
    });
  });

  test('secret env references the Secret by name and key; no value reaches the YAML', () => {
    const chart = Testing.chart();
    new WebAppWithIngress(chart, 'shop', {
      ...MINIMAL,
      secretEnv: { STRIPE_KEY: { secret: kplus.Secret.fromSecretName(chart, 'Stripe', 'stripe'), key: 'api-key' } },
    });
    const objects = Testing.synth(chart);
    expect(container(only(objects, 'Deployment')).env).toEqual([
      { name: 'STRIPE_KEY', valueFrom: { secretKeyRef: { name: 'stripe', key: 'api-key', optional: false } } },
    ]);
    expect(all(objects, 'Secret')).toEqual([]);
  });

  test('command and args reach the process verbatim: $( is escaped from Kubernetes expansion', () => {
    const c = container(only(synthWebApp({ command: ['sh', '-c', 'echo $(date)'], args: ['$(HOME)'] }).objects, 'Deployment'));
    expect(c.command).toEqual(['sh', '-c', 'echo $$(date)']);
    expect(c.args).toEqual(['$$(HOME)']);
  });

  test('replicas is omitted when autoscaling, and the autoscaler targets the Deployment', () => {
    const { objects, app } = synthWebApp({ replicas: 3, autoscaling: { minReplicas: 2, maxReplicas: 10, targetCpuUtilization: 70 } });
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.metadata.annotations['polaris.fairwinds.com/deploymentMissingReplicas-exempt']).toBe('true');
    const hpa = only(objects, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 10, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' } });
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    expect(app.autoscaler).toBeInstanceOf(kplus.HorizontalPodAutoscaler);
  });

  test('autoscaling defaults: min 2, CPU 70 %', () => {
    const hpa = only(synthWebApp({ autoscaling: { maxReplicas: 6 } }).objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } });
  });

  test('a PodDisruptionBudget only with 2 or more pods, or an autoscaler', () => {
    expect(all(synthWebApp({ replicas: 1 }).objects, 'PodDisruptionBudget')).toEqual([]);
    expect(all(synthWebApp({ replicas: 2 }).objects, 'PodDisruptionBudget')).toHaveLength(1);
    // kube-score checks Deployments without replicas (autoscaled) for a PDB even at min 1.
    expect(all(synthWebApp({ autoscaling: { minReplicas: 1, maxReplicas: 3 } }).objects, 'PodDisruptionBudget')).toHaveLength(1);
  });

  test('health check path: HTTP readiness and startup, TCP liveness (never identical to readiness)', () => {
    const c = container(only(synthWebApp({ healthCheckPath: '/healthz' }).objects, 'Deployment'));
    expect(c.readinessProbe).toEqual({
      httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(c.startupProbe).toEqual({
      httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 60,
      successThreshold: 1,
    });
    expect(c.livenessProbe).toEqual({ tcpSocket: { port: 'http' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1 });
    // Liveness is more lenient than readiness: a busy pod leaves the endpoints long before it is restarted.
    expect(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold).toBeGreaterThan(
      c.readinessProbe.periodSeconds * c.readinessProbe.failureThreshold,
    );
  });

  test('liveness on the health check path too, with lenient thresholds, when asked; kube-score is told', () => {
    const deployment = only(synthWebApp({ healthCheckPath: '/healthz', livenessCheckPath: '/healthz' }).objects, 'Deployment');
    const c = container(deployment);
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 6 });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5, failureThreshold: 3 });
    expect(deployment.metadata.annotations['kube-score/ignore']).toBe('pod-probes-identical');
  });

  test('startupTimeout sets the startup budget', () => {
    const c = container(only(synthWebApp({ startupTimeout: Duration.seconds(62) }).objects, 'Deployment'));
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(62);
    expect(c.startupProbe.failureThreshold).toBe(13);
  });

  test('preStopDelay 0 removes the hook (images without sleep) and shortens the grace period', () => {
    const pod = only(synthWebApp({ preStopDelay: Duration.seconds(0) }).objects, 'Deployment').spec.template.spec;
    expect(pod.containers[0].lifecycle).toBeUndefined();
    expect(pod.terminationGracePeriodSeconds).toBe(25);
  });

  test('a digest-pinned image is pulled IfNotPresent, and kube-score is told why', () => {
    const deployment = only(synthWebApp({ image: `ghcr.io/acme/shop@sha256:${'b'.repeat(64)}` }).objects, 'Deployment');
    expect(container(deployment).imagePullPolicy).toBe('IfNotPresent');
    expect(deployment.metadata.annotations['kube-score/ignore']).toBe('container-image-pull-policy');
  });

  test('a tag and a digest: pulled IfNotPresent, version label from the tag', () => {
    const deployment = only(synthWebApp({ image: `ghcr.io/acme/shop:1.4.2@sha256:${'b'.repeat(64)}` }).objects, 'Deployment');
    expect(container(deployment).imagePullPolicy).toBe('IfNotPresent');
    expect(deployment.metadata.labels['app.kubernetes.io/version']).toBe('1.4.2');
  });

  test('a UID below 10000 is allowed and annotated for kube-score', () => {
    const deployment = only(synthWebApp({ runAsUser: 1000, runAsGroup: 1000 }).objects, 'Deployment');
    expect(container(deployment).securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true });
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(deployment.metadata.annotations['kube-score/ignore']).toBe('container-security-context-user-group-id');
  });

  test('a writable root filesystem is allowed and annotated for kube-score and kube-linter', () => {
    const deployment = only(synthWebApp({ readOnlyRootFilesystem: false }).objects, 'Deployment');
    expect(container(deployment).securityContext.readOnlyRootFilesystem).toBe(false);
    expect(deployment.metadata.annotations['kube-score/ignore']).toBe('container-security-context-readonlyrootfilesystem');
    expect(deployment.metadata.annotations['ignore-check.kube-linter.io/no-read-only-root-fs']).toMatch(/readOnlyRootFilesystem/);
  });

  test('resources: each given value replaces only its own default', () => {
    const c = container(
      only(synthWebApp({ resources: { cpu: { limit: kplus.Cpu.millis(2500) }, memory: { limit: Size.gibibytes(1) } } }).objects, 'Deployment'),
    );
    expect(c.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '128Mi' },
      limits: { cpu: '2500m', memory: '1Gi', 'ephemeral-storage': '512Mi' },
    });
  });

  test('TLS with a namespaced Issuer', () => {
    const ing = only(synthWebApp({ tls: { secretName: 'shop-tls', issuer: 'shop-ca' } }).objects, 'Ingress');
    expect(ing.metadata.annotations).toEqual({ 'cert-manager.io/issuer': 'shop-ca' });
    expect(ing.spec.tls).toEqual([{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]);
  });

  test('TLS from an existing Secret, without cert-manager', () => {
    const ing = only(synthWebApp({ tls: { secretName: 'shop-tls' } }).objects, 'Ingress');
    expect(ing.metadata.annotations).toBeUndefined();
    expect(ing.spec.tls).toEqual([{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]);
  });

  test('wildcard hosts are accepted', () => {
    const ing = only(synthWebApp({ host: '*.shop.example.com' }).objects, 'Ingress');
    expect(ing.spec.rules[0].host).toBe('*.shop.example.com');
  });

  test('an existing ServiceAccount is used as is, not created', () => {
    const chart = Testing.chart();
    new WebAppWithIngress(chart, 'shop', { ...MINIMAL, serviceAccount: kplus.ServiceAccount.fromServiceAccountName(chart, 'Sa', 'shop-runner') });
    const objects = Testing.synth(chart);
    expect(all(objects, 'ServiceAccount')).toEqual([]);
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('shop-runner');
    // kube-linter's non-existent-service-account only sees the linted files.
    expect(deployment.metadata.annotations['ignore-check.kube-linter.io/non-existent-service-account']).toMatch(/shop-runner is managed outside/);
  });
});
