/**
 * The generated step wrapper and summary, run as real processes under dash and busybox sh, with
 * the commands, args and environment of a synthesized SerialBatchJob (see pod-runner.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { availableShells, Obj, PodRunOptions, runPod, Shell, tempRoot, waitFor } from './pod-runner';
import { NIGHTLY_STEPS } from '../../../apps/nightly';
import { BatchRetry, SerialBatchJob, SerialBatchJobProps, SerialBatchStep } from '../../../src';

const IMAGE = 'ghcr.io/acme/batch:2.3.0';
jest.setTimeout(60000);
const root = tempRoot('serial-batch-');
const { shells, missing } = availableShells(root);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

if (missing.length > 0) {
  const text = `the batch wrapper process tests need ${missing.join(' and ')}: run scripts/install-test-deps.sh`;
  if (process.env.CI === 'true') {
    test('shells for the process tests are installed', () => {
      throw new Error(text);
    });
  } else {
    console.warn(`\n!!! SKIPPING ${missing.join(', ')} process tests: ${text} !!!\n`);
  }
}

function manifest(props: Partial<SerialBatchJobProps>): Obj[] {
  const chart = Testing.chart();
  new SerialBatchJob(chart, 'batch', { image: IMAGE, killGracePeriod: Duration.seconds(1), ...props });
  return Testing.synth(chart);
}

function record(step: string): SerialBatchStep {
  return { name: step, command: ['sh', '-c', 'echo "$SERIAL_BATCH_STEP" >> "$SERIAL_BATCH_WORKSPACE/order"'] };
}

/** Summary table rows: index, name, status, exit, seconds. */
function rows(output: string): string[][] {
  return output
    .split('\n')
    .filter((l) => /^[0-9]{2,} /.test(l))
    .map((l) => l.trim().split(/\s+/));
}

