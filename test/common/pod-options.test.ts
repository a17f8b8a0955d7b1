import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { PropErrors } from '../../src/common/errors';
import { ExtraVolumeSource, PodOptions } from '../../src/common/pod-options';
import { applyPodOptions, MAX_ANNOTATIONS_BYTES, PodOptionsContext, resolvePodOptions } from '../../src/common/resolve-pod-options';

const chart = Testing.chart();
const CONTEXT: PodOptionsContext = {
  labelKeys: ['app.kubernetes.io/name', 'app.kubernetes.io/instance'],
  annotationKeys: ['checksum/config'],
  volumeNames: ['tmp'],
  mountPaths: ['/tmp'],
};

function resolve(options: PodOptions, context: PodOptionsContext = CONTEXT) {
  const errors = new PropErrors(chart);
  const resolved = resolvePodOptions(errors, options, context);
  return { resolved, messages: errors.messages() };
}

function problems(options: PodOptions): string[] {
  return resolve(options).messages;
}

const secret = (name: string) => kplus.Secret.fromSecretName(chart, `S${Math.random()}`, name);

describe('resolvePodOptions', () => {
  test('no options: nothing to add', () => {
    const { resolved, messages } = resolve({});
    expect(messages).toEqual([]);
    expect(resolved).toEqual({
      nodeSelector: undefined,
      tolerations: [],
      podLabels: {},
      podAnnotations: {},
      imagePullSecrets: [],
      priorityClassName: undefined,
      volumes: [],
      volumeMounts: [],
    });
  });

  test('every option, in the shape of the pod fields', () => {
    const { resolved, messages } = resolve({
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [
        { key: 'dedicated', value: 'batch', effect: 'NoSchedule' },
        { operator: 'Exists' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      ],
      podLabels: { team: 'shop' },
      podAnnotations: { 'example.com/scrape': 'true' },
      imagePullSecrets: ['ghcr', 'quay'],
      priorityClassName: 'high',
      volumes: [
        { name: 'certs', source: ExtraVolumeSource.fromSecret(secret('certs')), mountPath: '/etc/certs', readOnly: false },
        {
          name: 'conf',
          source: ExtraVolumeSource.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'C', 'conf'), 0o444),
          mountPath: '/etc/conf',
          subPath: 'app',
        },
        {
          name: 'data',
          source: ExtraVolumeSource.fromPersistentVolumeClaim(kplus.PersistentVolumeClaim.fromClaimName(chart, 'P', 'uploads')),
          mountPath: '/data',
          readOnly: false,
        },
      ],
    });
    expect(messages).toEqual([]);
    expect(resolved.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' },
      { operator: 'Exists' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
    expect(resolved.volumes).toEqual([
      { name: 'certs', secret: { secretName: 'certs', defaultMode: 0o440 } },
      { name: 'conf', configMap: { name: 'conf', defaultMode: 0o444 } },
      { name: 'data', persistentVolumeClaim: { claimName: 'uploads' } },
    ]);
    // Secret and ConfigMap volumes are read-only whatever was asked; a claim is writable on request
    expect(resolved.volumeMounts).toEqual([
      { name: 'certs', mountPath: '/etc/certs', readOnly: true },
      { name: 'conf', mountPath: '/etc/conf', readOnly: true, subPath: 'app' },
      { name: 'data', mountPath: '/data', readOnly: false },
    ]);
  });

  test.each<[string, PodOptions, RegExp]>([
    ['node selector key', { nodeSelector: { 'bad key': 'x' } }, /^nodeSelector\["bad key"\] must be keyed by a valid label key/],
    ['node selector value', { nodeSelector: { zone: '-a' } }, /^nodeSelector\["zone"\] must be a label value/],
    ['node selector not a map', { nodeSelector: 'zone=a' as any }, /^nodeSelector must be a map of strings, got "zone=a"/],
    [
      'toleration operator spelled differently',
      { tolerations: [{ key: 'a', operator: 'equal' }] },
      /^tolerations\[0\].operator must be one of "Equal", "Exists", got "equal"/,
    ],
    [
      'toleration effect spelled differently',
      { tolerations: [{ key: 'a', effect: 'noSchedule' }] },
      /^tolerations\[0\].effect must be one of "NoSchedule"/,
    ],
    ['toleration without key needs Exists', { tolerations: [{ value: 'x' }] }, /^tolerations\[0\].operator must be "Exists" when key is unset/],
    [
      'toleration Exists with a value',
      { tolerations: [{ key: 'a', operator: 'Exists', value: 'x' }] },
      /^tolerations\[0\].value must be unset with operator "Exists", got "x"/,
    ],
    ['toleration value not a label value', { tolerations: [{ key: 'a', value: 'a b' }] }, /^tolerations\[0\].value must be a label value, got "a b"/],
    ['toleration key invalid', { tolerations: [{ key: 'a b', operator: 'Exists' }] }, /^tolerations\[0\].key must be a label key/],
    [
      'tolerationSeconds without NoExecute',
      { tolerations: [{ key: 'a', effect: 'NoSchedule', tolerationSeconds: 5 }] },
      /^tolerations\[0\].tolerationSeconds must be unset unless effect is "NoExecute", got 5/,
    ],
    [
      'tolerationSeconds negative',
      { tolerations: [{ key: 'a', effect: 'NoExecute', tolerationSeconds: -1 }] },
      /^tolerations\[0\].tolerationSeconds must be a whole number of seconds, at least 0, got -1/,
    ],
    [
      'pod label of the selector',
      { podLabels: { 'app.kubernetes.io/name': 'x' } },
      /^podLabels\["app.kubernetes.io\/name"\] must be a label the construct or a controller does not set/,
    ],
    [
      'pod label of a controller',
      { podLabels: { 'pod-template-hash': 'x' } },
      /^podLabels\["pod-template-hash"\] must be a label the construct or a controller does not set/,
    ],
    ['pod label value too long', { podLabels: { team: 'x'.repeat(64) } }, /^podLabels\["team"\] must be a label value/],
    [
      'pod annotation key invalid',
      { podAnnotations: { 'Example.com/x': 'y' } },
      /^podAnnotations\["Example.com\/x"\] must be keyed by a valid annotation key/,
    ],
    [
      'pod annotation managed',
      { podAnnotations: { 'checksum/config': 'y' } },
      /^podAnnotations\["checksum\/config"\] must be an annotation the construct does not manage/,
    ],
    [
      'pod annotations too large',
      { podAnnotations: { big: 'x'.repeat(MAX_ANNOTATIONS_BYTES) } },
      /^podAnnotations must be at most 262144 bytes of keys and values, got "262147 bytes"/,
    ],
    ['pull secret name', { imagePullSecrets: ['Ghcr'] }, /^imagePullSecrets\[0\] must be a Secret name \(DNS-1123 subdomain\), got "Ghcr"/],
    ['pull secret twice', { imagePullSecrets: ['ghcr', 'ghcr'] }, /^imagePullSecrets\[1\] must be a Secret not listed before, got "ghcr"/],
    ['priority class', { priorityClassName: 'High' }, /^priorityClassName must be a PriorityClass name \(DNS-1123 subdomain\), got "High"/],
    [
      'volume name',
      { volumes: [{ name: 'Certs', source: ExtraVolumeSource.fromSecret(secret('c')), mountPath: '/c' }] },
      /^volumes\[0\].name must be a volume name \(DNS-1123 label\), got "Certs"/,
    ],
    [
      'volume name taken',
      { volumes: [{ name: 'tmp', source: ExtraVolumeSource.fromSecret(secret('c')), mountPath: '/c' }] },
      /^volumes\[0\].name must be a volume name not used in the pod already/,
    ],
    [
      'mount path relative',
      { volumes: [{ name: 'c', source: ExtraVolumeSource.fromSecret(secret('c')), mountPath: 'etc' }] },
      /^volumes\[0\].mountPath must be an absolute directory path other than "\/", got "etc"/,
    ],
    [
      'mount path taken',
      { volumes: [{ name: 'c', source: ExtraVolumeSource.fromSecret(secret('c')), mountPath: '/tmp' }] },
      /^volumes\[0\].mountPath must be a path not mounted already, got "\/tmp"/,
    ],
    [
      'sub path escaping',
      { volumes: [{ name: 'c', source: ExtraVolumeSource.fromSecret(secret('c')), mountPath: '/c', subPath: '../x' }] },
      /^volumes\[0\].subPath must be a relative path without ".." segments/,
    ],
    [
      'mount path with a NUL byte',
      { volumes: [{ name: 'c', source: ExtraVolumeSource.fromSecret(secret('c')), mountPath: '/c\u0000' }] },
      /^volumes\[0\].mountPath must be a path without NUL bytes/,
    ],
    [
      'sub path with a NUL byte',
      { volumes: [{ name: 'c', source: ExtraVolumeSource.fromSecret(secret('c')), mountPath: '/c', subPath: 'a\u0000' }] },
      /^volumes\[0\].subPath must be a relative path without ".." segments or NUL bytes/,
    ],
    [
      'annotation value with a NUL byte',
      { podAnnotations: { 'example.com/x': 'a\u0000b' } },
      /^podAnnotations\["example.com\/x"\] must be a value without NUL bytes/,
    ],
    [
      'source missing',
      { volumes: [{ name: 'c', source: undefined as any, mountPath: '/c' }] },
      /^volumes\[0\].source must be an ExtraVolumeSource, got undefined/,
    ],
    [
      'source secret name',
      { volumes: [{ name: 'c', source: ExtraVolumeSource.fromSecret(secret('Bad')), mountPath: '/c' }] },
      /^volumes\[0\].source.secret must be a Secret with a valid name, got "Bad"/,
    ],
    [
      'source mode',
      { volumes: [{ name: 'c', source: ExtraVolumeSource.fromSecret(secret('c'), 0o1777), mountPath: '/c' }] },
      /^volumes\[0\].source.defaultMode must be a file mode from 0 to 0o777/,
    ],
  ])('%s', (_name, options, message) => {
    const messages = problems(options);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.join('\n')).toMatch(new RegExp(message.source, 'm'));
  });

  test('every problem is listed at once', () => {
    expect(problems({ priorityClassName: 'X', imagePullSecrets: ['Y'], tolerations: [{ key: 'a', effect: 'Never' }] })).toHaveLength(3);
  });
});

