/**
 * Helpers that synthesize the same app with stock cdk8s `App` and with `FastApp` and capture
 * everything a user could observe: every output file (name and bytes), `synthYaml()`, and the
 * error thrown, if any.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps } from 'cdk8s';
import { FastApp } from '../../src';

/** Builds the charts of an app; called once per app class so both get identical trees. */
export type AppBuilder = (app: App) => void;

/** What one synthesis produced: files by relative path, in directory-listing order. */
export interface SynthOutcome {
  readonly files: Map<string, string>;
  readonly error?: string;
}

let tmpRoot: string | undefined;

function tmpDir(): string {
  if (tmpRoot === undefined) {
    tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'fast-app-test-'));
  }
  return fs.mkdtempSync(path.join(tmpRoot, 'out-'));
}

/** Removes every directory the helpers created (call from afterAll). */
export function cleanupTmp(): void {
  if (tmpRoot !== undefined) {
    fs.rmSync(tmpRoot, { recursive: true, force: true });
    tmpRoot = undefined;
  }
}

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (rel: string): void => {
    const abs = path.join(dir, rel);
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const entryRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        files.set(`${entryRel}/`, '');
        visit(entryRel);
      } else {
        files.set(entryRel, fs.readFileSync(path.join(dir, entryRel), 'utf8'));
      }
    }
  };
  visit('');
  return files;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name}: ${e.message}` : `thrown: ${String(e)}`;
}

/** Synthesizes with `app.synth()` into a fresh directory. */
export function synthFiles(appClass: typeof App, build: AppBuilder, props: AppProps = {}): SynthOutcome {
  const outdir = tmpDir();
  const app = new appClass({ ...props, outdir });
  let error: string | undefined;
  try {
    build(app);
    app.synth();
  } catch (e) {
    error = errorText(e);
  }
  return { files: readTree(outdir), error };
}

/** `app.synthYaml()`, or the error it threw. */
export function synthYaml(appClass: typeof App, build: AppBuilder, props: AppProps = {}): string {
  const app = new appClass({ ...props, outdir: tmpDir() });
  try {
    build(app);
    return app.synthYaml();
  } catch (e) {
    return `ERROR ${errorText(e)}`;
  }
}

/**
 * Asserts that stock and fast synthesis are indistinguishable for this builder and props:
 * same files (names, order, bytes) or the same error, and (unless told not to) the same
 * `synthYaml()`.
 * Returns the stock outcome for further assertions.
 */
export function expectIdentical(build: AppBuilder, props: AppProps = {}, compareYaml = true): SynthOutcome {
  const stock = synthFiles(App, build, props);
  const fast = synthFiles(FastApp, build, props);
  expect(fast.error).toEqual(stock.error);
  expect([...fast.files.keys()]).toEqual([...stock.files.keys()]);
  for (const [name, content] of stock.files) {
    expect({ name, content: fast.files.get(name) }).toEqual({ name, content });
  }
  if (compareYaml) {
    expect(synthYaml(FastApp, build, props)).toEqual(synthYaml(App, build, props));
  }
  return stock;
}
