/**
 * Validation of `WebAppWithIngressProps` and resolution of every default, in one place: the
 * construct only ever sees a complete, valid `ResolvedWebApp`. Every problem is reported at once,
 * prefixed with the construct path.
 */
import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { reservedEnvReason } from '../common/env';
import { PropErrors } from '../common/errors';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, LABEL_PART_OF, LABEL_VERSION, versionFromImage } from '../common/labels';
import {
  imagePinProblem,
  isCIdentifier,
  isConfigMapKey,
  isDns1035Label,
  isDnsLabel,
  isDnsSubdomain,
  isDigestPinned,
  isIngressHost,
  isLabelKey,
  isLabelValue,
  isPort,
  MAX_LABEL_LENGTH,
} from '../common/names';
import { ResolvedDatabaseConnection, resolveDatabaseConnections } from '../common/database-connections';
import { describeDuration } from '../common/duration-checks';
import { checkInt32, INT32_MAX } from '../common/number-ranges';
import { objectName } from '../common/object-names';
import { checkNoNul } from '../common/process-strings';
import { sizeInKibibytes } from '../common/quantities';
import { isLabelMap, isStringMap, mountPathProblem, ResolvedPodOptions, resolvePodOptions } from '../common/resolve-pod-options';
import { resolveRunAs } from '../common/resolve-security';
import { ResolvedResources, resolveResources } from '../common/resources';
import { SecretKeyReference } from '../common/secret-key-reference';
import { uniqueByName } from '../common/unique-by-name';
import { describeSize, MAX_QUANTITY_KIB } from '../common/size-checks';
import { WebAppNetworkPeer } from './network-peer';
import { volumeNameFor } from './pod-template';
import { WebAppWithIngressProps } from './web-app-with-ingress-props';

/** The pod labels the construct sets: `podLabels` cannot override them. */
const POD_LABEL_KEYS = [LABEL_NAME, LABEL_INSTANCE, LABEL_COMPONENT, LABEL_PART_OF, LABEL_VERSION, LABEL_MANAGED_BY];

/** The pod-template annotation holding the checksum of `config`: a change rolls the pods. */
export const CONFIG_CHECKSUM_ANNOTATION = 'checksum/config';

/** Suffix of the canary track's instance and object names. */
export const CANARY_SUFFIX = '-canary';

/** Seconds added to preStop delay + drain timeout for the termination grace period. */
export const GRACE_MARGIN_SECONDS = 5;

/** Period of the startup probe: the failure threshold is startupTimeout / this. */
export const STARTUP_PERIOD_SECONDS = 5;

/** Config keys that look like credentials: Polaris' sensitiveConfigmapContent and kube-linter's env-var-secret. */
const SENSITIVE_KEY = /PASSW(OR)?D|SECRET|TOKEN|BEARER|PRIVATE_?KEY|API_?KEY|CREDENTIAL/i;

/** Annotations the construct manages itself. */
const MANAGED_INGRESS_ANNOTATIONS =
  /^(cert-manager\.io\/(cluster-issuer|issuer)|nginx\.ingress\.kubernetes\.io\/canary.*|kubernetes\.io\/ingress\.class)$/;

/** Characters of an RFC 9110 token (header and cookie names). */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A Prefix path the API server and ingress-nginx's path validation both accept (no regex characters). */
const PREFIX_PATH = /^\/[A-Za-z0-9\-._~%!&',;=:@/]*$/;

/** Largest ConfigMap the API server stores (1 MiB, data plus metadata): keep well below it. */
const MAX_CONFIG_BYTES = 1000 * 1024;

const DEFAULTS = {
  port: 8080,
  servicePort: 80,
  replicas: 2,
  component: 'web',
  startupTimeout: Duration.minutes(5),
  preStopDelay: Duration.seconds(10),
  drainTimeout: Duration.seconds(20),
  ingressClassName: 'nginx',
  minReplicas: 2,
  targetCpuUtilization: 70,
  resources: {
    cpuRequest: kplus.Cpu.millis(100),
    cpuLimit: kplus.Cpu.units(1),
    memoryRequest: Size.mebibytes(256),
    memoryLimit: Size.mebibytes(256),
    ephemeralStorageRequest: Size.mebibytes(128),
    ephemeralStorageLimit: Size.mebibytes(512),
  },
  writableDirectories: ['/tmp'],
  writableDirectorySizeLimit: Size.mebibytes(256),
  ingressControllerNamespace: 'ingress-nginx',
  metricsPath: '/metrics',
  metricsInterval: Duration.seconds(30),
  scraperNamespace: 'monitoring',
  canaryReplicas: 1,
  canaryWeight: 10,
  revisionHistoryLimit: 5,
  minReady: Duration.seconds(10),
  progressDeadline: Duration.minutes(10),
};

export interface ResolvedAutoscaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetCpuUtilization?: number;
  readonly targetMemoryUtilization?: number;
}

