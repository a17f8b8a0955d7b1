/**
 * The port of kube-linter's 31 default checks (scripts/cluster/kube-linter-defaults.js): for every
 * check an input that kube-linter reports, with its exact message, and one it accepts; the ignore
 * annotations; the checks that look across objects; and the command line.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

type K8s = Record<string, any>;
interface Finding {
  file: string;
  check: string;
  message: string;
  remediation: string;
  object: { namespace: string; name: string; apiVersion: string; kind: string };
}
interface KubeLinterPort {
  lint(objects: unknown[]): Finding[];
  lintWithSkipped(objects: unknown[]): { findings: Finding[]; objects: number; skipped: { file: string; reason: string }[] };
  formatFinding(finding: Finding): string;
  CHECK_NAMES: string[];
}

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'cluster', 'kube-linter-defaults.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kl = require(SCRIPT) as KubeLinterPort;

const NS = 'shop';

const edit = (obj: K8s, fn: (o: K8s) => void): K8s => {
  const copy = structuredClone(obj);
  fn(copy);
  return copy;
};

function container(name = 'main'): K8s {
  return {
    name,
    image: 'nginx:1.27.0',
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
    livenessProbe: { httpGet: { path: '/live', port: 8080 } },
    startupProbe: { tcpSocket: { port: 'http' } },
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } },
  };
}

function podSpec(app: string): K8s {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 },
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app } } } },
        ],
      },
    },
    containers: [container()],
  };
}

/** A Deployment that passes every default check. */
function dep(name: string, fn?: (d: K8s) => void): K8s {
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec(name) },
    },
  };
  return fn ? edit(d, fn) : d;
}
const main = (d: K8s): K8s => d.spec.template.spec.containers[0];
const pod = (d: K8s): K8s => d.spec.template.spec;

function service(name: string, selector: Record<string, string> | undefined, fn?: (s: K8s) => void): K8s {
  const s = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { ...(selector ? { selector } : {}), ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
  return fn ? edit(s, fn) : s;
}

const serviceAccount = (name: string, namespace = NS): K8s => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });

function pdb(name: string, app: string, fn?: (p: K8s) => void): K8s {
  const p = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: NS },
    spec: { selector: { matchLabels: { app } }, maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  };
  return fn ? edit(p, fn) : p;
}
const minAvailable = (value: number | string) => (p: K8s) => {
  delete p.spec.maxUnavailable;
  p.spec.minAvailable = value;
};

const hpa = (target: string, min: number): K8s => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: target, namespace: NS },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas: min, maxReplicas: 6 },
});

function job(name: string, fn?: (j: K8s) => void): K8s {
  const j = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: { ttlSecondsAfterFinished: 300, template: { metadata: { labels: { app: name } }, spec: { ...podSpec(name), restartPolicy: 'Never' } } },
  };
  return fn ? edit(j, fn) : j;
}

function cronJob(name: string, fn?: (c: K8s) => void): K8s {
  const c = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NS },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: { spec: { template: { metadata: { labels: { app: name } }, spec: { ...podSpec(name), restartPolicy: 'Never' } } } },
    },
  };
  return fn ? edit(c, fn) : c;
}

const ingress = (apiVersion: string): K8s => ({
  apiVersion,
  kind: 'Ingress',
  metadata: { name: 'web', namespace: NS },
  spec: { rules: [{ host: 'shop.example.com' }] },
});

const messagesOf = (check: string, objects: K8s[]) =>
  kl
    .lint(objects)
    .filter((f) => f.check === check)
    .map((f) => f.message);

interface Case {
  bad: K8s[];
  messages: string[];
  good: K8s[];
}

