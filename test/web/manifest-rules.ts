/**
 * The kube-score (critical) and kube-linter (default) checks that a web app's objects can fail,
 * re-stated as plain rules over synthesized objects, so every test can hold the output to them
 * without the linter binaries. Objects carrying the tools' ignore annotations are exempt from the
 * named check, as the tools themselves would treat them.
 */
type Obj = any;

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

function matchesSelector(selector: Obj, labels: Record<string, string>): boolean {
  if (!selector) {
    return false;
  }
  const okLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const okExpr = (selector.matchExpressions ?? []).every((e: Obj) => e.operator === 'In' && e.values.includes(labels[e.key]));
  return okLabels && okExpr && (Object.keys(selector.matchLabels ?? {}).length > 0 || (selector.matchExpressions ?? []).length > 0);
}

function ignored(obj: Obj, check: string): boolean {
  const ann = obj.metadata?.annotations ?? {};
  return (ann['kube-score/ignore'] ?? '').split(',').includes(check) || ann[`ignore-check.kube-linter.io/${check}`] !== undefined;
}

/** Every problem a web app's objects have, as `<Kind>/<name>: <check>: <why>`. */
export function manifestProblems(objects: Obj[]): string[] {
  const out: string[] = [];
  const add = (obj: Obj, check: string, why: string) => {
    if (!ignored(obj, check)) {
      out.push(`${obj.kind}/${obj.metadata?.name}: ${check}: ${why}`);
    }
  };
  const ns = (o: Obj) => o.metadata?.namespace ?? '';
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployments = of('Deployment');
  const services = of('Service');
  const serviceAccounts = of('ServiceAccount');

  for (const d of deployments) {
    const pod = d.spec.template.spec;
    const labels = d.spec.template.metadata.labels;
    if (!matches(d.spec.selector.matchLabels, labels)) {
      add(d, 'mismatching-selector', 'selector does not match the template labels');
    }
    const hpa = of('HorizontalPodAutoscaler').find(
      (h) => h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === d.metadata.name && ns(h) === ns(d),
    );
    if (hpa && d.spec.replicas !== undefined) {
      add(d, 'deployment-targeted-by-hpa-does-not-have-replicas-configured', 'replicas set under an HPA');
    }
    const replicas = d.spec.replicas;
    if (replicas === undefined || replicas >= 2) {
      const pdb = of('PodDisruptionBudget').find((p) => ns(p) === ns(d) && matchesSelector(p.spec.selector, labels));
      if (!pdb) {
        add(d, 'deployment-has-poddisruptionbudget', 'no PodDisruptionBudget selects the pods');
      }
    }
    if (replicas !== undefined && replicas >= 2) {
      const terms = pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      if (
        !terms.some(
          (t: Obj) => t.podAffinityTerm.topologyKey === 'kubernetes.io/hostname' && matchesSelector(t.podAffinityTerm.labelSelector, labels),
        )
      ) {
        add(d, 'no-anti-affinity', 'no hostname anti-affinity selecting the pods');
      }
    }
    const np = of('NetworkPolicy').find((n) => ns(n) === ns(d) && matchesSelector(n.spec.podSelector, labels));
    if (!np || !np.spec.policyTypes.includes('Ingress') || !np.spec.policyTypes.includes('Egress')) {
      add(d, 'pod-networkpolicy', 'no NetworkPolicy with Ingress and Egress selects the pods');
    }
    const sa = pod.serviceAccountName;
    if (sa && sa !== 'default' && !serviceAccounts.some((s) => s.metadata.name === sa && ns(s) === ns(d))) {
      // kube-linter only sees the linted objects: an imported ServiceAccount is the user's to lint.
      add(d, 'non-existent-service-account', `ServiceAccount ${sa} is not in the output`);
    }
    for (const tsc of pod.topologySpreadConstraints ?? []) {
      if (!tsc.labelSelector || !(tsc.maxSkew > 0) || !tsc.topologyKey || !['ScheduleAnyway', 'DoNotSchedule'].includes(tsc.whenUnsatisfiable)) {
        add(d, 'pod-topology-spread-constraints', 'invalid constraint');
      }
    }
    const targeted = services.some((s) => ns(s) === ns(d) && matches(s.spec.selector, labels));
    for (const c of pod.containers) {
      const portNames = (c.ports ?? []).map((p: Obj) => p.name);
      const portNumbers = (c.ports ?? []).map((p: Obj) => p.containerPort);
      const { limits = {}, requests = {} } = c.resources ?? {};
      for (const r of ['cpu', 'memory']) {
        if (!limits[r]) add(d, 'container-resources', `no ${r} limit`);
        if (!requests[r]) add(d, 'container-resources', `no ${r} request`);
      }
      if (!limits['ephemeral-storage'] || !requests['ephemeral-storage']) {
        add(d, 'container-ephemeral-storage-request-and-limit', 'no ephemeral-storage request and limit');
      }
      const tag = /^[^@]*:([^/@]+)(@.*)?$/.exec(c.image)?.[1];
      if ((!tag || tag === 'latest') && !c.image.includes('@sha256:')) {
        add(d, 'container-image-tag', `image ${c.image} is not pinned`);
      }
      if (c.imagePullPolicy !== 'Always') {
        add(d, 'container-image-pull-policy', `imagePullPolicy ${c.imagePullPolicy}`);
      }
      const sc = c.securityContext ?? {};
      const user = sc.runAsUser ?? pod.securityContext?.runAsUser;
      const group = sc.runAsGroup ?? pod.securityContext?.runAsGroup;
      if (!(user >= 10000) || !(group >= 10000)) {
        add(d, 'container-security-context-user-group-id', `runAsUser ${user} runAsGroup ${group}`);
      }
      if (sc.readOnlyRootFilesystem !== true) {
        add(d, 'container-security-context-readonlyrootfilesystem', 'root filesystem writable');
        add(d, 'no-read-only-root-fs', 'root filesystem writable');
      }
      if (sc.privileged || sc.allowPrivilegeEscalation !== false) {
        add(d, 'privilege-escalation-container', 'privilege escalation possible');
      }
      if (!(sc.runAsNonRoot === true || user > 0)) {
        add(d, 'run-as-non-root', 'may run as root');
      }
      const drop = sc.capabilities?.drop;
      if (sc.capabilities && !(drop ?? []).some((x: string) => x === 'ALL' || x === 'NET_RAW')) {
        add(d, 'drop-net-raw-capability', 'NET_RAW not dropped');
      }
      if (targeted && !c.readinessProbe) {
        add(d, 'pod-probes', 'no readinessProbe');
      }
      const r = c.readinessProbe;
      const l = c.livenessProbe;
      if (r && l) {
        const same =
          (r.httpGet && l.httpGet && r.httpGet.path === l.httpGet.path && r.httpGet.port === l.httpGet.port) ||
          (r.tcpSocket && l.tcpSocket && r.tcpSocket.port === l.tcpSocket.port);
        if (same) add(d, 'pod-probes-identical', 'readiness and liveness probes are identical');
      }
      for (const [kind, probe] of [
        ['readiness-port', r],
        ['liveness-port', l],
        ['startup-port', c.startupProbe],
      ] as Array<[string, Obj]>) {
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
        if (port !== undefined && !portNames.includes(port) && !portNumbers.includes(port)) {
          add(d, kind, `probe port ${port} is not a container port`);
        }
      }
      const names = (c.env ?? []).map((e: Obj) => e.name);
      if (new Set(names).size !== names.length) {
        add(d, 'duplicate-env-var', 'duplicate env names');
      }
      for (const e of c.env ?? []) {
        if (/secret/i.test(e.name) && e.value !== undefined) add(d, 'env-var-secret', `${e.name} has a literal value`);
      }
      for (const p of c.ports ?? []) {
        if (p.containerPort === 22) add(d, 'ssh-port', 'port 22');
        if (p.name && !(p.name.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(p.name) && /[a-z]/.test(p.name))) {
          add(d, 'invalid-target-ports', `port name ${p.name}`);
        }
      }
    }
  }

  for (const s of services) {
    const target = deployments.find((d) => ns(d) === ns(s) && matches(s.spec.selector, d.spec.template.metadata.labels));
    if (!target) {
      add(s, 'service-targets-pod', 'selects no pod template');
      add(s, 'dangling-service', 'selects no pod template');
      continue;
    }
    for (const p of s.spec.ports) {
      const tp = p.targetPort ?? p.port;
      const cports = target.spec.template.spec.containers.flatMap((c: Obj) => c.ports ?? []);
      if (!cports.some((cp: Obj) => cp.name === tp || cp.containerPort === tp)) {
        add(s, 'invalid-target-ports', `targetPort ${tp} is not a container port`);
      }
    }
    if (s.spec.type === 'NodePort') add(s, 'service-type', 'NodePort');
  }

  for (const ing of of('Ingress')) {
    for (const rule of ing.spec.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        const b = p.backend.service;
        const svc = services.find((s) => s.metadata.name === b.name && ns(s) === ns(ing));
        if (!svc || !svc.spec.ports.some((sp: Obj) => sp.port === b.port.number || sp.name === b.port.name)) {
          add(ing, 'ingress-targets-service', `backend ${b.name}:${b.port.number ?? b.port.name} does not exist`);
        }
      }
    }
  }

  for (const h of of('HorizontalPodAutoscaler')) {
    if (!deployments.some((d) => d.metadata.name === h.spec.scaleTargetRef.name && ns(d) === ns(h))) {
      add(h, 'horizontalpodautoscaler-has-target', 'target not in the output');
    }
  }

  for (const p of of('PodDisruptionBudget')) {
    if (p.spec.minAvailable === undefined && p.spec.maxUnavailable === undefined) add(p, 'poddisruptionbudget-has-policy', 'no policy');
    if (p.spec.maxUnavailable === 0 || p.spec.maxUnavailable === '0%') add(p, 'pdb-max-unavailable', 'maxUnavailable 0');
    if (!p.spec.unhealthyPodEvictionPolicy) add(p, 'pdb-unhealthy-pod-eviction-policy', 'not set');
  }

  for (const n of of('NetworkPolicy')) {
    if (!deployments.some((d) => ns(d) === ns(n) && matchesSelector(n.spec.podSelector, d.spec.template.metadata.labels))) {
      add(n, 'networkpolicy-targets-pod', 'selects no pod template');
    }
  }

  for (const o of objects) {
    for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
      if (typeof v !== 'string' || v.length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v)) {
        add(o, 'label-values', `${k}=${v}`);
      }
    }
  }
  return out;
}
