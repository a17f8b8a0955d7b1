/**
 * Hostile input (issue 13) for SerialBatchJob: every class a user can pass through the typed API
 * is refused when the construct is built (or, for what needs every step, at synth), with the
 * construct path, the prop, the rule and the value; never an object the API server, the kubelet
 * or the step wrapper would refuse later, and never an error from cdk8s without our context.
 */
import { Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Chart } from 'cdk8s';
import { BatchRetry, ExtraVolumeSource, SerialBatchJob, SerialBatchJobProps, SerialBatchStep } from '../../src';
import { podSpecOf } from './helpers';
import { thrownMessage } from '../support/thrown';
import { MAX_QUANTITY_KIB } from '../../src/common/size-checks';

const IMAGE = 'ghcr.io/acme/batch:2.3.0';
const INT32_MAX = 2 ** 31 - 1;
const INT64_SAFE_MAX = Number.MAX_SAFE_INTEGER;

type PropsIn = (chart: Chart) => Partial<SerialBatchJobProps>;

function build(props: PropsIn): { chart: Chart; job: SerialBatchJob } {
  const chart = Testing.chart();
  const job = new SerialBatchJob(chart, 'job', { image: IMAGE, steps: [{ name: 'load', command: ['psql', '-f', 'load.sql'] }], ...props(chart) });
  return { chart, job };
}

/** The message the constructor throws (or '' when it accepts the props). */
function errorOf(props: PropsIn): string {
  return thrownMessage(() => build(props));
}

/** The messages of synth-time validation (or '' when synthesis succeeds). */
function synthErrorOf(props: PropsIn): string {
  const { chart } = build(props);
  return thrownMessage(() => Testing.synth(chart));
}

const exportsClaim = (chart: Chart) =>
  ExtraVolumeSource.fromPersistentVolumeClaim(kplus.PersistentVolumeClaim.fromClaimName(chart, 'Exports', 'exports'));
const step = (extra: Partial<SerialBatchStep>): SerialBatchStep => ({ name: 'load', command: ['psql', '-f', 'load.sql'], ...extra });
const secondsRule = (min: number, max: number = INT32_MAX) => `a whole number of seconds from ${min} to ${max}`;

describe('integers past their field range', () => {
  test.each<[string, PropsIn, string]>([
    [
      'a step timeout of 1e22 s',
      () => ({ steps: [step({ timeout: Duration.seconds(1e22) })] }),
      `steps["load"].timeout must be ${secondsRule(1)}, got "1e+22 seconds"`,
    ],
    [
      'ttlAfterFinished of 100,000 days',
      () => ({ ttlAfterFinished: Duration.days(100_000) }),
      `ttlAfterFinished must be ${secondsRule(0)}, got "100000 days"`,
    ],
    [
      'activeDeadline past int32',
      () => ({ activeDeadline: Duration.seconds(2 ** 31) }),
      `activeDeadline must be ${secondsRule(1)}, got "2147483648 seconds"`,
    ],
    [
      'defaultStepTimeout past int32',
      () => ({ defaultStepTimeout: Duration.hours(1e9) }),
      `defaultStepTimeout must be ${secondsRule(1)}, got "1000000000 hours"`,
    ],
    [
      'retry.retries of 2**31',
      () => ({ retry: BatchRetry.inPlace({ retries: 2 ** 31 }) }),
      'retry.retries must be a whole number from 0 to 100, got 2147483648',
    ],
    [
      'a step with 2**31 retries',
      () => ({ steps: [step({ retries: 2 ** 31 })] }),
      'steps["load"].retries must be a whole number from 0 to 100, got 2147483648',
    ],
    [
      'successfulJobsRetained of 2**31',
      () => ({ schedule: Cron.daily(), successfulJobsRetained: 2 ** 31 }),
      'successfulJobsRetained must be a whole number from 0 to 100, got 2147483648',
    ],
    ['runAsUser of 2**31', () => ({ runAsUser: 2 ** 31 }), 'runAsUser must be a non-root UID from 1 to 2147483647, got 2147483648'],
    [
      'an egress port of 99999',
      (chart) => ({
        egress: [{ peer: kplus.NetworkPolicyIpBlock.ipv4(chart, 'Sftp', '192.0.2.10/32'), ports: [kplus.NetworkPolicyPort.tcp(99999)] }],
      }),
      'egress[0].ports[0] must be a port from 1 to 65535 or a port name, got 99999',
    ],
    [
      'an egress port range ending past 65535',
      (chart) => ({
        egress: [{ peer: kplus.NetworkPolicyIpBlock.ipv4(chart, 'Sftp', '192.0.2.10/32'), ports: [kplus.NetworkPolicyPort.tcpRange(1000, 70000)] }],
      }),
      'egress[0].ports[0].endPort must be a port from the range start to 65535, got 70000',
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/job] ${message}`);
  });

  test('the largest accepted timeout reaches the wrapper as digits, never in exponent form', () => {
    const { chart } = build(() => ({ steps: [step({ timeout: Duration.seconds(INT32_MAX) })], activeDeadline: Duration.seconds(INT32_MAX) }));
    const env = podSpecOf(Testing.synth(chart)).initContainers[0].env as Array<{ name: string; value?: string }>;
    expect(env.find((e) => e.name === 'SERIAL_BATCH_TIMEOUT')?.value).toBe(String(INT32_MAX));
  });

  test('a derived deadline past what the int64 field holds exactly is refused at synth, naming activeDeadline', () => {
    const steps = Array.from({ length: 500 }, (_, i) => step({ name: `s${i}` }));
    const props: PropsIn = () => ({
      steps,
      defaultStepTimeout: Duration.seconds(INT32_MAX),
      defaultStepRetries: 100,
      retry: BatchRetry.resumeFromVolume({ retries: 100 }),
    });
    const message = synthErrorOf(props);
    const derived = /got "([0-9]+) seconds derived"$/.exec(message)?.[1];
    expect(Number(derived)).toBeGreaterThan(INT64_SAFE_MAX);
    expect(message).toBe(
      `Validation failed with the following errors:\n  [test/job] activeDeadline must be given when the worst case of the steps' timeouts, retries and pods exceeds ${INT64_SAFE_MAX} seconds, got "${derived} seconds derived"`,
    );
    // with the deadline given, the same steps synthesize
    expect(synthErrorOf(() => ({ ...props(Testing.chart()), activeDeadline: Duration.days(7) }))).toBe('');
  });
});

