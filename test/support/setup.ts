/**
 * Jest setup for every test file: every object synthesized through `Testing.synth()` is
 * validated against the Kubernetes 1.27 schema with unknown fields rejected, and recorded under
 * `build/test-manifests/<test file>/NNN.yaml`, one file per distinct chart, so the cluster suite (`npm run test:cluster`) can apply the very same
 * objects to real API servers.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { canonicalJson } from '../../src/common/checksum';
import { assertValidManifests } from './k8s-schema';

/** Charts recorded per test file: property tests synthesize hundreds; the first ones suffice. */
const MAX_CHARTS_PER_FILE = 60;
const recorded = new Map<string, unknown[]>();

const originalSynth = Testing.synth.bind(Testing);
Testing.synth = (chart) => {
  const objects = originalSynth(chart);
  assertValidManifests(objects, `Testing.synth(${chart.node.path})`);
  // one entry per distinct chart: cross-object checks (a Service's pods, a PDB's or an HPA's
  // Deployment) must only see objects that were synthesized together
  if (objects.length > 0 && recorded.size < MAX_CHARTS_PER_FILE) {
    recorded.set(canonicalJson(objects), objects);
  }
  return objects;
};

// Testing.app() and Testing.chart() create an empty output directory in the temp dir per call
// (tens of thousands over a test run): remove this test file's ones when it ends.
const originalApp = Testing.app.bind(Testing);
const outdirs: string[] = [];
Testing.app = (props) => {
  const app = originalApp(props);
  if (props?.outdir === undefined) {
    outdirs.push(app.outdir);
  }
  return app;
};

afterAll(() => {
  for (const dir of outdirs.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

afterAll(() => {
  if (recorded.size === 0) {
    return;
  }
  const testPath = expect.getState().testPath ?? 'unknown.test.ts';
  const rel = path
    .relative(path.join(__dirname, '..'), testPath)
    .replace(/\.test\.ts$/, '')
    .replace(/[\\/]/g, '__');
  const dir = path.join(__dirname, '..', '..', 'build', 'test-manifests', rel);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const objects of recorded.values()) {
    // YAML 1.1, like `cdk8s synth`: kubectl reads YAML 1.1, where unquoted `yes`/`on` are booleans.
    const docs = objects.map((o) => stringify(o, { lineWidth: 0, version: '1.1' }));
    fs.writeFileSync(path.join(dir, `${String(n++).padStart(3, '0')}.yaml`), docs.join('---\n'));
  }
});
