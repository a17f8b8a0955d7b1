/**
 * The largest values SerialBatchJob accepts (test/batch/hostile.test.ts refuses one more) reach
 * the generated step wrapper, run as a real process under dash and busybox sh, as values it
 * takes: no setting passes our checks and then stops the wrapper, and a step still runs, retries
 * and is recorded.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import { availableShells, Obj, PodRunOptions, runPod, Shell, tempRoot } from './pod-runner';
import { SerialBatchJob } from '../../../src';

jest.setTimeout(60000);
const INT32_MAX = 2 ** 31 - 1;
const root = tempRoot('serial-batch-bounds-');
const { shells, missing } = availableShells(root);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

if (missing.length > 0) {
  const text = `the batch boundary process tests need ${missing.join(' and ')}: run scripts/install-test-deps.sh`;
  if (process.env.CI === 'true') {
    test('shells for the process tests are installed', () => {
      throw new Error(text);
    });
  } else {
    console.warn(`\n!!! SKIPPING ${missing.join(', ')} process tests: ${text} !!!\n`);
  }
}

function manifest(): Obj[] {
  const chart = Testing.chart();
  new SerialBatchJob(chart, 'batch', {
    image: 'ghcr.io/acme/batch:2.3.0',
    defaultStepTimeout: Duration.seconds(INT32_MAX),
    defaultStepRetries: 100,
    defaultStepRetryBackoff: Duration.seconds(0),
    maxRetryBackoff: Duration.seconds(3600),
    killGracePeriod: Duration.seconds(3600),
    terminationGracePeriod: Duration.seconds(INT32_MAX),
    activeDeadline: Duration.seconds(INT32_MAX),
    ttlAfterFinished: Duration.seconds(INT32_MAX),
    steps: [
      // fails twice, then succeeds: each attempt runs under the largest timeout
      {
        name: 'flaky',
        command: [
          'sh',
          '-c',
          'n=$(cat "$SERIAL_BATCH_WORKSPACE/n" 2>/dev/null || echo 0); echo $((n + 1)) > "$SERIAL_BATCH_WORKSPACE/n"; [ "$n" -ge 2 ]',
        ],
      },
      { name: 'report', command: ['sh', '-c', 'echo "timeout=$SERIAL_BATCH_TIMEOUT grace=$SERIAL_BATCH_KILL_GRACE"'] },
    ],
  });
  return Testing.synth(chart);
}

describe.each(shells.map((s) => [s.name, s] as [string, Shell]))('under %s', (_name, shell) => {
  test('the largest accepted timeout, kill grace, retries and backoff cap run a step to success', async () => {
    const objects = manifest();
    const opts: PodRunOptions = { shell, root: fs.mkdtempSync(path.join(root, 'run-')), jobUid: 'uid-1' };
    const run = await runPod(objects, opts);
    expect(run.containers.map((c) => [c.name, c.code])).toEqual([
      ['s01-flaky', 0],
      ['s02-report', 0],
      ['summary', 0],
    ]);
    expect(run.succeeded).toBe(true);
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'n'), 'utf8').trim()).toBe('3');
    expect(run.containers[1].stdout).toContain(`timeout=${INT32_MAX} grace=3600`);
    expect(run.containers[2].message.trim()).toBe('2 steps: 2 ok');
  });
});
