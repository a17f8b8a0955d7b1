/**
 * Property: for random apps (charts, nested charts, groups of objects, chart-level and
 * construct-level dependencies, cycles included), FastApp and stock App write the same files
 * with the same bytes, return the same synthYaml(), or throw the same error.
 *
 * Apps are kept small enough for stock's exponential graph walk to finish quickly.
 */
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import * as fc from 'fast-check';
import { FastApp } from '../../src';
import { AppBuilder, cleanupTmp, synthFiles, synthYaml } from './support';

afterAll(cleanupTmp);

/** Ids include canonical array indices, which JavaScript objects order first. */
const ID_POOL = ['a', 'b', 'web', '0', '1', '7', '10', '01', 'z-z'];

interface ObjectModel {
  readonly id: string;
  /** index of the group construct holding it, or -1 for directly in the chart */
  readonly group: number;
}

interface ChartModel {
  readonly id: string;
  /** index of an earlier chart it is nested in, or -1 for a top-level chart */
  readonly parent: number;
  readonly groups: number;
  readonly objects: readonly ObjectModel[];
}

/** A reference to a construct: a chart, a group in it, or an object in it. */
interface Ref {
  readonly chart: number;
  readonly kind: 'chart' | 'group' | 'object';
  readonly item: number;
}

interface AppModel {
  readonly charts: readonly ChartModel[];
  readonly dependencies: readonly { readonly from: Ref; readonly to: Ref }[];
  readonly yamlOutputType: YamlOutputType;
  readonly recordConstructMetadata: boolean;
}

const refArb = fc.record({
  chart: fc.nat(5),
  kind: fc.constantFrom<Ref['kind']>('chart', 'group', 'object'),
  item: fc.nat(3),
});

const appArb: fc.Arbitrary<AppModel> = fc.record({
  charts: fc.array(
    fc.record({
      id: fc.constantFrom(...ID_POOL),
      parent: fc.integer({ min: -3, max: 4 }),
      groups: fc.nat(2),
      objects: fc.array(fc.record({ id: fc.constantFrom(...ID_POOL), group: fc.integer({ min: -1, max: 1 }) }), {
        maxLength: 4,
      }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  dependencies: fc.array(fc.record({ from: refArb, to: refArb }), { maxLength: 6 }),
  yamlOutputType: fc.constantFrom(
    YamlOutputType.FILE_PER_CHART,
    YamlOutputType.FILE_PER_APP,
    YamlOutputType.FILE_PER_RESOURCE,
    YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE,
  ),
  recordConstructMetadata: fc.boolean(),
});

/** Makes sibling ids unique the way a user would: by suffixing. */
function uniqueId(scope: Construct, id: string): string {
  let candidate = id;
  for (let n = 2; scope.node.tryFindChild(candidate); n++) {
    candidate = `${id}${n}`;
  }
  return candidate;
}

function builderFor(model: AppModel): AppBuilder {
  return (app) => {
    const charts: Chart[] = [];
    const groups: Construct[][] = [];
    const objects: ApiObject[][] = [];
    model.charts.forEach((m, i) => {
      const parent = m.parent >= 0 && m.parent < i ? charts[m.parent] : app;
      const chart = new Chart(parent, uniqueId(parent, m.id));
      charts.push(chart);
      const chartGroups: Construct[] = [];
      for (let g = 0; g < m.groups; g++) {
        chartGroups.push(new Construct(chart, uniqueId(chart, `group${g}`)));
      }
      groups.push(chartGroups);
      objects.push(
        m.objects.map((o) => {
          const scope = o.group >= 0 && o.group < chartGroups.length ? chartGroups[o.group] : chart;
          const id = uniqueId(scope, o.id);
          return new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', data: { id } });
        }),
      );
    });
    const resolve = (ref: Ref): IConstruct | undefined => {
      const c = ref.chart % charts.length;
      if (ref.kind === 'chart') {
        return charts[c];
      }
      const list: IConstruct[] = ref.kind === 'group' ? groups[c] : objects[c];
      return list.length === 0 ? undefined : list[ref.item % list.length];
    };
    for (const dep of model.dependencies) {
      const from = resolve(dep.from);
      const to = resolve(dep.to);
      if (from && to) {
        from.node.addDependency(to);
      }
    }
  };
}

test('random apps: FastApp writes what App writes, or fails the same way', () => {
  let failures = 0;
  let outputs = 0;
  fc.assert(
    fc.property(appArb, (model) => {
      const build = builderFor(model);
      const props = { yamlOutputType: model.yamlOutputType, recordConstructMetadata: model.recordConstructMetadata };
      const stock = synthFiles(App, build, props);
      const fast = synthFiles(FastApp, build, props);
      expect(fast.error).toEqual(stock.error);
      expect([...fast.files.entries()].sort()).toEqual([...stock.files.entries()].sort());
      expect(synthYaml(FastApp, build, props)).toEqual(synthYaml(App, build, props));
      if (stock.error === undefined) {
        outputs++;
      } else {
        failures++;
      }
    }),
    { numRuns: 150 },
  );
  // the generator must exercise both outcomes, or the property says little
  expect(outputs).toBeGreaterThan(30);
  expect(failures).toBeGreaterThan(5);
});
