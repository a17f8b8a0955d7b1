/**
 * FastApp surfaces the same errors as stock `App` (same type, same message) and honours charts
 * that override `toJson()`.
 */
import { ApiObject, App, Chart, Lazy, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { FastApp, WebAppWithIngress } from '../../src';
import { AppBuilder, cleanupTmp, expectIdentical, synthFiles, synthYaml } from './support';

afterAll(cleanupTmp);

const ALL_OUTPUT_TYPES = [
  YamlOutputType.FILE_PER_CHART,
  YamlOutputType.FILE_PER_APP,
  YamlOutputType.FILE_PER_RESOURCE,
  YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE,
];

function configMap(scope: Construct, id: string): ApiObject {
  return new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', data: { id } });
}

/** Expects both apps to fail the same way in every output type and in synthYaml(). */
function expectSameError(build: AppBuilder, pattern: RegExp): void {
  for (const yamlOutputType of ALL_OUTPUT_TYPES) {
    const stock = expectIdentical(build, { yamlOutputType });
    expect(stock.error).toMatch(pattern);
  }
  expect(synthYaml(FastApp, build).replace(/^ERROR /, '')).toMatch(pattern);
}

describe('errors', () => {
  test('validation errors: same message listing every failing construct', () => {
    expectSameError((app) => {
      const chart = new Chart(app, 'chart');
      configMap(chart, 'Ok');
      const bad = configMap(chart, 'Bad');
      bad.node.addValidation({ validate: () => ['replicas must be at least 1, got 0', 'second problem'] });
      chart.node.addValidation({ validate: () => ['chart-level problem'] });
    }, /^Error: Validation failed with the following errors:\n {2}\[chart\] chart-level problem\n {2}\[chart\/Bad\] replicas/);
  });

  test('two objects with the same kind, namespace and name: the same error naming both construct paths', () => {
    const web = { image: 'ghcr.io/acme/shop:1.4.2', host: 'shop.example.com' };
    expectSameError((app) => {
      new WebAppWithIngress(new Chart(app, 'A'), 'Web', web);
      new WebAppWithIngress(new Chart(app, 'B'), 'Web', web);
    }, /Validation failed with the following errors:\n[^]*\[\] Deployment "web" without a namespace is synthesized twice, by A\/Web\/Deployment\/Resource and by B\/Web\/Deployment\/Resource/);
    expectSameError((app) => {
      const chart = new Chart(app, 'Store', { namespace: 'shop' });
      new WebAppWithIngress(chart, 'Web', { ...web, name: 'shop' });
      new WebAppWithIngress(chart, 'Web2', { ...web, name: 'shop' });
    }, /Service "shop" in namespace "shop" is synthesized twice, by Store\/Web\/Service\/Resource and by Store\/Web2\/Service\/Resource/);
  });

  test('a validation that only fails once dependencies are resolved fails like stock', () => {
    // stock synth() validates before resolving, then again before rendering each chart
    const build: AppBuilder = (app) => {
      const base = new Chart(app, 'base');
      const obj = configMap(base, 'Obj');
      const top = new Chart(app, 'top');
      configMap(top, 'Obj');
      top.addDependency(base);
      const topObj = top.node.findChild('Obj');
      topObj.node.addValidation({
        validate: () => (topObj.node.dependencies.includes(obj) ? ['depends on base/Obj'] : []),
      });
    };
    for (const yamlOutputType of ALL_OUTPUT_TYPES) {
      const stock = expectIdentical(build, { yamlOutputType });
      // stock renders folder-per-chart output without chart.toJson(), hence without validation
      const expected =
        yamlOutputType === YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE ? undefined : expect.stringMatching(/\[top\/Obj\] depends on base\/Obj/);
      expect(stock.error).toEqual(expected);
    }
  });

  test('a cycle between charts: same "Dependency cycle detected" message', () => {
    expectSameError((app) => {
      const a = new Chart(app, 'a');
      const b = new Chart(app, 'b');
      const c = new Chart(app, 'c');
      configMap(a, 'A');
      configMap(b, 'B');
      configMap(c, 'C');
      a.addDependency(b);
      b.addDependency(c);
      c.addDependency(a);
    }, /^Error: Dependency cycle detected: /);
  });

  test('a cycle between objects of one chart: same message', () => {
    expectSameError((app) => {
      const chart = new Chart(app, 'chart');
      const x = configMap(chart, 'X');
      const y = configMap(chart, 'Y');
      const z = configMap(chart, 'Z');
      x.addDependency(y);
      y.addDependency(z);
      z.addDependency(x);
    }, /^Error: Dependency cycle detected: chart\/[XYZ] => /);
  });

  test('a chart depending on its own child construct is a cycle for both', () => {
    expectSameError((app) => {
      const chart = new Chart(app, 'chart');
      const group = new Construct(chart, 'Group');
      configMap(group, 'One');
      configMap(group, 'Two');
      chart.addDependency(group);
    }, /^Error: Dependency cycle detected: /);
  });

  test('a construct depending on itself is silently left out, exactly like stock', () => {
    // stock's graph accepts the self-loop, and no root adopts a vertex with an inbound edge
    const build: AppBuilder = (app) => {
      const chart = new Chart(app, 'chart');
      const x = configMap(chart, 'Looped');
      configMap(chart, 'Kept');
      x.addDependency(x);
    };
    for (const yamlOutputType of ALL_OUTPUT_TYPES) {
      const stock = expectIdentical(build, { yamlOutputType });
      const written = [...stock.files.values()].join('\n');
      expect(stock.error).toBeUndefined();
      expect(written).toContain('chart-kept-');
      expect(written).not.toContain('chart-looped-');
    }
  });

  test('a dependency on a construct outside every chart: same error', () => {
    expectSameError((app) => {
      const chart = new Chart(app, 'chart');
      configMap(chart, 'X');
      const stray = new Construct(app, 'Stray');
      chart.addDependency(stray);
    }, /cannot find a parent chart \(directly or indirectly\)/);
  });

  test('an object that fails to serialize: same error, same files written before it', () => {
    expectSameError((app) => {
      for (const id of ['first', 'second']) {
        const chart = new Chart(app, id);
        new ApiObject(chart, 'Obj', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          data: {
            v: Lazy.any({
              produce: () => {
                if (id === 'second') {
                  throw new Error('value is not available');
                }
                return 'ok';
              },
            }),
          },
        });
      }
    }, /Failed serializing construct at path 'second\/Obj' .*value is not available/);
  });

  test('the stock per-chart renderer is restored after synthesis, even after an error', () => {
    const renderer = (App as any)._synthChart;
    const fail = synthFiles(FastApp, (app) => {
      const chart = new Chart(app, 'chart');
      new ApiObject(chart, 'X', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        data: {
          v: Lazy.any({
            produce: () => {
              throw new Error('broken while rendering');
            },
          }),
        },
      });
    });
    expect(fail.error).toMatch(/broken while rendering/);
    expect((App as any)._synthChart).toBe(renderer);
    const app = new FastApp();
    configMap(new Chart(app, 'chart'), 'X');
    app.synthYaml();
    expect((App as any)._synthChart).toBe(renderer);
  });
});

