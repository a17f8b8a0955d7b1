import { App, Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { bytes, byKind, effectiveRequest, jobSpecOf, millis, Obj, only, podSpecOf } from './helpers';
import { nightlyApp, NIGHTLY_FINALLY_STEPS, NIGHTLY_STEPS } from '../../apps/nightly';
import { BatchRetry, BatchRetryMode, ExtraVolumeSource, SerialBatchJob, SerialBatchJobProps, SerialBatchStep, StatefulPostgres } from '../../src';

const IMAGE = 'ghcr.io/acme/batch:2.3.0';
const STEPS: SerialBatchStep[] = [
  { name: 'extract', command: ['sh', '-c', './extract.sh'] },
  { name: 'load', command: ['psql', '-f', 'load.sql'], timeout: Duration.minutes(30) },
  { name: 'report', command: ['./report.sh'], continueOnError: true },
];

function synth(
  props: Partial<SerialBatchJobProps> = {},
  more: (job: SerialBatchJob) => void = () => undefined,
): { job: SerialBatchJob; objects: Obj[] } {
  const chart = Testing.chart();
  const job = new SerialBatchJob(chart, 'nightly', { image: IMAGE, steps: STEPS, ...props });
  more(job);
  return { job, objects: Testing.synth(chart) };
}

function nightlyObjects(): Obj[] {
  const app = Testing.app();
  nightlyApp(app);
  return Testing.synth(app.charts[0] as Chart);
}

function envOf(container: Obj): Record<string, Obj> {
  return Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e]));
}

describe('defaults', () => {
  test('snapshot of a three-step Job', () => {
    expect(synth().objects).toMatchSnapshot();
  });

  test('one Job pod: each step an init container in declaration order, then the summary container', () => {
    const pod = podSpecOf(synth().objects);
    expect(pod.initContainers.map((c: Obj) => c.name)).toEqual(['s01-extract', 's02-load', 's03-report']);
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['summary']);
  });

  test('fail fast: restartPolicy Never, backoffLimit 0, disruptions do not count', () => {
    const spec = jobSpecOf(synth().objects);
    expect(spec.template.spec.restartPolicy).toBe('Never');
    expect(spec.backoffLimit).toBe(0);
    expect(spec.podFailurePolicy.rules).toEqual([{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }]);
  });

  test('a Job has a TTL and a deadline derived from the step timeouts', () => {
    const spec = jobSpecOf(synth().objects);
    expect(spec.ttlSecondsAfterFinished).toBe(86400);
    // (3600 + 1800 + 3600) step timeouts + 3 × (10 s kill grace + 60 s) + 300 s, one attempt
    expect(spec.activeDeadlineSeconds).toBe(9000 + 210 + 300);
  });

  test('service links off, no service account token, restricted security on every container', () => {
    const pod = podSpecOf(synth().objects);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsGroup: 10001,
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      // kube-score: requests and limits for cpu, memory and ephemeral-storage on every container
      for (const kind of ['requests', 'limits']) {
        expect(Object.keys(c.resources[kind]).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
      }
      expect(c.imagePullPolicy).toBe('Always');
      expect(c.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    }
  });

  test('steps run under the wrapper with the command as arguments; workspace, /tmp and scripts are mounted', () => {
    const { objects } = synth();
    const pod = podSpecOf(objects);
    const load = pod.initContainers[1];
    expect(load.command).toEqual(['/bin/sh', '/opt/serial-batch/step.sh']);
    expect(load.args).toEqual(['psql', '-f', 'load.sql']);
    expect(load.volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/workspace', '/tmp', '/opt/serial-batch']);
    const env = envOf(load);
    expect(env.SERIAL_BATCH_TIMEOUT.value).toBe('1800');
    expect(env.SERIAL_BATCH_INDEX.value).toBe('02');
    expect(env.SERIAL_BATCH_POD_UID.valueFrom.fieldRef.fieldPath).toBe('metadata.uid');
    expect(env.SERIAL_BATCH_RESULTS.value).toBe('/workspace/.serial-batch/results');
    // without a claim there is no run to resume: no run identity
    expect(env.SERIAL_BATCH_RUN).toBeUndefined();
    expect(env.SERIAL_BATCH_RETRIES).toBeUndefined();
    expect(env.SERIAL_BATCH_STOP_ON_FAILURE).toBeUndefined();
    expect(envOf(pod.initContainers[2]).SERIAL_BATCH_CONTINUE_ON_ERROR.value).toBe('true');
    const scripts = byKind(objects, 'ConfigMap').find((c) => c.metadata.name.endsWith('-scripts'))!;
    expect(scripts.data.plan).toBe('01 extract wrapped main\n02 load wrapped main\n03 report wrapped main\n');
    expect(Object.keys(scripts.data).sort()).toEqual(['plan', 'step.sh', 'summary.sh']);
  });

  test('a NetworkPolicy denies ingress and, without egress rules, allows all egress', () => {
    const np = only(synth().objects, 'NetworkPolicy');
    expect(np.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(np.spec.ingress).toBeUndefined();
    expect(np.spec.egress).toEqual([{}]);
    const pod = jobSpecOf(synth().objects).template;
    for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels)) {
      expect(pod.metadata.labels[k]).toBe(v);
    }
  });

  test('no empty list anywhere (the API server drops them and kubectl apply would never settle)', () => {
    const empty = (value: unknown, at: string): string[] =>
      Array.isArray(value)
        ? value.length === 0
          ? [at]
          : value.flatMap((v, i) => empty(v, `${at}[${i}]`))
        : value !== null && typeof value === 'object'
          ? Object.entries(value).flatMap(([k, v]) => empty(v, `${at}.${k}`))
          : [];
    for (const objects of [synth().objects, nightlyObjects(), synth({ retry: BatchRetry.resumeFromVolume(), schedule: Cron.daily() }).objects]) {
      const batchObjects = objects.filter((o) => o.metadata.labels['app.kubernetes.io/name'] === 'serial-batch-job');
      expect(batchObjects.length).toBeGreaterThanOrEqual(3);
      expect(batchObjects.flatMap((o) => empty(o, `${o.kind} ${o.metadata.name}`))).toEqual([]);
    }
  });

  test('every object carries the standard labels', () => {
    for (const o of synth({ config: { CFG_A: '1' } }).objects) {
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'cdk8s-patterns', 'app.kubernetes.io/name': 'serial-batch-job' });
    }
  });
});

