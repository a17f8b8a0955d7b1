/**
 * WebAppWithIngress in real pods (apps/shop.ts's shape): real probes, a Service reached by DNS
 * name, a rolling update under a request loop that loses nothing, the PodDisruptionBudget
 * refusing an eviction, and the container's security settings observed from inside.
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { WebAppWithIngress, WebAppWithIngressProps } from '../../src';
import {
  apply,
  exec,
  getJson,
  httpGet,
  image,
  kubectl,
  kubectlBackground,
  Namespace,
  podNames,
  startClientPod,
  waitFor,
  waitForRollout,
} from './support/node-cluster';

/** apps/shop.ts's web front, on the local HTTP image, in the scenario's namespace. */
function shopWeb(ns: string, overrides: Partial<WebAppWithIngressProps> = {}): WebAppWithIngress {
  const chart = new Chart(Testing.app(), 'shop', { namespace: ns });
  return new WebAppWithIngress(chart, 'Web', {
    image: image('HTTP_IMAGE'),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    host: 'shop.example.com',
    port: 8080,
    replicas: 2,
    partOf: 'shop',
    healthCheckPath: '/healthz',
    livenessCheckPath: '/livez',
    config: { LOG_LEVEL: 'info' },
    ...overrides,
  });
}

/** Synthesizes and applies the web app. */
function applyWeb(ns: string, overrides: Partial<WebAppWithIngressProps> = {}): WebAppWithIngress {
  const web = shopWeb(ns, overrides);
  apply(Chart.of(web));
  return web;
}

describe('WebAppWithIngress on a real node', () => {
  let ns: Namespace;
  beforeAll(() => {
    ns = Namespace.create('web');
  });
  afterAll(async () => {
    await ns?.delete();
  });

  test('rolls out with its real probes and answers through its Service by DNS name', async () => {
    const web = applyWeb(ns.name);
    await waitForRollout(ns.name, web.deployment.name);
    await startClientPod(ns.name);
    const host = `${web.service.name}.${ns.name}.svc.cluster.local`;
    const response = httpGet(ns.name, 'client', host, web.servicePort, '/');
    expect(response).toMatch(/^HTTP\/1\.[01] 200 OK/);
    expect(response).toContain('http 1');
  });

  test('the read-only root file system, the non-root uid and the dropped capabilities hold inside the container', () => {
    const [pod] = podNames(ns.name, 'app.kubernetes.io/instance=web');
    expect(exec(ns.name, pod, ['id', '-u']).trim()).toBe('10001');
    const write = kubectl(['exec', '-n', ns.name, pod, '--', 'touch', '/probe-file'], { allowFailure: true });
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
    const status = exec(ns.name, pod, ['cat', '/proc/self/status']);
    for (const cap of ['CapEff', 'CapPrm', 'CapBnd']) {
      expect(status).toMatch(new RegExp(`^${cap}:\\s+0000000000000000$`, 'm'));
    }
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    // the writable directory the construct mounts
    exec(ns.name, pod, ['touch', '/tmp/probe-file']);
  });

  test('a rolling update to a new image under a steady request loop loses 0 requests', async () => {
    const web = shopWeb(ns.name);
    const host = `${web.service.name}.${ns.name}.svc.cluster.local`;
    // the loop: one request every 50 ms until /tmp/stop exists; counts answers per version and failures
    const loop = [
      'ok1=0; ok2=0; fail=0; rm -f /tmp/stop /tmp/progress',
      'while [ ! -e /tmp/stop ]; do',
      `  r=$(printf 'GET / HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' | nc -w 5 '${host}' ${web.servicePort} 2>&1)`,
      '  case "$r" in',
      '    *"200 OK"*"http 1"*) ok1=$((ok1 + 1)) ;;',
      '    *"200 OK"*"http 2"*) ok2=$((ok2 + 1)) ;;',
      '    *) fail=$((fail + 1)); echo "failed at $(date +%T): $r" >&2 ;;',
      '  esac',
      '  echo "$ok1" > /tmp/progress',
      '  usleep 50000',
      'done',
      'echo "v1=$ok1 v2=$ok2 failed=$fail"',
    ].join('\n');
    const running = kubectlBackground(['exec', '-n', ns.name, 'client', '--', 'sh', '-c', loop]);
    // the update starts once the loop has had answers
    await waitFor('request loop answering', 60_000, () => {
      const progress = kubectl(['exec', '-n', ns.name, 'client', '--', 'cat', '/tmp/progress'], { allowFailure: true }).stdout;
      return Number(progress.trim() || '0') >= 5 ? true : undefined;
    });
    applyWeb(ns.name, { image: image('HTTP_IMAGE_V2') });
    await waitForRollout(ns.name, web.deployment.name, 300_000);
    // every old pod gone (terminated after its preStop delay), then stop the loop
    await waitFor('old pods gone', 120_000, () => {
      const pods = getJson(['pods', '-n', ns.name, '-l', 'app.kubernetes.io/instance=web']).items as any[];
      return pods.every((p) => p.spec.containers[0].image === image('HTTP_IMAGE_V2')) ? true : undefined;
    });
    exec(ns.name, 'client', ['touch', '/tmp/stop']);
    const result = await running;
    const m = /v1=(\d+) v2=(\d+) failed=(\d+)/.exec(result.stdout);
    if (!m) {
      throw new Error(`request loop ended without a count: ${result.stdout} ${result.stderr}`);
    }
    const [v1, v2, failed] = m.slice(1).map(Number);
    console.log(`rolling update: ${v1} answers from v1, ${v2} from v2, ${failed} failed`);
    expect(result.stderr).toBe('');
    expect(failed).toBe(0);
    expect(v1).toBeGreaterThan(0);
    expect(v2).toBeGreaterThan(0);
  });

  test('the PodDisruptionBudget refuses an eviction that would leave no pod available', async () => {
    const web = shopWeb(ns.name);
    await waitFor('PodDisruptionBudget allows one disruption', 60_000, () => {
      const pdb = getJson(['pdb', '-n', ns.name]).items[0];
      return pdb?.status?.disruptionsAllowed === 1 ? true : undefined;
    });
    const [first, second] = podNames(ns.name, 'app.kubernetes.io/instance=web');
    const evict = (pod: string) =>
      kubectl(['create', '--raw', `/api/v1/namespaces/${ns.name}/pods/${pod}/eviction`, '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: ns.name } }),
        allowFailure: true,
      });
    const allowed = evict(first);
    expect(allowed.code).toBe(0);
    const refused = evict(second);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/disruption budget|TooManyRequests/i);
    expect(getJson(['pod', '-n', ns.name, second]).metadata.deletionTimestamp).toBeUndefined();
    await waitForRollout(ns.name, web.deployment.name);
  });

  test('a broken manifest fails the suite with the reason: probes on a port the app does not listen on', async () => {
    // the image serves 8080; the construct points the container port, and so every probe, at 9999
    const broken = applyWeb(ns.name, { name: 'broken', port: 9999, replicas: 1 });
    await expect(waitForRollout(ns.name, broken.deployment.name, 45_000)).rejects.toThrow(/probe failed: .*:9999.*connection refused/);
    kubectl(['delete', 'deployment', '-n', ns.name, broken.deployment.name, '--wait=false']);
  });
});