/** A chart that post-processes its rendering, as cdk8s-core#1053 allows. */
class AnnotatingChart extends Chart {
  public rendered = 0;
  public override toJson(): any[] {
    this.rendered++;
    const objects = super.toJson();
    for (const o of objects) {
      o.metadata.annotations = { ...o.metadata.annotations, 'example.com/rendered-by': 'override' };
    }
    return [...objects].reverse();
  }
}

/** A chart whose override does not call super at all. */
class HandRenderedChart extends Chart {
  public override toJson(): any[] {
    return [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `hand-${this.node.id}` }, data: { a: '1' } }];
  }
}

describe('charts that override toJson()', () => {
  const build: AppBuilder = (app) => {
    const base = new AnnotatingChart(app, 'base');
    configMap(base, 'B1');
    configMap(base, 'B2');
    const hand = new HandRenderedChart(app, 'hand');
    configMap(hand, 'Ignored');
    const top = new AnnotatingChart(app, 'top');
    configMap(top, 'T1');
    top.addDependency(base);
    hand.addDependency(base);
  };

  test('are rendered through the override, byte-identical to stock, in every output type', () => {
    for (const yamlOutputType of ALL_OUTPUT_TYPES) {
      const stock = expectIdentical(build, { yamlOutputType });
      expect(stock.error).toBeUndefined();
      const written = [...stock.files.values()].join('\n');
      if (yamlOutputType === YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE) {
        // stock does not call toJson() for this output type, and neither does FastApp
        expect(written).not.toContain('example.com/rendered-by');
      } else {
        expect(written).toContain('example.com/rendered-by: override');
        expect(written).toContain('name: hand-hand');
      }
    }
  });

  test('super.toJson() inside an override takes the fast path (validations run twice, not once per chart)', () => {
    const validationRuns = (appClass: typeof App): number => {
      let runs = 0;
      synthFiles(appClass, (app) => {
        build(app);
        for (let i = 0; i < 5; i++) {
          configMap(new AnnotatingChart(app, `extra-${i}`), 'X');
        }
        app.node.addValidation({ validate: () => (runs++, []) });
      });
      return runs;
    };
    // stock: once before resolving, then once per chart rendered through super.toJson()
    expect(validationRuns(App)).toBe(1 + 7);
    // FastApp: once before resolving, once after (before the first chart is rendered)
    expect(validationRuns(FastApp)).toBe(2);
  });

  test('a chart of another (stock) app rendered during FastApp synthesis uses the stock renderer', () => {
    const other = new App();
    const foreign = new Chart(other, 'foreign');
    configMap(foreign, 'F');
    const expected = foreign.toJson();

    class EmbeddingChart extends Chart {
      public override toJson(): any[] {
        return [...super.toJson(), ...foreign.toJson()];
      }
    }
    const app = new FastApp();
    configMap(new EmbeddingChart(app, 'embedding'), 'E');
    const yaml = app.synthYaml();
    expect(yaml).toContain(`name: ${expected[0].metadata.name}`);
    expect(yaml).toContain('name: embedding-e-');
  });
});
