/**
 * The pattern-overhead benchmark compares WebAppWithIngress with the same objects written by
 * hand; the comparison is only fair while both synthesize the same manifests.
 */
import { App } from 'cdk8s';
import { handWrittenWebApp, patternWebApp, workloadChart } from '../../bench/workloads';

function manifests(workload: typeof patternWebApp): string {
  const app = new App();
  workloadChart(app, 'storefront', workload);
  return app.synthYaml();
}

test('the hand-written web app synthesizes exactly what WebAppWithIngress does', () => {
  const pattern = manifests(patternWebApp);
  expect(pattern).toContain('kind: NetworkPolicy');
  expect(manifests(handWrittenWebApp)).toEqual(pattern);
});
