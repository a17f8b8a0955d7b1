/**
 * The SerialBatchJob props arbitrary of the fuzzer (`batch.fuzz.test.ts`). Every prop of
 * `SerialBatchJobProps` (and of `SerialBatchStep`) has an arbitrary here: the record types below
 * require one per key, so a new prop fails to compile until it is fuzzed. Objects made in the
 * chart (Secrets, the ServiceAccount, the claim, egress peers, extra volumes, the database) are
 * described by data and made by `buildBatch`.
 */
import { Chart, Cron } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import {
  BatchRetry,
  PostgresConnection,
  SecretKeyReference,
  SerialBatchJob,
  SerialBatchJobProps,
  SerialBatchStep,
  StatefulPostgres,
} from '../../src';
import { extraVolumes, FuzzedVolume } from './extra-volumes';
import { warehouse } from '../batch/helpers';
import { containerResources, envValue, gibibytes, hostileString, int, mebibytes, mostly, ordered, podOptions, seconds, text } from './hostile';

/** A Secret key, by the Secret's name. */
interface FuzzedSecretRef {
  readonly name: string;
  readonly key: string;
  readonly optional?: boolean;
}

type FuzzedStep = Omit<SerialBatchStep, 'secretEnv'> & { readonly secretEnv?: Record<string, FuzzedSecretRef> };

interface FuzzedRetry {
  readonly mode: 'failFast' | 'inPlace' | 'resume';
  readonly retries?: number;
  readonly storage?: SerialBatchJobProps['workspaceSizeLimit'];
  readonly storageClassName?: string;
  readonly claimName?: string;
  readonly cleanUpOnSuccess?: boolean;
}

interface FuzzedPeer {
  readonly cidr?: string;
  readonly podLabels?: Record<string, string>;
  readonly namespace?: string;
}

interface FuzzedEgressRule {
  readonly peer: FuzzedPeer;
  readonly ports?: Array<{ readonly port: number; readonly endPort?: number; readonly udp: boolean }>;
}

/** What stands for a database: one of the warehouse's, or something that is not a connection. */
type FuzzedDatabase = 'sales' | 'archive' | 'not-a-connection';

/** The props with what is made in the chart described by data. */
export type FuzzedBatchProps = Omit<
  SerialBatchJobProps,
  'steps' | 'finallySteps' | 'secretEnv' | 'retry' | 'serviceAccount' | 'egress' | 'volumes' | 'database' | 'databases'
> & {
  readonly steps?: FuzzedStep[];
  readonly finallySteps?: FuzzedStep[];
  readonly secretEnv?: Record<string, FuzzedSecretRef>;
  readonly retry?: FuzzedRetry;
  readonly serviceAccount?: string;
  readonly egress?: FuzzedEgressRule[];
  readonly volumes?: FuzzedVolume[];
  readonly database?: FuzzedDatabase;
  readonly databases?: Record<string, FuzzedDatabase>;
};

type Arbitraries<T> = { readonly [K in keyof Required<T>]: fc.Arbitrary<T[K]> };

const STEP_NAMES = ['extract', 'load', 'report', 'vacuum', 'notify'];
const name = text('nightly', 'warehouse-load', 'batch');
const image = text('ghcr.io/acme/batch:2.3.0', 'postgres:15.6', `ghcr.io/acme/batch@sha256:${'e'.repeat(64)}`);
// reserved names (PGOPTIONS, HOME) need allowReservedEnv: rarely, or most batches would be refused
const envName = mostly(fc.constantFrom('CFG_REGION', 'BATCH_DATE', 'LOG_LEVEL'), fc.oneof(fc.constantFrom('PGOPTIONS', 'HOME'), hostileString), 30);
const path = text('/work', '/workspace/data', '/srv/batch');
const secretRef: fc.Arbitrary<FuzzedSecretRef> = fc.record(
  { name: text('warehouse-etl', 'sftp-credentials'), key: text('password', 'token', 'id_ed25519'), optional: fc.boolean() },
  { requiredKeys: ['name', 'key'] },
);
const secretEnv = (...names: string[]) => fc.dictionary(text(...names), secretRef, { maxKeys: 2 });
const command = mostly(
  fc.array(mostly(fc.constantFrom('psql', '-f', 'load.sql', 'sh', '-c', './run.sh $(date +%F)', 'echo'), hostileString, 20), {
    minLength: 1,
    maxLength: 4,
  }),
  fc.constantFrom<string[]>([], [''], ['sh', '-c', 'x'.repeat(140000)]),
  20,
);
const rarely = <T>(value: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: value, weight: 1 });

