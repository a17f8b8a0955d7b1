import * as kplus from 'cdk8s-plus-27';
import { all, only, synthWebApp } from './support';

const exemptions = (d: any): string[] =>
  Object.keys(d.metadata.annotations ?? {})
    .filter((k) => k.startsWith('polaris.fairwinds.com/'))
    .sort();

describe('Polaris exemptions mirror the options that ask for a deviation', () => {
  test('the defaults need none', () => {
    expect(exemptions(only(synthWebApp().objects, 'Deployment'))).toEqual([]);
  });

  test('pull policy, writable root filesystem, no NetworkPolicy', () => {
    const { objects } = synthWebApp({
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      readOnlyRootFilesystem: false,
      networkPolicy: { enabled: false },
    });
    expect(exemptions(only(objects, 'Deployment'))).toEqual([
      'polaris.fairwinds.com/missingNetworkPolicy-exempt',
      'polaris.fairwinds.com/notReadOnlyRootFilesystem-exempt',
      'polaris.fairwinds.com/pullPolicyNotAlways-exempt',
    ]);
  });

  test('a one-pod canary and an autoscaled main track', () => {
    const { objects } = synthWebApp({ autoscaling: { maxReplicas: 5 }, canary: { image: 'ghcr.io/acme/shop:2.0.0' } });
    const [main, canary] = all(objects, 'Deployment');
    expect(exemptions(main)).toEqual(['polaris.fairwinds.com/deploymentMissingReplicas-exempt']);
    expect(exemptions(canary)).toEqual(['polaris.fairwinds.com/deploymentMissingReplicas-exempt']);
  });
});
