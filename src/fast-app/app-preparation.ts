import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { TreeIndex } from './tree-index';

/**
 * Runs every construct's validations, in `findAll()` order, and throws cdk8s's error (same
 * text) when any fails.
 */
export function validateConstructs(constructs: readonly IConstruct[]): void {
  const errors: string[] = [];
  for (const child of constructs) {
    for (const error of child.node.validate()) {
      errors.push(`[${child.node.path}] ${error}`);
    }
  }
  if (errors.length > 0) {
    throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
  }
}

interface Dependency {
  readonly source: IConstruct;
  readonly target: IConstruct;
}

function buildDependencies(constructs: readonly IConstruct[]): Dependency[] {
  const deps: Dependency[] = [];
  for (const source of constructs) {
    for (const target of source.node.dependencies) {
      deps.push({ source, target });
    }
  }
  return deps;
}

/**
 * cdk8s's dependency resolution, once: the same `addDependency` calls, in the same order, so the
 * construct tree ends up exactly as stock `App.synth()` leaves it.
 *
 * 1. a chart depends on each chart nested in it;
 * 2. a dependency between constructs of different charts makes the source's chart depend on the
 *    target's chart;
 * 3. every dependency (including those from 1 and 2) is expanded to every ApiObject under the
 *    source (in the source's chart) depending on every ApiObject under the target (in the
 *    target's chart).
 *
 * Stock cdk8s repeats this before rendering each chart; after the first run it is a fixed point
 * (every edge it would add is already there), which is why once is enough. The ApiObject lists
 * per construct are computed once each instead of once per dependency.
 *
 * @param constructs the app's constructs in `findAll()` order
 * @returns whether any chart depends on another (stock prefixes file names with an index then)
 */
export function resolveDependencies(constructs: readonly IConstruct[], index: TreeIndex): boolean {
  let hasDependantCharts = false;

  for (const parentChart of constructs) {
    if (!Chart.isChart(parentChart)) {
      continue;
    }
    for (const childChart of parentChart.node.children) {
      if (Chart.isChart(childChart)) {
        parentChart.node.addDependency(childChart);
        hasDependantCharts = true;
      }
    }
  }

  for (const dep of buildDependencies(constructs)) {
    const sourceChart = index.chartOf(dep.source);
    const targetChart = index.chartOf(dep.target);
    if (sourceChart !== targetChart) {
      sourceChart.node.addDependency(targetChart);
      hasDependantCharts = true;
    }
  }

  const ownedApiObjects = new Map<IConstruct, ApiObject[]>();
  const apiObjectsOf = (c: IConstruct, chart: Chart): ApiObject[] => {
    let list = ownedApiObjects.get(c);
    if (list === undefined) {
      list = [];
      for (const x of index.walk(c)) {
        if (ApiObject.isApiObject(x) && index.chartOf(x) === chart) {
          list.push(x);
        }
      }
      ownedApiObjects.set(c, list);
    }
    return list;
  };

  for (const dep of buildDependencies(constructs)) {
    const sourceChart = index.chartOf(dep.source);
    const targetChart = index.chartOf(dep.target);
    const targetApiObjects = apiObjectsOf(dep.target, targetChart);
    const sourceApiObjects = apiObjectsOf(dep.source, sourceChart);
    for (const target of targetApiObjects) {
      for (const source of sourceApiObjects) {
        if (target !== source) {
          source.node.addDependency(target);
        }
      }
    }
  }

  return hasDependantCharts;
}
