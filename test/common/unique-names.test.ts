import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { SerialBatchJob, StatefulPostgres, WebAppWithIngress } from '../../src';
import { objectNameCollisions } from '../../src/common/unique-names';
import { MINIMAL } from '../web/support';

const synthError = (build: (app: ReturnType<typeof Testing.app>) => void): string => {
  const app = Testing.app();
  build(app);
  try {
    app.synthYaml();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};

describe('names that never collide', () => {
  test('two WebAppWithIngress named "shop" in one chart: synthesis names both constructs and the object', () => {
    const message = synthError((app) => {
      const chart = new Chart(app, 'Store');
      new WebAppWithIngress(chart, 'Web', { ...MINIMAL, name: 'shop' });
      new WebAppWithIngress(chart, 'Web2', { ...MINIMAL, name: 'shop' });
    });
    expect(message).toMatch(/^Validation failed with the following errors:\n/);
    expect(message).toContain(
      'Deployment "shop" without a namespace is synthesized twice, by Store/Web/Deployment/Resource and by Store/Web2/Deployment/Resource: kubectl apply would keep only the last one',
    );
    // every colliding kind is listed, not only the first
    expect(message).toContain('Service "shop"');
    expect(message).toContain('Ingress "shop"');
  });

  test('two charts without a namespace, each holding the same construct, collide', () => {
    const message = synthError((app) => {
      new WebAppWithIngress(new Chart(app, 'A'), 'Web', MINIMAL);
      new WebAppWithIngress(new Chart(app, 'B'), 'Web', MINIMAL);
    });
    expect(message).toContain(
      'Deployment "web" without a namespace is synthesized twice, by A/Web/Deployment/Resource and by B/Web/Deployment/Resource',
    );
  });

  test('the same construct in two namespaces does not collide', () => {
    expect(
      synthError((app) => {
        new WebAppWithIngress(new Chart(app, 'A', { namespace: 'shop-a' }), 'Web', MINIMAL);
        new WebAppWithIngress(new Chart(app, 'B', { namespace: 'shop-b' }), 'Web', MINIMAL);
      }),
    ).toBe('');
  });

  test("a plain object of the user that takes a construct's name collides too", () => {
    const message = synthError((app) => {
      const chart = new Chart(app, 'Store', { namespace: 'shop' });
      new WebAppWithIngress(chart, 'Web', MINIMAL);
      new ApiObject(chart, 'Mine', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' } });
    });
    expect(message).toContain('Service "web" in namespace "shop" is synthesized twice, by Store/Web/Service/Resource and by Store/Mine');
  });

  test('same name, different kind or API group, or cluster-scoped across namespaces', () => {
    const app = Testing.app();
    const a = new Chart(app, 'A', { namespace: 'a' });
    const b = new Chart(app, 'B', { namespace: 'b' });
    new ApiObject(a, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    new ApiObject(a, 'Sec', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
    new ApiObject(a, 'Ing', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x' } });
    new ApiObject(a, 'Ing2', { apiVersion: 'example.com/v1', kind: 'Ingress', metadata: { name: 'x' } });
    expect(objectNameCollisions(app)).toEqual([]);
    new ApiObject(a, 'Role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader' } });
    new ApiObject(b, 'Role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader' } });
    expect(objectNameCollisions(app)).toEqual([
      'ClusterRole "reader" (cluster-scoped) is synthesized twice, by A/Role and by B/Role: kubectl apply would keep only the last one; give one of them another name, or put it in another namespace',
    ]);
  });

  test('Testing.synth() of one chart reports it as well', () => {
    const chart = Testing.chart();
    new WebAppWithIngress(chart, 'Web', { ...MINIMAL, name: 'shop' });
    new WebAppWithIngress(chart, 'Other', { ...MINIMAL, name: 'shop' });
    expect(() => Testing.synth(chart)).toThrow(
      /Deployment "shop" without a namespace is synthesized twice, by test\/Web\/Deployment\/Resource and by test\/Other/,
    );
  });

  test('every pattern takes part: two StatefulPostgres or two SerialBatchJob under one name in one namespace', () => {
    const db = synthError((app) => {
      for (const id of ['A', 'B']) {
        const chart = new Chart(app, id, { namespace: 'data' });
        new StatefulPostgres(chart, 'db', { superuserSecret: kplus.Secret.fromSecretName(chart, 'Superuser', 'db-superuser') });
      }
    });
    expect(db).toContain(
      'StatefulSet "db-primary" in namespace "data" is synthesized twice, by A/db/PrimaryStatefulSet and by B/db/PrimaryStatefulSet',
    );
    const batch = synthError((app) => {
      for (const id of ['A', 'B']) {
        new SerialBatchJob(new Chart(app, id), 'nightly', {
          name: 'nightly',
          image: 'ghcr.io/acme/batch:2.3.0',
          steps: [{ name: 'extract', command: ['./extract.sh'] }],
        });
      }
    });
    expect(batch).toMatch(/Job "nightly" without a namespace is synthesized twice, by A\/nightly\/\S+ and by B\/nightly\//);
  });
});
