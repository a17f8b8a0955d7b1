import { Duration, Testing } from 'cdk8s';
import { WebAppWithIngress } from '../../src';

/** Paths of values the API server drops when it stores an object: empty lists, false hostNetwork, zero minReadySeconds. */
function serverDroppedValues(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [path] : value.flatMap((v, i) => serverDroppedValues(v, `${path}/${i}`));
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const here = `${path}/${k}`;
      if ((k === 'hostNetwork' && v === false) || (k === 'minReadySeconds' && v === 0)) {
        return [here];
      }
      return serverDroppedValues(v, here);
    });
  }
  return [];
}

describe('a second kubectl apply changes nothing', () => {
  test('no object carries a value the API server drops (every apply would report configured)', () => {
    const chart = Testing.chart();
    new WebAppWithIngress(chart, 'Web', {
      image: 'ghcr.io/acme/web:1.0.0',
      host: 'web.example.com',
      minReady: Duration.seconds(0),
      canary: { image: 'ghcr.io/acme/web:1.1.0', weight: 10 },
      autoscaling: { minReplicas: 2, maxReplicas: 4 },
    });
    const objects = Testing.synth(chart);
    const dropped = objects.flatMap((o: any) => serverDroppedValues(o).map((p) => `${o.kind}/${o.metadata.name}${p}`));
    expect(dropped).toEqual([]);
  });
});
