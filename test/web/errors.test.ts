import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ExtraVolumeSource, WebAppNetworkPeer, WebAppWithIngress, WebAppWithIngressProps } from '../../src';
import { MINIMAL } from './support';

function build(props: Partial<WebAppWithIngressProps> | Record<string, unknown>, id = 'shop'): WebAppWithIngress {
  return new WebAppWithIngress(Testing.chart(), id, { ...MINIMAL, ...(props as Partial<WebAppWithIngressProps>) });
}

const secret = (name: string) => kplus.Secret.fromSecretName(Testing.chart(), 'S', name);

// Every row is one error path: the props that trigger it and the message it must give.
const cases: Array<[string, Record<string, unknown>, RegExp]> = [
  // identity
  ['name must be a DNS label', { name: 'Shop_1' }, /^\[test\/shop\] name must be a DNS-1123 label .*, got "Shop_1"$/],
  ['instance must start with a letter (Service names)', { instance: '1shop' }, /instance must be a DNS-1035 label .*, got "1shop"/],
  [
    'instance leaves room for the -canary suffix',
    { instance: 'a'.repeat(57), canary: { image: 'ghcr.io/acme/shop:2.0.0' } },
    /instance must be .*at most 56 characters with a canary/,
  ],
  ['component must be a label value', { component: 'front end' }, /component must be a non-empty label value, got "front end"/],
  ['partOf must be a label value', { partOf: '' }, /partOf must be a non-empty label value, got ""/],
  // image
  ['image without a tag', { image: 'ghcr.io/acme/shop' }, /image must be pinned with a tag or a digest .*, got "ghcr.io\/acme\/shop"/],
  [
    'image tagged latest',
    { image: 'ghcr.io/acme/shop:latest' },
    /image must be pinned with a tag other than latest or a digest, got "ghcr.io\/acme\/shop:latest"/,
  ],
  ['image malformed', { image: 'Ghcr.io/Acme/Shop:1 2' }, /image must be a valid image reference/],
  ['imagePullPolicy unknown', { imagePullPolicy: 'Sometimes' }, /imagePullPolicy must be one of Always, IfNotPresent, Never, got "Sometimes"/],
  // ingress
  ['host not a DNS name', { host: 'shop_example.com' }, /host must be a DNS name such as shop.example.com, got "shop_example.com"/],
  ['host with a scheme', { host: 'https://shop.example.com' }, /host must be a DNS name/],
  ['host an IP address', { host: '10.0.0.1' }, /host must be a DNS name/],
  ['additional host not a DNS name', { additionalHosts: ['www..shop.example.com'] }, /additionalHosts\[0\] must be a DNS name/],
  ['additional host repeats the host', { additionalHosts: ['shop.example.com'] }, /additionalHosts\[0\] must be a host not already served/],
  ['paths empty', { paths: [] }, /paths must be a non-empty list of paths, got \[\]/],
  ['path without a leading /', { paths: ['api'] }, /paths\[0\] must be an absolute path starting with "\/", got "api"/],
  ['path with a regular expression', { paths: ['/api(/|$)(.*)'] }, /paths\[0\] must be a plain path .*regular expressions/],
  ['path not normalized', { paths: ['/api//v1'] }, /paths\[0\] must be a normalized path/],
  ['path listed twice', { paths: ['/a', '/a'] }, /paths\[1\] must be a path not listed before, got "\/a"/],
  ['ingressClassName invalid', { ingressClassName: 'Nginx Public' }, /ingressClassName must be an IngressClass name/],
  [
    'ingress annotation key invalid',
    { ingressAnnotations: { 'bad key': 'x' } },
    /ingressAnnotations\["bad key"\] must be an annotation with a valid key/,
  ],
  [
    'ingress annotation managed by the construct',
    { ingressAnnotations: { 'cert-manager.io/cluster-issuer': 'x' } },
    /must be an annotation the construct does not manage/,
  ],
  [
    'deprecated ingress class annotation',
    { ingressAnnotations: { 'kubernetes.io/ingress.class': 'nginx' } },
    /must be an annotation the construct does not manage/,
  ],
  ['tls secret name invalid', { tls: { secretName: 'Shop TLS' } }, /tls.secretName must be a Secret name/],
  [
    'tls cluster issuer invalid',
    { tls: { secretName: 'shop-tls', clusterIssuer: 'Lets Encrypt' } },
    /tls.clusterIssuer must be a ClusterIssuer name/,
  ],
  ['tls issuer invalid', { tls: { secretName: 'shop-tls', issuer: 'My_CA' } }, /tls.issuer must be an Issuer name/],
  [
    'tls with both issuer kinds',
    { tls: { secretName: 'shop-tls', issuer: 'a', clusterIssuer: 'b' } },
    /tls.issuer must be unset when tls.clusterIssuer is set, got "a"/,
  ],
  // ports and replicas
  ['port 0', { port: 0 }, /port must be an integer from 1 to 65535, got 0/],
  ['port above 65535', { port: 70000 }, /port must be an integer from 1 to 65535, got 70000/],
  ['port not an integer', { port: 8080.5 }, /port must be an integer from 1 to 65535, got 8080.5/],
  ['servicePort out of range', { servicePort: -1 }, /servicePort must be an integer from 1 to 65535, got -1/],
  ['replicas below 1', { replicas: 0 }, /replicas must be an integer from 1 to 2147483647, got 0/],
  ['replicas not an integer', { replicas: 1.5 }, /replicas must be an integer from 1 to 2147483647, got 1.5/],
  [
    'autoscaling min below 1',
    { autoscaling: { minReplicas: 0, maxReplicas: 3 } },
    /autoscaling.minReplicas must be an integer from 1 to 2147483647, got 0/,
  ],
  ['autoscaling max below 1', { autoscaling: { maxReplicas: 0 } }, /autoscaling.maxReplicas must be an integer from 1 to 2147483647, got 0/],
  [
    'autoscaling min above max',
    { autoscaling: { minReplicas: 5, maxReplicas: 3 } },
    /autoscaling.maxReplicas must be at least autoscaling.minReplicas \(5\), got 3/,
  ],
  [
    'autoscaling cpu target 0',
    { autoscaling: { maxReplicas: 3, targetCpuUtilization: 0 } },
    /autoscaling.targetCpuUtilization must be an integer percentage/,
  ],
  [
    'autoscaling memory target fractional',
    { autoscaling: { maxReplicas: 3, targetMemoryUtilization: 50.5 } },
    /autoscaling.targetMemoryUtilization must be an integer percentage/,
  ],
  // probes and shutdown
  [
    'health check path without a leading /',
    { healthCheckPath: 'healthz' },
    /healthCheckPath must be an absolute path starting with "\/", got "healthz"/,
  ],
  ['liveness path without a leading /', { livenessCheckPath: 'livez' }, /livenessCheckPath must be an absolute path/],
  [
    'startup timeout shorter than one period',
    { startupTimeout: Duration.seconds(2) },
    /startupTimeout must be a whole number of seconds from 5 to 3600, got "2 seconds"/,
  ],
  ['preStop delay not whole seconds', { preStopDelay: Duration.millis(1500) }, /preStopDelay must be a whole number of seconds from 0 to 300/],
  ['drain timeout too long', { drainTimeout: Duration.hours(2) }, /drainTimeout must be a whole number of seconds from 0 to 3600/],
  // environment
  ['config not a map of strings', { config: { A: 1 } }, /config must be a map of strings/],
  ['config key not a C identifier', { config: { 'log.level': 'x' } }, /config\["log.level"\] must be keyed by a C identifier/],
  [
    'config key reserved (libpq)',
    { config: { PGHOST: 'db' } },
    /config\["PGHOST"\] must be keyed by a name that is not reserved \(libpq reads PG\* variables\)/,
  ],
  [
    'config key reserved (kubelet)',
    { config: { KUBERNETES_SERVICE_HOST: 'x' } },
    /config\["KUBERNETES_SERVICE_HOST"\] must be keyed by a name that is not reserved/,
  ],
  ['config key reserved (PATH)', { config: { PATH: '/bin' } }, /config\["PATH"\] must be keyed by a name that is not reserved/],
  [
    'config key that looks like a credential',
    { config: { DB_PASSWORD: 'hunter2' } },
    /config\["DB_PASSWORD"\] must be free of credentials \(pass them with secretEnv/,
  ],
  ['config too large', { config: { BIG: 'x'.repeat(1024 * 1024) } }, /config must be at most 1024000 bytes/],
  [
    'secret env key not a C identifier',
    { secretEnv: { 'db-url': { secret: secret('db'), key: 'url' } } },
    /secretEnv\["db-url"\] must be keyed by a C identifier/,
  ],
  [
    'secret env key reserved',
    { secretEnv: { PGPASSWORD: { secret: secret('db'), key: 'password' } } },
    /secretEnv\["PGPASSWORD"\] must be keyed by a name that is not reserved/,
  ],
  [
    'secret env key duplicates a config key',
    { config: { DB_URL: 'x' }, secretEnv: { DB_URL: { secret: secret('db'), key: 'url' } } },
    /secretEnv\["DB_URL"\] must be keyed by a name not also set by config \(duplicate variable\)/,
  ],
  [
    'secret env key of the Secret invalid',
    { secretEnv: { DB_URL: { secret: secret('db'), key: 'a/b' } } },
    /secretEnv\["DB_URL"\].key must be a Secret data key/,
  ],
  [
    'secret env without a Secret',
    { secretEnv: { DB_URL: { key: 'url' } } },
    /secretEnv\["DB_URL"\].secret must be a Secret with a valid name, got undefined/,
  ],
  ['command not strings', { command: ['run', 1] }, /command must be a list of strings/],
  ['args not a list', { args: 'run' }, /args must be a list of strings/],
  // resources
  [
    'cpu request 0',
    { resources: { cpu: { request: kplus.Cpu.millis(0) } } },
    /resources.cpu.request must be a whole number of millicores greater than 0, got "0m"/,
  ],
  [
    'cpu fractional millicores',
    { resources: { cpu: { request: kplus.Cpu.millis(0.5) } } },
    /resources.cpu.request must be a whole number of millicores/,
  ],
  [
    'cpu limit below request',
    { resources: { cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.units(1) } } },
    /resources.cpu.limit must be at least the request \(2000m\), got "1000m"/,
  ],
  ['memory limit below request', { resources: { memory: { request: Size.gibibytes(1) } } }, /resources.memory.limit must be at least the request/],
  [
    'ephemeral storage limit below request',
    { resources: { ephemeralStorage: { request: Size.gibibytes(1) } } },
    /resources.ephemeralStorage.limit must be at least the request/,
  ],
  ['memory of zero', { resources: { memory: { limit: Size.mebibytes(0) } } }, /resources.memory.limit must be a whole number of KiB greater than 0/],
  // security and filesystem
  ['runAsUser root', { runAsUser: 0 }, /runAsUser must be a non-root UID from 1 to 2147483647, got 0/],
  ['runAsGroup root', { runAsGroup: 0 }, /runAsGroup must be a non-root GID from 1 to 2147483647, got 0/],
  [
    'writable directory relative',
    { writableDirectories: ['tmp'] },
    /writableDirectories\[0\] must be an absolute directory path other than "\/", got "tmp"/,
  ],
  ['writable directory /', { writableDirectories: ['/'] }, /writableDirectories\[0\] must be an absolute directory path other than "\/"/],
  ['writable directory not normalized', { writableDirectories: ['/var/../etc'] }, /writableDirectories\[0\] must be a normalized absolute path/],
  ['writable directory listed twice', { writableDirectories: ['/tmp', '/tmp'] }, /writableDirectories\[1\] must be a path not listed before/],
  [
    'writable size not whole MiB',
    { writableDirectorySizeLimit: Size.kibibytes(1500) },
    /writableDirectorySizeLimit must be a whole number of MiB, at least 1, got "1500Ki"/,
  ],
  [
    'writable directories larger than the ephemeral storage limit',
    { writableDirectories: ['/tmp', '/cache', '/run'] },
    /writableDirectorySizeLimit must be small enough that all 3 writable directories fit in the ephemeral-storage limit \(524288Ki\), got "786432Ki in total"/,
  ],
  [
    'image pull secret with an invalid name',
    { imagePullSecrets: ['Bad Name'] },
    /imagePullSecrets\[0\] must be a Secret name \(DNS-1123 subdomain\), got "Bad Name"/,
  ],
  // shared pod options: every rule is tested in test/common/pod-options.test.ts; these prove the wiring
  [
    'pod label overriding the selector',
    { podLabels: { 'app.kubernetes.io/instance': 'other' } },
    /podLabels\["app.kubernetes.io\/instance"\] must be a label the construct or a controller does not set/,
  ],
  [
    'pod annotation the construct manages',
    { podAnnotations: { 'checksum/config': 'x' } },
    /podAnnotations\["checksum\/config"\] must be an annotation the construct does not manage/,
  ],
  [
    'toleration with an unknown effect',
    { tolerations: [{ key: 'a', effect: 'NoScheduled' }] },
    /tolerations\[0\].effect must be one of "NoSchedule", "PreferNoSchedule", "NoExecute", got "NoScheduled"/,
  ],
  ['node selector with an invalid value', { nodeSelector: { zone: 'a b' } }, /nodeSelector\["zone"\] must be a label value/],
  [
    'extra volume mounted over a writable directory',
    { volumes: [{ name: 'certs', source: ExtraVolumeSource.fromSecret(secret('certs')), mountPath: '/tmp' }] },
    /volumes\[0\].mountPath must be a path not mounted already, got "\/tmp"/,
  ],
  [
    'extra volume named like a writable directory',
    { volumes: [{ name: 'tmp', source: ExtraVolumeSource.fromSecret(secret('certs')), mountPath: '/certs' }] },
    /volumes\[0\].name must be a volume name not used in the pod already, got "tmp"/,
  ],
  [
    'service account with an invalid name',
    { serviceAccount: kplus.ServiceAccount.fromServiceAccountName(Testing.chart(), 'Sa', 'Bad_Name') },
    /serviceAccount must be a ServiceAccount with a valid name/,
  ],
  ['priority class invalid', { priorityClassName: 'High Priority' }, /priorityClassName must be a PriorityClass name/],
  // network policy
  [
    'ingress controller namespace invalid',
    { networkPolicy: { ingressControllerNamespace: 'Ingress_Nginx' } },
    /networkPolicy.ingressControllerNamespace must be a namespace name/,
  ],
  [
    'ingress controller pod labels invalid',
    { networkPolicy: { ingressControllerPodLabels: { 'a b': 'c' } } },
    /networkPolicy.ingressControllerPodLabels must be a map of valid label keys and values/,
  ],
  ['allowFrom not a peer', { networkPolicy: { allowFrom: [{ namespace: 'x' }] } }, /networkPolicy.allowFrom\[0\] must be a WebAppNetworkPeer/],
  [
    'allowFrom pods without labels',
    { networkPolicy: { allowFrom: [WebAppNetworkPeer.pods({})] } },
    /networkPolicy.allowFrom\[0\].labels must be a non-empty map of labels \(an empty selector would match every pod\)/,
  ],
  [
    'allowFrom pods with a bad label',
    { networkPolicy: { allowFrom: [WebAppNetworkPeer.pods({ app: 'a b' })] } },
    /networkPolicy.allowFrom\[0\].labels\["app"\] must be a valid label key and value/,
  ],
  [
    'allowFrom namespace invalid',
    { networkPolicy: { allowFrom: [WebAppNetworkPeer.allPodsIn('Monitoring')] } },
    /networkPolicy.allowFrom\[0\].namespace must be a namespace name/,
  ],
  [
    'allowTo CIDR invalid',
    { networkPolicy: { allowTo: [{ peer: WebAppNetworkPeer.ipBlock('10.0.0.0/33') }] } },
    /networkPolicy.allowTo\[0\].peer.cidr must be an IPv4 or IPv6 CIDR/,
  ],
  [
    'allowTo except invalid',
    { networkPolicy: { allowTo: [{ peer: WebAppNetworkPeer.ipBlock('10.0.0.0/8', ['x']) }] } },
    /networkPolicy.allowTo\[0\].peer.except\[0\] must be an IPv4 or IPv6 CIDR/,
  ],
  [
    'allowTo port invalid',
    { networkPolicy: { allowTo: [{ peer: WebAppNetworkPeer.allPodsIn('db'), ports: [0] }] } },
    /networkPolicy.allowTo\[0\].ports\[0\] must be an integer from 1 to 65535, got 0/,
  ],
  [
    'allowTo ports empty',
    { networkPolicy: { allowTo: [{ peer: WebAppNetworkPeer.allPodsIn('db'), ports: [] }] } },
    /networkPolicy.allowTo\[0\].ports must be a non-empty list of ports/,
  ],
  [
    'allowTo protocol unknown',
    { networkPolicy: { allowTo: [{ peer: WebAppNetworkPeer.allPodsIn('db'), protocol: 'ICMP' }] } },
    /networkPolicy.allowTo\[0\].protocol must be one of TCP, UDP, SCTP, got "ICMP"/,
  ],
  // canary
  ['canary image latest', { canary: { image: 'ghcr.io/acme/shop:latest' } }, /canary.image must be pinned with a tag other than latest/],
  [
    'canary replicas 0',
    { canary: { image: 'ghcr.io/acme/shop:2.0.0', replicas: 0 } },
    /canary.replicas must be an integer from 1 to 2147483647, got 0/,
  ],
  [
    'canary weight above 100',
    { canary: { image: 'ghcr.io/acme/shop:2.0.0', weight: 101 } },
    /canary.weight must be an integer percentage from 0 to 100, got 101/,
  ],
  [
    'canary header invalid',
    { canary: { image: 'ghcr.io/acme/shop:2.0.0', header: 'X Canary' } },
    /canary.header must be an HTTP header name, got "X Canary"/,
  ],
  [
    'canary header value without a header',
    { canary: { image: 'ghcr.io/acme/shop:2.0.0', headerValue: 'yes' } },
    /canary.headerValue must be unset unless canary.header is set/,
  ],
  [
    'canary header value not printable',
    { canary: { image: 'ghcr.io/acme/shop:2.0.0', header: 'X-Canary', headerValue: 'a\nb' } },
    /canary.headerValue must be a non-empty printable ASCII header value/,
  ],
  ['canary cookie invalid', { canary: { image: 'ghcr.io/acme/shop:2.0.0', cookie: 'can ary' } }, /canary.cookie must be a cookie name/],
  // rollout
  ['revision history negative', { revisionHistoryLimit: -1 }, /revisionHistoryLimit must be an integer from 0 to 1000, got -1/],
  ['minReady too long', { minReady: Duration.hours(2) }, /minReady must be a whole number of seconds from 0 to 3600/],
  [
    'progress deadline not longer than minReady',
    { minReady: Duration.seconds(60), progressDeadline: Duration.seconds(60) },
    /progressDeadline must be longer than minReady \(60s\), got "60s"/,
  ],
];

