import { Testing } from 'cdk8s';
import { ordersApp } from '../../apps/orders';
import { confSettings, find, K8sObject, ofKind } from './fixtures';

function synthOrders(): K8sObject[] {
  const app = Testing.app();
  ordersApp(app);
  return app.charts.flatMap((c) => Testing.synth(c) as K8sObject[]);
}

function kib(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity)!;
  return Number(m[1]) * { Ki: 1, Mi: 1024, Gi: 1024 * 1024 }[m[2] as 'Ki' | 'Mi' | 'Gi'];
}

describe('the orders example', () => {
  const objects = synthOrders();

  test('has read-write and read-only Services, volume claim templates, a PDB and NetworkPolicies', () => {
    expect(find(objects, 'Service', 'orders-db-rw').spec.ports[0].port).toBe(5432);
    expect(find(objects, 'Service', 'orders-db-ro').spec.selector['app.kubernetes.io/component']).toBe('read');
    expect(find(objects, 'StatefulSet', 'orders-db-primary').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
    expect(find(objects, 'StatefulSet', 'orders-db-read').spec.replicas).toBe(2);
    expect(find(objects, 'PodDisruptionBudget', 'orders-db').spec.maxUnavailable).toBe(1);
    expect(ofKind(objects, 'NetworkPolicy').length).toBeGreaterThanOrEqual(1);
  });

  test('shared_buffers is a quarter of the PostgreSQL container memory limit', () => {
    const pg = find(objects, 'StatefulSet', 'orders-db-primary').spec.template.spec.containers.find((c: any) => c.name === 'postgres');
    const conf = confSettings(find(objects, 'ConfigMap', 'orders-db-config').data['postgresql.conf']);
    const m = /^(\d+)(MB|GB)$/.exec(conf.shared_buffers)!;
    expect(Number(m[1]) * (m[2] === 'GB' ? 1024 * 1024 : 1024)).toBe(kib(pg.resources.limits.memory) / 4);
  });

  test('the web app connects through the pooler with the password from its Secret, admitted by the NetworkPolicies of both sides', () => {
    const web = find(objects, 'Deployment', 'orders-web');
    const env = Object.fromEntries(web.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ PGHOST: 'orders-db-pooler', PGDATABASE: 'orders', PGUSER: 'orders_app' });
    expect(env.PGPASSWORD).toEqual({ secretKeyRef: { name: 'orders-db-app', key: 'password' } });
    const labels = web.spec.template.metadata.labels;
    const admits = (peer: any) => Object.entries(peer.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const pooler = find(objects, 'NetworkPolicy', 'orders-db-pooler');
    expect(pooler.spec.ingress.some((r: any) => r.ports.some((p: any) => p.port === 6432) && r.from.some(admits))).toBe(true);
    const egress = find(objects, 'NetworkPolicy', 'orders-web').spec.egress;
    expect(
      egress.some(
        (r: any) => r.ports?.some((p: any) => p.port === 6432) && r.to?.[0].podSelector.matchLabels['app.kubernetes.io/component'] === 'pooler',
      ),
    ).toBe(true);
  });

  test('no password or key material in the output', () => {
    const text = JSON.stringify(objects);
    expect(ofKind(objects, 'Secret')).toEqual([]);
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|SCRAM-SHA-256\$|AKIA[0-9A-Z]{16}/);
  });
});