describe('the 22-step nightly example', () => {
  test('one CronJob whose pod requests what the largest step requests, not the sum', () => {
    const objects = nightlyObjects();
    expect(byKind(objects, 'CronJob')).toHaveLength(1);
    // the only Job is the warehouse's own (it applies the users)
    expect(byKind(objects, 'Job').map((j) => j.metadata.labels['app.kubernetes.io/name'])).toEqual(['postgresql']);
    const pod = podSpecOf(objects);
    expect(pod.initContainers).toHaveLength(22);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.enableServiceLinks).toBe(false);
    // the scheduler reserves max(max(init requests), sum(app requests)): steps run one at a time
    const cpu = effectiveRequest(pod, 'cpu', millis);
    const memory = effectiveRequest(pod, 'memory', bytes);
    expect(cpu).toBe(Math.max(...pod.initContainers.map((c: Obj) => millis(c.resources.requests.cpu))));
    expect(cpu).toBe(2000); // aggregate-daily asks for 2 CPU
    expect(memory).toBe(1024 ** 3); // load-payments asks for 1 GiB
    const sumOfSteps = pod.initContainers.reduce((s: number, c: Obj) => s + millis(c.resources.requests.cpu), 0);
    expect(sumOfSteps).toBe(21 * 250 + 2000); // what 22 regular containers would reserve
  });

  test('vacuum runs after stage-drop, everything else in declaration order', () => {
    const names = podSpecOf(nightlyObjects()).initContainers.map((c: Obj) => c.name.replace(/^s[0-9]+-/, ''));
    expect(names).toEqual([...NIGHTLY_STEPS, ...NIGHTLY_FINALLY_STEPS].map((s) => s.name));
  });

  test('the warehouse connection: libpq variables from the database, the password referenced, never copied', () => {
    const objects = nightlyObjects();
    expect(byKind(objects, 'Secret')).toHaveLength(0);
    const env = envOf(podSpecOf(objects).initContainers[0]);
    expect(env.PGPASSWORD).toEqual({ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'warehouse-etl', key: 'password' } } });
    expect([env.PGHOST.value, env.PGPORT.value, env.PGDATABASE.value, env.PGUSER.value]).toEqual(['warehouse-rw', '5432', 'sales', 'etl']);
  });

  test('egress: DNS over UDP and TCP, the warehouse primary and the export target only', () => {
    const np = nightlyObjects().find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'nightly')!;
    expect(np.spec.egress).toHaveLength(3);
    expect(np.spec.egress[0].ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
    expect(np.spec.egress[1]).toEqual({
      ports: [{ port: 5432, protocol: 'TCP' }],
      to: [
        {
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/component': 'primary',
              'app.kubernetes.io/instance': 'warehouse',
              'app.kubernetes.io/name': 'postgresql',
            },
          },
        },
      ],
    });
    expect(np.spec.egress[2]).toEqual({ ports: [{ port: 22, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '198.51.100.20/32' } }] });
  });
});