describe('applyPodOptions', () => {
  const template: kplus.k8s.PodTemplateSpec = {
    metadata: { labels: { 'app.kubernetes.io/name': 'shop' }, annotations: { 'checksum/config': 'abc' } },
    spec: {
      containers: [{ name: 'app', volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] }, { name: 'sidecar' }],
      initContainers: [{ name: 'init' }],
      imagePullSecrets: [{ name: 'ghcr' }],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    },
  };

  test('no options: the template unchanged', () => {
    const { resolved } = resolve({});
    expect(applyPodOptions(template, resolved)).toEqual(template);
  });

  test('adds every option after what the template has, mounting into the named containers only', () => {
    const { resolved } = resolve({
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      podLabels: { team: 'shop' },
      podAnnotations: { 'example.com/x': 'y' },
      imagePullSecrets: ['ghcr', 'quay'],
      priorityClassName: 'high',
      volumes: [{ name: 'certs', source: ExtraVolumeSource.fromSecret(secret('certs')), mountPath: '/etc/certs' }],
    });
    const out = applyPodOptions(template, resolved, ['app']);
    expect(out.metadata).toEqual({
      labels: { 'app.kubernetes.io/name': 'shop', team: 'shop' },
      annotations: { 'checksum/config': 'abc', 'example.com/x': 'y' },
    });
    expect(out.spec).toEqual({
      containers: [
        {
          name: 'app',
          volumeMounts: [
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'certs', mountPath: '/etc/certs', readOnly: true },
          ],
        },
        { name: 'sidecar' },
      ],
      initContainers: [{ name: 'init' }],
      imagePullSecrets: [{ name: 'ghcr' }, { name: 'quay' }],
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      priorityClassName: 'high',
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      volumes: [
        { name: 'tmp', emptyDir: {} },
        { name: 'certs', secret: { secretName: 'certs', defaultMode: 0o440 } },
      ],
    });
    // pure: the input is untouched
    expect(template.spec!.containers[0].volumeMounts).toHaveLength(1);
    expect(template.spec!.volumes).toHaveLength(1);
  });

  test('without mountInto the volumes go to every container, never to init containers', () => {
    const { resolved } = resolve({ volumes: [{ name: 'certs', source: ExtraVolumeSource.fromSecret(secret('certs')), mountPath: '/etc/certs' }] });
    const out = applyPodOptions(template, resolved);
    expect(out.spec!.containers.map((c) => (c.volumeMounts ?? []).map((m) => m.name))).toEqual([['tmp', 'certs'], ['certs']]);
    expect(out.spec!.initContainers).toEqual([{ name: 'init' }]);
  });
});