const CASES: Record<string, Case> = {
  'dangling-service': {
    bad: [
      dep('web'),
      service('orphan', { app: 'nothing' }),
      service('no-selector', undefined),
      service('elsewhere', { app: 'web' }, (s) => (s.metadata.namespace = 'other')),
    ],
    messages: [
      'no pods found matching service labels (map[app:nothing])',
      'service has no selector specified',
      'no pods found matching service labels (map[app:web])',
    ],
    good: [
      dep('web'),
      service('web', { app: 'web' }),
      cronJob('report'),
      service('report', { app: 'report' }),
      service('external', undefined, (s) => {
        s.spec = { type: 'ExternalName', externalName: 'db.example.com' };
      }),
    ],
  },
  'deprecated-service-account-field': {
    bad: [
      serviceAccount('web'),
      dep('web', (d) => {
        pod(d).serviceAccountName = 'web';
        pod(d).serviceAccount = 'web';
      }),
    ],
    messages: ['serviceAccount is specified (web), but this field is deprecated; use serviceAccountName instead'],
    good: [serviceAccount('web'), dep('web', (d) => (pod(d).serviceAccountName = 'web'))],
  },
  'docker-sock': {
    bad: [
      dep('web', (d) => {
        pod(d).volumes = [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }];
        main(d).volumeMounts = [{ name: 'sock', mountPath: '/var/run/docker.sock' }];
      }),
    ],
    messages: ['host system directory "/var/run/docker.sock" is mounted on container "main"'],
    // the volume alone is not reported: the template looks for a container mounting it
    good: [dep('web', (d) => (pod(d).volumes = [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }]))],
  },
  'drop-net-raw-capability': {
    bad: [
      dep('web', (d) => (main(d).securityContext.capabilities = { drop: ['CHOWN'] })),
      dep('api', (d) => (main(d).securityContext.capabilities = { add: ['NET_RAW'], drop: ['ALL'] })),
    ],
    messages: [
      'container "main" has DROP capabilities: ["CHOWN"], but does not drop capability "NET_RAW" which is required',
      'container "main" has ADD capability: "NET_RAW", which matched with the forbidden capability for containers',
    ],
    // a container without capabilities at all passes
    good: [
      dep('web', (d) => (main(d).securityContext.capabilities = { drop: ['NET_RAW'] })),
      dep('api', (d) => delete main(d).securityContext.capabilities),
    ],
  },
  'duplicate-env-var': {
    bad: [
      dep('web', (d) => {
        main(d).env = [
          { name: 'A', value: '1' },
          { name: 'A', value: '2' },
          { name: 'A', value: '3' },
        ];
      }),
    ],
    messages: ['Duplicate environment variable A in container "main" found'],
    good: [
      dep('web', (d) => {
        main(d).env = [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ];
      }),
    ],
  },
  'env-var-secret': {
    bad: [dep('web', (d) => (main(d).env = [{ name: 'DB_SECRET', value: 'hunter2' }]))],
    messages: ['environment variable DB_SECRET in container "main" found'],
    good: [
      dep('web', (d) => {
        main(d).env = [
          { name: 'DB_SECRET', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          // plural SECRETS_* names are not matched since kube-linter#1206
          { name: 'SECRETS_DIR', value: '/mnt/secrets' },
        ];
      }),
    ],
  },
  'host-ipc': {
    bad: [dep('web', (d) => (pod(d).hostIPC = true))],
    messages: ["resource shares host's IPC namespace (via hostIPC=true)."],
    good: [dep('web', (d) => (pod(d).hostIPC = false))],
  },
  'host-network': {
    bad: [dep('web', (d) => (pod(d).hostNetwork = true))],
    messages: ["resource shares host's network namespace (via hostNetwork=true)."],
    good: [dep('web', (d) => (pod(d).hostNetwork = false))],
  },
  'host-pid': {
    bad: [dep('web', (d) => (pod(d).hostPID = true))],
    messages: ["object shares the host's process namespace (via hostPID=true)."],
    good: [dep('web', (d) => (pod(d).hostPID = false))],
  },
  'invalid-target-ports': {
    bad: [
      dep('web', (d) => (main(d).ports = [{ name: 'HTTP_Port', containerPort: 8080 }])),
      service('big', { app: 'web' }, (s) => (s.spec.ports[0].targetPort = 70000)),
      service('long', { app: 'web' }, (s) => (s.spec.ports[0].targetPort = 'n234567890123456')),
    ],
    messages: [
      'port name "HTTP_Port" in container "main" must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'port targetPort "70000" in service "big" must be between 1 and 65535, inclusive',
      'port targetPort "n234567890123456" in service "long" must be no more than 15 characters',
    ],
    good: [
      dep('web'),
      service('web', { app: 'web' }),
      service('numeric', { app: 'web' }, (s) => (s.spec.ports[0].targetPort = 8080)),
      service('defaulted', { app: 'web' }, (s) => delete s.spec.ports[0].targetPort),
    ],
  },
  'job-ttl-seconds-after-finished': {
    bad: [
      job('migrate', (j) => delete j.spec.ttlSecondsAfterFinished),
      cronJob('report', (c) => (c.spec.jobTemplate.spec.ttlSecondsAfterFinished = 60)),
    ],
    messages: [
      'Standalone Job does not specify ttlSecondsAfterFinished',
      'Managed Job specifies ttlSecondsAfterFinished which might conflict with successfulJobsHistoryLimit and failedJobsHistoryLimit from CronJob that have default values. Final behaviour is determined by the strictest parameter, and therefore, setting ttlSecondsAfterFinished at the job level can result with unexpected behaviour with regard to finished jobs removal',
    ],
    good: [job('migrate'), cronJob('report')],
  },
  'latest-tag': {
    bad: [
      dep('web', (d) => (main(d).image = 'nginx:latest')),
      dep('api', (d) => (main(d).image = 'nginx')),
      dep('worker', (d) => (main(d).image = 'registry.local:5000/team/worker')),
    ],
    messages: ['nginx:latest', 'nginx', 'registry.local:5000/team/worker'].map(
      (image) =>
        `The container "main" is using an invalid container image, "${image}". Please use images that are not blocked by the \`BlockList\` criteria : [".*:(latest)$" "^[^:]*$" "(.*/[^:]+)$"]`,
    ),
    good: [
      dep('web'),
      dep('api', (d) => (main(d).image = 'registry.local:5000/team/api:1.4.2')),
      dep('worker', (d) => (main(d).image = 'nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31')),
    ],
  },
  'liveness-port': {
    bad: [
      dep('web', (d) => (main(d).livenessProbe = { httpGet: { path: '/live', port: 9999 } })),
      dep('api', (d) => {
        main(d).ports.push({ name: 'dns', containerPort: 53, protocol: 'UDP' });
        main(d).livenessProbe = { tcpSocket: { port: 'dns' } };
      }),
    ],
    messages: ['container "main" does not expose port 9999 for the HTTPGet', 'container "main" does not expose port dns for the TCPSocket'],
    good: [dep('web'), dep('api', (d) => (main(d).livenessProbe = { grpc: { port: 8080 } }))],
  },
  'mismatching-selector': {
    bad: [dep('web', (d) => (d.spec.selector = { matchLabels: { app: 'other' } })), dep('api', (d) => delete d.spec.selector)],
    messages: [
      'labels in pod spec (map[app:web]) do not match labels in selector (&LabelSelector{MatchLabels:map[string]string{app: other,},MatchExpressions:[]LabelSelectorRequirement{},})',
      'object has no selector specified',
    ],
    // Jobs may go without a selector
    good: [
      dep('web', (d) => (d.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'web-canary'] }] })),
      job('migrate'),
    ],
  },
  'no-anti-affinity': {
    bad: [
      dep('web', (d) => {
        d.spec.replicas = 3;
        delete pod(d).affinity;
      }),
      dep(
        'api',
        (d) =>
          (pod(d).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey =
            'topology.kubernetes.io/zone'),
      ),
      dep(
        'worker',
        (d) =>
          (pod(d).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels.app =
            'other'),
      ),
      dep('zonal', (d) => {
        delete pod(d).affinity;
        pod(d).topologySpreadConstraints = [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { app: 'zonal' } },
          },
        ];
      }),
    ],
    messages: [
      'object has 3 replicas but does not specify inter pod anti-affinity',
      'anti-affinity\'s topology key does not match "topology.kubernetes.io/zone"',
      'pod\'s labels "app=worker" do not match with anti-affinity\'s labels "app=other"',
      'object has 2 replicas but does not specify inter pod anti-affinity',
    ],
    good: [
      // unset replicas count as 1, below the minimum of 2
      dep('web', (d) => {
        delete d.spec.replicas;
        delete pod(d).affinity;
      }),
      dep('api', (d) => {
        d.spec.replicas = 1;
        delete pod(d).affinity;
      }),
      // a spread constraint on the hostname that selects the pods counts since kube-linter#1224
      dep('worker', (d) => {
        delete pod(d).affinity;
        pod(d).topologySpreadConstraints = [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { app: 'worker' } },
          },
        ];
      }),
      dep('zonal'),
    ],
  },
  'no-extensions-v1beta': {
    bad: [ingress('extensions/v1beta1')],
    messages: ['disallowed API object found: extensions/v1beta1, Kind=Ingress'],
    good: [ingress('networking.k8s.io/v1')],
  },
  'no-read-only-root-fs': {
    bad: [
      dep('web', (d) => (main(d).securityContext.readOnlyRootFilesystem = false)),
      dep('api', (d) => (pod(d).initContainers = [{ name: 'init', image: 'busybox:1.36.1', securityContext: { allowPrivilegeEscalation: false } }])),
    ],
    messages: ['container "main" does not have a read-only root file system', 'container "init" does not have a read-only root file system'],
    good: [dep('web'), dep('api', (d) => (pod(d).initContainers = [container('init')]))],
  },
  'non-existent-service-account': {
    bad: [
      dep('web', (d) => (pod(d).serviceAccountName = 'web')),
      serviceAccount('api', 'other'),
      dep('api', (d) => (pod(d).serviceAccountName = 'api')),
    ],
    messages: ['serviceAccount "web" not found', 'serviceAccount "api" not found'],
    good: [serviceAccount('web'), dep('web', (d) => (pod(d).serviceAccountName = 'web')), dep('api', (d) => (pod(d).serviceAccountName = 'default'))],
  },
  'pdb-max-unavailable': {
    bad: [pdb('zero', 'web', (p) => (p.spec.maxUnavailable = 0)), pdb('zero-percent', 'web', (p) => (p.spec.maxUnavailable = '0%'))],
    messages: ['MaxUnavailable is set to 0', 'MaxUnavailable is set to 0'],
    good: [pdb('one', 'web'), pdb('quarter', 'web', (p) => (p.spec.maxUnavailable = '25%'))],
  },
  'pdb-min-available': {
    bad: [
      dep('web'),
      pdb('web', 'web', minAvailable(2)),
      pdb('all', 'web', minAvailable('100%')),
      // without replicas the Deployment counts its HPA's minReplicas
      dep('api', (d) => delete d.spec.replicas),
      hpa('api', 2),
      pdb('api', 'api', minAvailable(2)),
    ],
    messages: [
      'The current number of replicas for deployment web is equal to or lower than the minimum number of replicas specified by its PDB.',
      'PDB has minimum available replicas set to 100 percent of replicas',
      'The current number of replicas for deployment api is equal to or lower than the minimum number of replicas specified by its PDB.',
    ],
    good: [
      dep('web', (d) => (d.spec.replicas = 3)),
      pdb('web', 'web', minAvailable(2)),
      pdb('half', 'web', minAvailable('50%')),
      dep('api', (d) => delete d.spec.replicas),
      hpa('api', 3),
      pdb('api', 'api', minAvailable(2)),
    ],
  },
  'pdb-unhealthy-pod-eviction-policy': {
    bad: [pdb('web', 'web', (p) => delete p.spec.unhealthyPodEvictionPolicy)],
    messages: ['unhealthyPodEvictionPolicy is not explicitly set'],
    // only policy/v1 PodDisruptionBudgets are checked
    good: [
      pdb('web', 'web'),
      pdb('legacy', 'web', (p) => {
        p.apiVersion = 'policy/v1beta1';
        delete p.spec.unhealthyPodEvictionPolicy;
      }),
    ],
  },
  'privilege-escalation-container': {
    bad: [
      dep('web', (d) => (main(d).securityContext.allowPrivilegeEscalation = true)),
      dep('api', (d) => (main(d).securityContext.capabilities = { add: ['SYS_ADMIN'], drop: ['ALL'] })),
      dep('worker', (d) => {
        delete main(d).securityContext.allowPrivilegeEscalation;
        main(d).securityContext.privileged = true;
      }),
    ],
    messages: [
      'container "main" has AllowPrivilegeEscalation set to true.',
      'container "main" has SYS_ADMIN capability hence allows privilege escalation.',
      'container "main" is Privileged hence allows privilege escalation.',
    ],
    // an unset allowPrivilegeEscalation passes
    good: [dep('web', (d) => delete main(d).securityContext.allowPrivilegeEscalation)],
  },
  'privileged-container': {
    bad: [dep('web', (d) => (main(d).securityContext.privileged = true))],
    messages: ['container "main" is privileged'],
    good: [dep('web')],
  },
  'readiness-port': {
    bad: [dep('web', (d) => (main(d).readinessProbe = { tcpSocket: { port: 'metrics' } }))],
    messages: ['container "main" does not expose port metrics for the TCPSocket'],
    good: [dep('web', (d) => (main(d).readinessProbe = { grpc: { port: 8080 } }))],
  },
  'run-as-non-root': {
    bad: [
      dep('web', (d) => delete pod(d).securityContext),
      dep('api', (d) => (pod(d).securityContext = { runAsNonRoot: true, runAsUser: 0 })),
      dep('worker', (d) => (pod(d).securityContext.runAsGroup = 0)),
    ],
    messages: [
      'container "main" is not set to runAsNonRoot',
      'container "main" is set to runAsNonRoot, but runAsUser set to 0',
      'container "main" has runAsGroup set to 0',
    ],
    good: [
      // an omitted runAsGroup is not reported (kube-linter#1178)
      dep('web', (d) => (pod(d).securityContext = { runAsNonRoot: true })),
      // a runAsUser above 0 is enough, even with runAsNonRoot false
      dep('admin', (d) => (main(d).securityContext.runAsNonRoot = false)),
      dep('api', (d) => {
        delete pod(d).securityContext;
        main(d).securityContext.runAsUser = 1000;
      }),
    ],
  },
  'sensitive-host-mounts': {
    bad: [
      dep('web', (d) => {
        pod(d).volumes = [{ name: 'etc', hostPath: { path: '/etc' } }];
        main(d).volumeMounts = [{ name: 'etc', mountPath: '/host/etc', readOnly: true }];
      }),
    ],
    messages: ['host system directory "/etc" is mounted on container "main"'],
    good: [
      dep('web', (d) => {
        pod(d).volumes = [{ name: 'conf', hostPath: { path: '/etc/shop' } }];
        main(d).volumeMounts = [{ name: 'conf', mountPath: '/conf', readOnly: true }];
      }),
    ],
  },
  'ssh-port': {
    bad: [dep('web', (d) => main(d).ports.push({ name: 'ssh', containerPort: 22 }))],
    messages: ['port 22 and protocol TCP in container "main" found'],
    good: [dep('web', (d) => main(d).ports.push({ name: 'ssh', containerPort: 22, protocol: 'UDP' }))],
  },
  'startup-port': {
    bad: [dep('web', (d) => (main(d).startupProbe = { httpGet: { path: '/', port: 'health' } }))],
    messages: ['container "main" does not expose port health for the HTTPGet'],
    good: [dep('web', (d) => (main(d).startupProbe = { grpc: { port: 8080 } }))],
  },
  'unsafe-sysctls': {
    bad: [
      dep('web', (d) => {
        pod(d).securityContext.sysctls = [
          { name: 'kernel.shm_rmid_forced', value: '1' },
          { name: 'net.ipv4.tcp_syncookies', value: '1' },
        ];
      }),
    ],
    // prefix matches: even sysctls Kubernetes deems safe are reported
    messages: ['resource specifies unsafe sysctl "kernel.shm_rmid_forced".', 'resource specifies unsafe sysctl "net.ipv4.tcp_syncookies".'],
    good: [dep('web', (d) => (pod(d).securityContext.sysctls = [{ name: 'kernel.domainname', value: 'shop' }]))],
  },
  'unset-cpu-requirements': {
    bad: [
      dep('web', (d) => (main(d).resources = { limits: { cpu: '1', memory: '128Mi' } })),
      dep('api', (d) => (main(d).resources.requests.cpu = '0m')),
    ],
    messages: ['container "main" has cpu request 0', 'container "main" has cpu request 0'],
    // a CPU limit is not required
    good: [dep('web', (d) => (main(d).resources = { requests: { cpu: '0.25' }, limits: { memory: '1Gi' } }))],
  },
  'unset-memory-requirements': {
    bad: [
      dep('web', (d) => (main(d).resources = { requests: { cpu: '100m', memory: '64Mi' } })),
      dep('api', (d) => (main(d).resources.limits.memory = 0)),
    ],
    messages: ['container "main" has memory limit 0', 'container "main" has memory limit 0'],
    // a memory request is not required
    good: [dep('web', (d) => (main(d).resources = { requests: { cpu: '100m' }, limits: { memory: '128Mi' } }))],
  },
};