describe('options', () => {
  test('every prop', () => {
    const chart = Testing.chart();
    const claim = kplus.PersistentVolumeClaim.fromClaimName(chart, 'Claim', 'batch-work');
    const secret = kplus.Secret.fromSecretName(chart, 'Db', 'db');
    const warehouse = new StatefulPostgres(chart, 'warehouse', {
      superuserSecret: kplus.Secret.fromSecretName(chart, 'Su', 'warehouse-superuser'),
      users: [{ name: 'etl', password: { secret: kplus.Secret.fromSecretName(chart, 'Etl', 'warehouse-etl') } }],
      databases: [
        { name: 'sales', owner: 'etl' },
        { name: 'archive', owner: 'etl' },
      ],
    });
    const props: Required<SerialBatchJobProps> = {
      image: IMAGE,
      database: warehouse.connection('sales'),
      databases: { ARCHIVE_: warehouse.connection('archive') },
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
      podLabels: { team: 'data' },
      podAnnotations: { 'example.com/owner': 'data-team' },
      imagePullSecrets: ['registry-acme'],
      priorityClassName: 'batch-low',
      volumes: [
        { name: 'sql', source: ExtraVolumeSource.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'Sql', 'nightly-sql')), mountPath: '/sql' },
      ],
      steps: [
        {
          name: 'extract',
          command: ['sh', '-c', 'echo "$(date)"'],
          image: 'ghcr.io/acme/extract:1.0.0',
          timeout: Duration.minutes(5),
          continueOnError: true,
          env: { CFG_SOURCE: 's3://bucket/$(date)' },
          secretEnv: { CFG_SOURCE_KEY: { secret, key: 'source-key' } },
          resources: { cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(1) } },
          workingDir: '/app',
          retries: 2,
          retryBackoff: Duration.seconds(30),
        },
        { name: 'load', command: ['/usr/bin/loader'], raw: true },
        { name: 'report', command: ['./report.sh'], dependsOn: ['extract'] },
      ],
      finallySteps: [{ name: 'unlock', command: ['./unlock.sh'] }],
      name: 'nightly',
      config: { CFG_REGION: 'eu' },
      secretEnv: { PGOPTIONS: { secret, key: 'options', optional: true } },
      allowReservedEnv: ['PGOPTIONS'],
      schedule: Cron.schedule({ minute: '0', hour: '3' }),
      timeZone: 'Europe/Paris',
      concurrencyPolicy: kplus.ConcurrencyPolicy.REPLACE,
      startingDeadline: Duration.minutes(30),
      successfulJobsRetained: 5,
      failedJobsRetained: 7,
      suspend: true,
      retry: BatchRetry.resumeFromVolume({ retries: 4, claim, cleanUpOnSuccess: false }),
      ttlAfterFinished: Duration.hours(12),
      activeDeadline: Duration.hours(2),
      defaultStepTimeout: Duration.minutes(20),
      defaultStepRetries: 1,
      defaultStepRetryBackoff: Duration.seconds(5),
      maxRetryBackoff: Duration.seconds(40),
      killGracePeriod: Duration.seconds(20),
      terminationGracePeriod: Duration.seconds(60),
      stepResources: { memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
      summaryResources: { cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(50) } },
      summaryImage: 'busybox:1.36.1',
      workspaceSizeLimit: Size.gibibytes(5),
      tmpSizeLimit: Size.mebibytes(100),
      runAsUser: 20000,
      runAsGroup: 20001,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      serviceAccount: kplus.ServiceAccount.fromServiceAccountName(chart, 'Sa', 'batch'),
      automountServiceAccountToken: true,
      networkPolicy: true,
      egress: [{ peer: kplus.NetworkPolicyIpBlock.ipv4(chart, 'Net', '10.0.0.0/8'), ports: [kplus.NetworkPolicyPort.tcp(5432)] }],
      partOf: 'warehouse',
    };
    new SerialBatchJob(chart, 'nightly', props);
    const objects = Testing.synth(chart);
    const cron = only(objects, 'CronJob');
    expect(cron.metadata.name).toBe('nightly');
    expect(cron.metadata.annotations).toEqual({
      'ignore-check.kube-linter.io/job-ttl-seconds-after-finished': expect.stringContaining('on purpose'),
      // an imported ServiceAccount is not in this output: kube-linter is told why
      'ignore-check.kube-linter.io/non-existent-service-account': 'the ServiceAccount batch is managed outside this construct',
      'kube-score/ignore': 'container-image-pull-policy',
    });
    expect(cron.spec).toMatchObject({
      schedule: '0 3 * * *',
      timeZone: 'Europe/Paris',
      concurrencyPolicy: 'Replace',
      startingDeadlineSeconds: 1800,
      successfulJobsHistoryLimit: 5,
      failedJobsHistoryLimit: 7,
      suspend: true,
    });
    const spec = jobSpecOf(objects);
    expect(spec).toMatchObject({ backoffLimit: 4, activeDeadlineSeconds: 7200, ttlSecondsAfterFinished: 43200 });
    const pod = spec.template.spec;
    expect(pod).toMatchObject({
      serviceAccountName: 'batch',
      automountServiceAccountToken: true,
      terminationGracePeriodSeconds: 60,
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
      imagePullSecrets: [{ name: 'registry-acme' }],
      priorityClassName: 'batch-low',
    });
    expect(spec.template.metadata.labels.team).toBe('data');
    expect(spec.template.metadata.annotations).toEqual({ 'example.com/owner': 'data-team' });
    expect(pod.volumes).toContainEqual({ name: 'sql', configMap: { name: 'nightly-sql', defaultMode: 0o440 } });
    for (const c of pod.initContainers) {
      expect(c.volumeMounts).toContainEqual({ name: 'sql', mountPath: '/sql', readOnly: true });
    }
    expect(pod.containers[0].volumeMounts.map((m: Obj) => m.name)).not.toContain('sql');
    expect(pod.securityContext).toMatchObject({ runAsUser: 20000, runAsGroup: 20001, fsGroup: 20001 });
    expect(pod.volumes[0]).toEqual({ name: 'workspace', persistentVolumeClaim: { claimName: 'batch-work' } });
    expect(pod.volumes[1]).toEqual({ name: 'tmp', emptyDir: { sizeLimit: '100Mi' } });
    const [extract, load, report, unlock] = pod.initContainers;
    expect(extract).toMatchObject({ image: 'ghcr.io/acme/extract:1.0.0', imagePullPolicy: 'IfNotPresent', workingDir: '/app' });
    expect(extract.args).toEqual(['sh', '-c', 'echo "$$(date)"']);
    expect(extract.resources).toEqual({
      requests: { cpu: '500m', memory: '64Mi', 'ephemeral-storage': '128Mi' },
      limits: { cpu: '1', memory: '128Mi', 'ephemeral-storage': '1Gi' },
    });
    const env = envOf(extract);
    expect(env.CFG_SOURCE.value).toBe('s3://bucket/$$(date)');
    expect(env.PGDATABASE.value).toBe('sales');
    expect(env.PGOPTIONS.valueFrom.secretKeyRef).toEqual({ name: 'db', key: 'options', optional: true });
    expect(env.ARCHIVE_PGDATABASE.value).toBe('archive');
    expect(env.CFG_SOURCE_KEY.valueFrom.secretKeyRef).toEqual({ name: 'db', key: 'source-key' });
    expect(env.SERIAL_BATCH_TIMEOUT.value).toBe('300');
    expect(env.SERIAL_BATCH_KILL_GRACE.value).toBe('20');
    expect(env.SERIAL_BATCH_RESUME.value).toBe('true');
    expect(env.SERIAL_BATCH_RETRIES.value).toBe('2');
    expect(env.SERIAL_BATCH_RETRY_BACKOFF.value).toBe('30');
    expect(env.SERIAL_BATCH_RETRY_BACKOFF_MAX.value).toBe('40');
    // the load step is raw: a failure of extract must stop the pod before it
    expect(env.SERIAL_BATCH_STOP_ON_FAILURE.value).toBe('true');
    expect(env.SERIAL_BATCH_RUN.value).toBe('$(SERIAL_BATCH_JOB_NAME)');
    expect(extract.volumeMounts[0]).toEqual({ name: 'workspace', mountPath: '/workspace', subPathExpr: '$(SERIAL_BATCH_RUN)' });
    expect(envOf(report).SERIAL_BATCH_DEPENDS_ON.value).toBe('01-extract');
    expect(envOf(report).SERIAL_BATCH_RETRIES.value).toBe('1');
    expect(envOf(report).SERIAL_BATCH_RETRY_BACKOFF.value).toBe('5');
    expect(envOf(report).SERIAL_BATCH_STOP_ON_FAILURE).toBeUndefined();
    expect(unlock.name).toBe('s04-unlock');
    expect(envOf(unlock).SERIAL_BATCH_FINALLY.value).toBe('true');
    expect(load.command).toEqual(['/usr/bin/loader']);
    expect(load.args).toBeUndefined();
    expect(envOf(load).SERIAL_BATCH_TIMEOUT.value).toBe('0');
    const summary = pod.containers[0];
    expect(summary).toMatchObject({ image: 'busybox:1.36.1' });
    expect(summary.resources.requests.cpu).toBe('20m');
    expect(envOf(summary).SERIAL_BATCH_CLEAN_UP.value).toBe('false');
    const np = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'nightly')!;
    // DNS, the warehouse (both connections reach the same pods: one rule), then the user's rule
    expect(np.spec.egress).toHaveLength(3);
    expect(np.spec.egress[2]).toEqual({ ports: [{ port: 5432, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] });
    expect(np.metadata.labels['app.kubernetes.io/part-of']).toBe('warehouse');
    expect(byKind(objects, 'PersistentVolumeClaim')).toHaveLength(0);
  });

  test('a schedule makes a CronJob with Forbid, a starting deadline in minutes and history limits, and no TTL', () => {
    const { objects } = synth({ schedule: Cron.daily() });
    const cron = only(objects, 'CronJob');
    expect(cron.spec).toMatchObject({
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    // kube-linter: a CronJob's jobTemplate must not set ttlSecondsAfterFinished
    expect(cron.spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(cron.metadata.annotations).toBeUndefined();
  });

  test('dependsOn moves only what it must', () => {
    const { job, objects } = synth({}, (j) => j.addStep({ name: 'vacuum', command: ['psql', '-c', 'VACUUM'], dependsOn: ['load'] }));
    expect(job.runOrder()).toEqual(['extract', 'load', 'report', 'vacuum']);
    const first = synth({
      steps: [
        { name: 'b', command: ['b'], dependsOn: ['c'] },
        { name: 'a', command: ['a'] },
        { name: 'c', command: ['c'] },
      ],
    });
    expect(first.job.runOrder()).toEqual(['a', 'c', 'b']);
    expect(first.job.containerNameOf('b')).toBe('s03-b');
    expect(podSpecOf(objects).initContainers.map((c: Obj) => c.name)).toEqual(['s01-extract', 's02-load', 's03-report', 's04-vacuum']);
  });

  test('in-place retry: OnFailure, backoffLimit, no podFailurePolicy', () => {
    const spec = jobSpecOf(synth({ retry: BatchRetry.inPlace({ retries: 3 }) }).objects);
    expect(spec.template.spec.restartPolicy).toBe('OnFailure');
    expect(spec.backoffLimit).toBe(3);
    expect(spec.podFailurePolicy).toBeUndefined();
    expect(BatchRetry.inPlace().retries).toBe(2);
    expect(BatchRetry.failFast().mode).toBe(BatchRetryMode.FAIL_FAST);
  });

  test('resume from a volume: a new claim, the workspace in a directory per run, named after the Job unless a re-run says otherwise', () => {
    const { job, objects } = synth({ retry: BatchRetry.resumeFromVolume({ storage: Size.gibibytes(2), storageClassName: 'standard' }) });
    const pvc = only(objects, 'PersistentVolumeClaim');
    expect(pvc.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'standard' });
    expect(job.workspaceClaim!.name).toBe(pvc.metadata.name);
    const spec = jobSpecOf(objects);
    expect(spec.backoffLimit).toBe(2);
    expect(spec.template.spec.restartPolicy).toBe('Never');
    expect(spec.template.spec.volumes[0]).toEqual({ name: 'workspace', persistentVolumeClaim: { claimName: pvc.metadata.name } });
    for (const c of [...spec.template.spec.initContainers, ...spec.template.spec.containers]) {
      expect(c.volumeMounts[0].subPathExpr).toBe('$(SERIAL_BATCH_RUN)');
      const env = envOf(c);
      expect(env.SERIAL_BATCH_JOB_NAME.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['batch.kubernetes.io/job-name']");
      expect(env.SERIAL_BATCH_JOB_UID.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['batch.kubernetes.io/controller-uid']");
      // the kubelet expands $(VAR) only from variables defined earlier
      const names = (c.env as Obj[]).map((e) => e.name);
      expect(names.indexOf('SERIAL_BATCH_JOB_NAME')).toBeLessThan(names.indexOf('SERIAL_BATCH_RUN'));
    }
    expect(envOf(spec.template.spec.containers[0]).SERIAL_BATCH_CLEAN_UP.value).toBe('true');
    // three attempts may each use the whole per-attempt budget
    expect(spec.activeDeadlineSeconds).toBe(3 * (9000 + 210 + 300));
  });

  test('config is one ConfigMap read by every step with envFrom', () => {
    const { job, objects } = synth({ config: { CFG_REGION: 'eu' } });
    const cm = byKind(objects, 'ConfigMap').find((c) => c.metadata.name === job.configMap!.name)!;
    expect(cm.data).toEqual({ CFG_REGION: 'eu' });
    for (const c of podSpecOf(objects).initContainers) {
      expect(c.envFrom).toEqual([{ configMapRef: { name: cm.metadata.name } }]);
    }
  });

  test('a reserved name is accepted when allowed explicitly', () => {
    const { objects } = synth({ config: { PGAPPNAME: 'nightly' }, allowReservedEnv: ['PGAPPNAME'] });
    expect(byKind(objects, 'ConfigMap').some((c) => c.data.PGAPPNAME === 'nightly')).toBe(true);
  });

  test('$( and $$ in commands and env values are escaped for the kubelet', () => {
    const pod = podSpecOf(synth({ steps: [{ name: 'a', command: ['sh', '-c', 'echo $(id -u) $$'], env: { CFG_X: '$(HOME)' } }] }).objects);
    expect(pod.initContainers[0].args).toEqual(['sh', '-c', 'echo $$(id -u) $$$']);
    expect(envOf(pod.initContainers[0]).CFG_X.value).toBe('$$(HOME)');
  });

  test('digest-pinned images are pulled IfNotPresent, with the kube-score ignore annotation', () => {
    const digest = `ghcr.io/acme/batch@sha256:${'a'.repeat(64)}`;
    const { objects } = synth({ image: digest });
    const job = only(objects, 'Job');
    expect(job.metadata.annotations).toEqual({ 'kube-score/ignore': 'container-image-pull-policy' });
    for (const c of podSpecOf(objects).initContainers) {
      expect(c.imagePullPolicy).toBe('IfNotPresent');
    }
  });

  test('networkPolicy false creates none', () => {
    expect(byKind(synth({ networkPolicy: false }).objects, 'NetworkPolicy')).toHaveLength(0);
  });

  test('finally steps run after every main step, in their own dependency order', () => {
    const { job } = synth({
      finallySteps: [
        { name: 'unlock', command: ['./unlock.sh'], dependsOn: ['notify'] },
        { name: 'notify', command: ['./notify.sh'] },
      ],
      steps: [
        { name: 'extract', command: ['./extract.sh'] },
        { name: 'load', command: ['./load.sh'] },
      ],
    });
    job.addFinallyStep({ name: 'report', command: ['./report.sh'] });
    job.addStep({ name: 'vacuum', command: ['./vacuum.sh'] });
    expect(job.runOrder()).toEqual(['extract', 'load', 'vacuum', 'notify', 'unlock', 'report']);
  });

  test('retries: the deadline covers every attempt of every step and the capped backoffs between them', () => {
    const spec = jobSpecOf(
      synth({
        steps: [{ name: 'export', command: ['./export.sh'], timeout: Duration.minutes(10), retries: 3, retryBackoff: Duration.minutes(2) }],
        maxRetryBackoff: Duration.minutes(3),
      }).objects,
    );
    // 4 attempts of (600 s + 10 s kill grace + 60 s), backoffs 120 + 180 + 180 s, 300 s for the pod
    expect(spec.activeDeadlineSeconds).toBe(4 * 670 + 480 + 300);
    expect(envOf(spec.template.spec.initContainers[0]).SERIAL_BATCH_RETRY_BACKOFF_MAX.value).toBe('180');
  });

  test('in-place retry: every failure stops the pod, for the kubelet to restart the step', () => {
    const pod = podSpecOf(synth({ retry: BatchRetry.inPlace() }).objects);
    for (const c of pod.initContainers) {
      expect(envOf(c).SERIAL_BATCH_STOP_ON_FAILURE.value).toBe('true');
    }
  });

  test('more than 99 steps widen the index to three digits', () => {
    const steps = Array.from({ length: 100 }, (_, i) => ({ name: `step-${i}`, command: ['true'] }));
    const pod = podSpecOf(synth({ steps }).objects);
    expect(pod.initContainers[0].name).toBe('s001-step-0');
    expect(pod.initContainers[99].name).toBe('s100-step-99');
  });
});

describe('errors', () => {
  const fails = (props: Partial<SerialBatchJobProps>, message: RegExp, more?: (job: SerialBatchJob) => void) => {
    expect(() => synth(props, more)).toThrow(message);
  };

  test('a config key that overlays a libpq variable', () => {
    fails(
      { config: { PGPORT: '5432' } },
      /\[test\/nightly\] config must be free of names that overlay well-known variables \(libpq reads PG\* variables; .*allowReservedEnv.*\), got "PGPORT"/,
    );
  });
  test('a step env key shaped like a service link', () => {
    fails(
      { steps: [{ name: 'a', command: ['a'], env: { DB_SERVICE_HOST: 'x' } }] },
      /steps\["a"\]\.env must be free of names that overlay .*service-link.*got "DB_SERVICE_HOST"/,
    );
  });
  test('KUBERNETES_*, PATH, HOME and HOSTNAME in config', () => {
    fails(
      { config: { KUBERNETES_SERVICE_HOST: 'x', PATH: '/x', HOME: '/x', HOSTNAME: 'x' } },
      /4 invalid props:[\s\S]*KUBERNETES_SERVICE_HOST[\s\S]*PATH[\s\S]*HOME[\s\S]*HOSTNAME/,
    );
  });
  test('a secret variable with a reserved name that is not allowed', () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'S', 's');
    expect(() => new SerialBatchJob(chart, 'b', { image: IMAGE, steps: STEPS, secretEnv: { PGPASSWORD: { secret, key: 'p' } } })).toThrow(
      /secretEnv must be free of names that overlay .*got "PGPASSWORD"/,
    );
  });
  test('allowReservedEnv naming a name that is not reserved', () => {
    fails({ allowReservedEnv: ['CFG_REGION'] }, /allowReservedEnv must be names that are reserved .*got "CFG_REGION"/);
  });
  test('the wrapper prefix is reserved', () => {
    fails({ config: { SERIAL_BATCH_STEP: 'x' } }, /config must be names that do not start with SERIAL_BATCH_ .*got "SERIAL_BATCH_STEP"/);
  });
  test('a duplicate between config and a step env', () => {
    fails(
      { config: { CFG_A: '1' }, steps: [{ name: 'a', command: ['a'], env: { CFG_A: '2' } }] },
      /steps\["a"\]\.env must be free of names set elsewhere \(CFG_A is set in config and steps\["a"\]\.env; .*\), got "CFG_A"/,
    );
  });
  test('a duplicate between a step env and its secret env', () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'S', 's');
    expect(
      () =>
        new SerialBatchJob(chart, 'b', {
          image: IMAGE,
          steps: [{ name: 'a', command: ['a'], env: { CFG_A: '1' }, secretEnv: { CFG_A: { secret, key: 'k' } } }],
        }),
    ).toThrow(/CFG_A is set in steps\["a"\]\.env and steps\["a"\]\.secretEnv/);
  });
  test('a literal value whose name looks like a credential', () => {
    fails({ config: { CFG_DB_PASSWORD: 'hunter2' } }, /config must be keys that do not look like credentials .*secretEnv.*got "CFG_DB_PASSWORD"/);
    fails({ steps: [{ name: 'a', command: ['a'], env: { API_TOKEN: 'x' } }] }, /steps\["a"\]\.env must be names that do not look like credentials/);
  });
  test('an invalid env var name', () => {
    fails({ config: { '1BAD': 'x' } }, /config must be environment variable names .*got "1BAD"/);
  });
  test('a secret reference without a valid key', () => {
    const chart = Testing.chart();
    const secret = kplus.Secret.fromSecretName(chart, 'S', 's');
    expect(() => new SerialBatchJob(chart, 'b', { image: IMAGE, steps: STEPS, secretEnv: { CFG_KEY_FILE: { secret, key: 'a b' } } })).toThrow(
      /secretEnv\["CFG_KEY_FILE"\] must be a Secret and one of its keys, got "a b"/,
    );
  });
  test('no steps', () => {
    fails({ steps: [] }, /steps must be a list of at least one step .*got 0/);
  });
  test('a step name that is not a DNS-1123 label', () => {
    fails({ steps: [{ name: 'Load_Data', command: ['a'] }] }, /steps\[0\]\.name must be a DNS-1123 label .*got "Load_Data"/);
  });
  test('a duplicate step name', () => {
    fails({}, /steps\[3\]\.name must be unique among the steps, got "load"/, (j) => j.addStep({ name: 'load', command: ['x'] }));
  });
  test('a step name too long once prefixed', () => {
    const name = 'a'.repeat(61);
    fails(
      { steps: [{ name, command: ['a'] }] },
      new RegExp(`steps\\["${name}"\\]\\.name must be at most 59 characters \\(the container name sNN-<name> must fit 63\\)`),
    );
  });
  test('an empty command', () => {
    fails({ steps: [{ name: 'a', command: [] }] }, /steps\["a"\]\.command must be a non-empty list of strings, got \[\]/);
    fails({ steps: [{ name: 'a', command: [''] }] }, /steps\["a"\]\.command must be a list whose first element \(the program\) is not empty/);
  });
  test('an unknown dependency names the step and the unknown name', () => {
    fails(
      {},
      /steps\[3\]\.dependsOn must be names of steps of this batch \(step "vacuum" depends on an unknown step; known: extract, load, report, vacuum\), got "lod"/,
      (j) => j.addStep({ name: 'vacuum', command: ['x'], dependsOn: ['lod'] }),
    );
  });
  test('a self-dependency', () => {
    fails(
      { steps: [{ name: 'a', command: ['a'], dependsOn: ['a'] }] },
      /steps\[0\]\.dependsOn must be free of the step's own name \(step "a"\), got "a"/,
    );
  });
  test('a dependency cycle names the steps in it', () => {
    fails(
      {
        steps: [
          { name: 'extract', command: ['e'] },
          { name: 'load', command: ['l'], dependsOn: ['vacuum'] },
          { name: 'vacuum', command: ['v'], dependsOn: ['load'] },
        ],
      },
      /steps must be free of dependency cycles, got "(load -> vacuum -> load|vacuum -> load -> vacuum)"/,
    );
    const chart = Testing.chart();
    const job = new SerialBatchJob(chart, 'c', {
      image: IMAGE,
      steps: [
        { name: 'a', command: ['a'], dependsOn: ['b'] },
        { name: 'b', command: ['b'], dependsOn: ['a'] },
      ],
    });
    expect(() => job.runOrder()).toThrow(/free of dependency cycles/);
  });
  test('an unpinned image', () => {
    fails({ image: 'ghcr.io/acme/batch' }, /image must be pinned with a tag or a digest/);
    fails({ image: 'ghcr.io/acme/batch:latest' }, /image must be pinned with a tag other than latest/);
    fails({ steps: [{ name: 'a', command: ['a'], image: 'Bad Image' }] }, /steps\["a"\]\.image must be a valid image reference/);
    fails({ summaryImage: 'busybox' }, /summaryImage must be pinned/);
  });
  test('Job and CronJob name lengths', () => {
    fails({ name: 'a'.repeat(64) }, /name must be a DNS-1123 label of at most 63 characters/);
    fails(
      { name: 'a'.repeat(53), schedule: Cron.daily() },
      /name must be a DNS-1123 label of at most 52 characters \(the CronJob controller appends 11 characters/,
    );
  });
  test('a raw step with a timeout or continueOnError', () => {
    fails({ steps: [{ name: 'a', command: ['a'], raw: true, timeout: Duration.minutes(1) }] }, /steps\["a"\]\.timeout must be unset on a raw step/);
    fails({ steps: [{ name: 'a', command: ['a'], raw: true, continueOnError: true }] }, /steps\["a"\]\.continueOnError must be unset on a raw step/);
  });
  test('a raw step with retries, or depending on a step that may fail and go on', () => {
    fails({ steps: [{ name: 'a', command: ['a'], raw: true, retries: 1 }] }, /steps\["a"\]\.retries must be unset on a raw step/);
    fails(
      {
        steps: [
          { name: 'a', command: ['a'], continueOnError: true },
          { name: 'b', command: ['b'], dependsOn: ['a'] },
          { name: 'c', command: ['c'], raw: true, dependsOn: ['b'] },
        ],
      },
      /steps\["c"\]\.dependsOn must be free of steps with continueOnError, directly or not .*, got "a"/,
    );
  });
  test('dependencies across main and finally steps', () => {
    fails(
      {
        steps: [{ name: 'a', command: ['a'] }],
        finallySteps: [{ name: 'b', command: ['b'], dependsOn: ['a'] }],
      },
      /finallySteps\["b"\]\.dependsOn must be names of finally steps .*, got "a"/,
    );
    fails(
      {
        steps: [{ name: 'a', command: ['a'], dependsOn: ['b'] }],
        finallySteps: [{ name: 'b', command: ['b'] }],
      },
      /steps\["a"\]\.dependsOn must be names of main steps .*, got "b"/,
    );
  });
  test('retries and backoffs out of range', () => {
    fails({ steps: [{ name: 'a', command: ['a'], retries: -1 }] }, /steps\["a"\]\.retries must be a whole number from 0 to 100, got -1/);
    fails({ defaultStepRetries: 1.5 }, /defaultStepRetries must be a whole number from 0 to 100, got 1\.5/);
    fails(
      { steps: [{ name: 'a', command: ['a'], retryBackoff: Duration.millis(1500) }] },
      /steps\["a"\]\.retryBackoff must be a whole number of seconds from 0 to 3600/,
    );
    fails({ defaultStepRetryBackoff: Duration.hours(2) }, /defaultStepRetryBackoff must be a whole number of seconds from 0 to 3600/);
    fails({ maxRetryBackoff: Duration.seconds(0) }, /maxRetryBackoff must be a whole number of seconds from 1 to 3600/);
  });
  test('pod options that collide with what the construct or the Job controller sets', () => {
    fails(
      { podLabels: { 'batch.kubernetes.io/job-name': 'x' } },
      /podLabels\["batch.kubernetes.io\/job-name"\] must be a label the construct or a controller does not set/,
    );
    fails(
      {
        volumes: [
          { name: 'workspace', source: ExtraVolumeSource.fromSecret(kplus.Secret.fromSecretName(Testing.chart(), 'S', 's')), mountPath: '/data' },
        ],
      },
      /volumes\[0\].name must be a volume name not used in the pod already, got "workspace"/,
    );
    fails(
      {
        volumes: [
          { name: 'data', source: ExtraVolumeSource.fromSecret(kplus.Secret.fromSecretName(Testing.chart(), 'S', 's')), mountPath: '/workspace' },
        ],
      },
      /volumes\[0\].mountPath must be a path not mounted already, got "\/workspace"/,
    );
  });
  test('a name derived from the construct id that is not a DNS label', () => {
    expect(() => new SerialBatchJob(Testing.chart(), 'x'.repeat(70), { image: IMAGE, steps: STEPS })).toThrow(
      /name must be a DNS-1123 label of at most 63/,
    );
    expect(new SerialBatchJob(Testing.chart(), 'NightlyLoad', { image: IMAGE, steps: STEPS }).name).toBe('nightly-load');
  });
  test('a step timeout below one second', () => {
    fails(
      { steps: [{ name: 'a', command: ['a'], timeout: Duration.millis(500) }] },
      /steps\["a"\]\.timeout must be a whole number of seconds from 1 to 2147483647, got "500 millis"/,
    );
  });
  test('a relative working directory', () => {
    fails({ steps: [{ name: 'a', command: ['a'], workingDir: 'app' }] }, /steps\["a"\]\.workingDir must be an absolute path, got "app"/);
  });
  test('a request above its limit names the step and the resource', () => {
    fails(
      { steps: [{ name: 'a', command: ['a'], resources: { cpu: { request: kplus.Cpu.units(2) } } }] },
      /steps\["a"\]\.resources\.cpu\.limit must be at least the request \(2000m\), got "1000m"/,
    );
    fails(
      { stepResources: { memory: { request: Size.gibibytes(4) } } },
      /stepResources\.memory\.limit must be at least the request \(4194304Ki\), got "524288Ki"/,
    );
  });
  test('a config too large for a ConfigMap and the environment', () => {
    const config: Record<string, string> = {};
    for (let i = 0; i < 12; i++) {
      config[`CFG_${i}`] = 'x'.repeat(100000);
    }
    fails({ config }, /config must be at most 1048576 bytes in total \(ConfigMap size limit\)/);
  });
  test('one value longer than MAX_ARG_STRLEN', () => {
    fails({ config: { CFG_BIG: 'x'.repeat(131072) } }, /config\["CFG_BIG"\] must be shorter than 131072 bytes with its key/);
    fails({ steps: [{ name: 'a', command: ['a', 'x'.repeat(131072)] }] }, /steps\["a"\]\.command must be arguments shorter than 131072 bytes/);
  });
  test('a step whose config, env and command exceed the environment budget', () => {
    const env: Record<string, string> = {};
    for (let i = 0; i < 9; i++) {
      env[`CFG_${i}`] = 'x'.repeat(100000);
    }
    fails(
      { config: { CFG_BASE: 'y'.repeat(100000) }, steps: [{ name: 'a', command: ['a', 'z'.repeat(100000)], env }] },
      /steps\["a"\]\.env must be small enough that config, env and command take at most 1048576 bytes/,
    );
  });
  test('schedule options without a schedule', () => {
    fails({ timeZone: 'Etc/UTC' }, /timeZone must be unset unless a schedule is set, got "Etc\/UTC"/);
    fails({ suspend: true }, /suspend must be unset unless a schedule is set/);
  });
  test('an unknown time zone', () => {
    fails({ schedule: Cron.daily(), timeZone: 'Mars/Olympus' }, /timeZone must be an IANA time zone name, exactly as spelled .*got "Mars\/Olympus"/);
  });
  test('a starting deadline under 10 seconds', () => {
    fails(
      { schedule: Cron.daily(), startingDeadline: Duration.seconds(5) },
      /startingDeadline must be a whole number of seconds from 10 to 2147483647, got "5 seconds"/,
    );
  });
  test('a malformed schedule', () => {
    fails(
      { schedule: Cron.schedule({ minute: '0 0', hour: '3' }) },
      /schedule must be a cron schedule the CronJob controller accepts \(five fields .*, not 6\), got "0 0 3 \* \* \*"/,
    );
  });
  test('a terminationGracePeriod shorter than the kill grace', () => {
    fails(
      { killGracePeriod: Duration.seconds(30), terminationGracePeriod: Duration.seconds(30) },
      /terminationGracePeriod must be at least killGracePeriod \+ 5 seconds \(35s\)/,
    );
  });
  test('negative retries and root ids', () => {
    fails({ retry: BatchRetry.inPlace({ retries: -1 }) }, /retry\.retries must be a whole number from 0 to 100, got -1/);
    fails({ runAsUser: 0 }, /runAsUser must be a non-root UID from 1 to 2147483647, got 0/);
  });
  test('egress without a NetworkPolicy', () => {
    const chart = Testing.chart();
    expect(() => new SerialBatchJob(chart, 'b', { image: IMAGE, steps: STEPS, networkPolicy: false, egress: [] })).toThrow(
      /egress must be unset when networkPolicy is false/,
    );
  });
  test('a size limit that is not whole KiB', () => {
    fails({ workspaceSizeLimit: Size.kibibytes(0.5) }, /workspaceSizeLimit must be a whole number of KiB from 1 to 9007199254740, got "0.5Ki"/);
  });
});

