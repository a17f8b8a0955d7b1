import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, AppProps, Chart, Names, YamlOutputType } from 'cdk8s';
import { IConstruct } from 'constructs';
import { resolveDependencies, validateConstructs } from './app-preparation';
import { dependencyOrder } from './dependency-order';
import { TreeIndex } from './tree-index';
import { YamlWriter } from './yaml-writer';

/** The shape of cdk8s's internal per-chart renderer that `Chart.prototype.toJson` calls. */
interface ChartRenderer {
  _synthChart(chart: Chart): any[];
}

/**
 * A drop-in replacement for cdk8s's `App` whose synthesis takes time linear in the size of the
 * app, with output byte-identical to `App`: the same files, in the same order, with the same
 * bytes, for every `YamlOutputType`, file extension, resolver and construct metadata setting.
 *
 * Stock `App.synth()` re-resolves the dependencies and re-runs the validations of the whole app
 * before rendering each chart (so an app with C charts and N constructs costs O(C × N)), and
 * orders objects with a depth-first search that has no visited set (exponential in the number
 * of paths through the dependency graph: a chain of 28 dependent charts takes about a minute).
 * `FastApp` resolves dependencies once (the stock resolution is a fixed point after its first
 * run), validates once before and once after that resolution (where stock `synth()` also
 * validates), orders charts and objects with a linear-time topological sort that reproduces
 * stock's order exactly, and writes the YAML text directly with the `yaml` library's rules for
 * JSON-shaped documents (`src/fast-app/yaml-writer.ts`), instead of building a YAML node tree
 * per object.
 *
 * Behaviour kept from stock: the same validation errors and dependency-cycle errors with the same
 * messages; the same dependencies added to the construct tree; charts that override `toJson()`
 * are rendered through their override (and `super.toJson()` inside it takes the fast path).
 *
 * One difference: the tree is treated as settled once `synth()` starts. Stock re-resolves and
 * re-validates before each chart, so a construct-level dependency or a validation problem
 * introduced while objects are being rendered (from inside a `Lazy` value or a `toJson()`
 * override) would be picked up by stock for the charts rendered after it; `FastApp` does not
 * look for them. Objects and ApiObject-level dependencies added that late are still rendered
 * and ordered, because each chart's objects are collected when the chart is rendered.
 */
export class FastApp extends App {
  private readonly recordMetadata: boolean;

  /**
   * Defines an app.
   * @param props the same configuration options as cdk8s `App`
   */
  constructor(props: AppProps = {}) {
    super(props);
    // the same default as App (whose field is private)
    this.recordMetadata = props.recordConstructMetadata ?? process.env.CDK8S_RECORD_CONSTRUCT_METADATA === 'true';
  }

  /**
   * Returns all the charts in this app, sorted topologically, in the same order as `App.charts`.
   */
  public override get charts(): Chart[] {
    return chartOrder(this, new TreeIndex());
  }

  /**
   * Synthesizes all manifests to the output directory: the same files, with the same bytes, as
   * `App.synth()`.
   */
  public override synth(): void {
    fs.mkdirSync(this.outdir, { recursive: true });
    const index = new TreeIndex();
    const constructs = index.walk(this);
    validateConstructs(constructs);
    const hasDependantCharts = resolveDependencies(constructs, index);
    const charts = chartOrder(this, index);
    const session = new RenderSession(this, index, false);
    const yaml = new YamlWriter();
    const save = (filePath: string, docs: readonly unknown[]): void => {
      // what Yaml.save() does, with the faster writer
      fs.writeFileSync(filePath, yaml.stringify(docs), { encoding: 'utf8' });
    };

    session.run(() => {
      switch (this.yamlOutputType) {
        case YamlOutputType.FILE_PER_APP: {
          const apiObjectsList: any[] = [];
          for (const chart of charts) {
            apiObjectsList.push(...Object.values(session.chartJson(chart)));
          }
          if (charts.length > 0) {
            save(path.join(this.outdir, `app${this.outputFileExtension}`), apiObjectsList);
          }
          break;
        }
        case YamlOutputType.FILE_PER_CHART: {
          const namer = new ChartNamer(hasDependantCharts);
          for (const chart of charts) {
            const chartName = namer.name(chart);
            const objects = Object.values(session.chartJson(chart));
            save(path.join(this.outdir, chartName + this.outputFileExtension), objects);
          }
          break;
        }
        case YamlOutputType.FILE_PER_RESOURCE: {
          for (const chart of charts) {
            for (const apiObject of Object.values(session.chartJson(chart))) {
              if (apiObject !== undefined) {
                const fileName = resourceFileName(apiObject.kind, apiObject.metadata.name);
                save(path.join(this.outdir, fileName + this.outputFileExtension), [apiObject]);
              }
            }
          }
          break;
        }
        case YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE: {
          const folderNamer = new ChartNamer(hasDependantCharts);
          for (const chart of charts) {
            const chartName = folderNamer.name(chart);
            // like stock: the objects straight from the graph, not through chart.toJson()
            const apiObjects = session.chartObjects(chart);
            const fullOutDir = path.join(this.outdir, chartName);
            fs.mkdirSync(fullOutDir, { recursive: true });
            for (const apiObject of apiObjects) {
              const fileName = resourceFileName(apiObject.kind, apiObject.metadata.name);
              save(path.join(fullOutDir, fileName + this.outputFileExtension), [apiObject.toJson()]);
            }
          }
          break;
        }
        default:
          break;
      }
    });

    if (this.recordMetadata) {
      const allObjects = chartOrder(this, index).flatMap((chart) => session.chartObjects(chart));
      const resources: { [name: string]: { path: string } } = {};
      for (const apiObject of allObjects) {
        resources[apiObject.name] = { path: apiObject.node.path };
      }
      fs.writeFileSync(path.join(this.outdir, 'construct-metadata.json'), JSON.stringify({ version: '1.0.0', resources }));
    }
  }