describe('every bad input fails at synth with a clear error', () => {
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

test('a construct id that gives no valid default name asks for a name', () => {
  expect(() => build({}, '!!!')).toThrow(/\[test\/!!!\] name \(derived from the construct id\) must be a DNS-1123 label .*, got ""/);
});

test('every problem is listed at once', () => {
  expect(() => build({ host: 'not a host', port: 0, replicas: 0 })).toThrow(
    /^\[test\/shop\] 3 invalid props:\n {2}- host must be .*\n {2}- port must be .*\n {2}- replicas must be .*$/,
  );
});

test('missing required props are reported, not a TypeError', () => {
  expect(() => new WebAppWithIngress(Testing.chart(), 'shop', {} as WebAppWithIngressProps)).toThrow(
    /\[test\/shop\] 2 invalid props:\n.*image must be .*\n.*host must be/,
  );
  expect(() => new WebAppWithIngress(Testing.chart(), 'shop', undefined as unknown as WebAppWithIngressProps)).toThrow(/image must be/);
});

describe('network policy methods', () => {
  test('allowFrom needs the NetworkPolicy', () => {
    const app = build({ networkPolicy: { enabled: false } });
    expect(() => app.allowFrom(WebAppNetworkPeer.allPodsIn('monitoring'))).toThrow(
      /\[test\/shop\] networkPolicy.enabled must be true to call allowFrom\(\), got false/,
    );
  });

  test('allowTo needs the NetworkPolicy', () => {
    const app = build({ networkPolicy: { enabled: false } });
    expect(() => app.allowTo(WebAppNetworkPeer.allPodsIn('db'))).toThrow(/networkPolicy.enabled must be true to call allowTo\(\)/);
  });

  test('connectTo needs the other app to have a NetworkPolicy', () => {
    const chart = Testing.chart();
    const web = new WebAppWithIngress(chart, 'web', MINIMAL);
    const api = new WebAppWithIngress(chart, 'api', { ...MINIMAL, host: 'api.example.com', networkPolicy: { enabled: false } });
    expect(() => web.connectTo(api)).toThrow(/\[test\/api\] networkPolicy.enabled must be true to call connectTo\(\)/);
  });

  test('allowFrom checks the peer', () => {
    expect(() => build({}).allowFrom(WebAppNetworkPeer.ipBlock('300.0.0.0/8'))).toThrow(/allowFrom\(peer\).cidr must be an IPv4 or IPv6 CIDR/);
  });

  test('allowTo checks the ports and protocol', () => {
    expect(() => build({}).allowTo(WebAppNetworkPeer.allPodsIn('db'), [70000])).toThrow(
      /allowTo\(ports\)\[0\] must be an integer from 1 to 65535, got 70000/,
    );
    expect(() => build({}).allowTo(WebAppNetworkPeer.allPodsIn('db'), [5432], 'HTTP' as kplus.NetworkProtocol)).toThrow(
      /allowTo\(protocol\) must be one of TCP, UDP, SCTP/,
    );
  });
});
