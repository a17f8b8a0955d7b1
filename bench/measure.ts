/**
 * One measurement = one child process: it warms up (synthesizes a small app of the same
 * scenario), builds the app, times `app.synth()` into a temporary directory, and reports the
 * times and its peak resident memory. A fresh process per measurement keeps one run's garbage
 * and JIT state out of the next, and makes the peak RSS that of this synthesis alone.
 *
 * The process runs with Node's default flags and never forces a collection: a forced full GC
 * (`--expose-gc` + `gc()`) between the warm-up and the measured synthesis was measured to
 * double FastApp's time for 2,000 charts (2.2 s → 4.6 s), which no `cdk8s synth` would see.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { FastApp } from '../src';
import { YamlWriter } from '../src/fast-app/yaml-writer';
import { SCENARIOS } from './scenarios';

/**
 * `stock`: cdk8s `App`; `fast`: `FastApp`; `fast-library-yaml`: `FastApp` with its YAML writer
 * stepped aside, every document through cdk8s's `Yaml.stringify()` (the path it takes when its
 * calibration finds a different `yaml` library), to measure what the writer contributes.
 */
export type Variant = 'stock' | 'fast' | 'fast-library-yaml';

export interface MeasureSpec {
  readonly scenario: string;
  readonly size: number;
  readonly variant: Variant;
  /** size of the warm-up app synthesized first in the same process (0 = none) */
  readonly warmupSize: number;
  /** where the output goes (default: memory) */
  readonly output?: Output;
}

/**
 * `memory`: a temporary directory on a memory-backed file system (`/dev/shm`) where there is
 * one, so the disk's latency (which varies by an order of magnitude between runs on a virtual
 * machine) is not measured as synthesis; `disk`: the system temporary directory.
 */
export type Output = 'memory' | 'disk';

/** The directory temporary output goes under, and whether it is memory-backed. */
export function outputRoot(output: Output): { readonly dir: string; readonly memory: boolean } {
  if (output === 'memory') {
    try {
      fs.accessSync('/dev/shm', fs.constants.W_OK);
      if (fs.statSync('/dev/shm').isDirectory()) {
        return { dir: '/dev/shm', memory: true };
      }
    } catch {
      // no memory-backed file system here
    }
  }
  return { dir: os.tmpdir(), memory: false };
}

export interface Measurement {
  /** constructing the construct tree */
  readonly buildMs: number;
  /** `app.synth()` */
  readonly synthMs: number;
  /** peak resident set size of the whole child process */
  readonly peakRssMb: number;
  /** set when the child did not finish in time or failed */
  readonly failure?: string;
}

const CHILD_FLAG = '--measure-child';

/** Runs one measurement in this process (the child side). */
export function measureInProcess(spec: MeasureSpec): Measurement {
  const build = SCENARIOS[spec.scenario];
  if (!build) {
    throw new Error(`unknown scenario ${spec.scenario}`);
  }
  const appClass = spec.variant === 'stock' ? App : FastApp;
  if (spec.variant === 'fast-library-yaml') {
    // the calibration's verdict, as when the installed cdk8s writes YAML differently
    YamlWriter.matchesInstalledCdk8s = () => false;
  }
  const outRoot = fs.mkdtempSync(path.join(outputRoot(spec.output ?? 'memory').dir, 'cdk8s-bench-'));
  try {
    if (spec.warmupSize > 0) {
      const warm = new appClass({ outdir: path.join(outRoot, 'warmup') });
      build(warm, spec.warmupSize);
      warm.synth();
    }
    const t0 = process.hrtime.bigint();
    const app = new appClass({ outdir: path.join(outRoot, 'out') });
    build(app, spec.size);
    const t1 = process.hrtime.bigint();
    app.synth();
    const t2 = process.hrtime.bigint();
    return {
      buildMs: Number(t1 - t0) / 1e6,
      synthMs: Number(t2 - t1) / 1e6,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    fs.rmSync(outRoot, { recursive: true, force: true });
  }
}

/**
 * Runs one measurement in a child process started from `script` (the bundled benchmark),
 * killing it after `timeoutMs`.
 */
export function measureInChild(script: string, spec: MeasureSpec, timeoutMs: number): Measurement {
  const child = spawnSync(process.execPath, [script, CHILD_FLAG, JSON.stringify(spec)], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.error || child.status !== 0) {
    const reason =
      child.signal === 'SIGTERM' ? `stopped after ${Math.round(timeoutMs / 1000)} s` : (child.stderr || String(child.error)).slice(0, 500);
    return { buildMs: NaN, synthMs: NaN, peakRssMb: NaN, failure: reason };
  }
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Measurement;
}

/** If this process was started as a measurement child, runs it, prints the result and returns true. */
export function runAsChildIfAsked(argv: readonly string[]): boolean {
  const i = argv.indexOf(CHILD_FLAG);
  if (i < 0) {
    return false;
  }
  const spec = JSON.parse(argv[i + 1]) as MeasureSpec;
  process.stdout.write(`${JSON.stringify(measureInProcess(spec))}\n`);
  return true;
}

/** The median of the finite values (NaN when there are none). */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) {
    return NaN;
  }
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}
