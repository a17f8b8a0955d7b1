/**
 * `npm run bench`: stock cdk8s `App` and `FastApp` side by side on the same apps, then
 * `cdk8s synth` of apps/ end to end. Prints a Markdown report (also written to
 * build/bench/report.md) and exits non-zero when a target is missed (full run only).
 *
 *   npm run bench              the full run (several minutes: stock is slow, that is the point)
 *   npm run bench -- --quick   smaller sizes, one run each, for a smoke test
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Measurement, MeasureSpec, measureInChild, median, Output, outputRoot, runAsChildIfAsked, Variant } from './measure';
import { HUB_SHARED_OBJECTS } from './scenarios';

const SCRIPT = process.argv[1];
const QUICK = process.argv.includes('--quick');
/** `--only=chain,hub`: run only these parts (independent, writer, chain, hub, overhead, apps). */
const ONLY = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const runs = (part: string): boolean => ONLY === undefined || ONLY.includes(part);
/** The chain benchmark runs stock only while it finishes within this. */
const STOCK_LIMIT_MS = 60_000;
/** Any other single measurement is stopped after this. */
const HARD_LIMIT_MS = 20 * 60_000;
/** After a first round where stock took longer than this, no further rounds: the noise is small. */
const LONG_RUN_MS = 10_000;
const ROOT = path.resolve(__dirname, '..', '..');

interface Row {
  readonly scenario: string;
  readonly size: number;
  readonly stock?: Summary;
  readonly fast: Summary;
}

interface Summary {
  readonly synthMs: number;
  readonly buildMs: number;
  readonly peakRssMb: number;
  readonly runs: number;
  readonly failure?: string;
}