export interface ResolvedTls {
  readonly secretName: string;
  readonly clusterIssuer?: string;
  readonly issuer?: string;
}

export interface ResolvedCanary {
  readonly image: string;
  readonly version?: string;
  readonly imagePullPolicy: kplus.ImagePullPolicy;
  readonly replicas: number;
  readonly weight?: number;
  readonly header?: string;
  readonly headerValue?: string;
  readonly cookie?: string;
}

export interface ResolvedGateway {
  readonly name: string;
  readonly namespace: string;
  readonly sectionName?: string;
  readonly dataPlaneNamespace: string;
  readonly dataPlanePodLabels?: Record<string, string>;
  readonly referenceGrant: boolean;
}

export interface ResolvedMetrics {
  readonly port: number;
  /** `http` when the metrics are served on the app port, `metrics` otherwise. */
  readonly portName: string;
  readonly path: string;
  readonly intervalSeconds: number;
  readonly scraperNamespace: string;
}

/** A database the app connects to, and the prefix of its variables. */
export type ResolvedDatabase = ResolvedDatabaseConnection;

export interface ResolvedEgressRule {
  readonly peer: WebAppNetworkPeer;
  readonly ports?: number[];
  readonly protocol: kplus.NetworkProtocol;
}

export interface ResolvedNetworkPolicy {
  readonly enabled: boolean;
  readonly ingressControllerNamespace: string;
  readonly ingressControllerPodLabels?: Record<string, string>;
  readonly allowFrom: WebAppNetworkPeer[];
  readonly allowTo: ResolvedEgressRule[];
}

/** A writable `emptyDir` of the app container. */
export interface ResolvedWritableDirectory {
  readonly path: string;
  readonly volumeName: string;
}

/** Every prop of a web app, validated, with its default applied. */
export interface ResolvedWebApp {
  readonly name: string;
  readonly instance: string;
  readonly component: string;
  readonly partOf?: string;
  readonly image: string;
  readonly version?: string;
  readonly imagePullPolicy: kplus.ImagePullPolicy;
  readonly hosts: string[];
  readonly paths: string[];
  readonly port: number;
  readonly servicePort: number;
  readonly replicas: number;
  readonly healthCheckPath?: string;
  readonly livenessCheckPath?: string;
  readonly startupFailureThreshold: number;
  readonly preStopSeconds: number;
  readonly terminationGraceSeconds: number;
  readonly tls?: ResolvedTls;
  readonly ingressEnabled: boolean;
  readonly gateway?: ResolvedGateway;
  readonly metrics?: ResolvedMetrics;
  readonly ingressClassName: string;
  readonly ingressAnnotations: Record<string, string>;
  readonly autoscaling?: ResolvedAutoscaling;
  readonly config?: Record<string, string>;
  readonly secretEnv: Array<[string, SecretKeyReference]>;
  readonly databases: ResolvedDatabase[];
  /** The volumes the database connections need (their CA files), each once. */
  readonly databaseVolumes: kplus.k8s.Volume[];
  /** Their mounts in the app container. */
  readonly databaseMounts: kplus.k8s.VolumeMount[];
  readonly command?: string[];
  readonly args?: string[];
  readonly resources: ResolvedResources;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly readOnlyRootFilesystem: boolean;
  readonly writableDirectories: ResolvedWritableDirectory[];
  readonly writableDirectorySizeLimit: Size;
  readonly serviceAccount?: kplus.IServiceAccount;
  readonly automountServiceAccountToken: boolean;
  readonly podOptions: ResolvedPodOptions;
  readonly networkPolicy: ResolvedNetworkPolicy;
  readonly canary?: ResolvedCanary;
  readonly revisionHistoryLimit: number;
  readonly minReadySeconds: number;
  readonly progressDeadlineSeconds: number;
}

/** The pull policy that fits an image reference: a digest never changes, a tag may move. */
export function defaultPullPolicy(image: string): kplus.ImagePullPolicy {
  return isDigestPinned(image) ? kplus.ImagePullPolicy.IF_NOT_PRESENT : kplus.ImagePullPolicy.ALWAYS;
}

