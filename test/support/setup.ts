/**
 * Jest setup for every test file: every object synthesized through `Testing.synth()` is
 * validated against the Kubernetes 1.27 schema with unknown fields rejected, and recorded under
 * `build/test-manifests/` so the cluster suite (`npm run test:cluster`) can apply the very same
 * objects to real API servers.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { canonicalJson } from '../../src/common/checksum';
import { assertValidManifests } from './k8s-schema';

const MAX_RECORDED_PER_FILE = 300;
const recorded = new Map<string, unknown>();

const originalSynth = Testing.synth.bind(Testing);
Testing.synth = (chart) => {
  const objects = originalSynth(chart);
  assertValidManifests(objects, `Testing.synth(${chart.node.path})`);
  for (const obj of objects) {
    if (recorded.size >= MAX_RECORDED_PER_FILE) {
      break;
    }
    recorded.set(canonicalJson(obj), obj);
  }
  return objects;
};

afterAll(() => {
  if (recorded.size === 0) {
    return;
  }
  const testPath = expect.getState().testPath ?? 'unknown.test.ts';
  const rel = path
    .relative(path.join(__dirname, '..'), testPath)
    .replace(/\.test\.ts$/, '')
    .replace(/[\\/]/g, '__');
  const dir = path.join(__dirname, '..', '..', 'build', 'test-manifests');
  fs.mkdirSync(dir, { recursive: true });
  // YAML 1.1, like `cdk8s synth`: kubectl reads YAML 1.1, where unquoted `yes`/`on` are booleans.
  const docs = [...recorded.values()].map((o) => stringify(o, { lineWidth: 0, version: '1.1' }));
  fs.writeFileSync(path.join(dir, `${rel}.yaml`), docs.join('---\n'));
});
