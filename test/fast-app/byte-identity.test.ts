/**
 * FastApp must be indistinguishable from stock `App` in output: every case below synthesizes the
 * same app with both and compares every file (name and bytes), `synthYaml()` and errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, AppProps, Chart, Cron, Include, IResolver, JsonPatch, Lazy, ResolutionContext, YamlOutputType } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, DependencyGroup } from 'constructs';
import { deploymentAndService, handWrittenWebApp, patternWebApp, workloadChart } from '../../bench/workloads';
import { nightlyApp } from '../../apps/nightly';
import { ordersApp } from '../../apps/orders';
import { shopApp } from '../../apps/shop';
import { FastApp } from '../../src';
import { AppBuilder, cleanupTmp, expectIdentical, synthFiles, synthYaml } from './support';

afterAll(cleanupTmp);

const OUTPUT_TYPES: [string, YamlOutputType][] = [
  ['FILE_PER_CHART', YamlOutputType.FILE_PER_CHART],
  ['FILE_PER_APP', YamlOutputType.FILE_PER_APP],
  ['FILE_PER_RESOURCE', YamlOutputType.FILE_PER_RESOURCE],
  ['FOLDER_PER_CHART_FILE_PER_RESOURCE', YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE],
];

function configMap(scope: Construct, id: string, data: Record<string, string> = { key: id }): ApiObject {
  return new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', data });
}

/** What apps/main.ts synthesizes into dist/. */
const exampleApps: AppBuilder = (app) => {
  shopApp(app);
  nightlyApp(app);
  ordersApp(app);
};

/** Independent charts of web apps (pattern and hand-written): the common case. */
const independentCharts: AppBuilder = (app) => {
  for (let i = 0; i < 4; i++) {
    workloadChart(app, `web-${i}`, i % 2 === 0 ? patternWebApp : handWrittenWebApp);
  }
  workloadChart(app, 'plain', deploymentAndService);
};

/** Every way cdk8s knows to express a dependency, across and within charts, and nesting. */
const everyDependencyKind: AppBuilder = (app) => {
  const base = new Chart(app, 'base', { namespace: 'platform' });
  const ns = new ApiObject(base, 'Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  const crds = new Construct(base, 'Crds');
  configMap(crds, 'CrdA');
  configMap(crds, 'CrdB');

  const shop = new Chart(app, 'shop', { labels: { team: 'shop' } });
  shop.addDependency(base); // chart -> chart
  const web = patternWebApp(shop, 'storefront');
  const settings = configMap(shop, 'Settings');
  web.node.addDependency(settings); // construct -> ApiObject in the same chart
  const nested = new Chart(shop, 'nested'); // nested chart: shop depends on it
  configMap(nested, 'NestedConfig');

  const orders = new Chart(app, 'orders');
  const ordersWeb = handWrittenWebApp(orders, 'orders');
  ApiObject.of(ordersWeb.node.findChild('Deployment')).addDependency(ns); // ApiObject -> other chart
  const group = new DependencyGroup(crds, settings);
  ordersWeb.node.addDependency(group); // a DependencyGroup spanning charts

  const lonely = new Chart(app, 'lonely');
  configMap(lonely, 'Z');
  configMap(lonely, 'A');
};

/** Ids that are canonical array indices are ordered first by JavaScript objects: stock relies on it. */
const integerLikeIds: AppBuilder = (app) => {
  for (const id of ['b', '10', '2', 'a', '0', '007', '4294967295', '4294967294']) {
    const chart = new Chart(app, id);
    configMap(chart, 'x');
    configMap(chart, '3');
    configMap(chart, '1');
  }
  (app.node.findChild('a') as Chart).addDependency(app.node.findChild('10'));
};

/** A chain of charts, two objects each (exponential for stock when long). */
function chain(length: number): AppBuilder {
  return (app) => {
    let previous: Chart | undefined;
    for (let i = 0; i < length; i++) {
      const chart = new Chart(app, `link-${i}`);
      configMap(chart, 'First');
      configMap(chart, 'Second');
      if (previous) {
        chart.addDependency(previous);
      }
      previous = chart;
    }
  };
}

/** One shared chart that many depend on. */
const hub: AppBuilder = (app) => {
  const shared = new Chart(app, 'shared');
  for (let i = 0; i < 5; i++) {
    configMap(shared, `Shared${i}`);
  }
  for (let i = 0; i < 6; i++) {
    const chart = new Chart(app, `spoke-${i}`);
    configMap(chart, 'Config');
    configMap(chart, 'Other');
    chart.addDependency(shared);
  }
};

/** JSON patches, Lazy values, Include of a YAML file, chart namespace/labels, no name hashes. */
function features(includeFile: string): AppBuilder {
  return (app) => {
    const chart = new Chart(app, 'features', {
      namespace: 'apps',
      labels: { tier: 'backend' },
      disableResourceNameHashes: true,
    });
    const patched = configMap(chart, 'Patched');
    patched.addJsonPatch(JsonPatch.add('/data/extra', 'yes'), JsonPatch.remove('/data/key'));
    let counter = 0;
    new ApiObject(chart, 'Lazy', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      data: { produced: Lazy.any({ produce: () => `value-${++counter > 0}` }) },
    });
    new Include(chart, 'Included', { url: includeFile });
    const cron = new kplus.CronJob(chart, 'Nightly', {
      schedule: Cron.schedule({ minute: '0', hour: '3' }),
      containers: [{ image: 'busybox:1.36', command: ['sh', '-c', 'echo $(date)'] }],
    });
    cron.node.addDependency(patched);
  };
}

