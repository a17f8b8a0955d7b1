import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { WebAppAutoscalingOptions, WebAppNetworkPeer, WebAppWithIngress, WebAppWithIngressProps } from '../../src';
import { manifestProblems } from './manifest-rules';

/** Mostly valid, sometimes anything: with ~30 props, every prop must usually be valid for whole props to be. */
function mostly<T>(valid: fc.Arbitrary<T>, anything: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: valid, weight: 19 }, { arbitrary: anything, weight: 1 });
}

const image = mostly(
  fc.constantFrom('ghcr.io/acme/shop:1.4.2', 'nginx:1.27', 'registry.example.com:5000/team/app:v2', `ghcr.io/acme/shop@sha256:${'d'.repeat(64)}`),
  fc.oneof(fc.constantFrom('nginx', 'nginx:latest', 'UPPER/case:1', ''), fc.string({ maxLength: 30 })),
);
const host = mostly(
  fc.oneof(fc.domain(), fc.constantFrom('*.example.com', 'shop.example.com')),
  fc.oneof(fc.constantFrom('localhost', '10.0.0.1', 'a_b.com', ''), fc.string({ maxLength: 20 })),
);
const path = mostly(
  fc.constantFrom('/', '/api', '/static/', '/v1/items'),
  fc.oneof(fc.constantFrom('/a//b', 'api', '/v1/(.*)', '/%2F'), fc.webPath(), fc.string({ maxLength: 10 })),
);
const port = mostly(fc.integer({ min: 1, max: 65535 }), fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.double({ min: -1, max: 100, noNaN: true })));
const count = mostly(fc.integer({ min: 1, max: 12 }), fc.constantFrom(-1, 0, 2.5));
const percent = mostly(fc.integer({ min: 0, max: 100 }), fc.constantFrom(-1, 101, 2.5, 5000));
const seconds = (min: number, max: number) =>
  mostly(
    fc.integer({ min, max }).map((s) => Duration.seconds(s)),
    fc.oneof(
      fc.integer({ min: 0, max: 100000 }).map((s) => Duration.seconds(s)),
      fc.constant(Duration.millis(1500)),
    ),
  );
const size = mostly(
  fc.integer({ min: 1, max: 4096 }).map((m) => Size.mebibytes(m)),
  fc.oneof(
    fc.integer({ min: 0, max: 4096 }).map((m) => Size.mebibytes(m)),
    fc.integer({ min: 1, max: 5000 }).map((k) => Size.kibibytes(k)),
  ),
);
const cpu = mostly(
  fc.integer({ min: 1, max: 4000 }).map((m) => kplus.Cpu.millis(m)),
  fc.constantFrom(kplus.Cpu.millis(0), kplus.Cpu.millis(0.5)),
);
const envKey = mostly(
  fc.constantFrom('LOG_LEVEL', 'FEATURE_X', 'REGION'),
  fc.oneof(fc.constantFrom('PATH', 'PGHOST', 'DB_PASSWORD', 'log.level'), fc.string({ maxLength: 8 })),
);
const label = mostly(
  fc.constantFrom('shop', 'shop-eu', 'web'),
  fc.oneof(fc.constantFrom('Shop', '1shop', 'a'.repeat(60), ''), fc.string({ maxLength: 12 })),
);
const peer = mostly(
  fc.oneof(
    fc.constantFrom('10.0.0.0/8', 'fd00::/8').map((c) => WebAppNetworkPeer.ipBlock(c)),
    fc.constant(WebAppNetworkPeer.allPodsIn('monitoring')),
    fc.constant(WebAppNetworkPeer.pods({ app: 'redis' })),
  ),
  fc.oneof(
    fc.constantFrom('10.0.0.0/40', 'x').map((c) => WebAppNetworkPeer.ipBlock(c)),
    fc.constant(WebAppNetworkPeer.allPodsIn('Bad_NS')),
    fc.dictionary(fc.constantFrom('app', 'a b'), fc.constantFrom('x', 'y z')).map((l) => WebAppNetworkPeer.pods(l)),
  ),
);

