/**
 * The WebAppWithIngress props arbitrary of the fuzzer (`web.fuzz.test.ts`), also used by the
 * web property test.
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { SecretKeyReference, WebAppNetworkPeer, WebAppWithIngress, WebAppWithIngressProps } from '../../src';
import { containerResources, envValue, hostileString, int, mebibytes, mostly, ordered, seconds, text } from './hostile';
import { extraVolumes, FuzzedVolume } from './extra-volumes';

/** Secret references are made in the chart, so the arbitrary describes them by name. */
export type FuzzedWebProps = Omit<WebAppWithIngressProps, 'secretEnv' | 'volumes'> & {
  readonly secretEnv?: Record<string, { name: string; key: string }>;
  readonly volumes?: FuzzedVolume[];
};

const name = text('shop', 'shop-eu', 'web');
const path = text('/', '/api', '/static/', '/v1/items');
const host = mostly(fc.oneof(fc.domain(), fc.constantFrom('*.example.com', 'shop.example.com')), hostileString);
const image = text('ghcr.io/acme/shop:1.4.2', 'nginx:1.27', `ghcr.io/acme/shop@sha256:${'d'.repeat(64)}`);
const envName = text('LOG_LEVEL', 'FEATURE_X', 'REGION');
const port = int(1, 65535);
const peer = mostly(
  fc.oneof(
    fc.constantFrom('10.0.0.0/8', 'fd00::/8').map((c) => WebAppNetworkPeer.ipBlock(c)),
    name.map((ns) => WebAppNetworkPeer.allPodsIn(ns)),
    fc.constant(WebAppNetworkPeer.pods({ app: 'redis' })),
  ),
  hostileString.map((c) => WebAppNetworkPeer.ipBlock(c)),
);