describe('quantities that are not quantities', () => {
  const tooLarge = (unit: string) =>
    `at most ${unit === 'KiB' ? MAX_QUANTITY_KIB : INT64_SAFE_MAX} ${unit} (larger amounts are not Kubernetes quantities)`;
  test.each<[string, PropsIn, string]>([
    [
      'a memory limit of 1e30 GiB',
      () => ({ stepResources: { memory: { limit: Size.gibibytes(1e30) } } }),
      `stepResources.memory.limit must be ${tooLarge('KiB')}, got "1e+30Gi"`,
    ],
    [
      "a step's ephemeral storage of a million PiB",
      () => ({ steps: [step({ resources: { ephemeralStorage: { limit: Size.pebibyte(1e6) } } })] }),
      `steps["load"].resources.ephemeralStorage.limit must be ${tooLarge('KiB')}, got "1000000Pi"`,
    ],
    [
      'a summary cpu of 1e20 millicores',
      () => ({ summaryResources: { cpu: { limit: kplus.Cpu.millis(1e20) } } }),
      `summaryResources.cpu.limit must be ${tooLarge('millicores')}, got "100000000000000000000m"`,
    ],
    [
      'a cpu in exponent form',
      () => ({ stepResources: { cpu: { limit: kplus.Cpu.units(1e22) } } }),
      'stepResources.cpu.limit must be a whole number of millicores greater than 0, got "1e+22"',
    ],
    [
      'a workspace of 1e30 GiB',
      () => ({ workspaceSizeLimit: Size.gibibytes(1e30) }),
      `workspaceSizeLimit must be a whole number of KiB from 1 to ${MAX_QUANTITY_KIB}, got "1e+30Gi"`,
    ],
    [
      'a /tmp of 1.5 KiB',
      () => ({ tmpSizeLimit: Size.kibibytes(1.5) }),
      `tmpSizeLimit must be a whole number of KiB from 1 to ${MAX_QUANTITY_KIB}, got "1.5Ki"`,
    ],
    [
      'a resume claim of 1e30 GiB',
      () => ({ retry: BatchRetry.resumeFromVolume({ storage: Size.gibibytes(1e30) }) }),
      `retry.storage must be a whole number of KiB from 1048576 to ${MAX_QUANTITY_KIB}, got "1e+30Gi"`,
    ],
    // cdk8s-plus would fail at synth without our context: "'1536 mebibytes' cannot be converted into a whole number of gibibytes"
    [
      'a resume claim of 1.5 GiB',
      () => ({ retry: BatchRetry.resumeFromVolume({ storage: Size.mebibytes(1536) }) }),
      'retry.storage must be a whole number of GiB, got "1536Mi"',
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/job] ${message}`);
  });
});

describe('names copied without a check', () => {
  const subdomain = (what: string) => `${what} whose name is a DNS-1123 subdomain`;
  test.each<[string, PropsIn, string]>([
    [
      "storageClassName 'Fast SSD'",
      () => ({ retry: BatchRetry.resumeFromVolume({ storageClassName: 'Fast SSD' }) }),
      'retry.storageClassName must be a DNS-1123 subdomain, got "Fast SSD"',
    ],
    [
      'a storageClassName with an empty label',
      () => ({ retry: BatchRetry.resumeFromVolume({ storageClassName: 'fast..ssd' }) }),
      'retry.storageClassName must be a DNS-1123 subdomain, got "fast..ssd"',
    ],
    [
      'an imported claim named like no claim',
      (chart) => ({ retry: BatchRetry.resumeFromVolume({ claim: kplus.PersistentVolumeClaim.fromClaimName(chart, 'Claim', 'My Claim') }) }),
      `retry.claim must be ${subdomain('a PersistentVolumeClaim')}, got "My Claim"`,
    ],
    [
      'a Secret named like no Secret',
      (chart) => ({ secretEnv: { API_KEY_FILE: { secret: kplus.Secret.fromSecretName(chart, 'Api', 'Api Secret'), key: 'key' } } }),
      `secretEnv["API_KEY_FILE"].secret must be ${subdomain('a Secret')}, got "Api Secret"`,
    ],
    [
      "a step's Secret named like no Secret",
      (chart) => ({ steps: [step({ secretEnv: { TOKEN_FILE: { secret: kplus.Secret.fromSecretName(chart, 'Tok', '-tokens'), key: 'token' } } })] }),
      `steps["load"].secretEnv["TOKEN_FILE"].secret must be ${subdomain('a Secret')}, got "-tokens"`,
    ],
    [
      'a ServiceAccount named like no ServiceAccount',
      (chart) => ({ serviceAccount: kplus.ServiceAccount.fromServiceAccountName(chart, 'Sa', 'Batch Runner') }),
      `serviceAccount must be ${subdomain('a ServiceAccount')}, got "Batch Runner"`,
    ],
    [
      'partOf that is no label value',
      () => ({ partOf: 'Data Platform' }),
      'partOf must be a label value (at most 63 letters, digits, "-", "_", ".", starting and ending alphanumeric), got "Data Platform"',
    ],
    [
      'an egress peer selecting pods by an invalid label',
      (chart) => ({ egress: [{ peer: kplus.Pods.select(chart, 'Peer', { labels: { 'bad key!': 'x' } }) }] }),
      'egress[0].peer must be a peer whose pods are selected by valid labels, got {"bad key!":"x"}',
    ],
    [
      'an egress peer in a namespace named like no namespace',
      (chart) => ({
        egress: [
          {
            peer: kplus.Pods.select(chart, 'Peer', {
              labels: { app: 'sftp' },
              namespaces: kplus.Namespaces.select(chart, 'Ns', { names: ['Data Team'] }),
            }),
          },
        ],
      }),
      'egress[0].peer must be a peer whose namespaces are named by DNS-1123 labels, got "Data Team"',
    ],
    [
      'a concurrencyPolicy that is not one',
      () => ({ schedule: Cron.daily(), concurrencyPolicy: 'Sometimes' as kplus.ConcurrencyPolicy }),
      'concurrencyPolicy must be one of Allow, Forbid, Replace, got "Sometimes"',
    ],
    [
      'an imagePullPolicy that is not one',
      () => ({ imagePullPolicy: 'Daily' as kplus.ImagePullPolicy }),
      'imagePullPolicy must be one of Always, IfNotPresent, Never, got "Daily"',
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/job] ${message}`);
  });
});