const stepEnvName = mostly(fc.constantFrom('STEP_TABLE', 'STEP_MODE'), fc.oneof(fc.constantFrom('CFG_REGION', 'PATH'), hostileString), 30);

function step(names: fc.Arbitrary<string>): fc.Arbitrary<FuzzedStep> {
  const fields: Arbitraries<FuzzedStep> = {
    name: names,
    command,
    image,
    dependsOn: fc.subarray([...STEP_NAMES, 'unlock', 'cleanup'], { maxLength: 2 }),
    timeout: seconds(1, 7200),
    continueOnError: fc.boolean(),
    retries: int(0, 5),
    retryBackoff: seconds(0, 60),
    env: fc.dictionary(stepEnvName, envValue, { maxKeys: 2 }),
    secretEnv: secretEnv('STEP_TOKEN_FILE'),
    resources: containerResources,
    workingDir: path,
    // raw steps refuse timeout, retries and continueOnError: rarely raw, or most would be refused
    raw: rarely(fc.boolean()),
  };
  return fc.record(fields, { requiredKeys: ['name', 'command'] });
}

/** Steps with unique names that depend only on steps declared before them; or any steps, valid or not. */
function steps(names: string[], minLength: number, max: number): fc.Arbitrary<FuzzedStep[]> {
  // raw steps take no timeout, retries or continueOnError, and depend on no step that may fail and go on
  const coherent = (list: FuzzedStep[]) =>
    list.map((s, i) => ({
      ...s,
      dependsOn: s.dependsOn?.filter((d) => list.slice(0, i).some((e) => e.name === d && !(s.raw && e.continueOnError))),
      ...(s.raw ? { timeout: undefined, retries: undefined, continueOnError: undefined } : {}),
    }));
  return mostly(
    fc.uniqueArray(step(fc.constantFrom(...names)), { selector: (s) => s.name, minLength, maxLength: max }).map(coherent),
    fc.array(step(text(...names)), { maxLength: max }),
    20,
  );
}

const retry: fc.Arbitrary<FuzzedRetry> = fc.oneof(
  fc.constant<FuzzedRetry>({ mode: 'failFast' }),
  fc.record({ mode: fc.constant<FuzzedRetry['mode']>('inPlace'), retries: int(0, 6) }, { requiredKeys: ['mode'] }),
  fc.record(
    {
      mode: fc.constant<FuzzedRetry['mode']>('resume'),
      retries: int(0, 6),
      storage: gibibytes(1, 100),
      storageClassName: text('fast-ssd', 'standard', 'ebs.csi.aws.com'),
      claimName: rarely(name),
      cleanUpOnSuccess: fc.boolean(),
    },
    { requiredKeys: ['mode'] },
  ),
);

