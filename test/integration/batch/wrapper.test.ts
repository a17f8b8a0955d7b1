/**
 * The generated step wrapper and summary, run as real processes under dash and busybox sh, with
 * the commands, args and environment of a synthesized SerialBatchJob (see pod-runner.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { availableShells, Obj, PodRun, PodRunOptions, runPod, Shell, tempRoot, waitFor } from './pod-runner';
import { NIGHTLY_FINALLY_STEPS, NIGHTLY_STEPS } from '../../../apps/nightly';
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

/** The outcome record the wrapper wrote for a step in the (last) pod of a run. */
function recordOf(run: PodRun, indexAndName: string): string {
  const pods = path.join(run.volumes.workspace, '.serial-batch', 'pods');
  const podDirs = fs.readdirSync(pods).map((d) => path.join(pods, d));
  const found = podDirs.map((d) => path.join(d, indexAndName)).filter((f) => fs.existsSync(f));
  if (found.length !== 1) {
    throw new Error(`expected one record of ${indexAndName} in ${podDirs.join(', ')}, found ${found.length}`);
  }
  return fs.readFileSync(found[0], 'utf8');
}

/** What `kubectl set env --local -f - NAME=value` does to a Job: the value on every container, init containers included. */
function withEnv(objects: Obj[], name: string, value: string): Obj[] {
  const copy = JSON.parse(JSON.stringify(objects)) as Obj[];
  const job = copy.find((o) => o.kind === 'Job')!;
  for (const c of [...job.spec.template.spec.initContainers, ...job.spec.template.spec.containers] as Obj[]) {
    const e = (c.env as Obj[]).find((v) => v.name === name);
    if (e) {
      e.value = value;
      delete e.valueFrom;
    } else {
      c.env.push({ name, value });
    }
  }
  return copy;
}

