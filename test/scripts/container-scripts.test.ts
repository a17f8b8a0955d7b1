/**
 * Every container script under src/ is POSIX sh that must run under busybox ash and dash:
 * shellcheck in sh mode finds nothing, and both shells parse it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.join(__dirname, '..', '..', 'src');

function scripts(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? scripts(full) : e.name.endsWith('.sh') ? [full] : [];
  });
}

function available(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

const ALL = scripts(SRC);
const TOOLS: Array<[string, string[]]> = [
  ['shellcheck', ['-s', 'sh', '-S', 'style']],
  ['dash', ['-n']],
  ['busybox', ['sh', '-n']],
];

test('the container scripts exist', () => {
  expect(ALL.length).toBeGreaterThanOrEqual(10);
});

describe.each(TOOLS)('%s', (tool, args) => {
  const present = available(tool);
  if (!present && process.env.CI === 'true') {
    test(`${tool} is installed`, () => {
      throw new Error(`${tool} is missing: run scripts/install-test-deps.sh`);
    });
    return;
  }
  if (!present) {
    console.warn(`\n!!! SKIPPING ${tool} checks of container scripts: not installed (run scripts/install-test-deps.sh) !!!\n`);
    test.skip(`${tool} is installed`, () => undefined);
    return;
  }
  test.each(ALL.map((f) => [path.relative(SRC, f), f]))('%s', (_name, file) => {
    const result = spawnSync(tool, [...args, file], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });
});
