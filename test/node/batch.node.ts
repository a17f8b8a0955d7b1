/**
 * SerialBatchJob in real pods (apps/nightly.ts's shape: 22 steps, one image): the steps run in
 * order, each with its own log, the summary reports them all and the Job is Complete; a failing
 * step fails the Job naming the step; `BatchRetry.resumeFromVolume()` resumes in a new pod after
 * the pod is deleted mid-run; a CronJob made by the construct runs through
 * `kubectl create job --from=cronjob/...`.
 */
import { App, Chart, Cron, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { NIGHTLY_FINALLY_STEPS, NIGHTLY_STEPS } from '../../apps/nightly';
import { BatchRetry, SerialBatchJob, SerialBatchJobProps, SerialBatchStep } from '../../src';
import { apply, diagnostics, failureMessages, getJson, image, kubectl, Namespace, waitFor, waitForJob } from './support/node-cluster';

/** A batch in the scenario's namespace on the local shell image, pulled IfNotPresent. */
function batch(ns: string, props: Partial<SerialBatchJobProps> & { name: string; steps: SerialBatchStep[] }): SerialBatchJob {
  const chart = new Chart(Testing.app() as App, 'batch', { namespace: ns, disableResourceNameHashes: true });
  return new SerialBatchJob(chart, 'Batch', {
    image: image('SHELL_IMAGE'),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    defaultStepTimeout: Duration.minutes(5),
    stepResources: { cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(500) } },
    ...props,
  });
}

/** A step of apps/nightly.ts by name and options, running a small shell command that checks its place in the order. */
function traced(s: SerialBatchStep, i: number): SerialBatchStep {
  return {
    name: s.name,
    dependsOn: s.dependsOn,
    continueOnError: s.continueOnError,
    timeout: s.timeout,
    command: [
      'sh',
      '-c',
      `echo "step ${i + 1} ${s.name} ran"; echo ${s.name} >> "$SERIAL_BATCH_WORKSPACE/order"; test "$(wc -l < "$SERIAL_BATCH_WORKSPACE/order")" -eq ${i + 1}`,
    ],
  };
}

/** The 22 steps of apps/nightly.ts: 20 steps and 2 finally steps. */
const STEPS: SerialBatchStep[] = NIGHTLY_STEPS.map(traced);
const FINALLY_STEPS: SerialBatchStep[] = NIGHTLY_FINALLY_STEPS.map((s, i) => traced(s, STEPS.length + i));
const ALL_STEPS = [...STEPS, ...FINALLY_STEPS];

/** The container of step `index` (1-based): the construct names it `sNN-<step>`. */
function stepContainer(index: number, name: string): string {
  return `s${String(index).padStart(2, '0')}-${name}`;
}

function podOf(ns: string, job: string): any {
  const pods = getJson(['pods', '-n', ns, '-l', `job-name=${job}`]).items as any[];
  expect(pods.length).toBeGreaterThan(0);
  return pods[pods.length - 1];
}

function logs(ns: string, pod: string, container: string): string {
  return kubectl(['logs', '-n', ns, pod, '-c', container]).stdout;
}