describe('the port of kube-linter default checks', () => {
  test('runs exactly the 31 checks kube-linter enables by default', () => {
    expect(kl.CHECK_NAMES).toEqual(Object.keys(CASES));
    expect(kl.CHECK_NAMES).toHaveLength(31);
  });

  test('a workload set built to pass reports nothing', () => {
    expect(
      kl.lint([serviceAccount('web'), dep('web', (d) => (pod(d).serviceAccountName = 'web')), service('web', { app: 'web' }), pdb('web', 'web')]),
    ).toEqual([]);
  });

  describe.each(Object.entries(CASES))('%s', (check, c) => {
    test('reports the input that breaks it, with kube-linter messages', () => {
      expect(messagesOf(check, c.bad)).toEqual(c.messages);
    });

    test('accepts the input that honours it, with no finding from any check', () => {
      expect(kl.lint(c.good)).toEqual([]);
    });
  });

  describe('ignore annotations', () => {
    const bad = dep('web', (d) => {
      pod(d).hostIPC = true;
      pod(d).hostPID = true;
    });

    test('ignore-check.kube-linter.io/<check> on the object suppresses that check only', () => {
      const annotated = edit(bad, (d) => (d.metadata.annotations = { 'ignore-check.kube-linter.io/host-ipc': 'needs the host IPC namespace' }));
      expect(kl.lint([annotated]).map((f) => f.check)).toEqual(['host-pid']);
    });

    test('kube-linter.io/ignore-all suppresses every check', () => {
      expect(kl.lint([edit(bad, (d) => (d.metadata.annotations = { 'kube-linter.io/ignore-all': '' }))])).toEqual([]);
    });

    test('an annotation on the pod template does not count', () => {
      const onTemplate = edit(bad, (d) => (d.spec.template.metadata.annotations = { 'kube-linter.io/ignore-all': '' }));
      expect(kl.lint([onTemplate]).map((f) => f.check)).toEqual(['host-ipc', 'host-pid']);
    });
  });

  describe('checks across objects look only at the linted input', () => {
    test('dangling-service: the Service passes once a workload with matching pod labels is linted with it', () => {
      const svc = service('web', { app: 'web' });
      expect(kl.lint([svc]).map((f) => f.check)).toEqual(['dangling-service']);
      expect(kl.lint([svc, dep('web')])).toEqual([]);
      // pods of a StatefulSet count too
      expect(kl.lint([svc, edit(dep('web'), (d) => (d.kind = 'StatefulSet'))])).toEqual([]);
    });

    test('non-existent-service-account: the ServiceAccount must be in the input, in the same namespace', () => {
      const web = dep('web', (d) => (pod(d).serviceAccountName = 'web'));
      expect(kl.lint([web]).map((f) => f.check)).toEqual(['non-existent-service-account']);
      expect(kl.lint([web, serviceAccount('web', 'other')]).map((f) => f.check)).toEqual(['non-existent-service-account']);
      expect(kl.lint([web, serviceAccount('web')])).toEqual([]);
    });

    test('pdb-min-available: an HPA minReplicas stands in for unset replicas, found by its scale target name', () => {
      const api = dep('api', (d) => delete d.spec.replicas);
      const budget = pdb('api', 'api', minAvailable(1));
      // no HPA: replicas count as 1, not above minAvailable 1
      expect(messagesOf('pdb-min-available', [api, budget])).toHaveLength(1);
      expect(kl.lint([api, budget, hpa('api', 2)])).toEqual([]);
      // an HPA of another Deployment does not count
      expect(messagesOf('pdb-min-available', [api, budget, hpa('web', 2)])).toHaveLength(1);
    });

    test('mismatching-selector compares each workload with its own pod template', () => {
      expect(kl.lint([dep('web'), dep('api')])).toEqual([]);
      const crossed = edit(dep('api'), (d) => (d.spec.template.metadata.labels = { app: 'web' }));
      expect(messagesOf('mismatching-selector', [dep('web'), crossed])).toHaveLength(1);
    });
  });

  describe('input kube-linter cannot decode', () => {
    test('objects of kinds outside its scheme are left out of the lint context', () => {
      const certificate = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'web', namespace: NS }, spec: {} };
      const result = kl.lintWithSkipped([dep('web'), certificate]);
      expect(result.objects).toBe(1);
      expect(result.findings).toEqual([]);
      expect(result.skipped).toEqual([expect.objectContaining({ reason: expect.stringContaining('cert-manager.io/v1, Kind=Certificate') })]);
    });

    test('a workload with an invalid quantity is left out, as the Go decoder rejects it', () => {
      const result = kl.lintWithSkipped([dep('web', (d) => (main(d).resources.limits.memory = 'lots'))]);
      expect(result.objects).toBe(0);
      expect(result.skipped).toHaveLength(1);
    });

    test('the items of a v1 List are linted', () => {
      const list = { apiVersion: 'v1', kind: 'List', items: [dep('web', (d) => (pod(d).hostPID = true))] };
      expect(kl.lint([list]).map((f) => f.check)).toEqual(['host-pid']);
    });
  });

  test('findings print in kube-linter plain format', () => {
    const [finding] = kl.lint([{ file: 'dist/app.yaml', object: edit(dep('web'), (d) => (pod(d).hostPID = true)) }]);
    expect(kl.formatFinding(finding)).toBe(
      "dist/app.yaml: (object: shop/web apps/v1, Kind=Deployment) object shares the host's process namespace (via hostPID=true). (check: host-pid, remediation: Ensure the host's process namespace is not shared.)",
    );
    const noNamespace = edit(dep('web'), (d) => {
      delete d.metadata.namespace;
      pod(d).hostPID = true;
    });
    const [clusterScoped] = kl.lint([noNamespace]);
    expect(kl.formatFinding(clusterScoped)).toContain('(object: <no namespace>/web apps/v1, Kind=Deployment)');
  });

  describe('command line', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-linter-port-'));
      const yaml = (objects: K8s[]) => objects.map((o) => JSON.stringify(o)).join('\n---\n');
      fs.mkdirSync(path.join(dir, 'app'));
      fs.writeFileSync(
        path.join(dir, 'app', 'workload.yaml'),
        yaml([dep('web', (d) => (pod(d).serviceAccountName = 'web')), service('web', { app: 'web' })]),
      );
      fs.writeFileSync(path.join(dir, 'app', 'identity.yml'), yaml([serviceAccount('web')]));
      fs.writeFileSync(path.join(dir, 'app', 'notes.txt'), 'not YAML: {');
      fs.mkdirSync(path.join(dir, 'bad'));
      fs.writeFileSync(path.join(dir, 'bad', 'host.yaml'), yaml([dep('web', (d) => (pod(d).hostNetwork = true))]));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', cwd: dir });

    test('the YAML files of one directory form one lint context, and a clean run exits 0', () => {
      const r = run('app');
      expect(r.stdout.trim()).toBe('kube-linter default checks (port): 3 objects, 0 findings');
      expect(r.status).toBe(0);
    });

    test('--context-per-file lints every file on its own', () => {
      const r = run('--context-per-file', 'app');
      expect(r.stdout).toContain(
        'app/workload.yaml: (object: shop/web apps/v1, Kind=Deployment) serviceAccount "web" not found (check: non-existent-service-account',
      );
      expect(r.stdout.trim().split('\n').pop()).toBe('kube-linter default checks (port): 3 objects, 1 findings');
      expect(r.status).toBe(1);
    });

    test('a finding anywhere exits 1 and subdirectories are walked', () => {
      const r = run('.');
      expect(r.stdout).toContain(
        "bad/host.yaml: (object: shop/web apps/v1, Kind=Deployment) resource shares host's network namespace (via hostNetwork=true). (check: host-network",
      );
      expect(r.stdout.trim().split('\n').pop()).toBe('kube-linter default checks (port): 4 objects, 1 findings');
      expect(r.status).toBe(1);
    });

    test('usage errors exit 2', () => {
      expect(run().status).toBe(2);
      expect(run('missing-dir').status).toBe(2);
    });
  });
});
