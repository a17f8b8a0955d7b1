/**
 * The package as users get it: `npm pack` the compiled library, install the tarball into a new
 * project next to its peer dependencies, and synthesize a WebAppWithIngress with `cdk8s synth`.
 * Proves the published file list is complete (and only that), `main`/`types` resolve, and the
 * peer-dependency setup works from a clean consumer. A second consumer is what `cdk8s init
 * typescript-app` makes today: a project on cdk8s-plus-33 that passes its own Secret and
 * ServiceAccount into our props, type-checked with tsc and synthesized next to our cdk8s-plus-27.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { assertValidManifests } from '../../support/k8s-schema';

const ROOT = path.join(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
/** The cdk8s-plus line a new `cdk8s init typescript-app` project depends on. */
const CDK8S_PLUS_33 = '2.5.57';

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' },
  });
}

describe('the npm package', () => {
  let work: string;
  let tarball: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-patterns-consumer-'));
    // the compiled library (jsii) is what `npm pack` publishes
    run('npm', ['run', '--silent', 'build'], ROOT);
    const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT));
    tarball = path.join(work, out[0].filename);
  }, 180_000);

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A new project `name` with the packed library, its peer dependencies and `extra`, installed. */
  function installConsumer(name: string, extra: Record<string, string> = {}): string {
    const consumer = path.join(work, name);
    fs.mkdirSync(consumer);
    const dev = pkg.devDependencies;
    fs.writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({
        name,
        version: '1.0.0',
        private: true,
        dependencies: {
          'cdk8s-patterns': `file:${tarball}`,
          cdk8s: dev.cdk8s,
          'cdk8s-plus-27': dev['cdk8s-plus-27'],
          constructs: dev.constructs,
          ...extra,
        },
      }),
    );
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], consumer);
    return consumer;
  }

  test('publishes only the compiled library, the jsii assembly, README, LICENSE and the API reference', () => {
    const listing: string[] = JSON.parse(run('npm', ['pack', '--dry-run', '--json'], ROOT))[0].files.map((f: { path: string }) => f.path);
    const outside = listing.filter((f) => !/^(lib\/.*\.(js|d\.ts)|\.jsii|API\.md|README\.md|LICENSE|package\.json)$/.test(f));
    expect(outside).toEqual([]);
    expect(listing).toEqual(expect.arrayContaining(['lib/index.js', 'lib/index.d.ts', '.jsii', 'API.md', 'README.md', 'LICENSE']));
    expect(listing.some((f) => f.startsWith('dist/') || f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
  });

  test('a new consumer project installs the tarball and synthesizes a WebAppWithIngress with cdk8s synth', () => {
    const consumer = installConsumer('consumer');
    fs.writeFileSync(
      path.join(consumer, 'main.js'),
      [
        "const { App, Chart } = require('cdk8s');",
        "const { WebAppWithIngress } = require('cdk8s-patterns');",
        'const app = new App();',
        "const chart = new Chart(app, 'shop');",
        "new WebAppWithIngress(chart, 'web', { image: 'ghcr.io/acme/shop:1.4.2', host: 'shop.example.com' });",
        'app.synth();',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(consumer, 'cdk8s.yaml'), 'language: typescript\napp: node main.js\noutput: dist\n');
    run(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth'], consumer);
    const docs = parseAllDocuments(fs.readFileSync(path.join(consumer, 'dist', 'shop.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const kinds = docs.map((d) => d.kind);
    expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'Service', 'Ingress']));
    const ingress = docs.find((d) => d.kind === 'Ingress');
    expect(ingress.spec.rules[0].host).toBe('shop.example.com');
    // types resolve for TypeScript consumers
    expect(fs.existsSync(path.join(consumer, 'node_modules', 'cdk8s-patterns', 'lib', 'index.d.ts'))).toBe(true);
  }, 240_000);

  test('a cdk8s-plus-33 project passes its Secret and ServiceAccount into our props, type-checks and synthesizes', () => {
    const dev = pkg.devDependencies;
    const consumer = installConsumer('consumer-plus-33', { 'cdk8s-plus-33': CDK8S_PLUS_33 });
    fs.writeFileSync(
      path.join(consumer, 'main.ts'),
      [
        "import { App, Chart } from 'cdk8s';",
        "import * as kplus from 'cdk8s-plus-33';",
        "import { StatefulPostgres, WebAppWithIngress } from 'cdk8s-patterns';",
        '',
        'const app = new App();',
        "const chart = new Chart(app, 'shop', { namespace: 'shop' });",
        '// objects of the cdk8s-plus line the project itself uses: no secret value in the YAML',
        "const superuser = new kplus.Secret(chart, 'DbSuperuser', { metadata: { name: 'orders-db-superuser' } });",
        "const appPassword = kplus.Secret.fromSecretName(chart, 'AppPassword', 'orders-db-app');",
        "const account = new kplus.ServiceAccount(chart, 'WebAccount', { metadata: { name: 'shop-web' }, automountToken: false });",
        "const db = new StatefulPostgres(chart, 'orders-db', {",
        '  superuserSecret: superuser,',
        "  users: [{ name: 'orders_app', password: { secret: appPassword } }],",
        "  databases: [{ name: 'orders', owner: 'orders_app' }],",
        '});',
        "new WebAppWithIngress(chart, 'web', {",
        "  image: 'ghcr.io/acme/shop:1.4.2',",
        "  host: 'shop.example.com',",
        '  serviceAccount: account,',
        "  database: db.connection('orders'),",
        '});',
        'app.synth();',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2020', module: 'commonjs', strict: true, esModuleInterop: true, skipLibCheck: false, outDir: 'build' },
        files: ['main.ts'],
      }),
    );
    // the user's compiler: our declarations and cdk8s-plus-33's must fit together under strict
    run(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], consumer);
    run('node', [path.join('build', 'main.js')], consumer);
    const docs = parseAllDocuments(fs.readFileSync(path.join(consumer, 'dist', 'shop.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    assertValidManifests(docs, 'the cdk8s-plus-33 consumer');
    const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
    // the plus-33 objects are in the output, once
    expect(docs.filter((d) => d.kind === 'Secret' && d.metadata.name === 'orders-db-superuser')).toHaveLength(1);
    expect(Object.keys(find('Secret', 'orders-db-superuser').data ?? {})).toEqual([]);
    expect(Object.keys(find('Secret', 'orders-db-superuser').stringData ?? {})).toEqual([]);
    expect(find('ServiceAccount', 'shop-web').automountServiceAccountToken).toBe(false);
    // and our objects refer to them by name
    const web = find('Deployment', 'web');
    expect(web.spec.template.spec.serviceAccountName).toBe('shop-web');
    const secretNames = JSON.stringify(docs.filter((d) => ['StatefulSet', 'Job'].includes(d.kind)));
    expect(secretNames).toContain('"secretName":"orders-db-superuser"');
    expect(secretNames).toContain('"secretName":"orders-db-app"');
    expect(JSON.stringify(web.spec.template.spec.containers[0].env)).toContain('"name":"orders-db-app"');
    // each line resolved to its own package, sharing one cdk8s and one constructs
    const version = (p: string) => JSON.parse(fs.readFileSync(path.join(consumer, 'node_modules', p, 'package.json'), 'utf8')).version;
    expect(version('cdk8s-plus-33')).toBe(CDK8S_PLUS_33);
    expect(version('cdk8s-plus-27')).toBe(dev['cdk8s-plus-27']);
    expect(fs.existsSync(path.join(consumer, 'node_modules', 'cdk8s-plus-33', 'node_modules', 'cdk8s'))).toBe(false);
    expect(fs.existsSync(path.join(consumer, 'node_modules', 'cdk8s-plus-27', 'node_modules', 'cdk8s'))).toBe(false);
  }, 300_000);
});
