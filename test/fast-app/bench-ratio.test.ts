/**
 * A small, quick version of `npm run bench` that fails when FastApp loses its advantage.
 * It asserts ratios between runs in the same process, never absolute times, so a slow or busy
 * machine does not fail it; stock and FastApp alternate and the median of three runs counts.
 */
import { ApiObject, App, Chart, Yaml } from 'cdk8s';
import { median } from '../../bench/measure';
import { chainOfCharts, independentCharts, ScenarioBuilder } from '../../bench/scenarios';
import { patternWebApp } from '../../bench/workloads';
import { FastApp } from '../../src';
import { YamlWriter } from '../../src/fast-app/yaml-writer';

/** Wall time of `work` in ms. */
function elapsedMs(work: () => unknown): number {
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Median time of `a`'s work / median time of `b`'s, three runs each, alternating. Each run
 * prepares its work untimed (`prepareA()` returns what is timed).
 */
function ratioOf3(prepareA: () => () => unknown, prepareB: () => () => unknown): { a: number; b: number; ratio: number } {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < 3; i++) {
    as.push(elapsedMs(prepareA()));
    bs.push(elapsedMs(prepareB()));
  }
  return { a: median(as), b: median(bs), ratio: median(as) / median(bs) };
}

/** An app of `build` at `size`, built now; the returned function synthesizes it. */
function synthYaml(appClass: typeof App, build: ScenarioBuilder, size: number): () => string {
  const app = new appClass();
  build(app, size);
  return () => app.synthYaml();
}

/** Median stock synthesis time / median FastApp synthesis time (tree construction excluded). */
function speedup(build: ScenarioBuilder, size: number): { stock: number; fast: number; ratio: number } {
  synthYaml(App, build, 3)(); // warm up both code paths
  synthYaml(FastApp, build, 3)();
  const {
    a: stock,
    b: fast,
    ratio,
  } = ratioOf3(
    () => synthYaml(App, build, size),
    () => synthYaml(FastApp, build, size),
  );
  return { stock, fast, ratio };
}

/** Many small charts: what stock repeats per chart (walking the whole app) dominates. */
const smallCharts: ScenarioBuilder = (app, size) => {
  for (let i = 0; i < size; i++) {
    const chart = new Chart(app, `chart-${i}`);
    new ApiObject(chart, 'Config', { apiVersion: 'v1', kind: 'ConfigMap', data: { index: `${i}` } });
  }
};

test('a chain of 17 dependent charts: FastApp at least 4x faster than stock', () => {
  // stock doubles per link (about 2^17 graph visits here); FastApp is linear
  const r = speedup(chainOfCharts, 17);
  // on failure the diff shows the measured times and ratio
  expect({ ...r, ok: r.ratio >= 4 }).toEqual({ ...r, ok: true });
});

test('300 independent small charts: FastApp at least 2.5x faster than stock', () => {
  // stock re-resolves and re-validates the whole app before each chart (quadratic)
  const r = speedup(smallCharts, 300);
  // on failure the diff shows the measured times and ratio
  expect({ ...r, ok: r.ratio >= 2.5 }).toEqual({ ...r, ok: true });
});

test('the YAML of 100 WebAppWithIngress charts: the writer at least 5x faster than Yaml.stringify()', () => {
  // the writer is what takes FastApp past 10x at 2,000 charts: it must keep its lead (measured
  // about 18x here)
  const app = new App();
  independentCharts(patternWebApp)(app, 100);
  const docs = app.charts.flatMap((chart) => chart.toJson());
  expect(new YamlWriter().stringify(docs)).toBe(Yaml.stringify(...docs));
  const {
    a: library,
    b: own,
    ratio,
  } = ratioOf3(
    () => () => Yaml.stringify(...docs),
    // a new writer each time, as each FastApp synthesis has: its string cache starts empty
    () => () => new YamlWriter().stringify(docs),
  );
  const r = { library, own, ratio };
  // on failure the diff shows the measured times and ratio
  expect({ ...r, ok: r.ratio >= 5 }).toEqual({ ...r, ok: true });
});
