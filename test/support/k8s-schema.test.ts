import { assertValidManifests, manifestProblems } from './k8s-schema';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27.0', ports: [{ name: 'http', containerPort: 8080 }] }] },
    },
  },
});

describe('the shared manifest validator', () => {
  test('accepts a valid Deployment', () => {
    expect(manifestProblems(deployment())).toEqual([]);
  });

  test('rejects an unknown field that the JSON schema alone accepts', () => {
    const d: any = deployment();
    d.spec.template.spec.containers[0].imagee = 'nginx:1.27.0';
    expect(manifestProblems(d)).toEqual([expect.stringContaining('unknown field "spec.template.spec.containers[0].imagee"')]);
  });

  test('rejects a container name that is not a DNS-1123 label', () => {
    const d: any = deployment();
    d.spec.template.spec.containers[0].name = 'Bad_Name';
    expect(manifestProblems(d).join('\n')).toMatch(/container name "Bad_Name" is not a DNS-1123 label/);
  });

  test('rejects a wrong type through the 1.27 schema', () => {
    const d: any = deployment();
    d.spec.replicas = 'two';
    expect(manifestProblems(d).join('\n')).toMatch(/schema: .*replicas must be integer/);
  });

  test('rejects integers past their int32 or int64 field and quantities the API server cannot read in thousandths', () => {
    const d: any = deployment();
    d.spec.replicas = 2 ** 31;
    d.spec.template.spec.terminationGracePeriodSeconds = 1e22;
    d.spec.template.spec.containers[0].resources = { limits: { memory: '9.5367431640625e+23Pi', cpu: 'NaNm' }, requests: { memory: '9Ei' } };
    d.spec.template.spec.containers[0].args = ['echo\u0000hi'];
    expect(manifestProblems(d)).toEqual(
      expect.arrayContaining([
        'spec.replicas: 2147483648 is not an int32',
        'spec.template.spec.terminationGracePeriodSeconds: 1e+22 is not an int64 JavaScript holds exactly',
        'spec.template.spec.containers[0].resources.limits.memory: "9.5367431640625e+23Pi" is not a plain quantity whose thousandths fit an int64',
        'spec.template.spec.containers[0].resources.limits.cpu: "NaNm" is not a plain quantity whose thousandths fit an int64',
        'spec.template.spec.containers[0].resources.requests.memory: "9Ei" is not a plain quantity whose thousandths fit an int64',
        'spec.template.spec.containers[0].args[0]: string holds a NUL byte',
      ]),
    );
    const ok: any = deployment();
    ok.spec.replicas = 2 ** 31 - 1;
    ok.spec.template.spec.containers[0].resources = { limits: { memory: '8Pi', cpu: '1500m' }, requests: { memory: '0.5Gi', cpu: '1' } };
    expect(manifestProblems(ok)).toEqual([]);
  });

  test('rejects kinds that are neither built into Kubernetes 1.27 nor pinned CRDs', () => {
    expect(manifestProblems({ apiVersion: 'batch/v2', kind: 'CronJob', metadata: { name: 'x' } })).toEqual([
      'batch/v2 CronJob is neither a Kubernetes 1.27 built-in type nor a custom resource of scripts/cluster/crds',
    ]);
  });

  test('rejects fields added after 1.27 (sidecar restartPolicy on containers)', () => {
    const d: any = deployment();
    d.spec.template.spec.initContainers = [{ name: 'side', image: 'busybox:1.36', restartPolicy: 'Always' }];
    expect(manifestProblems(d).join('\n')).toMatch(/unknown field "spec.template.spec.initContainers\[0\].restartPolicy"/);
  });

  test('checks label values and object names', () => {
    const d: any = deployment();
    d.metadata.name = 'Web';
    d.metadata.labels.version = 'x'.repeat(64);
    const problems = manifestProblems(d).join('\n');
    expect(problems).toMatch(/metadata.name "Web" is not a valid Deployment name/);
    expect(problems).toMatch(/metadata.labels version=.* is not a valid label/);
  });

  test('lists every invalid object with kind and name', () => {
    const bad: any = deployment();
    bad.spec.template.spec.containers[0].imagee = 'x';
    expect(() => assertValidManifests([deployment(), bad])).toThrow(/1 invalid Kubernetes object\(s\):\n {2}Deployment web:\n {4}unknown field/);
  });
});

describe('custom resources, against the pinned CRDs of scripts/cluster/crds', () => {
  const route = () => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web' },
    spec: {
      parentRefs: [{ name: 'public', namespace: 'gateways' }],
      hostnames: ['web.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'web', port: 80 }] }],
    },
  });

  test('accepts a valid HTTPRoute', () => {
    expect(manifestProblems(route())).toEqual([]);
  });

  test('rejects a value outside an enum, an unknown field, and a wrong type', () => {
    const r: any = route();
    r.spec.rules[0].matches[0].path.type = 'Prefix';
    r.spec.rules[0].backendRefs[0].weigth = 10;
    r.spec.rules[0].backendRefs[0].port = '80';
    const problems = manifestProblems(r).join('\n');
    expect(problems).toMatch(/path\/type must be equal to one of the allowed values/);
    expect(problems).toMatch(/unknown field "spec.rules\[0\].backendRefs\[0\].weigth"/);
    expect(problems).toMatch(/backendRefs\/0\/port must be integer/);
  });

  test('rejects a custom resource whose CRD is not pinned', () => {
    expect(manifestProblems({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toEqual([
      expect.stringContaining('neither a Kubernetes 1.27 built-in type nor a custom resource of scripts/cluster/crds'),
    ]);
  });
});