describe('SerialBatchJob on a real node', () => {
  let ns: Namespace;
  beforeAll(() => {
    ns = Namespace.create('batch');
  });
  afterAll(async () => {
    await ns?.delete();
  });

  test('the 22 steps of the nightly pipeline run in order, each with its own log, and the Job completes', async () => {
    expect(ALL_STEPS).toHaveLength(22);
    const job = batch(ns.name, { name: 'nightly', steps: STEPS, finallySteps: FINALLY_STEPS });
    apply(Chart.of(job));
    await waitForJob(ns.name, 'nightly', 600_000);
    const pod = podOf(ns.name, 'nightly');
    const statuses = pod.status.initContainerStatuses as any[];
    expect(statuses.map((s) => s.name)).toEqual(ALL_STEPS.map((s, i) => stepContainer(i + 1, s.name)));
    const times = statuses.map((st) => ({
      step: st.name,
      exitCode: st.state.terminated?.exitCode,
      startedAt: st.state.terminated?.startedAt,
      finishedAt: st.state.terminated?.finishedAt,
    }));
    for (const [i, t] of times.entries()) {
      expect({ step: t.step, exitCode: t.exitCode }).toEqual({ step: t.step, exitCode: 0 });
      // one after another: a step starts once the one before it has finished (timestamps in whole seconds)
      if (i > 0 && Date.parse(t.startedAt) < Date.parse(times[i - 1].finishedAt)) {
        throw new Error(`step ${t.step} started before ${times[i - 1].step} finished: ${JSON.stringify(times, undefined, 1)}`);
      }
      expect(logs(ns.name, pod.metadata.name, t.step)).toContain(`step ${i + 1} ${ALL_STEPS[i].name} ran`);
    }
    const summary = logs(ns.name, pod.metadata.name, 'summary');
    expect(summary).toMatch(/serial-batch: 22 steps: 22 ok/);
    for (const s of ALL_STEPS) {
      expect(summary).toMatch(new RegExp(`\\s${s.name}\\s+ok\\s`));
    }
  });

  test('a failing step stops the chain and fails the Job with the step named in its termination message', async () => {
    const job = batch(ns.name, {
      name: 'failing',
      steps: [
        { name: 'extract', command: ['sh', '-c', 'echo extracted'] },
        { name: 'load', command: ['sh', '-c', 'echo loading; exit 1'] },
        { name: 'publish', command: ['sh', '-c', 'echo published'] },
      ],
    });
    apply(Chart.of(job));
    // the harness reports the failure with the reason: this is what a broken manifest looks like
    await expect(waitForJob(ns.name, 'failing', 300_000)).rejects.toThrow(/job\/failing failed .*failed at load \(exit code 1/);
    const pod = podOf(ns.name, 'failing');
    expect(logs(ns.name, pod.metadata.name, stepContainer(1, 'extract'))).toContain('extracted');
    expect(logs(ns.name, pod.metadata.name, stepContainer(2, 'load'))).toMatch(/step load failed with exit code 1/);
    expect(logs(ns.name, pod.metadata.name, stepContainer(3, 'publish'))).not.toContain('published');
    expect(failureMessages(ns.name, 'failing').join('\n')).toMatch(/failed at load \(exit code 1/);
  });

  test('BatchRetry.resumeFromVolume() resumes in a new pod after the pod is deleted, without re-running finished steps', async () => {
    const job = batch(ns.name, {
      name: 'resumable',
      retry: BatchRetry.resumeFromVolume({ retries: 2 }),
      steps: [
        { name: 'first', command: ['sh', '-c', 'echo first ran'] },
        // the first time: mark, then wait to be killed; in the next pod: done at once
        {
          name: 'slow',
          command: [
            'sh',
            '-c',
            'if [ -e "$SERIAL_BATCH_WORKSPACE/slow-started" ]; then echo resumed; else touch "$SERIAL_BATCH_WORKSPACE/slow-started"; exec sleep 600; fi',
          ],
        },
        { name: 'last', command: ['sh', '-c', 'echo last ran'] },
      ],
    });
    apply(Chart.of(job));
    const firstPod = await waitFor(
      'step slow running in the first pod',
      180_000,
      () => {
        const pods = getJson(['pods', '-n', ns.name, '-l', 'job-name=resumable']).items as any[];
        const pod = pods[0];
        const slow = (pod?.status?.initContainerStatuses ?? []).find((s: any) => s.name === stepContainer(2, 'slow'));
        return slow?.state?.running ? (pod.metadata.name as string) : undefined;
      },
      () => diagnostics(ns.name, 'job/resumable'),
    );
    kubectl(['delete', 'pod', '-n', ns.name, firstPod, '--wait=false']);
    await waitForJob(ns.name, 'resumable', 300_000);
    const pod = podOf(ns.name, 'resumable');
    expect(pod.metadata.name).not.toBe(firstPod);
    expect(logs(ns.name, pod.metadata.name, stepContainer(1, 'first'))).toMatch(/step first already completed in run/);
    expect(logs(ns.name, pod.metadata.name, stepContainer(1, 'first'))).not.toContain('first ran');
    expect(logs(ns.name, pod.metadata.name, stepContainer(2, 'slow'))).toContain('resumed');
    expect(logs(ns.name, pod.metadata.name, stepContainer(3, 'last'))).toContain('last ran');
    expect(logs(ns.name, pod.metadata.name, 'summary')).toMatch(/3 steps: 2 ok, 1 done earlier in this run/);
  });

  test('a CronJob made by the construct runs: kubectl create job --from=cronjob/...', async () => {
    const job = batch(ns.name, {
      name: 'nightly-cron',
      schedule: Cron.schedule({ minute: '30', hour: '2' }),
      timeZone: 'Europe/Paris',
      steps: STEPS.slice(0, 3),
    });
    apply(Chart.of(job));
    expect(getJson(['cronjob', '-n', ns.name, 'nightly-cron']).spec.timeZone).toBe('Europe/Paris');
    kubectl(['create', 'job', '-n', ns.name, 'nightly-cron-manual', '--from=cronjob/nightly-cron']);
    await waitForJob(ns.name, 'nightly-cron-manual', 300_000);
    const pod = podOf(ns.name, 'nightly-cron-manual');
    expect(logs(ns.name, pod.metadata.name, 'summary')).toMatch(/3 steps: 3 ok/);
  });
});