function summarize(ms: Measurement[]): Summary {
  const failure = ms.find((m) => m.failure)?.failure;
  return {
    synthMs: median(ms.map((m) => m.synthMs)),
    buildMs: median(ms.map((m) => m.buildMs)),
    peakRssMb: median(ms.map((m) => m.peakRssMb)),
    runs: ms.filter((m) => !m.failure).length,
    failure,
  };
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Measures stock and FastApp alternately, `runs` times each (stock skipped when `withStock` is
 * false), and returns the medians.
 */
function compare(
  scenario: string,
  size: number,
  runs: number,
  withStock: boolean,
  warmupSize: number,
  stockLimitMs = HARD_LIMIT_MS,
  output: Output = 'memory',
): Row {
  const results: Record<'stock' | 'fast', Measurement[]> = { stock: [], fast: [] };
  for (let r = 0; r < runs; r++) {
    if (r > 0 && withStock && results.stock[0].synthMs > LONG_RUN_MS) {
      break;
    }
    for (const variant of withStock ? (['stock', 'fast'] as const) : (['fast'] as const)) {
      const spec: MeasureSpec = { scenario, size, variant, warmupSize, output };
      const m = measureInChild(SCRIPT, spec, variant === 'stock' ? stockLimitMs : HARD_LIMIT_MS);
      results[variant].push(m);
      log(`  ${scenario} ${size} ${variant}: ${m.failure ?? `${m.synthMs.toFixed(0)} ms synth, ${m.peakRssMb.toFixed(0)} MB`}`);
      if (m.failure) {
        break;
      }
    }
  }
  return {
    scenario,
    size,
    stock: withStock ? summarize(results.stock) : undefined,
    fast: summarize(results.fast),
  };
}

/** Fewer runs where a stock run takes long: the relative noise is small there. */
function runsFor(expectedStockMs: number): number {
  if (QUICK) {
    return 1;
  }
  return expectedStockMs > LONG_RUN_MS ? 1 : expectedStockMs > 2_000 ? 3 : 5;
}

const fmtMs = (ms: number | undefined): string =>
  ms === undefined || !Number.isFinite(ms) ? '–' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
const fmtMb = (mb: number | undefined): string => (mb === undefined || !Number.isFinite(mb) ? '–' : `${mb.toFixed(0)} MB`);
const fmtRatio = (r: number): string => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×` : '–');

function stockCell(row: Row): string {
  if (!row.stock) {
    return `not run (predicted > ${STOCK_LIMIT_MS / 1000} s)`;
  }
  if (row.stock.failure) {
    return row.stock.failure.startsWith('stopped after') ? `> ${row.stock.failure.slice(14)} (stopped)` : 'failed';
  }
  return fmtMs(row.stock.synthMs);
}

function table(rows: Row[]): string {
  const lines = [
    '| Scenario | Size | Stock `App` synth | `FastApp` synth | Speed-up | Stock peak RSS | `FastApp` peak RSS | Runs (stock/fast) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const ratio = row.stock && !row.stock.failure ? row.stock.synthMs / row.fast.synthMs : NaN;
    lines.push(
      `| ${row.scenario} | ${row.size} | ${stockCell(row)} | ${fmtMs(row.fast.synthMs)} | ${fmtRatio(ratio)} | ` +
        `${fmtMb(row.stock?.peakRssMb)} | ${fmtMb(row.fast.peakRssMb)} | ${row.stock?.runs ?? 0}/${row.fast.runs} |`,
    );
  }
  return lines.join('\n');
}

/** Wall time of a command, median of `runs`, in ms. */
function wallTime(command: string, args: string[], runs: number, env: NodeJS.ProcessEnv = {}): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(command, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
    const t1 = process.hrtime.bigint();
    if (r.status !== 0) {
      throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
    }
    times.push(Number(t1 - t0) / 1e6);
  }
  return median(times);
}

interface Target {
  readonly name: string;
  readonly measured: string;
  readonly ok: boolean;
}

/** What each part of the benchmark adds to the report. */
interface Part {
  readonly rows: Row[];
  readonly notes: string[];
  readonly targets: Target[];
}

function independentPart(): Part {
  log('1. independent charts of WebAppWithIngress');
  const rows: Row[] = [];
  for (const size of QUICK ? [100, 400] : [250, 500, 1000, 2000]) {
    const expectedStock = 5 * (size / 1000) ** 2 * 1000;
    rows.push(compare('independent', size, runsFor(expectedStock), true, 20));
  }
  const targets: Target[] = [];
  const largest = rows[rows.length - 1];
  const speedup = largest.stock!.synthMs / largest.fast.synthMs;
  targets.push({ name: `${largest.size} charts at least 10× faster than stock`, measured: fmtRatio(speedup), ok: speedup >= 10 });
  const quarter = rows.find((r) => r.size * 4 === largest.size);
  if (quarter) {
    const growth = largest.fast.synthMs / quarter.fast.synthMs;
    targets.push({
      name: `4× the charts (${quarter.size} → ${largest.size}) in at most 4.5× the time`,
      measured: fmtRatio(growth),
      ok: growth <= 4.5,
    });
  }
  const notes: string[] = [];
  if (outputRoot('memory').memory) {
    // the same synthesis with its files on disk: what the file system adds, for scale
    const diskRuns = QUICK ? 1 : 3;
    const onDisk = compare('independent', largest.size, diskRuns, false, 20, HARD_LIMIT_MS, 'disk').fast;
    notes.push(
      `Independent, ${largest.size} charts written to the disk-backed temporary directory instead (FastApp, median of ${diskRuns}): ` +
        `${fmtMs(onDisk.synthMs)} against ${fmtMs(largest.fast.synthMs)} in memory. The difference is the file system creating ` +
        `${largest.size} files, which stock pays as well; on this machine's virtual disk it varies several-fold between runs.`,
    );
  }
  return { rows, notes, targets };
}

/**
 * What the YAML writer contributes: FastApp against FastApp with every document through
 * `Yaml.stringify()`, alternating, on the largest independent app.
 */
