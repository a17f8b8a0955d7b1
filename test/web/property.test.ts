import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { WebAppWithIngress } from '../../src';
import { buildWebApp, webProps } from '../fuzz/web-props';
import { manifestProblems } from './manifest-rules';

// Random props from the fuzzer's arbitrary (test/fuzz/web-props.ts: every prop, hostile values
// mixed in); `npm run fuzz` runs the same arbitrary at scale.
test('random props give schema-valid manifests or our error, never a crash', () => {
  let valid = 0;
  let rejected = 0;
  fc.assert(
    fc.property(webProps, (p) => {
      const chart = Testing.chart();
      try {
        buildWebApp(chart, 'app', p);
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