describe.each(shells.map((s) => [s.name, s] as [string, Shell]))('under %s', (_name, shell) => {
  let n = 0;
  const opts = (extra: Partial<PodRunOptions> = {}): PodRunOptions => ({
    shell,
    root: fs.mkdtempSync(path.join(root, `run-${n++}-`)),
    jobUid: 'uid-1',
    ...extra,
  });

  test('the 22-step nightly pipeline runs in manifest order and the summary lists every step', async () => {
    const objects = manifest({ steps: NIGHTLY_STEPS.map((s) => ({ ...record(s.name), dependsOn: s.dependsOn })) });
    const inits = objects.find((o) => o.kind === 'Job')!.spec.template.spec.initContainers as Obj[];
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(true);
    expect(run.containers).toHaveLength(23);
    const order = fs.readFileSync(path.join(run.volumes.workspace, 'order'), 'utf8').trim().split('\n');
    expect(order).toEqual(inits.map((c) => c.name.replace(/^s[0-9]+-/, '')));
    const summary = run.containers[22];
    expect(summary.name).toBe('summary');
    const table = rows(summary.stdout);
    expect(table.map((r) => r[1])).toEqual(order);
    for (const [i, r] of table.entries()) {
      expect(r[0]).toBe(String(i + 1).padStart(2, '0'));
      expect(r[2]).toBe('ok');
      expect(r[3]).toBe('0');
      expect(r[4]).toMatch(/^[0-9]+$/);
    }
    expect(summary.message.trim()).toBe('22 steps: 22 ok');
    expect(run.containers[5].message.trim()).toMatch(/^step stage-create succeeded in [0-9]+s$/);
  });

  test('a failing step stops the chain; its message and the summary name it and its exit code', async () => {
    const objects = manifest({ steps: [record('extract'), { name: 'load', command: ['sh', '-c', 'echo loading; exit 3'] }, record('report')] });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(false);
    expect(run.containers.map((c) => c.name)).toEqual(['s01-extract', 's02-load']);
    const load = run.containers[1];
    expect(load.code).toBe(3);
    expect(load.stdout).toContain('loading');
    expect(load.message.trim()).toMatch(/^step load failed with exit code 3 after [0-9]+s$/);
    expect(load.stderr).toMatch(/^02 +load +failed +3 /m);
    expect(load.stderr).toMatch(/^03 +report +not-run /m);
    expect(load.stderr).toContain('serial-batch: 3 steps: 1 ok, failed at load (exit code 3, failed), 1 not run');
  });

  test('a step over its timeout is killed and reported as timed out', async () => {
    const objects = manifest({
      steps: [{ name: 'slow', command: ['sh', '-c', 'echo $$ > "$SERIAL_BATCH_WORKSPACE/pid"; exec sleep 30'], timeout: Duration.seconds(1) }],
    });
    const started = Date.now();
    const run = await runPod(objects, opts());
    const elapsed = Date.now() - started;
    const slow = run.containers[0];
    expect(slow.code).toBe(124);
    expect(elapsed).toBeLessThan(10000);
    expect(slow.message.trim()).toMatch(/^step slow timed out after [0-9]+s \(limit 1s, exit code 124\)$/);
    const pid = Number(fs.readFileSync(path.join(run.volumes.workspace, 'pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.readFileSync(path.join(run.volumes.workspace, '.serial-batch/results/01-slow'), 'utf8')).toMatch(
      /^status=timeout exit=124 seconds=[0-9]+$/m,
    );
  });

  test('a step that ignores SIGTERM is killed after the grace period', async () => {
    const objects = manifest({
      steps: [{ name: 'stubborn', command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'], timeout: Duration.seconds(1) }],
    });
    const started = Date.now();
    const run = await runPod(objects, opts());
    expect(run.containers[0].code).toBe(124);
    expect(run.containers[0].stderr).toContain('sending SIGKILL');
    expect(Date.now() - started).toBeLessThan(10000);
  });

  test('SIGTERM sent to the wrapper reaches the step process', async () => {
    const objects = manifest({
      steps: [
        {
          name: 'graceful',
          command: [
            'sh',
            '-c',
            'trap \'echo cleaned-up > "$SERIAL_BATCH_WORKSPACE/term"; exit 7\' TERM; : > "$SERIAL_BATCH_WORKSPACE/ready"; while :; do sleep 1; done',
          ],
        },
      ],
    });
    const o = opts();
    let wrapper = 0;
    const running = runPod(objects, { ...o, onStart: (_c, pid) => (wrapper = pid) });
    const workspace = path.join(fs.readdirSync(o.root).map((d) => path.join(o.root, d))[0], 'volumes', 'workspace');
    await waitFor(() => fs.existsSync(path.join(workspace, 'ready')), 10000, 'the step to start');
    process.kill(wrapper, 'SIGTERM');
    const run = await running;
    const step = run.containers[0];
    expect(fs.readFileSync(path.join(workspace, 'term'), 'utf8').trim()).toBe('cleaned-up');
    expect(step.code).toBe(7);
    expect(step.stderr).toContain('received SIGTERM: sending SIGTERM to step graceful');
    expect(step.message.trim()).toMatch(/^step graceful was stopped by a signal after [0-9]+s \(exit code 7\)$/);
  });

  test('continue-on-error records the failure and goes on', async () => {
    const objects = manifest({
      steps: [record('extract'), { name: 'report', command: ['sh', '-c', 'exit 5'], continueOnError: true }, record('vacuum')],
    });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(true);
    expect(run.containers[1].code).toBe(0);
    expect(run.containers[1].message.trim()).toMatch(/^step report failed with exit code 5 after [0-9]+s; continuing \(continueOnError\)$/);
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'order'), 'utf8')).toBe('extract\nvacuum\n');
    const summary = run.containers[3];
    expect(rows(summary.stdout)[1].slice(1, 4)).toEqual(['report', 'failed-continued', '5']);
    expect(summary.message.trim()).toBe('3 steps: 2 ok, 1 failed and continued: report(exit 5)');
  });

  test('resume skips steps done for the same Job uid and reruns them for a new uid', async () => {
    const gate = path.join(root, `gate-${shell.name.replace(/ /g, '-')}`);
    const counter = `${gate}.count`;
    const objects = manifest({
      retry: BatchRetry.resumeFromVolume({ retries: 2 }),
      config: { CFG_GATE: gate, CFG_COUNTER: counter },
      steps: [
        { name: 'extract', command: ['sh', '-c', 'echo x >> "$CFG_COUNTER"; echo data > "$SERIAL_BATCH_WORKSPACE/extracted"'] },
        { name: 'load', command: ['sh', '-c', 'test -f "$CFG_GATE" && test -f "$SERIAL_BATCH_WORKSPACE/extracted"'] },
        record('report'),
      ],
    });
    const o = opts({ jobUid: 'job-uid-a' });
    const first = await runPod(objects, o);
    expect(first.succeeded).toBe(false);
    expect(first.containers.map((c) => c.code)).toEqual([0, 1]);

    fs.writeFileSync(gate, '');
    const second = await runPod(objects, o);
    expect(second.succeeded).toBe(true);
    expect(second.containers[0].message.trim()).toBe('step extract skipped: completed earlier in run job-uid-a');
    expect(fs.readFileSync(counter, 'utf8')).toBe('x\n');
    expect(rows(second.containers[3].stdout).map((r) => r[2])).toEqual(['skipped', 'ok', 'ok']);
    expect(second.containers[3].message.trim()).toBe('3 steps: 2 ok, 1 skipped (done earlier)');
    // the run directory on the claim is emptied once every step has finished
    expect(fs.readdirSync(path.join(second.volumes.workspace, 'job-uid-a'))).toEqual([]);

    const third = await runPod(objects, { ...o, jobUid: 'job-uid-b' });
    expect(third.succeeded).toBe(true);
    expect(fs.readFileSync(counter, 'utf8')).toBe('x\nx\n');
    expect(rows(third.containers[3].stdout).map((r) => r[2])).toEqual(['ok', 'ok', 'ok']);
  });

  test('commands and values with $(, quotes and spaces arrive intact', async () => {
    const tricky = ['a b', '"quoted"', "it's", '$(id -u)', '$$', '$(SERIAL_BATCH_STEP)', 'tab\there', '*', ''];
    const value = '$(SERIAL_BATCH_STEP) and $HOME "q" \'s\' $$(x)';
    const objects = manifest({
      config: { CFG_CONFIG: value },
      steps: [
        {
          name: 'echo',
          command: [
            'sh',
            '-c',
            'for a in "$@"; do printf "[%s]" "$a"; done > "$SERIAL_BATCH_WORKSPACE/args"; printf "%s" "$CFG_VALUE" > "$SERIAL_BATCH_WORKSPACE/value"; printf "%s" "$CFG_CONFIG" > "$SERIAL_BATCH_WORKSPACE/config"',
            'argv0',
            ...tricky,
          ],
          env: { CFG_VALUE: value },
        },
      ],
    });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(true);
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'args'), 'utf8')).toBe(tricky.map((a) => `[${a}]`).join(''));
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'value'), 'utf8')).toBe(value);
    // envFrom values are not expanded by the kubelet: they arrive as written too
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'config'), 'utf8')).toBe(value);
  });

  test('a raw step runs without the wrapper and the summary lists it', async () => {
    const objects = manifest({
      steps: [record('extract'), { name: 'direct', command: ['sh', '-c', 'echo direct >> "$SERIAL_BATCH_WORKSPACE/order"'], raw: true }],
    });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(true);
    expect(run.containers[1].stderr).not.toContain('serial-batch:');
    expect(rows(run.containers[2].stdout).map((r) => r[2])).toEqual(['ok', 'ok-raw']);
  });

  test('secrets come from the referenced Secret', async () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'Db', 'db');
    new SerialBatchJob(chart, 'batch', {
      image: IMAGE,
      secretEnv: { CFG_DB_KEY: { secret, key: 'key' } },
      steps: [{ name: 'use', command: ['sh', '-c', 'printf "%s" "$CFG_DB_KEY" > "$SERIAL_BATCH_WORKSPACE/key"'] }],
    });
    const run = await runPod(Testing.synth(chart), opts({ secrets: { 'db/key': 's3cr3t $(x)' } }));
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'key'), 'utf8')).toBe('s3cr3t $(x)');
  });
});

test('shellcheck -s sh finds nothing in the container scripts', () => {
  const shellcheck = spawnSync('sh', ['-c', 'command -v shellcheck'], { encoding: 'utf8' });
  if (shellcheck.status !== 0) {
    if (process.env.CI === 'true') {
      throw new Error('shellcheck is missing: run scripts/install-test-deps.sh');
    }
    console.warn('\n!!! SKIPPING shellcheck: not installed (run scripts/install-test-deps.sh) !!!\n');
    return;
  }
  const dir = path.join(__dirname, '../../../src/batch');
  const scripts = fs.readdirSync(dir).filter((f) => f.endsWith('.sh'));
  expect(scripts.sort()).toEqual(['step.sh', 'summary.sh']);
  const r = spawnSync(shellcheck.stdout.trim(), ['-s', 'sh', ...scripts.map((s) => path.join(dir, s))], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