function writerPart(): Part {
  log('1b. the YAML writer: FastApp with and without it');
  const size = QUICK ? 400 : 2000;
  const writerRuns = QUICK ? 1 : 3;
  const variants: Variant[] = ['fast', 'fast-library-yaml'];
  const results = new Map<Variant, Measurement[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < writerRuns; r++) {
    for (const variant of variants) {
      const m = measureInChild(SCRIPT, { scenario: 'independent', size, variant, warmupSize: 20 }, HARD_LIMIT_MS);
      log(`  independent ${size} ${variant}: ${m.failure ?? `${m.synthMs.toFixed(0)} ms synth`}`);
      results.get(variant)!.push(m);
    }
  }
  const [withWriter, withLibrary] = variants.map((v) => summarize(results.get(v)!));
  const share = withLibrary.synthMs / withWriter.synthMs;
  return {
    rows: [],
    notes: [
      `YAML writer (independent, ${size} charts, FastApp synth, median of ${writerRuns}, alternating): ${fmtMs(withWriter.synthMs)} with its own writer, ` +
        `${fmtMs(withLibrary.synthMs)} with every document through cdk8s's \`Yaml.stringify()\` (${fmtRatio(share)}).`,
    ],
    targets: [],
  };
}

function chainPart(): Part {
  log('2. chains of dependent charts');
  const rows: Row[] = [];
  const lengths = QUICK ? [10, 16, 20] : [10, 14, 18, 20, 22, 24, 26, 28];
  let lastStockMs = 0;
  let lastLength = lengths[0];
  let stockStopped = false;
  for (const length of lengths) {
    // stock doubles per link: run it only while it can finish within the limit
    const predicted = lastStockMs * 2 ** (length - lastLength);
    const withStock = !stockStopped && predicted < STOCK_LIMIT_MS;
    // FastApp alone is quick: always several runs
    const row = compare('chain', length, withStock ? runsFor(predicted) : runsFor(0), withStock, Math.min(length, 16), STOCK_LIMIT_MS);
    rows.push(row);
    if (row.stock && !row.stock.failure) {
      lastStockMs = row.stock.synthMs;
      lastLength = length;
    } else {
      stockStopped = true;
    }
  }
  const longest = rows[rows.length - 1];
  return {
    rows,
    notes: ['Chain: each chart holds a Deployment and a Service and depends on the previous chart.'],
    targets: [{ name: `the ${longest.size}-chart chain under 0.5 s`, measured: fmtMs(longest.fast.synthMs), ok: longest.fast.synthMs < 500 }],
  };
}

function hubPart(): Part {
  log(`3. hub: one shared chart (${HUB_SHARED_OBJECTS} objects) that every chart depends on`);
  const rows = (QUICK ? [50] : [100, 200, 400]).map((size) => compare('hub', size, runsFor(size * 40), true, 5));
  return {
    rows,
    notes: [`Hub: one shared chart with ${HUB_SHARED_OBJECTS} ConfigMaps; each of the N charts holds a WebAppWithIngress and depends on it.`],
    targets: [],
  };
}

function overheadPart(): Part {
  log('4. pattern overhead: WebAppWithIngress against the same objects written by hand');
  const size = QUICK ? 200 : 1000;
  const overheadRuns = QUICK ? 1 : 5;
  const pattern = compare('independent', size, overheadRuns, false, 20).fast;
  const hand = compare('independent-hand-written', size, overheadRuns, false, 20).fast;
  const overhead = (pattern.buildMs + pattern.synthMs) / (hand.buildMs + hand.synthMs);
  return {
    rows: [],
    notes: [
      `Pattern overhead (FastApp, ${size} charts, build + synth, median of ${overheadRuns}): WebAppWithIngress ${fmtMs(pattern.buildMs)} + ${fmtMs(pattern.synthMs)}, ` +
        `the same objects hand-written with cdk8s-plus ${fmtMs(hand.buildMs)} + ${fmtMs(hand.synthMs)} (byte-identical manifests).`,
    ],
    targets: [{ name: 'pattern overhead (build + synth) at most 1.2×', measured: fmtRatio(overhead), ok: overhead <= 1.2 }],
  };
}