/** A resolver that rewrites values, like the ones users pass in `AppProps.resolvers`. */
class UpperCaseResolver implements IResolver {
  public resolve(context: ResolutionContext): void {
    const value = context.value;
    if (typeof value === 'string' && context.key[context.key.length - 1] === 'key' && value !== value.toUpperCase()) {
      context.replaceValue(value.toUpperCase());
    }
  }
}

describe('FastApp output is byte-identical to App', () => {
  let includeDir: string;
  let includeFile: string;
  beforeAll(() => {
    includeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fast-app-include-'));
    includeFile = path.join(includeDir, 'extra.yaml');
    fs.writeFileSync(
      includeFile,
      [
        'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: external\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: external-config\ndata:\n  a: "1"\n',
      ].join('---\n'),
    );
  });
  afterAll(() => fs.rmSync(includeDir, { recursive: true, force: true }));

  const builders = (): [string, AppBuilder][] => [
    ['the example apps (apps/)', exampleApps],
    ['independent cdk8s-plus charts', independentCharts],
    ['every dependency kind', everyDependencyKind],
    ['integer-like construct ids', integerLikeIds],
    ['a chain of 12 charts', chain(12)],
    ['a hub chart', hub],
    ['patches, Lazy, Include, namespaces, no hashes', features(includeFile)],
    ['an empty app', () => undefined],
  ];

  for (const [typeName, yamlOutputType] of OUTPUT_TYPES) {
    test(`${typeName}: every example app`, () => {
      for (const [name, build] of builders()) {
        const stock = expectIdentical(build, { yamlOutputType }, false);
        // the comparison is only meaningful if something was written (or an empty app)
        expect({ name, written: stock.files.size > 0 || name === 'an empty app' }).toEqual({
          name,
          written: true,
        });
      }
    });
  }

  test('synthYaml(): every example app', () => {
    for (const [name, build] of builders()) {
      expect({ name, yaml: synthYaml(FastApp, build) }).toEqual({ name, yaml: synthYaml(App, build) });
    }
  });

  test('every AppProps value at once (metadata, extension, resolvers)', () => {
    const props: Required<AppProps> = {
      outdir: 'replaced-by-the-helper',
      outputFileExtension: '.yml',
      yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE,
      recordConstructMetadata: true,
      resolvers: [new UpperCaseResolver()],
    };
    for (const [, yamlOutputType] of OUTPUT_TYPES) {
      const stock = expectIdentical(everyDependencyKind, { ...props, yamlOutputType });
      expect(stock.error).toBeUndefined();
      expect(stock.files.has('construct-metadata.json')).toBe(true);
      expect([...stock.files.keys()].some((f) => f.endsWith('.yml'))).toBe(true);
    }
  });

  test('file names carry the index prefix exactly when charts depend on each other', () => {
    const withDeps = expectIdentical(chain(3));
    expect([...withDeps.files.keys()].sort()).toEqual(['0000-link-0.k8s.yaml', '0001-link-1.k8s.yaml', '0002-link-2.k8s.yaml']);
    const without = expectIdentical(independentCharts);
    expect([...without.files.keys()].sort()).toEqual(['plain.k8s.yaml', 'web-0.k8s.yaml', 'web-1.k8s.yaml', 'web-2.k8s.yaml', 'web-3.k8s.yaml']);
  });

  test('CDK8S_DISABLE_SORT and CDK8S_RECORD_CONSTRUCT_METADATA are honoured like stock', () => {
    process.env.CDK8S_DISABLE_SORT = '1';
    process.env.CDK8S_RECORD_CONSTRUCT_METADATA = 'true';
    try {
      const stock = expectIdentical(everyDependencyKind);
      expect(stock.files.has('construct-metadata.json')).toBe(true);
    } finally {
      delete process.env.CDK8S_DISABLE_SORT;
      delete process.env.CDK8S_RECORD_CONSTRUCT_METADATA;
    }
  });

  test('synthesizing the same FastApp twice writes the same bytes', () => {
    const first = synthFiles(FastApp, everyDependencyKind);
    const app = new FastApp({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'fast-app-twice-')) });
    try {
      everyDependencyKind(app);
      app.synth();
      app.synth();
      for (const [name, content] of first.files) {
        if (!name.endsWith('/')) {
          expect(fs.readFileSync(path.join(app.outdir, name), 'utf8')).toEqual(content);
        }
      }
    } finally {
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  test('leaves the same dependencies on the construct tree as stock', () => {
    const dependencyMap = (appClass: typeof App): string[] => {
      const app = new appClass({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'fast-app-deps-')) });
      everyDependencyKind(app);
      app.synthYaml();
      fs.rmSync(app.outdir, { recursive: true, force: true });
      return app.node.findAll().map((c) => `${c.node.path} -> ${c.node.dependencies.map((d) => d.node.path).join(', ')}`);
    };
    expect(dependencyMap(FastApp)).toEqual(dependencyMap(App));
  });

  test('app.charts is in the same order as stock', () => {
    const order = (appClass: typeof App): string[] => {
      const app = new appClass();
      integerLikeIds(app);
      everyDependencyKind(app);
      return app.charts.map((c) => c.node.path);
    };
    expect(order(FastApp)).toEqual(order(App));
    // stock puts array-index-like top-level ids first
    expect(order(FastApp).slice(0, 3)).toEqual(['0', '2', '4294967294']);
  });
});
