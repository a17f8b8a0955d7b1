#!/usr/bin/env node
// Reads the JSON of `polaris audit --format json` and prints one line per failed check at
// warning or danger level:
//
//   <Kind> <namespace>/<name> [container <c>]: <severity> <checkId>: <message>
//
//   node scripts/cluster/polaris-findings.mjs AUDIT.json [GATE]
//
// GATE is the lowest severity that fails: danger (default) or warning. Exits 1 when a finding
// reaches it, 0 otherwise (findings below it are still printed), 2 on unreadable input.
import { readFileSync } from 'node:fs';

const [file, gate = 'danger'] = process.argv.slice(2);
if (gate !== 'danger' && gate !== 'warning') {
  console.error(`polaris-findings.mjs: GATE must be danger or warning, got ${gate}`);
  process.exit(2);
}
let audit;
try {
  audit = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`polaris-findings.mjs: cannot read ${file}: ${e.message}`);
  process.exit(2);
}

const GATED = new Set(['warning', 'danger']);
const findings = [];
let failing = 0;
const collect = (where, resultSet) => {
  for (const [id, r] of Object.entries(resultSet || {})) {
    if (!r.Success && GATED.has(r.Severity)) {
      findings.push(`${where}: ${r.Severity} ${r.ID || id}: ${r.Message}`);
      if (r.Severity === 'danger' || gate === 'warning') failing++;
    }
  }
};
for (const res of audit.Results || []) {
  const where = `${res.Kind} ${res.Namespace || '-'}/${res.Name}`;
  collect(where, res.Results);
  if (res.PodResult) {
    collect(where, res.PodResult.Results);
    for (const c of res.PodResult.ContainerResults || []) collect(`${where} container ${c.Name}`, c.Results);
  }
}
findings.sort();
for (const f of findings) console.log(f);
process.exit(failing > 0 ? 1 : 0);