function appsPart(): Part {
  log('5. cdk8s synth of apps/ end to end');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-bench-apps-'));
  const cli = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
  const appRuns = QUICK ? 1 : 5;
  const bundleMs = wallTime('npm', ['run', '--silent', 'bundle:apps'], 1);
  const synthMs = wallTime(cli, ['synth', '--check-upgrade=false', '--output', outdir], appRuns);
  const synthWithCheckMs = wallTime(cli, ['synth', '--output', outdir], QUICK ? 1 : 3);
  const cliStartMs = wallTime(cli, ['--version', '--check-upgrade=false'], appRuns);
  const appMs = wallTime(process.execPath, [path.join(ROOT, 'build', 'apps', 'main.js')], appRuns, { CDK8S_OUTDIR: outdir });
  const nodeMs = wallTime(process.execPath, ['-e', '0'], appRuns);
  fs.rmSync(outdir, { recursive: true, force: true });
  return {
    rows: [],
    notes: [
      [
        `\`cdk8s synth\` of apps/ (median wall time of ${appRuns}):`,
        '',
        '| Step | Time |',
        '|---|---:|',
        `| \`npm run bundle:apps\` (esbuild, once per change) | ${fmtMs(bundleMs)} |`,
        `| \`cdk8s synth --check-upgrade=false\` (end to end, what \`npm run synth\` runs) | ${fmtMs(synthMs)} |`,
        `| \`cdk8s synth\` with the CLI's upgrade check (a request to the npm registry) | ${fmtMs(synthWithCheckMs)} |`,
        `| of which: the cdk8s CLI starting (\`cdk8s --version\`) | ${fmtMs(cliStartMs)} |`,
        `| of which: the app (\`node build/apps/main.js\`) | ${fmtMs(appMs)} |`,
        `| of which: Node.js starting (\`node -e 0\`) | ${fmtMs(nodeMs)} |`,
      ].join('\n'),
    ],
    targets: [{ name: '`cdk8s synth` of apps/ at most 1.5 s', measured: fmtMs(synthMs), ok: synthMs <= 1500 }],
  };
}

function main(): void {
  const startedAt = Date.now();
  const parts: [string, () => Part][] = [
    ['independent', independentPart],
    ['writer', writerPart],
    ['chain', chainPart],
    ['hub', hubPart],
    ['overhead', overheadPart],
    ['apps', appsPart],
  ];
  const done = parts.filter(([name]) => runs(name)).map(([, part]) => part());
  const rows = done.flatMap((p) => p.rows);
  const targets = done.flatMap((p) => p.targets);
  const flags = [QUICK ? '--quick' : '', ONLY ? `--only=${ONLY.join(',')}` : ''].filter((f) => f).join(' ');

  const report = [
    `## Benchmark (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, load average ${os.loadavg()[0].toFixed(1)} at the end${flags ? `, ${flags}` : ''})`,
    '',
    `Synthesis time (\`app.synth()\` into a temporary directory ${outputRoot('memory').memory ? 'on a memory-backed file system (/dev/shm)' : 'in the system temporary directory'}, tree construction excluded), median of the runs, stock and FastApp alternating; each run is its own process (warmed up on a small app first); peak RSS is that process's maximum resident memory. Stock chain runs are stopped after 60 s.`,
    '',
    ...(rows.length > 0 ? [table(rows), ''] : []),
    ...done.flatMap((p) => p.notes.flatMap((n) => [n, ''])),
    '| Target | Measured | Met |',
    '|---|---:|:---:|',
    ...targets.map((t) => `| ${t.name} | ${t.measured} | ${t.ok ? 'yes' : '**no**'} |`),
    '',
    `Total benchmark time: ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`,
  ].join('\n');

  process.stdout.write(`${report}\n`);
  const reportDir = path.join(ROOT, 'build', 'bench');
  fs.mkdirSync(reportDir, { recursive: true });
  fs.writeFileSync(path.join(reportDir, QUICK || ONLY ? 'report-partial.md' : 'report.md'), `${report}\n`);
  // the targets are set for the full sizes: --quick only reports them
  if (!QUICK && targets.some((t) => !t.ok)) {
    process.exitCode = 1;
  }
}

if (!runAsChildIfAsked(process.argv)) {
  main();
}
