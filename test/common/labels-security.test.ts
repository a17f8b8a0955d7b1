import { ApiObject, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { sha256Of } from '../../src/common/checksum';
import { labelAll, selectorLabels, standardLabels, versionFromImage } from '../../src/common/labels';
import {
  patchContainerSecurity,
  patchPodHardening,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../../src/common/security';

describe('labels', () => {
  test('the selector is name + instance (+ component), never the version', () => {
    const id = { name: 'shop', instance: 'shop-web', component: 'web', version: '1.4.2', partOf: 'shop' };
    expect(selectorLabels(id)).toEqual({
      'app.kubernetes.io/name': 'shop',
      'app.kubernetes.io/instance': 'shop-web',
      'app.kubernetes.io/component': 'web',
    });
    expect(standardLabels(id)).toEqual({
      ...selectorLabels(id),
      'app.kubernetes.io/part-of': 'shop',
      'app.kubernetes.io/version': '1.4.2',
      'app.kubernetes.io/managed-by': 'cdk8s-patterns',
    });
  });

  test('labelAll labels every ApiObject below the scope, not its siblings', () => {
    const chart = Testing.chart();
    const scope = new Construct(chart, 'app');
    new ApiObject(scope, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } });
    new ApiObject(chart, 'Other', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } });
    labelAll(scope, { name: 'app', instance: 'app' });
    const [cm, other] = Testing.synth(chart);
    expect(cm.metadata.labels['app.kubernetes.io/managed-by']).toBe('cdk8s-patterns');
    expect(other.metadata.labels).toBeUndefined();
  });

  test.each([
    ['ghcr.io/acme/shop:1.4.2', '1.4.2'],
    ['registry:5000/shop:v2', 'v2'],
    ['registry:5000/shop', undefined],
    [`shop@sha256:${'a'.repeat(64)}`, undefined],
  ])('version label from %p', (image, version) => {
    expect(versionFromImage(image)).toBe(version);
  });
});

describe('restricted security contexts', () => {
  test('container context meets the restricted Pod Security Standard', () => {
    expect(restrictedContainerSecurityContext({ user: 10001, group: 10001 })).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 10001,
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('pod context defaults fsGroup to the group and avoids recursive chown', () => {
    expect(restrictedPodSecurityContext({ user: 999, group: 999 })).toMatchObject({ fsGroup: 999, fsGroupChangePolicy: 'OnRootMismatch' });
  });

  test('patches replace the pod and container contexts and turn service links off', () => {
    const chart = Testing.chart();
    const obj = new ApiObject(chart, 'Pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'main', image: 'nginx:1.27.0', securityContext: { privileged: true } }] },
    } as any);
    patchPodHardening(obj, '/spec', restrictedPodSecurityContext({ user: 10001, group: 10001 }));
    patchContainerSecurity(obj, '/spec', { list: 'containers', index: 0 }, restrictedContainerSecurityContext({ user: 10001, group: 10001 }));
    const [pod] = Testing.synth(chart);
    expect(pod.spec.enableServiceLinks).toBe(false);
    expect(pod.spec.containers[0].securityContext.privileged).toBe(false);
    expect(pod.spec.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });
});

describe('checksums', () => {
  test('key order does not change the checksum, values do', () => {
    expect(sha256Of({ a: 1, b: { c: 2, d: 3 } })).toBe(sha256Of({ b: { d: 3, c: 2 }, a: 1 }));
    expect(sha256Of({ a: 1 })).not.toBe(sha256Of({ a: 2 }));
    expect(sha256Of('text')).toMatch(/^[0-9a-f]{64}$/);
  });
});