describe('schedules the CronJob controller refuses', () => {
  test.each<[string, Cron, string]>([
    ['minute 99', Cron.schedule({ minute: '99' }), 'minute 99 is above 59'],
    ['a step of 0', Cron.schedule({ minute: '*/0' }), 'minute step in "*/0" must be positive'],
    ['day of month 0', Cron.schedule({ minute: '0', hour: '3', day: '0' }), 'day of month 0 is below 1'],
    ['a NUL in a field', Cron.schedule({ minute: '0\u0000' }), 'minute value "0\\u0000" is not a number'],
  ])('%s', (_, schedule, reason) => {
    expect(errorOf(() => ({ schedule }))).toBe(
      `[test/job] schedule must be a cron schedule the CronJob controller accepts (${reason}), got ${JSON.stringify(schedule.expressionString)}`,
    );
  });
});

describe('time zones not spelled as IANA spells them', () => {
  test.each(['europe/paris', 'utc', 'Local', 'Europe/Paris '])('%p', (timeZone) => {
    expect(errorOf(() => ({ schedule: Cron.daily(), timeZone }))).toMatch(
      /^\[test\/job\] timeZone must be an IANA time zone name, exactly as spelled \(e\.g\. "Europe\/Paris", "Etc\/UTC"\)(, not "Local" .*)?, got "/,
    );
  });

  test('the exact spelling is accepted and reaches the CronJob', () => {
    const { chart } = build(() => ({ schedule: Cron.daily(), timeZone: 'Europe/Paris' }));
    const cron = Testing.synth(chart).find((o) => o.kind === 'CronJob');
    expect(cron.spec.timeZone).toBe('Europe/Paris');
  });
});

