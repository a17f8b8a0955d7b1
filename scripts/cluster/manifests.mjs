#!/usr/bin/env node
// Collects Kubernetes objects from YAML files for the cluster suite.
//
//   node scripts/cluster/manifests.mjs OUT_DIR [--chunk N] FILE...
//
// Reads every document of every FILE (kind: *List documents are expanded), drops exact
// duplicates (same object after key sorting), and writes:
//   OUT_DIR/objects/NNNNN.yaml  one file per distinct object (used to pinpoint a failure)
// (all JSON, which is YAML, so that kubectl's YAML 1.1 reading cannot change a value).
//   OUT_DIR/batches/NNNN.yaml   v1 Lists of up to N objects (default 50)
//   OUT_DIR/objects.tsv         batch  object-file  kind  apiVersion  namespace (- if none)  name  source
//   OUT_DIR/namespaces.txt      every metadata.namespace referenced, and every Namespace object
// and prints a one-line JSON summary on stdout. Exits 1 when a document is not a Kubernetes
// object (no apiVersion, kind or metadata.name/generateName), naming the file and document.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

const require = createRequire(join(process.cwd(), 'package.json'));
let YAML;
try {
  YAML = require('yaml');
} catch {
  console.error('manifests.mjs: the "yaml" package is missing; run npm ci first');
  process.exit(1);
}

const args = process.argv.slice(2);
const outDir = args.shift();
let chunk = 50;
const files = [];
while (args.length) {
  const a = args.shift();
  if (a === '--chunk') chunk = Number(args.shift());
  else files.push(a);
}
if (!outDir || !Number.isInteger(chunk) || chunk < 1) {
  console.error('usage: manifests.mjs OUT_DIR [--chunk N] FILE...');
  process.exit(2);
}

const canonical = (v) => {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical(v[k])]),
    );
  }
  return v;
};

const problems = [];
const seen = new Map();
const objects = [];
let found = 0;
const addObject = (obj, source) => {
  found++;
  const meta = obj && obj.metadata;
  if (!obj || typeof obj !== 'object' || !obj.apiVersion || !obj.kind || !meta || !(meta.name || meta.generateName)) {
    problems.push(`${source}: not a Kubernetes object (needs apiVersion, kind, metadata.name)`);
    return;
  }
  const key = JSON.stringify(canonical(obj));
  if (seen.has(key)) return;
  seen.set(key, source);
  objects.push({ obj, source });
};

for (const file of files) {
  const abs = resolve(file);
  const rel = relative(process.cwd(), abs).startsWith('..') ? abs : relative(process.cwd(), abs);
  const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'));
  docs.forEach((doc, i) => {
    const source = `${rel}#${i + 1}`;
    if (doc.errors.length) {
      problems.push(`${source}: YAML error: ${doc.errors[0].message}`);
      return;
    }
    const value = doc.toJS();
    if (value === null || value === undefined) return; // empty document
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((item, j) => addObject(item, `${source}/items/${j}`));
    } else {
      addObject(value, source);
    }
  });
}

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}

mkdirSync(join(outDir, 'objects'), { recursive: true });
mkdirSync(join(outDir, 'batches'), { recursive: true });
const namespaces = new Set();
const rows = [];
// Objects are written as JSON: kubectl reads YAML 1.1, where a plain `yes`, `on` or `off` that a
// YAML 1.2 writer leaves unquoted would turn into a boolean. A batch is one v1 List (kubectl
// applies its items one by one); JSON documents separated by `---` are not read by every kubectl.
const toDocument = (obj) => `${JSON.stringify(obj, null, 2)}\n`;
const toList = (objs) => `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }, null, 2)}\n`;
const pad = (n, w) => String(n).padStart(w, '0');
const clean = (s) => String(s ?? '').replace(/[\t\n]/g, ' ');
for (let b = 0; b * chunk < objects.length; b++) {
  const part = objects.slice(b * chunk, (b + 1) * chunk);
  const batchFile = join(outDir, 'batches', `${pad(b + 1, 4)}.yaml`);
  writeFileSync(batchFile, toList(part.map(({ obj }) => obj)));
  part.forEach(({ obj, source }, i) => {
    const n = b * chunk + i + 1;
    const objFile = join(outDir, 'objects', `${pad(n, 5)}.yaml`);
    writeFileSync(objFile, toDocument(obj));
    const ns = obj.metadata.namespace || '-'; // "-": no namespace (kubectl uses "default")
    if (ns !== '-') namespaces.add(ns);
    if (obj.kind === 'Namespace' && obj.apiVersion === 'v1') namespaces.add(obj.metadata.name);
    const name = obj.metadata.name ?? `${obj.metadata.generateName}*`;
    rows.push([batchFile, objFile, obj.kind, obj.apiVersion, ns, name, source].map(clean).join('\t'));
  });
}
writeFileSync(join(outDir, 'objects.tsv'), rows.map((r) => `${r}\n`).join(''));
writeFileSync(
  join(outDir, 'namespaces.txt'),
  [...namespaces]
    .sort()
    .map((n) => `${n}\n`)
    .join(''),
);
console.log(JSON.stringify({ files: files.length, found, objects: objects.length, duplicates: found - objects.length }));
