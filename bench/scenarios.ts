/**
 * The app layouts the benchmarks synthesize. Each builder fills an app (stock `App` or
 * `FastApp`) with charts; the same builder and size give the same construct tree for both.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { deploymentAndService, handWrittenWebApp, patternWebApp, Workload, workloadChart } from './workloads';

/** What a scenario builds at a given size. */
export type ScenarioBuilder = (app: App, size: number) => void;

/** N independent charts, one web application each. */
export function independentCharts(workload: Workload): ScenarioBuilder {
  return (app, size) => {
    for (let i = 0; i < size; i++) {
      workloadChart(app, `web-${i}`, workload);
    }
  };
}

/**
 * A chain of `size` charts, each depending on the previous one; each holds a Deployment and a
 * Service, so stock cdk8s's graph walk doubles with every link.
 */
export const chainOfCharts: ScenarioBuilder = (app, size) => {
  let previous: Chart | undefined;
  for (let i = 0; i < size; i++) {
    const chart = workloadChart(app, `link-${i}`, deploymentAndService);
    if (previous) {
      chart.addDependency(previous);
    }
    previous = chart;
  }
};

/** Objects in the shared chart of the hub layout (namespaces, CRDs, shared config). */
export const HUB_SHARED_OBJECTS = 20;

/** One shared chart with `HUB_SHARED_OBJECTS` objects, and `size` web-app charts depending on it. */
export const hubOfCharts: ScenarioBuilder = (app, size) => {
  const shared = new Chart(app, 'shared');
  for (let i = 0; i < HUB_SHARED_OBJECTS; i++) {
    new ApiObject(shared, `Shared${i}`, { apiVersion: 'v1', kind: 'ConfigMap', data: { index: `${i}` } });
  }
  for (let i = 0; i < size; i++) {
    workloadChart(app, `web-${i}`, patternWebApp).addDependency(shared);
  }
};

/** The scenarios by name, as the benchmark's child processes receive them. */
export const SCENARIOS: { [name: string]: ScenarioBuilder } = {
  independent: independentCharts(patternWebApp),
  'independent-hand-written': independentCharts(handWrittenWebApp),
  chain: chainOfCharts,
  hub: hubOfCharts,
};