const ordered = (min: number, max: number) => fc.integer({ min, max }).chain((lo) => fc.tuple(fc.constant(lo), fc.integer({ min: lo, max })));

const validResources = fc.record(
  {
    cpu: ordered(1, 4000).map(([r, l]) => ({ request: kplus.Cpu.millis(r), limit: kplus.Cpu.millis(l) })),
    memory: ordered(1, 4096).map(([r, l]) => ({ request: Size.mebibytes(r), limit: Size.mebibytes(l) })),
    ephemeralStorage: ordered(1, 512).map(([r]) => ({ request: Size.mebibytes(r), limit: Size.mebibytes(2048) })),
  },
  { requiredKeys: [] },
);
const anyResources = fc.record(
  {
    cpu: fc.record({ request: cpu, limit: cpu }, { requiredKeys: [] }),
    memory: fc.record({ request: size, limit: size }, { requiredKeys: [] }),
    ephemeralStorage: fc.record({ request: size, limit: size }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

const props: fc.Arbitrary<WebAppWithIngressProps> = fc.record(
  {
    image,
    host,
    additionalHosts: mostly(
      fc.uniqueArray(fc.constantFrom('www.example.org', 'shop.example.net'), { maxLength: 2 }),
      fc.array(host, { maxLength: 2 }),
    ),
    paths: mostly(fc.uniqueArray(path, { minLength: 1, maxLength: 3 }), fc.array(path, { maxLength: 3 })),
    port,
    servicePort: port,
    replicas: count,
    name: label,
    instance: label,
    healthCheckPath: path,
    livenessCheckPath: mostly(fc.constantFrom('/livez', '/alive'), path),
    startupTimeout: seconds(5, 600),
    preStopDelay: seconds(0, 30),
    drainTimeout: seconds(0, 60),
    tls: mostly(
      fc.oneof(
        fc.record({ secretName: label, clusterIssuer: label }),
        fc.record({ secretName: label, issuer: label }),
        fc.record({ secretName: label }),
      ),
      fc.record({ secretName: label, clusterIssuer: fc.option(label, { nil: undefined }), issuer: fc.option(label, { nil: undefined }) }),
    ),
    ingressAnnotations: fc.dictionary(
      mostly(fc.constant('a.io/x'), fc.constantFrom('cert-manager.io/issuer', 'bad key')),
      fc.string({ maxLength: 5 }),
      { maxKeys: 2 },
    ),
    autoscaling: mostly<WebAppAutoscalingOptions>(
      ordered(1, 20).map(([minReplicas, maxReplicas]) => ({ minReplicas, maxReplicas })),
      fc.record(
        { minReplicas: count, maxReplicas: count, targetCpuUtilization: percent, targetMemoryUtilization: percent },
        { requiredKeys: ['maxReplicas'] },
      ),
    ),
    config: fc.dictionary(envKey, fc.string({ maxLength: 10 }), { maxKeys: 3 }),
    resources: mostly(validResources, anyResources),
    runAsUser: mostly(fc.integer({ min: 1, max: 70000 }), fc.constantFrom(-1, 0, 1.5)),
    writableDirectories: mostly<string[]>(
      fc.uniqueArray(fc.constantFrom('/tmp', '/var/cache'), { maxLength: 2 }),
      fc.array(fc.constantFrom('/tmp', 'rel', '/', '/a/../b', '/x/'), { maxLength: 3 }),
    ),
    writableDirectorySizeLimit: mostly(
      fc.integer({ min: 1, max: 128 }).map((m) => Size.mebibytes(m)),
      size,
    ),
    readOnlyRootFilesystem: fc.boolean(),
    networkPolicy: fc.record(
      {
        enabled: fc.boolean(),
        ingressControllerNamespace: label,
        allowFrom: fc.array(peer, { maxLength: 2 }),
        allowTo: fc.array(
          fc.record({
            peer,
            ports: fc.option(mostly(fc.array(port, { minLength: 1, maxLength: 2 }), fc.array(port, { maxLength: 2 })), { nil: undefined }),
          }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: [] },
    ),
    canary: fc.record(
      {
        image,
        replicas: count,
        weight: percent,
        header: mostly(fc.constant('X-Canary'), fc.constant('bad header')),
        headerValue: mostly(fc.constant('yes'), fc.constant('')),
      },
      { requiredKeys: ['image'] },
    ),
    revisionHistoryLimit: count,
    minReady: seconds(0, 60),
    progressDeadline: seconds(61, 900),
  },
  { requiredKeys: ['image', 'host'] },
);

test('random props give schema-valid manifests or our error, never a crash', () => {
  let valid = 0;
  let rejected = 0;
  fc.assert(
    fc.property(props, (p) => {
      const chart = Testing.chart();
      try {
        new WebAppWithIngress(chart, 'app', p);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect(e).not.toBeInstanceOf(TypeError);
        expect(e).not.toBeInstanceOf(RangeError);
        expect((e as Error).message).toMatch(/^\[test\/app\] \S/);
        rejected++;
        return;
      }
      // Accepted props must synthesize; the test setup validates every object against the schema.
      const objects = Testing.synth(chart);
      expect(objects.some((o) => o.kind === 'Deployment')).toBe(true);
      // ... and pass the linters' checks (deviations the props ask for carry ignore annotations).
      expect(manifestProblems(objects)).toEqual([]);
      valid++;
    }),
    { numRuns: 120, seed: 20261122 },
  );
  // Both outcomes were exercised, or the property proves little.
  expect(valid).toBeGreaterThan(0);
  expect(rejected).toBeGreaterThan(0);
});

// Mostly-valid props: the accepted branch is exercised often, with every optional part present.
test('valid props with random optional parts always synthesize', () => {
  const validProps = fc.record(
    {
      replicas: fc.integer({ min: 1, max: 10 }),
      port: fc.integer({ min: 1, max: 65535 }),
      healthCheckPath: fc.constantFrom('/healthz', '/ready', undefined),
      paths: fc.uniqueArray(fc.constantFrom('/', '/api', '/static'), { minLength: 1, maxLength: 3 }),
      config: fc.dictionary(fc.constantFrom('LOG_LEVEL', 'FEATURE_X', 'REGION'), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
      autoscaling: fc.option(
        fc.integer({ min: 1, max: 5 }).chain((min) => fc.record({ minReplicas: fc.constant(min), maxReplicas: fc.integer({ min, max: 20 }) })),
        { nil: undefined },
      ),
      canary: fc.option(
        fc.record({
          image: fc.constant('ghcr.io/acme/shop:2.0.0'),
          weight: fc.integer({ min: 0, max: 100 }),
          replicas: fc.integer({ min: 1, max: 3 }),
        }),
        {
          nil: undefined,
        },
      ),
      tls: fc.option(fc.constant({ secretName: 'shop-tls', clusterIssuer: 'letsencrypt' }), { nil: undefined }),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(validProps, (p) => {
      const chart = Testing.chart();
      new WebAppWithIngress(chart, 'app', { image: 'ghcr.io/acme/shop:1.4.2', host: 'shop.example.com', ...p });
      const objects = Testing.synth(chart);
      const deployments = objects.filter((o) => o.kind === 'Deployment');
      expect(deployments).toHaveLength(p.canary ? 2 : 1);
      // The autoscaler owns the count; without one, the Deployment states it.
      expect(deployments[0].spec.replicas).toBe(p.autoscaling ? undefined : (p.replicas ?? 2));
      expect(manifestProblems(objects)).toEqual([]);
    }),
    { numRuns: 50, seed: 7 },
  );
});