/** Random WebAppWithIngress props, mostly valid, with every hostile class mixed in. */
export const webProps: fc.Arbitrary<FuzzedWebProps> = fc.record(
  {
    image,
    host,
    additionalHosts: mostly(
      fc.uniqueArray(fc.constantFrom('www.example.org', 'shop.example.net'), { maxLength: 2 }),
      fc.array(host, { maxLength: 2 }),
    ),
    paths: mostly(fc.uniqueArray(fc.constantFrom('/', '/api', '/static'), { minLength: 1, maxLength: 3 }), fc.array(path, { maxLength: 3 })),
    port,
    servicePort: port,
    replicas: int(1, 20),
    name,
    instance: name,
    component: name,
    partOf: name,
    healthCheckPath: path,
    livenessCheckPath: path,
    startupTimeout: seconds(5, 600),
    preStopDelay: seconds(0, 30),
    drainTimeout: seconds(0, 60),
    tls: fc.record({ secretName: name, clusterIssuer: fc.option(name, { nil: undefined }) }),
    ingressClassName: name,
    ingressAnnotations: fc.dictionary(text('example.com/x', 'nginx.ingress.kubernetes.io/proxy-body-size'), envValue, { maxKeys: 2 }),
    autoscaling: mostly(
      ordered(2, 50).chain(([minReplicas, maxReplicas]) =>
        fc.record(
          { minReplicas: fc.constant(minReplicas), maxReplicas: fc.constant(maxReplicas), targetCpuUtilization: int(1, 100) },
          { requiredKeys: ['maxReplicas'] },
        ),
      ),
      fc.record({ minReplicas: int(2, 20), maxReplicas: int(2, 50), targetMemoryUtilization: int(1, 100) }, { requiredKeys: ['maxReplicas'] }),
    ),
    config: fc.dictionary(envName, envValue, { maxKeys: 3 }),
    secretEnv: fc.dictionary(text('DB_PASSWORD', 'API_TOKEN'), fc.record({ name, key: text('password', 'token') }), { maxKeys: 2 }),
    command: fc.array(envValue, { minLength: 1, maxLength: 3 }),
    args: fc.array(envValue, { maxLength: 3 }),
    resources: containerResources,
    runAsUser: int(1, 70000),
    runAsGroup: int(1, 70000),
    readOnlyRootFilesystem: fc.boolean(),
    writableDirectories: mostly(fc.uniqueArray(fc.constantFrom('/tmp', '/var/cache'), { maxLength: 2 }), fc.array(text('/tmp'), { maxLength: 2 })),
    writableDirectorySizeLimit: mebibytes(1, 128),
    automountServiceAccountToken: fc.boolean(),
    priorityClassName: name,
    networkPolicy: fc.record(
      {
        enabled: fc.boolean(),
        ingressControllerNamespace: name,
        allowFrom: fc.array(peer, { maxLength: 2 }),
        allowTo: fc.array(fc.record({ peer, ports: fc.option(fc.array(port, { minLength: 1, maxLength: 2 }), { nil: undefined }) }), {
          maxLength: 2,
        }),
      },
      { requiredKeys: [] },
    ),
    canary: fc.oneof(
      fc.record({ image, replicas: int(1, 5), weight: int(0, 100) }, { requiredKeys: ['image'] }),
      fc.record({ image, header: text('X-Canary'), headerValue: text('yes') }, { requiredKeys: ['image', 'header'] }),
    ),
    revisionHistoryLimit: int(0, 20),
    nodeSelector: fc.dictionary(text('kubernetes.io/os', 'topology.kubernetes.io/zone'), text('linux', 'eu-west-1a'), { maxKeys: 2 }),
    tolerations: fc.array(
      fc
        .tuple(
          fc.record(
            {
              key: text('dedicated'),
              operator: text('Equal', 'Exists'),
              value: text('web'),
              effect: text('NoSchedule', 'NoExecute'),
              tolerationSeconds: int(0, 3600),
            },
            { requiredKeys: ['key'] },
          ),
          fc.nat(3),
        )
        // mostly consistent (a value only with Equal, seconds only with NoExecute), sometimes not
        .map(([t, dice]) =>
          dice === 0
            ? t
            : {
                ...t,
                value: t.operator === 'Exists' ? undefined : t.value,
                tolerationSeconds: t.effect === 'NoExecute' ? t.tolerationSeconds : undefined,
              },
        ),
      { maxLength: 2 },
    ),
    podLabels: fc.dictionary(text('team', 'example.com/tier'), text('shop', 'frontend'), { maxKeys: 2 }),
    podAnnotations: fc.dictionary(text('example.com/note'), envValue, { maxKeys: 2 }),
    imagePullSecrets: fc.array(name, { maxLength: 2 }),
    volumes: fc.uniqueArray(
      fc.record(
        {
          name: text('certs', 'uploads'),
          kind: fc.constantFrom('secret' as const, 'configMap' as const, 'claim' as const),
          objectName: name,
          mountPath: text('/etc/certs', '/data'),
          readOnly: fc.boolean(),
          subPath: text('tls'),
        },
        { requiredKeys: ['name', 'kind', 'objectName', 'mountPath'] },
      ),
      { maxLength: 2, comparator: (a, b) => a.name === b.name || a.mountPath === b.mountPath },
    ),
    // mostly both, so the Ingress-only props above stay meaningful; false alone is refused
    ingressEnabled: fc.constantFrom(true, true, true, false),
    gateway: fc.record(
      {
        name,
        namespace: name,
        sectionName: name,
        dataPlaneNamespace: name,
        dataPlanePodLabels: fc.dictionary(text('app'), text('envoy'), { maxKeys: 1 }),
        referenceGrant: fc.constantFrom(false, false, false, true),
      },
      { requiredKeys: ['name', 'namespace'] },
    ),
    metrics: fc.record({ port, path, interval: seconds(1, 120), scraperNamespace: name }, { requiredKeys: ['port'] }),
    minReady: seconds(0, 60),
    progressDeadline: seconds(61, 900),
  },
  { requiredKeys: ['image', 'host', 'ingressEnabled'] },
);

/** Constructs a WebAppWithIngress from fuzzed props (Secret references are made in the chart). */
export function buildWebApp(chart: Chart, id: string, p: FuzzedWebProps): void {
  let secretEnv: Record<string, SecretKeyReference> | undefined;
  if (p.secretEnv !== undefined) {
    secretEnv = {};
    for (const [env, ref] of Object.entries(p.secretEnv)) {
      secretEnv[env] = { secret: kplus.Secret.fromSecretName(chart, `Secret${Object.keys(secretEnv).length}`, 'shop-secrets'), key: ref.key };
    }
  }
  const volumes = extraVolumes(chart, p.volumes);
  new WebAppWithIngress(chart, id, { ...p, secretEnv, volumes });
}
