#!/usr/bin/env node
// Prepares the linters' input files.
//
//   node scripts/cluster/lint-inputs.mjs OUT_DIR SELECTOR FILE...
//
// A FILE under a test-manifests/ directory holds everything one test synthesized, including
// scaffolding built around a construct; with a non-empty SELECTOR (label=value) only its
// objects carrying that label are kept, written to OUT_DIR/NNNN.yaml as JSON documents (the
// linters read YAML 1.1, where an unquoted yes/on/off is a boolean). Other files are used as
// they are. Prints one line per FILE: "<file to lint>\t<FILE>", with "-" as the file to lint when
// nothing was selected.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'package.json'));
const YAML = require('yaml');

const [outDir, selector, ...files] = process.argv.slice(2);
if (!outDir || selector === undefined) {
  console.error('usage: lint-inputs.mjs OUT_DIR SELECTOR FILE...');
  process.exit(2);
}
const [key, value] = selector.split('=');
mkdirSync(outDir, { recursive: true });
files.forEach((file, i) => {
  if (!selector || !/(^|\/)test-manifests\//.test(file)) {
    console.log(`${file}\t${file}`);
    return;
  }
  const keep = YAML.parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter((o) => o && o.metadata && (o.metadata.labels || {})[key] === value);
  if (keep.length === 0) {
    console.log(`-\t${file}`);
    return;
  }
  const out = join(outDir, `${String(i + 1).padStart(4, '0')}.yaml`);
  writeFileSync(out, keep.map((o) => `${JSON.stringify(o, null, 2)}\n`).join('---\n'));
  console.log(`${out}\t${file}`);
});