/** Summary table rows: index, name, status, exit, seconds, tries. */
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
    const nightly = (steps: SerialBatchStep[]) => steps.map((s) => ({ ...record(s.name), dependsOn: s.dependsOn }));
    const objects = manifest({ steps: nightly(NIGHTLY_STEPS), finallySteps: nightly(NIGHTLY_FINALLY_STEPS) });
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

  test('a failing step: the main steps after it do not run, finally steps and the summary do, and the Job fails naming it', async () => {
    const objects = manifest({
      steps: [record('extract'), { name: 'load', command: ['sh', '-c', 'echo loading; exit 3'] }, record('report')],
      finallySteps: [record('drop-staging'), record('unlock')],
    });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(false);
    expect(run.containers.map((c) => c.name)).toEqual(['s01-extract', 's02-load', 's03-report', 's04-drop-staging', 's05-unlock', 'summary']);
    const load = run.containers[1];
    // the failure is recorded, and the pod goes on to the finally steps and the summary
    expect(load.code).toBe(0);
    expect(load.stdout).toContain('loading');
    expect(load.message.trim()).toMatch(/^step load failed with exit code 3 after [0-9]+s$/);
    expect(run.containers[2].message.trim()).toBe('step report not run: step load failed');
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'order'), 'utf8')).toBe('extract\ndrop-staging\nunlock\n');
    const summary = run.containers[5];
    expect(summary.code).toBe(1);
    expect(rows(summary.stdout).map((r) => r.slice(1, 4))).toEqual([
      ['extract', 'ok', '0'],
      ['load', 'failed', '3'],
      ['report', 'not-run', '-'],
      ['drop-staging', 'ok', '0'],
      ['unlock', 'ok', '0'],
    ]);
    expect(summary.message.trim()).toBe('failed at load (exit code 3, failed); 5 steps: 3 ok, failed at load (exit code 3, failed), 1 not run');
  });

  test('finally steps run after a success too, and a failing finally step fails the Job without hiding anything', async () => {
    const objects = manifest({
      steps: [record('extract')],
      finallySteps: [{ name: 'unlock', command: ['sh', '-c', 'exit 4'] }, record('notify')],
    });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(false);
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'order'), 'utf8')).toBe('extract\nnotify\n');
    const summary = run.containers[3];
    expect(summary.code).toBe(1);
    expect(summary.message.trim()).toBe('3 steps: 2 ok, finally step unlock failed (exit code 4, failed)');

    const ok = await runPod(manifest({ finallySteps: [record('unlock')], steps: [record('extract')] }), opts());
    expect(ok.succeeded).toBe(true);
    expect(fs.readFileSync(path.join(ok.volumes.workspace, 'order'), 'utf8')).toBe('extract\nunlock\n');
    expect(ok.containers[2].message.trim()).toBe('2 steps: 2 ok');
  });

  test('a failure before a raw step stops the pod there: nothing could keep the raw step from running', async () => {
    const objects = manifest({
      steps: [
        { name: 'load', command: ['sh', '-c', 'exit 3'] },
        { name: 'direct', command: ['sh', '-c', 'echo direct >> "$SERIAL_BATCH_WORKSPACE/order"'], raw: true },
      ],
      finallySteps: [record('unlock')],
    });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(false);
    expect(run.containers.map((c) => [c.name, c.code])).toEqual([['s01-load', 3]]);
    expect(fs.existsSync(path.join(run.volumes.workspace, 'order'))).toBe(false);
    expect(run.containers[0].stderr).toContain('serial-batch: 3 steps: 0 ok, failed at load (exit code 3, failed), 2 not run');
  });

  test('with continueOnError, the steps depending on the failed one are skipped, transitively; the others run', async () => {
    const objects = manifest({
      steps: [
        { name: 'export', command: ['sh', '-c', 'exit 6'], continueOnError: true },
        { ...record('publish'), dependsOn: ['export'] },
        { ...record('announce'), dependsOn: ['publish'] },
        record('vacuum'),
      ],
    });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(true);
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'order'), 'utf8')).toBe('vacuum\n');
    expect(run.containers[1].message.trim()).toBe('step publish skipped: it depends on export (failed-continued)');
    expect(run.containers[2].message.trim()).toBe('step announce skipped: it depends on export (failed-continued)');
    const summary = run.containers[4];
    expect(rows(summary.stdout).map((r) => r[2])).toEqual(['failed-continued', 'skipped', 'skipped', 'ok']);
    expect(summary.message.trim()).toBe(
      '4 steps: 1 ok, 1 failed and continued: export(exit 6), 2 skipped (a dependency did not succeed): publish announce',
    );
  });

  test('retries: the wrapper runs the step again in the same container, with a doubling backoff up to the cap', async () => {
    const counter = path.join(root, `tries-${shell.name.replace(/ /g, '-')}`);
    const objects = manifest({
      config: { CFG_COUNTER: counter },
      maxRetryBackoff: Duration.seconds(2),
      steps: [
        {
          name: 'export',
          // fails on the first three attempts
          command: ['sh', '-c', 'echo x >> "$CFG_COUNTER"; test "$(wc -l < "$CFG_COUNTER")" -ge 4'],
          retries: 3,
          retryBackoff: Duration.seconds(1),
        },
      ],
    });
    const started = Date.now();
    const run = await runPod(objects, opts());
    const elapsed = Date.now() - started;
    expect(run.succeeded).toBe(true);
    expect(fs.readFileSync(counter, 'utf8')).toBe('x\nx\nx\nx\n');
    const step = run.containers[0];
    expect(step.stderr.match(/retrying in [0-9]+s/g)).toEqual(['retrying in 1s', 'retrying in 2s', 'retrying in 2s']);
    expect(step.stderr).toContain('step export: attempt 3 of 4 failed with exit code 1; retrying in 2s');
    expect(step.stderr).toContain('step export: attempt 4 of 4');
    expect(elapsed).toBeGreaterThanOrEqual(5000);
    expect(elapsed).toBeLessThan(15000);
    expect(step.message.trim()).toMatch(/^step export succeeded in [0-9]+s \(attempt 4 of 4\)$/);
    expect(recordOf(run, '01-export')).toMatch(/^status=ok exit=0 seconds=[0-9]+ attempts=4$/m);
    expect(rows(run.containers[1].stdout)[0][5]).toBe('4');
  });

  test('retries: the timeout applies to each attempt, and exhausted retries fail the step', async () => {
    const counter = path.join(root, `slow-${shell.name.replace(/ /g, '-')}`);
    const objects = manifest({
      config: { CFG_COUNTER: counter },
      steps: [
        {
          name: 'fetch',
          // the first attempt hangs past the timeout, the second is quick
          command: ['sh', '-c', 'echo x >> "$CFG_COUNTER"; if [ "$(wc -l < "$CFG_COUNTER")" -eq 1 ]; then exec sleep 30; fi'],
          timeout: Duration.seconds(1),
          retries: 1,
          retryBackoff: Duration.seconds(0),
        },
        { name: 'always-fails', command: ['sh', '-c', 'exit 2'], retries: 1, retryBackoff: Duration.seconds(0), continueOnError: true },
      ],
    });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(true);
    const fetch = run.containers[0];
    expect(fetch.stderr).toContain('step fetch: attempt 1 of 2 timed out after 1s; retrying in 0s');
    expect(fetch.message.trim()).toMatch(/^step fetch succeeded in [0-9]+s \(attempt 2 of 2\)$/);
    expect(run.containers[1].message.trim()).toMatch(
      /^step always-fails failed with exit code 2 after [0-9]+s \(attempt 2 of 2\); continuing \(continueOnError\)$/,
    );
  });

  test('step results: a step leaves named values that later steps read and the summary prints', async () => {
    const objects = manifest({
      steps: [
        { name: 'extract', command: ['sh', '-c', 'echo 1234 > "$SERIAL_BATCH_RESULT_DIR/rows"; echo eu > "$SERIAL_BATCH_RESULT_DIR/region"'] },
        { name: 'check', command: ['sh', '-c', 'test "$(cat "$SERIAL_BATCH_RESULTS/extract/rows")" -gt 1000'] },
      ],
    });
    const run = await runPod(objects, opts());
    expect(run.succeeded).toBe(true);
    expect(run.containers[2].stdout).toContain('result extract.region = eu\nresult extract.rows = 1234\n');
  });

  test('a step over its timeout is killed and reported as timed out; the finally steps still run', async () => {
    const objects = manifest({
      steps: [{ name: 'slow', command: ['sh', '-c', 'echo $$ > "$SERIAL_BATCH_WORKSPACE/pid"; exec sleep 30'], timeout: Duration.seconds(1) }],
      finallySteps: [record('cleanup')],
    });
    const started = Date.now();
    const run = await runPod(objects, opts());
    const elapsed = Date.now() - started;
    const slow = run.containers[0];
    expect(slow.code).toBe(0);
    expect(elapsed).toBeLessThan(10000);
    expect(slow.message.trim()).toMatch(/^step slow timed out after [0-9]+s \(limit 1s per attempt, exit code 124\)$/);
    const pid = Number(fs.readFileSync(path.join(run.volumes.workspace, 'pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
    expect(recordOf(run, '01-slow')).toMatch(/^status=timeout exit=124 seconds=[0-9]+ attempts=1$/m);
    // a timeout is a failure like any other: the finally steps and the summary run
    expect(fs.readFileSync(path.join(run.volumes.workspace, 'order'), 'utf8')).toBe('cleanup\n');
    expect(run.containers[2].code).toBe(1);
    expect(run.containers[2].message.trim()).toMatch(/^failed at slow \(exit code 124, timeout\);/);
  });

  test('a step that ignores SIGTERM is killed after the grace period', async () => {
    const objects = manifest({
      steps: [{ name: 'stubborn', command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'], timeout: Duration.seconds(1) }],
    });
    const started = Date.now();
    const run = await runPod(objects, opts());
    expect(run.containers[0].code).toBe(0);
    expect(recordOf(run, '01-stubborn')).toMatch(/^status=timeout exit=124 /);
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

  describe('resume from a volume', () => {
    const counterOf = (what: string) => path.join(root, `${what}-${shell.name.replace(/ /g, '-')}`);
    const pipeline = (gate: string, counter: string) =>
      manifest({
        retry: BatchRetry.resumeFromVolume({ retries: 2 }),
        config: { CFG_GATE: gate, CFG_COUNTER: counter },
        steps: [
          { name: 'extract', command: ['sh', '-c', 'echo x >> "$CFG_COUNTER"; echo data > "$SERIAL_BATCH_WORKSPACE/extracted"'] },
          { name: 'load', command: ['sh', '-c', 'test -f "$CFG_GATE" && test -f "$SERIAL_BATCH_WORKSPACE/extracted"'] },
          record('report'),
        ],
        finallySteps: [record('unlock')],
      });

    test('a new pod of the same Job skips the steps done; finally steps run in every pod', async () => {
      const gate = counterOf('gate-a');
      const counter = counterOf('count-a');
      const objects = pipeline(gate, counter);
      const o = opts({ jobUid: 'uid-a', jobName: 'nightly-29000001' });
      const first = await runPod(objects, o);
      expect(first.succeeded).toBe(false);
      expect(first.containers.map((c) => c.code)).toEqual([0, 0, 0, 0, 1]);

      fs.writeFileSync(gate, '');
      const second = await runPod(objects, o);
      expect(second.succeeded).toBe(true);
      expect(second.containers[0].message.trim()).toBe('step extract skipped: completed earlier in run nightly-29000001');
      expect(fs.readFileSync(counter, 'utf8')).toBe('x\n');
      expect(rows(second.containers[4].stdout).map((r) => r[2])).toEqual(['done-earlier', 'ok', 'ok', 'ok']);
      expect(second.containers[4].message.trim()).toBe('4 steps: 3 ok, 1 done earlier in this run');
      // the run directory on the claim is emptied once every step has finished
      expect(fs.readdirSync(path.join(second.volumes.workspace, 'nightly-29000001'))).toEqual([]);
    });

    test('a failed night, a new scheduled run that starts afresh, and the explicit re-run that resumes the failed one', async () => {
      const gate = counterOf('gate-b');
      const counter = counterOf('count-b');
      const objects = pipeline(gate, counter);
      const o = opts();
      const night = await runPod(objects, { ...o, jobUid: 'uid-1', jobName: 'nightly-29000100' });
      expect(night.succeeded).toBe(false);
      expect(night.containers[4].message.trim()).toMatch(/^failed at load \(exit code 1, failed\);/);

      // the next scheduled run is another Job with another name: it never resumes the failed one
      const next = await runPod(objects, { ...o, jobUid: 'uid-2', jobName: 'nightly-29001540' });
      expect(next.containers[0].message.trim()).toMatch(/^step extract succeeded/);
      expect(fs.readFileSync(counter, 'utf8')).toBe('x\nx\n');

      // the operator fixes the cause and re-runs the failed night, naming it (kubectl set env SERIAL_BATCH_RUN=...)
      fs.writeFileSync(gate, '');
      const rerun = await runPod(withEnv(objects, 'SERIAL_BATCH_RUN', 'nightly-29000100'), {
        ...o,
        jobUid: 'uid-3',
        jobName: 'nightly-29000100-rerun',
      });
      expect(rerun.succeeded).toBe(true);
      expect(rerun.containers[0].stderr).toContain('re-running run nightly-29000100 (Job uid uid-1) in Job nightly-29000100-rerun');
      expect(rerun.containers[0].message.trim()).toBe('step extract skipped: completed earlier in run nightly-29000100');
      // extract did not run again, and load found the file it left in the failed night's workspace
      expect(fs.readFileSync(counter, 'utf8')).toBe('x\nx\n');
      expect(rows(rerun.containers[4].stdout).map((r) => r[2])).toEqual(['done-earlier', 'ok', 'ok', 'ok']);

      // a re-run naming a run the claim does not hold stops at once
      const typo = await runPod(withEnv(objects, 'SERIAL_BATCH_RUN', 'nightly-2900'), { ...o, jobUid: 'uid-4', jobName: 'nightly-2900-rerun' });
      expect(typo.containers.map((c) => c.code)).toEqual([2]);
      expect(typo.containers[0].message.trim()).toBe('step extract: no unfinished run nightly-2900 to re-run');
    });

    test("a new Job that reuses a failed Job's name starts afresh instead of resuming by accident", async () => {
      const gate = counterOf('gate-c');
      const counter = counterOf('count-c');
      const objects = pipeline(gate, counter);
      const o = opts({ jobName: 'nightly' });
      const failed = await runPod(objects, { ...o, jobUid: 'uid-old' });
      expect(failed.succeeded).toBe(false);
      fs.writeFileSync(gate, '');
      const again = await runPod(objects, { ...o, jobUid: 'uid-new' });
      expect(again.succeeded).toBe(true);
      expect(again.containers[0].stderr).toContain('run directory nightly belonged to an earlier Job (uid uid-old): this new Job starts afresh');
      expect(fs.readFileSync(counter, 'utf8')).toBe('x\nx\n');
      expect(rows(again.containers[4].stdout).map((r) => r[2])).toEqual(['ok', 'ok', 'ok', 'ok']);
    });

    test('a pod killed while writing a done-marker never marks the step done', async () => {
      const counter = counterOf('count-d');
      const objects = manifest({
        retry: BatchRetry.resumeFromVolume({ retries: 1, cleanUpOnSuccess: false }),
        config: { CFG_COUNTER: counter },
        steps: [{ name: 'extract', command: ['sh', '-c', 'echo x >> "$CFG_COUNTER"'] }, record('report')],
      });
      const o = opts({ jobUid: 'uid-k', jobName: 'nightly-k' });
      const claim = objects.find((x) => x.kind === 'PersistentVolumeClaim')!.metadata.name;
      const done = path.join(o.root, 'claims', claim, 'nightly-k', '.serial-batch', 'done');
      fs.mkdirSync(done, { recursive: true });
      // the marker's temporary file is a FIFO: writing it blocks, so the pod can be killed mid-write
      const tmp = path.join(done, '01-extract.tmp');
      expect(spawnSync('mkfifo', [tmp]).status).toBe(0);
      let wrapper = 0;
      const killed = runPod(objects, { ...o, onStart: (_c, p) => (wrapper = p) });
      await waitFor(
        () => wrapper !== 0 && fs.existsSync(`/proc/${wrapper}/wchan`) && fs.readFileSync(`/proc/${wrapper}/wchan`, 'utf8') === 'wait_for_partner',
        10000,
        'the wrapper to block writing the marker',
      );
      process.kill(-wrapper, 'SIGKILL');
      const first = await killed;
      expect(first.containers.map((c) => c.signal)).toEqual(['SIGKILL']);
      expect(fs.readFileSync(counter, 'utf8')).toBe('x\n');
      expect(fs.readdirSync(done)).toEqual(['01-extract.tmp']);

      // what a kill leaves: a half-written temporary file; the Job's next pod runs the step again
      fs.rmSync(tmp);
      fs.writeFileSync(tmp, 'run=nigh');
      const second = await runPod(objects, o);
      expect(second.succeeded).toBe(true);
      expect(fs.readFileSync(counter, 'utf8')).toBe('x\nx\n');
      expect(fs.readdirSync(done).sort()).toEqual(['01-extract', '02-report']);
      expect(fs.readFileSync(path.join(done, '01-extract'), 'utf8')).toMatch(/^run=nightly-k seconds=[0-9]+$/m);
    });
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
  const dir = path.join(__dirname, '../../../src/batch/scripts');
  const scripts = fs.readdirSync(dir).filter((f) => f.endsWith('.sh'));
  expect(scripts.sort()).toEqual(['step.sh', 'summary.sh']);
  const r = spawnSync(shellcheck.stdout.trim(), ['-s', 'sh', ...scripts.map((s) => path.join(dir, s))], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
