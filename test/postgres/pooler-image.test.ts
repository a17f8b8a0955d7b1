import * as kplus from 'cdk8s-plus-27';
import { container, find, synthDb } from './fixtures';

describe('pooler config container image', () => {
  test('runs the instance image, so a mirrored or local PostgreSQL image is the only one needed', () => {
    const { objects } = synthDb({
      image: 'registry.example.com/mirror/postgres:15.10-bookworm',
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      pooler: { image: 'registry.example.com/mirror/pgbouncer:1.23.0' },
      metrics: { poolerImage: 'registry.example.com/mirror/pgbouncer-exporter:v0.10.2' },
    });
    const pooler = find(objects, 'Deployment', 'db-pooler');
    const init = container(pooler.spec.template.spec, 'config');
    expect(init.image).toBe('registry.example.com/mirror/postgres:15.10-bookworm');
    expect(init.imagePullPolicy).toBe('IfNotPresent');
    const images = [...pooler.spec.template.spec.initContainers, ...pooler.spec.template.spec.containers].map((c: any) => c.image);
    expect(images.filter((i: string) => !i.startsWith('registry.example.com/'))).toEqual([]);
  });
});