const peer: fc.Arbitrary<FuzzedPeer> = fc.oneof(
  fc.record({ cidr: fc.constantFrom('192.0.2.10/32', '10.0.0.0/8') }),
  fc.record(
    {
      // the selector is a cdk8s-plus object the user makes: cdk8s cannot render any object of it
      // whose prototype is null (fast-check makes such maps), wherever it is used
      podLabels: fc.dictionary(text('app', 'example.com/role'), text('sftp', 'export'), { minKeys: 1, maxKeys: 2, noNullPrototype: true }),
      namespace: name,
    },
    { requiredKeys: ['podLabels'] },
  ),
);
const egressRule: fc.Arbitrary<FuzzedEgressRule> = fc.record(
  {
    peer,
    ports: fc.array(
      mostly(
        fc.oneof(
          fc.record({ port: fc.integer({ min: 1, max: 65535 }), udp: fc.boolean() }),
          ordered(1, 65535).map(([port, endPort]) => ({ port, endPort, udp: false })),
        ),
        fc.record({ port: int(1, 65535), endPort: int(1, 65535), udp: fc.boolean() }, { requiredKeys: ['port', 'udp'] }),
      ),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['peer'] },
);

const volume: fc.Arbitrary<FuzzedVolume> = fc.record(
  {
    name: text('exports', 'certs'),
    kind: fc.constantFrom<FuzzedVolume['kind']>('secret', 'configMap', 'claim'),
    objectName: name,
    mountPath: text('/mnt/exports', '/etc/batch-certs'),
    readOnly: fc.boolean(),
    subPath: rarely(text('2026', 'eu')),
    defaultMode: rarely(int(0, 0o777)),
  },
  { requiredKeys: ['name', 'kind', 'objectName', 'mountPath'] },
);

const database = mostly(fc.constantFrom<FuzzedDatabase>('sales', 'archive'), fc.constant<FuzzedDatabase>('not-a-connection'));

/** The props of a scheduled batch: either none of them, or a schedule and its options. */
type ScheduleKeys = 'schedule' | 'timeZone' | 'concurrencyPolicy' | 'startingDeadline' | 'successfulJobsRetained' | 'failedJobsRetained' | 'suspend';
type ScheduleProps = Pick<FuzzedBatchProps, ScheduleKeys>;

const scheduleFields: Arbitraries<ScheduleProps> = {
  schedule: mostly(
    fc.constantFrom(Cron.daily(), Cron.hourly(), Cron.schedule({ minute: '*/15' }), Cron.schedule({ minute: '30', hour: '2', weekDay: 'MON-FRI' })),
    fc.constantFrom(
      Cron.schedule({ minute: '99' }),
      Cron.schedule({ minute: '*/0' }),
      Cron.schedule({ hour: '24' }),
      Cron.schedule({ day: '0' }),
      Cron.schedule({ minute: '0\u0000' }),
      Cron.schedule({ month: '13' }),
    ),
    20,
  ),
  timeZone: mostly(
    fc.constantFrom('Europe/Paris', 'Etc/UTC', 'America/Argentina/Buenos_Aires'),
    fc.constantFrom('europe/paris', 'utc', 'Local', 'Mars/Olympus', 'UTC ', ''),
    20,
  ),
  concurrencyPolicy: mostly(fc.constantFrom(...Object.values(kplus.ConcurrencyPolicy)), fc.constant('Sometimes' as kplus.ConcurrencyPolicy)),
  startingDeadline: seconds(10, 3600),
  successfulJobsRetained: int(0, 10),
  failedJobsRetained: int(0, 10),
  suspend: fc.boolean(),
};
const scheduleProps: fc.Arbitrary<ScheduleProps> = mostly(
  fc.oneof(fc.constant({}), fc.record(scheduleFields, { requiredKeys: ['schedule'] })),
  // options without a schedule, which are refused
  fc.record(scheduleFields, { requiredKeys: [] }).map(({ schedule: _, ...rest }) => rest),
);

const batchFields: Arbitraries<Omit<FuzzedBatchProps, ScheduleKeys>> = {
  image,
  steps: steps(STEP_NAMES, 1, 4),
  finallySteps: steps(['unlock', 'cleanup'], 0, 2),
  name,
  database,
  databases: fc.dictionary(mostly(fc.constantFrom('ARCHIVE_', 'SALES_'), fc.constantFrom('archive', 'SERIAL_BATCH_', 'A\u0000_')), database, {
    maxKeys: 2,
  }),
  config: fc.dictionary(envName, envValue, { maxKeys: 3 }),
  secretEnv: secretEnv('SFTP_KEY_FILE', 'API_TOKEN_FILE'),
  allowReservedEnv: mostly(fc.subarray(['PGOPTIONS', 'HOME']), fc.array(hostileString, { maxLength: 1 }), 20),
  retry,
  ttlAfterFinished: seconds(0, 7 * 86400),
  activeDeadline: seconds(1, 86400),
  defaultStepTimeout: seconds(1, 7200),
  defaultStepRetries: int(0, 5),
  defaultStepRetryBackoff: seconds(0, 60),
  maxRetryBackoff: seconds(1, 600),
  killGracePeriod: seconds(1, 30),
  terminationGracePeriod: seconds(40, 300),
  stepResources: containerResources,
  summaryResources: containerResources,
  summaryImage: image,
  workspaceSizeLimit: mebibytes(1, 10240),
  tmpSizeLimit: mebibytes(1, 1024),
  runAsUser: int(1, 70000),
  runAsGroup: int(1, 70000),
  imagePullPolicy: mostly(fc.constantFrom(...Object.values(kplus.ImagePullPolicy)), fc.constant('Daily' as kplus.ImagePullPolicy)),
  serviceAccount: name,
  automountServiceAccountToken: fc.boolean(),
  networkPolicy: mostly(fc.constant(true), fc.constant(false), 20),
  egress: fc.array(egressRule, { maxLength: 2 }),
  partOf: text('data-platform', 'warehouse'),
  ...podOptions(name),
  volumes: mostly(
    fc.uniqueArray(volume, { selector: (v) => v.name, maxLength: 2 }).map((vs) => vs.map((v) => ({ ...v, mountPath: `/mnt/${v.name}` }))),
    fc.array(volume, { maxLength: 2 }),
  ),
};

/** Random SerialBatchJob props, mostly valid, with every hostile class mixed in. */
export const batchProps: fc.Arbitrary<FuzzedBatchProps> = fc
  .tuple(fc.record(batchFields, { requiredKeys: ['image', 'steps'] }), scheduleProps)
  .map(([batch, schedule]) => ({ ...batch, ...schedule }));

/** Constructs a SerialBatchJob from fuzzed props, making the referenced objects in the chart. */
export function buildBatch(chart: Chart, id: string, p: FuzzedBatchProps): void {
  let n = 0;
  const nextId = (what: string) => `${what}${n++}`;
  const secretRefs = (refs: Record<string, FuzzedSecretRef> | undefined): Record<string, SecretKeyReference> | undefined =>
    refs === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(refs).map(([env, r]) => [
            env,
            { secret: kplus.Secret.fromSecretName(chart, nextId('Secret'), r.name), key: r.key, optional: r.optional },
          ]),
        );
  const toStep = (s: FuzzedStep): SerialBatchStep => ({ ...s, secretEnv: secretRefs(s.secretEnv) });
  let db: StatefulPostgres | undefined;
  const connection = (d: FuzzedDatabase): PostgresConnection => {
    if (d === 'not-a-connection') {
      return { database: 'sales' } as unknown as PostgresConnection;
    }
    db ??= warehouse(chart);
    return db.connection(d);
  };
  const r = p.retry;
  const claim = r?.claimName !== undefined ? kplus.PersistentVolumeClaim.fromClaimName(chart, 'Claim', r.claimName) : undefined;
  const retry =
    r === undefined
      ? undefined
      : r.mode === 'failFast'
        ? BatchRetry.failFast()
        : r.mode === 'inPlace'
          ? BatchRetry.inPlace({ retries: r.retries })
          : BatchRetry.resumeFromVolume({
              retries: r.retries,
              storage: r.storage,
              storageClassName: r.storageClassName,
              claim,
              cleanUpOnSuccess: r.cleanUpOnSuccess,
            });
  const egress = p.egress?.map((rule) => {
    const peer = rule.peer.cidr
      ? kplus.NetworkPolicyIpBlock.ipv4(chart, nextId('Peer'), rule.peer.cidr)
      : kplus.Pods.select(chart, nextId('Peer'), {
          labels: rule.peer.podLabels,
          namespaces: rule.peer.namespace !== undefined ? kplus.Namespaces.select(chart, nextId('Ns'), { names: [rule.peer.namespace] }) : undefined,
        });
    const ports = rule.ports?.map((x) =>
      x.endPort !== undefined
        ? x.udp
          ? kplus.NetworkPolicyPort.udpRange(x.port, x.endPort)
          : kplus.NetworkPolicyPort.tcpRange(x.port, x.endPort)
        : x.udp
          ? kplus.NetworkPolicyPort.udp(x.port)
          : kplus.NetworkPolicyPort.tcp(x.port),
    );
    return { peer, ports };
  });
  const volumes = extraVolumes(chart, p.volumes);
  new SerialBatchJob(chart, id, {
    ...p,
    steps: p.steps?.map(toStep),
    finallySteps: p.finallySteps?.map(toStep),
    secretEnv: secretRefs(p.secretEnv),
    retry,
    serviceAccount:
      p.serviceAccount !== undefined ? kplus.ServiceAccount.fromServiceAccountName(chart, 'ServiceAccount', p.serviceAccount) : undefined,
    egress,
    volumes,
    database: p.database !== undefined ? connection(p.database) : undefined,
    databases: p.databases !== undefined ? Object.fromEntries(Object.entries(p.databases).map(([prefix, d]) => [prefix, connection(d)])) : undefined,
  });
}