describe('NUL bytes, which no process can receive', () => {
  const nul = (prop: string, value: string) =>
    `${prop} must be a string without NUL bytes (a process cannot receive one), got ${JSON.stringify(value)}`;
  test.each<[string, PropsIn, string]>([
    ['in a command', () => ({ steps: [step({ command: ['psql', '-c', 'SELECT 1\u0000'] })] }), nul('steps["load"].command[2]', 'SELECT 1\u0000')],
    ['in the program', () => ({ steps: [step({ command: ['psql\u0000'] })] }), nul('steps["load"].command[0]', 'psql\u0000')],
    ['in an env value', () => ({ steps: [step({ env: { TABLE: 'orders\u0000' } })] }), nul('steps["load"].env["TABLE"]', 'orders\u0000')],
    ['in a config value', () => ({ config: { REGION: 'eu\u0000west' } }), nul('config["REGION"]', 'eu\u0000west')],
    ['in a working directory', () => ({ steps: [step({ workingDir: '/work\u0000' })] }), nul('steps["load"].workingDir', '/work\u0000')],
    [
      'in a pod annotation',
      () => ({ podAnnotations: { 'example.com/owner': 'data\u0000' } }),
      'podAnnotations["example.com/owner"] must be a value without NUL bytes, got "data\\u0000"',
    ],
    [
      "in an extra volume's subPath",
      (chart) => ({ volumes: [{ name: 'exports', source: exportsClaim(chart), mountPath: '/mnt/exports', subPath: 'eu\u0000' }] }),
      'volumes[0].subPath must be a relative path without ".." segments or NUL bytes, got "eu\\u0000"',
    ],
    [
      "in an extra volume's mount path",
      (chart) => ({ volumes: [{ name: 'exports', source: exportsClaim(chart), mountPath: '/mnt/exports\u0000' }] }),
      'volumes[0].mountPath must be a path without NUL bytes, got "/mnt/exports\\u0000"',
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/job] ${message}`);
  });

  test.each<[string, PropsIn, RegExp]>([
    [
      'in a step name',
      () => ({ steps: [step({ name: 'load\u0000' })] }),
      /^\[test\/job\] steps\[0\]\.name must be a DNS-1123 label .*, got "load\\u0000"$/,
    ],
    [
      'in an env name',
      () => ({ steps: [step({ env: { 'TABLE\u0000': 'x' } })] }),
      /^\[test\/job\] steps\["load"\]\.env must be environment variable names .*, got "TABLE\\u0000"$/,
    ],
    [
      'in a config key',
      () => ({ config: { 'REGION\u0000': 'eu' } }),
      /^\[test\/job\] config must be environment variable names .*, got "REGION\\u0000"$/,
    ],
    [
      'in the image',
      () => ({ image: `${IMAGE}\u0000` }),
      /^\[test\/job\] image must be a valid image reference .*, got "ghcr\.io\/acme\/batch:2\.3\.0\\u0000"$/,
    ],
  ])('%s, refused as a name', (_, props, message) => {
    expect(errorOf(props)).toMatch(message);
  });
});

describe('Durations that are not whole seconds, checked by us before cdk8s converts them', () => {
  test.each<[string, PropsIn, string, number, number]>([
    ['terminationGracePeriod', () => ({ terminationGracePeriod: Duration.millis(30500) }), 'terminationGracePeriod', 0, INT32_MAX],
    ['killGracePeriod', () => ({ killGracePeriod: Duration.millis(30500) }), 'killGracePeriod', 1, 3600],
    ['defaultStepTimeout', () => ({ defaultStepTimeout: Duration.millis(30500) }), 'defaultStepTimeout', 1, INT32_MAX],
    ['defaultStepRetryBackoff', () => ({ defaultStepRetryBackoff: Duration.millis(30500) }), 'defaultStepRetryBackoff', 0, 3600],
    ['maxRetryBackoff', () => ({ maxRetryBackoff: Duration.millis(30500) }), 'maxRetryBackoff', 1, 3600],
    ['ttlAfterFinished', () => ({ ttlAfterFinished: Duration.millis(30500) }), 'ttlAfterFinished', 0, INT32_MAX],
    ['activeDeadline', () => ({ activeDeadline: Duration.millis(30500) }), 'activeDeadline', 1, INT32_MAX],
    ['startingDeadline', () => ({ schedule: Cron.daily(), startingDeadline: Duration.millis(30500) }), 'startingDeadline', 10, INT32_MAX],
    ['a step timeout', () => ({ steps: [step({ timeout: Duration.millis(30500) })] }), 'steps["load"].timeout', 1, INT32_MAX],
    ['a step retryBackoff', () => ({ steps: [step({ retryBackoff: Duration.millis(30500) })] }), 'steps["load"].retryBackoff', 0, 3600],
  ])('%s', (_, props, prop, min, max) => {
    expect(errorOf(props)).toBe(`[test/job] ${prop} must be ${secondsRule(min, max)}, got "30500 millis"`);
  });

  test('cdk8s itself would fail without our context', () => {
    expect(() => Duration.millis(30500).toSeconds()).toThrow(/cannot be converted into a whole number of seconds/);
  });
});

describe('NaN, shown as NaN', () => {
  test.each<[string, PropsIn, string]>([
    ['retries', () => ({ defaultStepRetries: NaN }), 'defaultStepRetries must be a whole number from 0 to 100, got NaN'],
    [
      'a step timeout',
      () => ({ steps: [step({ timeout: Duration.seconds(NaN) })] }),
      `steps["load"].timeout must be ${secondsRule(1)}, got "NaN seconds"`,
    ],
    [
      'failedJobsRetained',
      () => ({ schedule: Cron.daily(), failedJobsRetained: NaN }),
      'failedJobsRetained must be a whole number from 0 to 100, got NaN',
    ],
    ['runAsGroup', () => ({ runAsGroup: NaN }), 'runAsGroup must be a non-root GID from 1 to 2147483647, got NaN'],
    [
      'a cpu request',
      () => ({ stepResources: { cpu: { request: kplus.Cpu.millis(NaN) } } }),
      'stepResources.cpu.request must be a whole number of millicores greater than 0, got "NaNm"',
    ],
    [
      'a memory request',
      () => ({ stepResources: { memory: { request: Size.mebibytes(NaN) } } }),
      'stepResources.memory.request must be a whole number of KiB greater than 0, got "NaNMi"',
    ],
    [
      'a workspace size',
      () => ({ workspaceSizeLimit: Size.gibibytes(NaN) }),
      `workspaceSizeLimit must be a whole number of KiB from 1 to ${MAX_QUANTITY_KIB}, got "NaNGi"`,
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/job] ${message}`);
  });
});

test('every problem is listed at once, each with its prop, rule and value', () => {
  const message = errorOf(() => ({
    ttlAfterFinished: Duration.days(100_000),
    terminationGracePeriod: Duration.millis(30500),
    partOf: 'Data Platform',
    config: { REGION: 'eu\u0000' },
  }));
  const lines = message.split('\n');
  expect(lines[0]).toBe('[test/job] 4 invalid props:');
  expect(lines.slice(1).map((l) => /^ {2}- (\S+) must be .+, got .+$/.exec(l)?.[1])).toEqual([
    'config["REGION"]',
    'terminationGracePeriod',
    'ttlAfterFinished',
    'partOf',
  ]);
});

test('map keys are quoted in the prop, so a line break in one cannot split the message', () => {
  const message = errorOf((chart) => ({ secretEnv: { 'line\nbreak': { secret: kplus.Secret.fromSecretName(chart, 'S', 'Ünïcödé'), key: 'k' } } }));
  expect(message).not.toMatch(/line\nbreak/);
  expect(message).toContain('secretEnv["line\\nbreak"].secret must be a Secret whose name is a DNS-1123 subdomain, got "Ünïcödé"');
});