function isInt(value: unknown, min: number, max: number = INT32_MAX): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Why a Prefix path is invalid, or undefined. */
function prefixPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    return 'an absolute path starting with "/"';
  }
  if (!PREFIX_PATH.test(path)) {
    return "a plain path of letters, digits and -._~%!&',;=:@/ (regular expressions need a controller-specific path type)";
  }
  if (/\/\/|\/\.\.?(\/|$)|%2f/i.test(path)) {
    return 'a normalized path without "//", "/./", "/../" or "%2F"';
  }
  return undefined;
}

class Checker {
  constructor(public readonly errors: PropErrors) {}

  /** A Duration as whole seconds within [min, max], or the fallback after recording a problem. */
  public seconds(value: Duration | undefined, fallback: Duration, prop: string, min: number, max: number): number {
    const d = value ?? fallback;
    let s: number | undefined;
    try {
      s = d.toSeconds();
    } catch {
      s = undefined;
    }
    if (!isInt(s, min, max)) {
      this.errors.add(prop, `a whole number of seconds from ${min} to ${max}`, describeDuration(d));
      return fallback.toSeconds();
    }
    return s;
  }
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * Validates every prop and applies the defaults. Throws one error listing every problem.
 */
export function resolveWebAppProps(scope: IConstruct, id: string, propsIn: WebAppWithIngressProps): ResolvedWebApp {
  const props: WebAppWithIngressProps = propsIn ?? ({} as WebAppWithIngressProps);
  const errors = new PropErrors(scope);
  const c = new Checker(errors);

  // identity
  const name = objectName(id, props.name);
  const nameOk = errors.check(
    isDnsLabel(name),
    props.name === undefined ? 'name (derived from the construct id)' : 'name',
    'a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)',
    name,
  );
  const canaryProps = props.canary;
  const instanceMax = canaryProps !== undefined ? MAX_LABEL_LENGTH - CANARY_SUFFIX.length : MAX_LABEL_LENGTH;
  const instance = props.instance ?? name;
  errors.check(
    // A defaulted instance repeats a bad name: report it once.
    (!nameOk && props.instance === undefined) || isDns1035Label(instance, instanceMax),
    props.instance === undefined ? 'instance (defaults to name)' : 'instance',
    `a DNS-1035 label (a lowercase letter, then letters, digits and "-", at most ${instanceMax} characters${canaryProps ? ' with a canary' : ''})`,
    instance,
  );
  const component = props.component ?? DEFAULTS.component;
  errors.check(isLabelValue(component) && component !== '', 'component', 'a non-empty label value', component);
  errors.check(props.partOf === undefined || (isLabelValue(props.partOf) && props.partOf !== ''), 'partOf', 'a non-empty label value', props.partOf);

  // image
  const imageProblem = imagePinProblem(props.image);
  errors.check(imageProblem === undefined, 'image', imageProblem ?? '', props.image);
  const image = props.image;
  const imagePullPolicy = props.imagePullPolicy ?? (imageProblem === undefined ? defaultPullPolicy(image) : kplus.ImagePullPolicy.ALWAYS);
  errors.check(
    Object.values(kplus.ImagePullPolicy).includes(imagePullPolicy),
    'imagePullPolicy',
    'one of Always, IfNotPresent, Never',
    imagePullPolicy,
  );

  // ingress
  errors.check(isIngressHost(props.host), 'host', 'a DNS name such as shop.example.com', props.host);
  const additionalHosts = props.additionalHosts ?? [];
  const hosts = [props.host];
  if (errors.check(isStringArray(additionalHosts), 'additionalHosts', 'a list of DNS names', additionalHosts)) {
    additionalHosts.forEach((h, i) => {
      if (errors.check(isIngressHost(h), `additionalHosts[${i}]`, 'a DNS name such as www.example.com', h)) {
        errors.check(!hosts.includes(h), `additionalHosts[${i}]`, 'a host not already served', h);
      }
      hosts.push(h);
    });
  }
  const paths = props.paths ?? ['/'];
  if (errors.check(isStringArray(paths) && paths.length > 0, 'paths', 'a non-empty list of paths', paths)) {
    paths.forEach((p, i) => {
      const problem = prefixPathProblem(p);
      if (errors.check(problem === undefined, `paths[${i}]`, problem ?? '', p)) {
        errors.check(paths.indexOf(p) === i, `paths[${i}]`, 'a path not listed before', p);
      }
    });
  }
  const ingressClassName = props.ingressClassName ?? DEFAULTS.ingressClassName;
  errors.check(isDnsSubdomain(ingressClassName), 'ingressClassName', 'an IngressClass name (DNS-1123 subdomain)', ingressClassName);
  const ingressAnnotations = props.ingressAnnotations ?? {};
  if (errors.check(isStringMap(ingressAnnotations), 'ingressAnnotations', 'a map of strings', ingressAnnotations)) {
    for (const key of Object.keys(ingressAnnotations)) {
      if (errors.check(isLabelKey(key), `ingressAnnotations[${JSON.stringify(key)}]`, 'an annotation with a valid key', key)) {
        errors.check(
          !MANAGED_INGRESS_ANNOTATIONS.test(key),
          `ingressAnnotations[${JSON.stringify(key)}]`,
          'an annotation the construct does not manage (use tls.clusterIssuer, tls.issuer, canary or ingressClassName)',
          key,
        );
      }
      checkNoNul(errors, `ingressAnnotations[${JSON.stringify(key)}]`, ingressAnnotations[key]);
    }
  }
  let tls: ResolvedTls | undefined;
  if (props.tls !== undefined) {
    const t = props.tls ?? ({} as ResolvedTls);
    errors.check(isDnsSubdomain(t.secretName), 'tls.secretName', 'a Secret name (DNS-1123 subdomain)', t.secretName);
    errors.check(t.clusterIssuer === undefined || isDnsSubdomain(t.clusterIssuer), 'tls.clusterIssuer', 'a ClusterIssuer name', t.clusterIssuer);
    errors.check(t.issuer === undefined || isDnsSubdomain(t.issuer), 'tls.issuer', 'an Issuer name', t.issuer);
    errors.check(t.issuer === undefined || t.clusterIssuer === undefined, 'tls.issuer', 'unset when tls.clusterIssuer is set', t.issuer);
    tls = { secretName: t.secretName, clusterIssuer: t.clusterIssuer, issuer: t.issuer };
  }

  // ports and replicas
  const port = props.port ?? DEFAULTS.port;
  errors.check(isPort(port), 'port', 'an integer from 1 to 65535', port);
  const servicePort = props.servicePort ?? DEFAULTS.servicePort;
  errors.check(isPort(servicePort), 'servicePort', 'an integer from 1 to 65535', servicePort);
  const replicas = props.replicas ?? DEFAULTS.replicas;
  checkInt32(errors, 'replicas', replicas, 1);

  let autoscaling: ResolvedAutoscaling | undefined;
  if (props.autoscaling !== undefined) {
    const a = props.autoscaling ?? ({} as ResolvedAutoscaling);
    const minReplicas = a.minReplicas ?? DEFAULTS.minReplicas;
    const minOk = checkInt32(errors, 'autoscaling.minReplicas', minReplicas, 1);
    if (checkInt32(errors, 'autoscaling.maxReplicas', a.maxReplicas, 1) && minOk) {
      errors.check(a.maxReplicas >= minReplicas, 'autoscaling.maxReplicas', `at least autoscaling.minReplicas (${minReplicas})`, a.maxReplicas);
    }
    const cpu = a.targetCpuUtilization ?? (a.targetMemoryUtilization === undefined ? DEFAULTS.targetCpuUtilization : undefined);
    errors.check(cpu === undefined || isInt(cpu, 1, 1000), 'autoscaling.targetCpuUtilization', 'an integer percentage from 1 to 1000', cpu);
    errors.check(
      a.targetMemoryUtilization === undefined || isInt(a.targetMemoryUtilization, 1, 1000),
      'autoscaling.targetMemoryUtilization',
      'an integer percentage from 1 to 1000',
      a.targetMemoryUtilization,
    );
    autoscaling = { minReplicas, maxReplicas: a.maxReplicas, targetCpuUtilization: cpu, targetMemoryUtilization: a.targetMemoryUtilization };
  }

  // probes and shutdown
  const healthCheckPath = props.healthCheckPath;
  if (healthCheckPath !== undefined) {
    const problem = prefixPathProblem(healthCheckPath);
    errors.check(problem === undefined, 'healthCheckPath', problem ?? '', healthCheckPath);
  }
  const livenessCheckPath = props.livenessCheckPath;
  if (livenessCheckPath !== undefined) {
    const problem = prefixPathProblem(livenessCheckPath);
    errors.check(problem === undefined, 'livenessCheckPath', problem ?? '', livenessCheckPath);
  }
  const startupSeconds = c.seconds(props.startupTimeout, DEFAULTS.startupTimeout, 'startupTimeout', STARTUP_PERIOD_SECONDS, 3600);
  const preStopSeconds = c.seconds(props.preStopDelay, DEFAULTS.preStopDelay, 'preStopDelay', 0, 300);
  const drainSeconds = c.seconds(props.drainTimeout, DEFAULTS.drainTimeout, 'drainTimeout', 0, 3600);

  // databases
  const databases = resolveDatabaseConnections(errors, props.database, props.databases);
  const databaseEnvNames = new Set(databases.flatMap((d) => d.connection._env(d.envPrefix, Chart.of(scope).namespace).map((e) => e.name)));
  const databaseVolumes = uniqueByName(databases.flatMap((d) => d.connection._volumes()));
  const databaseMounts = uniqueByName(databases.flatMap((d) => d.connection._mounts()));

  // environment
  let config: Record<string, string> | undefined;
  const envNames: string[] = [];
  if (props.config !== undefined) {
    if (errors.check(isStringMap(props.config), 'config', 'a map of strings', props.config)) {
      config = { ...props.config };
      let bytes = 0;
      for (const [key, value] of Object.entries(config)) {
        const prop = `config[${JSON.stringify(key)}]`;
        bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
        if (!errors.check(isCIdentifier(key) && isConfigMapKey(key), prop, 'keyed by a C identifier (letters, digits and "_")', key)) {
          continue;
        }
        const reserved = reservedEnvReason(key);
        errors.check(reserved === undefined, prop, `keyed by a name that is not reserved (${reserved})`, key);
        errors.check(!SENSITIVE_KEY.test(key), prop, 'free of credentials (pass them with secretEnv, which reads an existing Secret)', key);
        errors.check(!databaseEnvNames.has(key), prop, 'keyed by a name the databases do not set (duplicate variable)', key);
        checkNoNul(errors, prop, value);
        envNames.push(key);
      }
      errors.check(bytes <= MAX_CONFIG_BYTES, 'config', `at most ${MAX_CONFIG_BYTES} bytes of keys and values`, `${bytes} bytes`);
    }
  }
  const secretEnv: Array<[string, SecretKeyReference]> = [];
  if (props.secretEnv !== undefined) {
    const se = props.secretEnv;
    if (errors.check(se !== null && typeof se === 'object' && !Array.isArray(se), 'secretEnv', 'a map of secret key references', se)) {
      for (const [envName, ref] of Object.entries(se)) {
        const prop = `secretEnv[${JSON.stringify(envName)}]`;
        if (errors.check(isCIdentifier(envName), prop, 'keyed by a C identifier (letters, digits and "_")', envName)) {
          const reserved = reservedEnvReason(envName);
          errors.check(reserved === undefined, prop, `keyed by a name that is not reserved (${reserved})`, envName);
          errors.check(!envNames.includes(envName), prop, 'keyed by a name not also set by config (duplicate variable)', envName);
          errors.check(!databaseEnvNames.has(envName), prop, 'keyed by a name the databases do not set (duplicate variable)', envName);
        }
        const secretName = safe(() => ref?.secret?.name);
        errors.check(isDnsSubdomain(secretName as string), `${prop}.secret`, 'a Secret with a valid name', secretName);
        errors.check(isConfigMapKey(ref?.key), `${prop}.key`, 'a Secret data key (letters, digits, "-", "_", ".")', ref?.key);
        secretEnv.push([envName, ref]);
      }
    }
  }
  if (errors.check(props.command === undefined || isStringArray(props.command), 'command', 'a list of strings', props.command)) {
    checkNoNul(errors, 'command', props.command);
  }
  if (errors.check(props.args === undefined || isStringArray(props.args), 'args', 'a list of strings', props.args)) {
    checkNoNul(errors, 'args', props.args);
  }

  // resources
  const resources = resolveResources(errors, props.resources, DEFAULTS.resources);
  const ephLim = resources.ephemeralStorageLimitKib;

  // security and filesystem
  const runAs = resolveRunAs(errors, props);
  const writableDirectories = props.writableDirectories ?? DEFAULTS.writableDirectories;
  if (errors.check(isStringArray(writableDirectories), 'writableDirectories', 'a list of absolute paths', writableDirectories)) {
    writableDirectories.forEach((p, i) => {
      const problem = mountPathProblem(p);
      if (errors.check(problem === undefined, `writableDirectories[${i}]`, problem ?? '', p)) {
        errors.check(writableDirectories.indexOf(p) === i, `writableDirectories[${i}]`, 'a path not listed before', p);
      }
    });
  }
  const sizeLimit = props.writableDirectorySizeLimit ?? DEFAULTS.writableDirectorySizeLimit;
  const sizeLimitKib = sizeInKibibytes(sizeLimit);
  const sizeLimitOk = isInt(sizeLimitKib, 1024, MAX_QUANTITY_KIB) && sizeLimitKib % 1024 === 0;
  if (
    errors.check(sizeLimitOk, 'writableDirectorySizeLimit', 'a whole number of MiB, at least 1', describeSize(sizeLimit)) &&
    sizeLimitKib !== undefined
  ) {
    const total = sizeLimitKib * (Array.isArray(writableDirectories) ? writableDirectories.length : 0);
    errors.check(
      total <= ephLim,
      'writableDirectorySizeLimit',
      `small enough that all ${writableDirectories.length} writable directories fit in the ephemeral-storage limit (${ephLim}Ki)`,
      `${total}Ki in total`,
    );
  }
  errors.check(
    props.serviceAccount === undefined || isDnsSubdomain(safe(() => props.serviceAccount!.name) as string),
    'serviceAccount',
    'a ServiceAccount with a valid name',
    safe(() => props.serviceAccount?.name),
  );
  const takenVolumeNames = new Set<string>();
  const writableVolumes: ResolvedWritableDirectory[] = isStringArray(writableDirectories)
    ? writableDirectories.map((path, i) => ({ path, volumeName: volumeNameFor(path, i, takenVolumeNames) }))
    : [];

  // pod options
  const podOptions = resolvePodOptions(errors, props, {
    labelKeys: POD_LABEL_KEYS,
    annotationKeys: [CONFIG_CHECKSUM_ANNOTATION],
    volumeNames: [...writableVolumes.map((w) => w.volumeName), ...databaseVolumes.map((v) => v.name)],
    mountPaths: [...writableVolumes.map((w) => w.path), ...databaseMounts.map((m) => m.mountPath)],
  });

  // network policy
  const np = props.networkPolicy ?? {};
  const ingressControllerNamespace = np.ingressControllerNamespace ?? DEFAULTS.ingressControllerNamespace;
  errors.check(
    isDnsLabel(ingressControllerNamespace),
    'networkPolicy.ingressControllerNamespace',
    'a namespace name (DNS-1123 label)',
    ingressControllerNamespace,
  );
  if (np.ingressControllerPodLabels !== undefined) {
    const labels = np.ingressControllerPodLabels;
    errors.check(isLabelMap(labels), 'networkPolicy.ingressControllerPodLabels', 'a map of valid label keys and values', labels);
  }
  const allowFrom = np.allowFrom ?? [];
  if (errors.check(Array.isArray(allowFrom), 'networkPolicy.allowFrom', 'a list of peers', allowFrom)) {
    allowFrom.forEach((peer, i) => checkPeer(errors, peer, `networkPolicy.allowFrom[${i}]`));
  }
  const allowTo: ResolvedEgressRule[] = [];
  if (errors.check(Array.isArray(np.allowTo ?? []), 'networkPolicy.allowTo', 'a list of egress rules', np.allowTo)) {
    (np.allowTo ?? []).forEach((rule, i) => {
      const prop = `networkPolicy.allowTo[${i}]`;
      checkPeer(errors, rule?.peer, `${prop}.peer`);
      checkPorts(errors, rule?.ports, `${prop}.ports`);
      errors.check(
        rule?.protocol === undefined || Object.values(kplus.NetworkProtocol).includes(rule.protocol),
        `${prop}.protocol`,
        'one of TCP, UDP, SCTP',
        rule?.protocol,
      );
      allowTo.push({ peer: rule?.peer, ports: rule?.ports, protocol: rule?.protocol ?? kplus.NetworkProtocol.TCP });
    });
  }

  // gateway
  let gateway: ResolvedGateway | undefined;
  if (props.gateway !== undefined) {
    const g = props.gateway ?? ({} as ResolvedGateway);
    errors.check(isDnsSubdomain(g.name), 'gateway.name', 'a Gateway name (DNS-1123 subdomain)', g.name);
    errors.check(isDnsLabel(g.namespace), 'gateway.namespace', 'a namespace name (DNS-1123 label)', g.namespace);
    errors.check(
      g.sectionName === undefined || isDnsSubdomain(g.sectionName),
      'gateway.sectionName',
      'a listener name (DNS-1123 subdomain)',
      g.sectionName,
    );
    const dataPlaneNamespace = g.dataPlaneNamespace ?? g.namespace;
    errors.check(
      g.dataPlaneNamespace === undefined || isDnsLabel(g.dataPlaneNamespace),
      'gateway.dataPlaneNamespace',
      'a namespace name (DNS-1123 label)',
      g.dataPlaneNamespace,
    );
    errors.check(
      g.dataPlanePodLabels === undefined || isLabelMap(g.dataPlanePodLabels),
      'gateway.dataPlanePodLabels',
      'a map of valid label keys and values',
      g.dataPlanePodLabels,
    );
    const referenceGrant = g.referenceGrant ?? false;
    if (referenceGrant) {
      errors.check(props.tls !== undefined, 'gateway.referenceGrant', 'false unless tls names the Secret the Gateway uses', referenceGrant);
      const chartNamespace = Chart.of(scope).namespace;
      errors.check(
        chartNamespace !== undefined && chartNamespace !== g.namespace,
        'gateway.referenceGrant',
        `false unless the chart's namespace (${chartNamespace ?? 'unset'}) is set and differs from gateway.namespace`,
        referenceGrant,
      );
    }
    gateway = {
      name: g.name,
      namespace: g.namespace,
      sectionName: g.sectionName,
      dataPlaneNamespace,
      dataPlanePodLabels: g.dataPlanePodLabels,
      referenceGrant,
    };
  }
  const ingressEnabled = props.ingressEnabled ?? gateway === undefined;
  errors.check(
    ingressEnabled || gateway !== undefined,
    'ingressEnabled',
    'true unless gateway is set (the app would not be published)',
    ingressEnabled,
  );
  if (!ingressEnabled) {
    const noIngress = 'unset without an Ingress (ingressEnabled is false)';
    errors.check(props.ingressClassName === undefined, 'ingressClassName', noIngress, props.ingressClassName);
    errors.check(props.ingressAnnotations === undefined, 'ingressAnnotations', noIngress, props.ingressAnnotations);
    const issuer = props.tls?.clusterIssuer ?? props.tls?.issuer;
    errors.check(
      issuer === undefined,
      props.tls?.clusterIssuer !== undefined ? 'tls.clusterIssuer' : 'tls.issuer',
      `${noIngress}: the Gateway's listener holds the certificate, have cert-manager issue it there`,
      issuer,
    );
  }

  // metrics
  let metrics: ResolvedMetrics | undefined;
  if (props.metrics !== undefined) {
    const m = props.metrics ?? ({} as ResolvedMetrics);
    errors.check(isPort(m.port), 'metrics.port', 'an integer from 1 to 65535', m.port);
    const path = m.path ?? DEFAULTS.metricsPath;
    const problem = prefixPathProblem(path);
    errors.check(problem === undefined, 'metrics.path', problem ?? '', path);
    const intervalSeconds = c.seconds(m.interval, DEFAULTS.metricsInterval, 'metrics.interval', 1, 3600);
    const scraperNamespace = m.scraperNamespace ?? DEFAULTS.scraperNamespace;
    errors.check(isDnsLabel(scraperNamespace), 'metrics.scraperNamespace', 'a namespace name (DNS-1123 label)', scraperNamespace);
    const portName = m.port === port ? 'http' : 'metrics';
    errors.check(
      portName === 'http' || m.port !== servicePort,
      'metrics.port',
      `the app port (${port}) or a port other than the Service port (${servicePort}): it is published on the Service too`,
      m.port,
    );
    metrics = { port: m.port, portName, path, intervalSeconds, scraperNamespace };
  }

  // canary
  let canary: ResolvedCanary | undefined;
  if (canaryProps !== undefined) {
    const cp = canaryProps ?? ({} as ResolvedCanary);
    const problem = imagePinProblem(cp.image);
    errors.check(problem === undefined, 'canary.image', problem ?? '', cp.image);
    const canaryReplicas = cp.replicas ?? DEFAULTS.canaryReplicas;
    checkInt32(errors, 'canary.replicas', canaryReplicas, 1);
    const weight = cp.weight ?? (cp.header === undefined && cp.cookie === undefined ? DEFAULTS.canaryWeight : undefined);
    errors.check(weight === undefined || isInt(weight, 0, 100), 'canary.weight', 'an integer percentage from 0 to 100', weight);
    errors.check(
      cp.header === undefined || (typeof cp.header === 'string' && HTTP_TOKEN.test(cp.header)),
      'canary.header',
      'an HTTP header name',
      cp.header,
    );
    errors.check(
      cp.headerValue === undefined || (typeof cp.headerValue === 'string' && /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(cp.headerValue)),
      'canary.headerValue',
      'a non-empty printable ASCII header value',
      cp.headerValue,
    );
    errors.check(cp.headerValue === undefined || cp.header !== undefined, 'canary.headerValue', 'unset unless canary.header is set', cp.headerValue);
    errors.check(
      cp.cookie === undefined || (typeof cp.cookie === 'string' && HTTP_TOKEN.test(cp.cookie)),
      'canary.cookie',
      'a cookie name',
      cp.cookie,
    );
    errors.check(
      cp.cookie === undefined || gateway === undefined,
      'canary.cookie',
      'unset when gateway is set (an HTTPRoute cannot match cookies portably: use canary.header)',
      cp.cookie,
    );
    canary = {
      image: cp.image,
      version: problem === undefined ? versionFromImage(cp.image) : undefined,
      imagePullPolicy: props.imagePullPolicy ?? (problem === undefined ? defaultPullPolicy(cp.image) : kplus.ImagePullPolicy.ALWAYS),
      replicas: canaryReplicas,
      weight,
      header: cp.header,
      headerValue: cp.headerValue,
      cookie: cp.cookie,
    };
  }

  // rollout
  const revisionHistoryLimit = props.revisionHistoryLimit ?? DEFAULTS.revisionHistoryLimit;
  errors.check(isInt(revisionHistoryLimit, 0, 1000), 'revisionHistoryLimit', 'an integer from 0 to 1000', revisionHistoryLimit);
  const minReadySeconds = c.seconds(props.minReady, DEFAULTS.minReady, 'minReady', 0, 3600);
  const progressDeadlineSeconds = c.seconds(props.progressDeadline, DEFAULTS.progressDeadline, 'progressDeadline', 1, 86400);
  errors.check(
    progressDeadlineSeconds > minReadySeconds,
    'progressDeadline',
    `longer than minReady (${minReadySeconds}s)`,
    `${progressDeadlineSeconds}s`,
  );

  errors.throwIfAny();

  return {
    name,
    instance,
    component,
    partOf: props.partOf,
    image,
    version: versionFromImage(image),
    imagePullPolicy,
    hosts,
    paths,
    port,
    servicePort,
    replicas,
    healthCheckPath,
    livenessCheckPath,
    startupFailureThreshold: Math.ceil(startupSeconds / STARTUP_PERIOD_SECONDS),
    preStopSeconds,
    terminationGraceSeconds: preStopSeconds + drainSeconds + GRACE_MARGIN_SECONDS,
    tls,
    ingressEnabled,
    gateway,
    metrics,
    ingressClassName,
    ingressAnnotations: { ...ingressAnnotations },
    autoscaling,
    config,
    secretEnv,
    databases,
    databaseVolumes,
    databaseMounts,
    command: props.command,
    args: props.args,
    resources,
    runAsUser: runAs.user,
    runAsGroup: runAs.group,
    readOnlyRootFilesystem: runAs.readOnlyRootFilesystem,
    writableDirectories: writableVolumes,
    writableDirectorySizeLimit: sizeLimit,
    serviceAccount: props.serviceAccount,
    automountServiceAccountToken: props.automountServiceAccountToken ?? false,
    podOptions,
    networkPolicy: {
      enabled: np.enabled ?? true,
      ingressControllerNamespace,
      ingressControllerPodLabels: np.ingressControllerPodLabels,
      allowFrom: [...allowFrom],
      allowTo,
    },
    canary,
    revisionHistoryLimit,
    minReadySeconds,
    progressDeadlineSeconds,
  };
}

/** Records the problems of a network peer argument. */
export function checkPeer(errors: PropErrors, peer: unknown, prop: string): void {
  if (!errors.check(peer instanceof WebAppNetworkPeer, prop, 'a WebAppNetworkPeer', peer)) {
    return;
  }
  for (const [sub, rule, value] of (peer as WebAppNetworkPeer)._problems()) {
    errors.add(`${prop}.${sub}`, rule, value);
  }
}

/** Records the problems of a list of ports. */
export function checkPorts(errors: PropErrors, ports: unknown, prop: string): void {
  if (ports === undefined) {
    return;
  }
  if (errors.check(Array.isArray(ports) && ports.length > 0, prop, 'a non-empty list of ports', ports)) {
    (ports as unknown[]).forEach((p, i) => errors.check(isPort(p as number), `${prop}[${i}]`, 'an integer from 1 to 65535', p));
  }
}