describe('property: random step lists give a valid manifest or our error', () => {
  const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$/);
  const anyName = fc.oneof(name, fc.string({ maxLength: 70 }));
  const envKey = fc.oneof(
    fc.constantFrom('PGPORT', 'PATH', 'CFG_A', 'CFG_B', 'HOME', 'X_SERVICE_HOST', 'bad key', 'SERIAL_BATCH_X'),
    fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/),
  );
  const step = fc.record(
    {
      name: anyName,
      command: fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
      dependsOn: fc.array(anyName, { maxLength: 2 }),
      timeoutSeconds: fc.integer({ min: 0, max: 7200 }),
      continueOnError: fc.boolean(),
      raw: fc.boolean(),
      env: fc.dictionary(envKey, fc.string({ maxLength: 12 }), { maxKeys: 3 }),
    },
    { requiredKeys: ['name', 'command'] },
  );

  test('never a crash', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 8 }),
        fc.dictionary(envKey, fc.string({ maxLength: 12 }), { maxKeys: 3 }),
        fc.boolean(),
        (steps, config, scheduled) => {
          const app = new App({ outdir: '/tmp/cdk8s-property' });
          const chart = new Chart(app, 'prop');
          try {
            new SerialBatchJob(chart, 'batch', {
              image: IMAGE,
              config,
              schedule: scheduled ? Cron.daily() : undefined,
              steps: steps.map((s) => ({
                name: s.name,
                command: s.command,
                dependsOn: s.dependsOn,
                timeout: s.timeoutSeconds ? Duration.seconds(s.timeoutSeconds) : undefined,
                continueOnError: s.continueOnError,
                raw: s.raw,
                env: s.env,
              })),
            });
            const objects = Testing.synth(chart);
            const pod = podSpecOf(objects);
            expect(pod.initContainers.length).toBe(steps.length);
          } catch (e) {
            const message = (e as Error).message;
            expect(e).not.toBeInstanceOf(TypeError);
            expect(message).toMatch(/\[prop\/batch\] .*must be|must be .*, got/);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('linter annotations for deviations the user asked for', () => {
  test('without a NetworkPolicy, kube-score is told the omission is deliberate, next to other ignores', () => {
    const chart = Testing.chart();
    new SerialBatchJob(chart, 'nightly', {
      image: `ghcr.io/acme/batch@sha256:${'a'.repeat(64)}`,
      steps: [{ name: 'one', command: ['true'] }],
      networkPolicy: false,
    });
    const job = Testing.synth(chart).find((o) => o.kind === 'Job');
    expect(job.metadata.annotations['kube-score/ignore']).toBe('container-image-pull-policy,pod-networkpolicy');
  });

  test('a uid or gid below 10000, asked for explicitly, is an ignore kube-score is told about', () => {
    const low = synth({ runAsUser: 999 }).objects.find((o) => o.kind === 'Job')!;
    expect(low.metadata.annotations['kube-score/ignore']).toContain('container-security-context-user-group-id');
    const lowGroup = synth({ runAsGroup: 999 }).objects.find((o) => o.kind === 'Job')!;
    expect(lowGroup.metadata.annotations['kube-score/ignore']).toContain('container-security-context-user-group-id');
    const defaults = synth().objects.find((o) => o.kind === 'Job')!;
    expect(defaults.metadata.annotations?.['kube-score/ignore'] ?? '').not.toContain('container-security-context-user-group-id');
  });

  test('with the default NetworkPolicy nothing is ignored', () => {
    const chart = Testing.chart();
    new SerialBatchJob(chart, 'nightly', { image: 'ghcr.io/acme/batch:2.3.0', steps: [{ name: 'one', command: ['true'] }] });
    const job = Testing.synth(chart).find((o) => o.kind === 'Job');
    expect(job.metadata.annotations?.['kube-score/ignore']).toBeUndefined();
  });
});