  /**
   * Synthesizes the app into a YAML string, identical to `App.synthYaml()`.
   *
   * @returns A string with all YAML objects across all charts in this app.
   */
  public override synthYaml(): string {
    const index = new TreeIndex();
    const constructs = index.walk(this);
    resolveDependencies(constructs, index);
    validateConstructs(constructs);
    const charts = chartOrder(this, index);
    const session = new RenderSession(this, index, true);
    const docs: any[] = [];
    session.run(() => {
      for (const chart of charts) {
        docs.push(...Object.values(session.chartJson(chart)));
      }
    });
    return new YamlWriter().stringify(docs);
  }
}

/** The charts of `app` in `App.charts` order. */
function chartOrder(app: App, index: TreeIndex): Chart[] {
  return dependencyOrder(app, index).filter((x): x is Chart => Chart.isChart(x));
}

/**
 * Renders the charts of one synthesis. While it runs, cdk8s's per-chart renderer (what
 * `Chart.prototype.toJson` calls) is routed to the fast path for this app's charts, so a chart
 * that overrides `toJson()` and calls `super.toJson()` gets the same speed; charts of any other
 * app keep the stock renderer.
 */
class RenderSession {
  private validated: boolean;

  constructor(
    private readonly app: App,
    private readonly index: TreeIndex,
    alreadyValidated: boolean,
  ) {
    this.validated = alreadyValidated;
  }

  public run(render: () => void): void {
    const renderer = App as unknown as ChartRenderer;
    const stock = renderer._synthChart;
    renderer._synthChart = (chart: Chart): any[] => {
      if (App.of(chart) === this.app) {
        return this.renderChart(chart);
      }
      return stock.call(App, chart);
    };
    try {
      render();
    } finally {
      renderer._synthChart = stock;
    }
  }

  /** What `chart.toJson()` returns, through the chart's own override if it has one. */
  public chartJson(chart: Chart): any[] {
    if (chart.toJson === Chart.prototype.toJson) {
      return this.renderChart(chart);
    }
    return chart.toJson();
  }

  /** The ApiObjects a chart renders, in stock order: collected now, so late additions count. */
  public chartObjects(chart: Chart): ApiObject[] {
    return dependencyOrder(chart, this.index).filter((x): x is ApiObject => ApiObject.isApiObject(x) && this.index.chartOf(x) === chart);
  }

  /**
   * Stock's per-chart rendering: validate (stock does it before every chart, after dependency
   * resolution; once is enough for a settled tree), then each object's JSON.
   */
  private renderChart(chart: Chart): any[] {
    if (!this.validated) {
      validateConstructs(this.index.walk(this.app));
      this.validated = true;
    }
    return this.chartObjects(chart).map((obj) => obj.toJson());
  }
}

/** File names for charts: prefixed with a running index when charts depend on each other. */
class ChartNamer {
  private index = 0;

  constructor(private readonly indexed: boolean) {}

  public name(chart: IConstruct): string {
    const name = Names.toDnsLabel(chart);
    if (!this.indexed) {
      return name;
    }
    const indexed = `${this.index.toString().padStart(4, '0')}-${name}`;
    this.index++;
    return indexed;
  }
}

/** Stock's per-resource file name (without the extension). */
function resourceFileName(kind: string, name: string | undefined): string {
  return `${kind}.${name}`.replace(/[^0-9a-zA-Z-_.]/g, '');
}
