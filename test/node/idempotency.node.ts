/**
 * Applying an example's output a second time changes nothing: every object reports `unchanged`
 * and keeps its resourceVersion and generation. Fields the API server drops when empty
 * (`externalIPs: []`, `ingress: []`) would make every apply report `configured`: a permanent
 * drift under GitOps tools.
 */
import { App, Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { nightlyApp } from '../../apps/nightly';
import { ordersApp } from '../../apps/orders';
import { shopApp } from '../../apps/shop';
import { kubectl, recycleVolumes, waitFor } from './support/node-cluster';

/**
 * Objects kubectl reports `configured` on every apply although the server stores nothing (no
 * manifest can avoid it); they pass when their resourceVersion stays, which the test checks for
 * every object:
 * - a PodDisruptionBudget: kubectl always sends its selector (patch strategy "replace");
 * - a Job or CronJob with a podFailurePolicy: Kubernetes 1.27 stores `onExitCodes: null` in each
 *   rule, so kubectl always finds the (atomic) rules list different and sends it again.
 */
const KNOWN_NO_OP_PATCHES = [/^poddisruptionbudget\.policy\/\S+ configured$/, /^(cronjob|job)\.batch\/\S+ configured$/];

const EXAMPLES: { name: string; add: (app: App) => void }[] = [
  { name: 'shop', add: shopApp },
  { name: 'nightly', add: nightlyApp },
  { name: 'orders', add: ordersApp },
];

/** The example's objects exactly as synthesized (schema-checked by the shared setup), one YAML stream. */
function exampleYaml(add: (app: App) => void): { yaml: string; namespaces: string[] } {
  const app = Testing.app();
  add(app);
  const objects = app.charts.flatMap((c) => Testing.synth(c));
  const namespaces = [...new Set(objects.map((o: any) => o.metadata.namespace).filter((n: unknown): n is string => typeof n === 'string'))];
  return { yaml: objects.map((o) => stringify(o)).join('---\n'), namespaces };
}

describe('apply is idempotent for every example', () => {
  for (const example of EXAMPLES) {
    test(`${example.name}: a second apply reports every object unchanged`, async () => {
      const { yaml, namespaces } = exampleYaml(example.add);
      for (const ns of namespaces) {
        // a namespace left by an earlier run must be gone first (creating in a terminating one fails)
        await waitFor(`namespace ${ns} not terminating`, 180_000, () =>
          kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.status.phase}'], { allowFailure: true }).stdout === 'Terminating' ? undefined : true,
        );
        kubectl(['create', 'namespace', ns], { allowFailure: true });
      }
      try {
        const first = kubectl(['apply', '-f', '-'], { input: yaml }).stdout.trim().split('\n');
        expect(first.length).toBeGreaterThan(0);
        const versions = () =>
          Object.fromEntries(
            (JSON.parse(kubectl(['get', '-f', '-', '-o', 'json'], { input: yaml }).stdout).items as any[]).map((o) => [
              `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`,
              `resourceVersion ${o.metadata.resourceVersion}, generation ${o.metadata.generation}`,
            ]),
          );
        const before = versions();
        const second = kubectl(['apply', '-f', '-'], { input: yaml }).stdout.trim().split('\n');
        expect(second).toHaveLength(first.length);
        expect(second.filter((l) => !l.endsWith(' unchanged') && !KNOWN_NO_OP_PATCHES.some((k) => k.test(l)))).toEqual([]);
        // nothing changed on the server: every object keeps its resourceVersion and generation
        expect(versions()).toEqual(before);
      } finally {
        for (const ns of namespaces) {
          kubectl(['delete', 'namespace', ns, '--wait=false'], { allowFailure: true });
          // the pods never started (their images are not pulled): no need to wait out their grace periods
          kubectl(['delete', 'pods', '--all', '-n', ns, '--force', '--grace-period=0'], { allowFailure: true });
        }
        for (const ns of namespaces) {
          await waitFor(`namespace ${ns} deleted`, 180_000, () =>
            kubectl(['get', 'namespace', ns], { allowFailure: true }).code !== 0 ? true : undefined,
          );
        }
        recycleVolumes();
      }
    });
  }
});
