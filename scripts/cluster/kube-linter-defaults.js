#!/usr/bin/env node
'use strict';
/**
 * A PORT of kube-linter's default checks, NOT the kube-linter binary.
 *
 * kube-linter (github.com/stackrox/kube-linter) is a Go program; this file re-implements, in plain
 * Node, the 31 checks it enables by default so CI can hold the synthesized manifests to them where
 * the binary itself cannot be installed. It follows kube-linter's main branch: the default list in
 * internal/defaultchecks, each check's template in pkg/templates/<template>/template.go with the
 * params from pkg/builtinchecks/yamls/<check>.yaml, the object kinds from pkg/objectkinds, the
 * lint contexts from pkg/lintcontext and the ignore annotations from pkg/ignore. Messages and
 * remediations are kube-linter's own text. Three recent changes on main are included:
 * run-as-non-root also reports an explicit `runAsGroup: 0` (stackrox/kube-linter#1178),
 * env-var-secret no longer matches `SECRETS_*` names (#1206), and no-anti-affinity accepts a
 * matching topologySpreadConstraint (#1224).
 *
 * Known differences from the binary:
 *  - Only YAML files are read (no Helm charts, no stdin) and there is no config file: the 31
 *    default checks always run with their default parameters.
 *  - kube-linter decodes every document into a typed Go object and silently leaves out of the lint
 *    context what its scheme cannot decode. This port approximates that with a table of the
 *    built-in API groups, versions and kinds (KNOWN_KINDS) and a check of resource quantities;
 *    other type errors (a string where a number belongs) are not detected. Left-out documents are
 *    reported on stderr.
 *  - The message for `runAsGroup: 0` and the error texts for invalid label selectors are
 *    reconstructed, not copied.
 *  - File paths are printed as given, not made absolute.
 *
 * Usage: node scripts/cluster/kube-linter-defaults.js [--context-per-file] [--fail-if-no-objects-found] FILE_OR_DIR...
 * Like kube-linter, the YAML files of one directory form one lint context (cross-object checks
 * such as dangling-service see every object of that directory); --context-per-file makes each
 * file its own context instead. Exit status: 0 no finding, 1 findings, 2 usage or read errors.
 */

const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

// ---------------------------------------------------------------------------------------------
// Object kinds (pkg/objectkinds) and the kinds the Go scheme can decode.

const CORE_KINDS = [
  'Pod',
  'PodTemplate',
  'ReplicationController',
  'Service',
  'ServiceAccount',
  'Endpoints',
  'Node',
  'Namespace',
  'Secret',
  'ConfigMap',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'LimitRange',
  'ResourceQuota',
  'Event',
  'Binding',
  'ComponentStatus',
  'RangeAllocation',
  'List',
];
const RBAC_KINDS = ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'];

/** group/version -> kinds the scheme decodes; `null` means any kind of that group/version. */
const KNOWN_KINDS = new Map([
  ['/v1', CORE_KINDS],
  ['apps/v1', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision']],
  ['apps/v1beta1', ['Deployment', 'StatefulSet', 'ControllerRevision', 'Scale']],
  ['apps/v1beta2', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision', 'Scale']],
  ['batch/v1', ['Job', 'CronJob']],
  ['batch/v1beta1', ['CronJob', 'JobTemplate']],
  ['autoscaling/v1', ['HorizontalPodAutoscaler', 'Scale']],
  ['autoscaling/v2', ['HorizontalPodAutoscaler']],
  ['autoscaling/v2beta1', ['HorizontalPodAutoscaler']],
  ['autoscaling/v2beta2', ['HorizontalPodAutoscaler']],
  ['policy/v1', ['PodDisruptionBudget', 'Eviction']],
  ['policy/v1beta1', ['PodDisruptionBudget', 'Eviction']],
  ['networking.k8s.io/v1', ['NetworkPolicy', 'Ingress', 'IngressClass', 'IPAddress', 'ServiceCIDR']],
  ['networking.k8s.io/v1beta1', ['Ingress', 'IngressClass', 'IPAddress', 'ServiceCIDR']],
  ['extensions/v1beta1', ['Deployment', 'DaemonSet', 'ReplicaSet', 'Ingress', 'NetworkPolicy', 'Scale']],
  ['rbac.authorization.k8s.io/v1', RBAC_KINDS],
  ['rbac.authorization.k8s.io/v1beta1', RBAC_KINDS],
  ['rbac.authorization.k8s.io/v1alpha1', RBAC_KINDS],
  ...[
    'storage.k8s.io/v1',
    'storage.k8s.io/v1beta1',
    'storage.k8s.io/v1alpha1',
    'scheduling.k8s.io/v1',
    'scheduling.k8s.io/v1beta1',
    'scheduling.k8s.io/v1alpha1',
    'admissionregistration.k8s.io/v1',
    'admissionregistration.k8s.io/v1beta1',
    'admissionregistration.k8s.io/v1alpha1',
    'coordination.k8s.io/v1',
    'coordination.k8s.io/v1beta1',
    'coordination.k8s.io/v1alpha2',
    'discovery.k8s.io/v1',
    'discovery.k8s.io/v1beta1',
    'events.k8s.io/v1',
    'events.k8s.io/v1beta1',
    'node.k8s.io/v1',
    'node.k8s.io/v1beta1',
    'node.k8s.io/v1alpha1',
    'certificates.k8s.io/v1',
    'certificates.k8s.io/v1beta1',
    'certificates.k8s.io/v1alpha1',
    'flowcontrol.apiserver.k8s.io/v1',
    'flowcontrol.apiserver.k8s.io/v1beta3',
    'flowcontrol.apiserver.k8s.io/v1beta2',
    'flowcontrol.apiserver.k8s.io/v1beta1',
    'authentication.k8s.io/v1',
    'authentication.k8s.io/v1beta1',
    'authentication.k8s.io/v1alpha1',
    'authorization.k8s.io/v1',
    'authorization.k8s.io/v1beta1',
    'resource.k8s.io/v1',
    'resource.k8s.io/v1beta1',
    'resource.k8s.io/v1beta2',
    'resource.k8s.io/v1alpha3',
    'storagemigration.k8s.io/v1alpha1',
    'internal.apiserver.k8s.io/v1alpha1',
    'apps.openshift.io/v1',
    'security.openshift.io/v1',
    'monitoring.coreos.com/v1',
    'keda.sh/v1alpha1',
  ].map((gv) => [gv, null]),
]);

function gvkOf(obj) {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return { group, version, kind: typeof obj.kind === 'string' ? obj.kind : '' };
}

/** schema.GroupVersionKind.String() */
function gvkString(gvk) {
  return `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`;
}

const is = (gvk, group, version, kind) => gvk.group === group && gvk.version === version && gvk.kind === kind;

// objectkinds.DeploymentLike matches on group and kind (any version); DeploymentConfig only
// counts with allowOpenshiftKinds, which is off by default.
const DEPLOYMENT_LIKE = new Set([
  'apps/Deployment',
  'apps/DaemonSet',
  'apps/StatefulSet',
  'apps/ReplicaSet',
  '/Pod',
  '/ReplicationController',
  'batch/Job',
  'batch/CronJob',
]);
const isDeploymentLike = (gvk) => DEPLOYMENT_LIKE.has(`${gvk.group}/${gvk.kind}`);
const isJobLike = (gvk) => is(gvk, 'batch', 'v1', 'Job') || is(gvk, 'batch', 'v1', 'CronJob');
const isService = (gvk) => is(gvk, '', 'v1', 'Service');
const isPDB = (gvk) => is(gvk, 'policy', 'v1', 'PodDisruptionBudget');
const isCronJob = (gvk) => gvk.group === 'batch' && (gvk.version === 'v1' || gvk.version === 'v1beta1') && gvk.kind === 'CronJob';

// Typed Go objects whose Spec has a `Template corev1.PodTemplateSpec` (extract.PodTemplateSpec uses
// reflection on Spec.Template), a `Selector *metav1.LabelSelector` and a `Replicas *int32`.
const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet']);
function hasTemplateField(gvk) {
  return ((gvk.group === 'apps' || gvk.group === 'extensions') && WORKLOAD_KINDS.has(gvk.kind)) || (gvk.group === 'batch' && gvk.kind === 'Job');
}
function hasReplicasField(gvk) {
  if (gvk.group === '' && gvk.kind === 'ReplicationController') return true;
  return (gvk.group === 'apps' || gvk.group === 'extensions') && ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(gvk.kind);
}

const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const mapOr = (v) => (isMap(v) ? v : {});
const arrayOr = (v) => (Array.isArray(v) ? v : []);
const metadataOf = (obj) => mapOr(obj.metadata);
const namespaceOf = (obj) => (typeof metadataOf(obj).namespace === 'string' ? metadataOf(obj).namespace : '');
const nameOf = (obj) => (typeof metadataOf(obj).name === 'string' ? metadataOf(obj).name : '');

/** extract.PodTemplateSpec: the pod template of an object, or undefined. */
function podTemplateOf(obj) {
  const gvk = gvkOf(obj);
  if (gvk.group === '' && gvk.kind === 'Pod') return { metadata: mapOr(obj.metadata), spec: mapOr(obj.spec) };
  if (isCronJob(gvk)) return normTemplate(mapOr(mapOr(mapOr(obj.spec).jobTemplate).spec).template);
  if (hasTemplateField(gvk)) return normTemplate(mapOr(obj.spec).template);
  if (gvk.group === '' && gvk.kind === 'ReplicationController') {
    const t = mapOr(obj.spec).template;
    return isMap(t) ? normTemplate(t) : undefined; // a nil *PodTemplateSpec is not extracted
  }
  return undefined;
}
const normTemplate = (t) => ({ metadata: mapOr(mapOr(t).metadata), spec: mapOr(mapOr(t).spec) });
const labelsOf = (template) => mapOr(template.metadata.labels);

/** extract.Selector: { found, selector } where selector may be null. */
function selectorOf(obj) {
  const gvk = gvkOf(obj);
  if (isCronJob(gvk)) return { found: true, selector: nullable(mapOr(mapOr(mapOr(obj.spec).jobTemplate).spec).selector) };
  if (hasTemplateField(gvk)) return { found: true, selector: nullable(mapOr(obj.spec).selector) };
  return { found: false, selector: null };
}
const nullable = (v) => (isMap(v) ? v : null);

/** extract.Replicas: { found, replicas } with an unset replicas counting as 1. */
function replicasOf(obj) {
  if (!hasReplicasField(gvkOf(obj))) return { found: false, replicas: 0 };
  const r = mapOr(obj.spec).replicas;
  return { found: true, replicas: typeof r === 'number' ? r : 1 };
}

/** customtypes.PodSpec.AllContainers: init, regular and ephemeral containers. */
const allContainers = (spec) => [...arrayOr(spec.initContainers), ...arrayOr(spec.containers), ...arrayOr(spec.ephemeralContainers)].map(mapOr);
const nonInitContainers = (spec) => arrayOr(spec.containers).map(mapOr);
const str = (v) => (typeof v === 'string' ? v : '');

// ---------------------------------------------------------------------------------------------
// Go formatting helpers, so messages read as kube-linter prints them.

/** strconv.Quote / %q of a string. */
function goQuote(s) {
  return JSON.stringify(String(s)).replace(/\x7f/g, '\\x7f');
}
/** %q of a []string: ["a" "b"] */
const goQuoteList = (list) => `[${list.map(goQuote).join(' ')}]`;
/** %v of a map[string]string: map[a:b c:d] with sorted keys */
function goMap(m) {
  const keys = Object.keys(mapOr(m)).sort();
  return `map[${keys.map((k) => `${k}:${goScalar(m[k])}`).join(' ')}]`;
}
const goScalar = (v) => (v === null || v === undefined ? '' : String(v));
/** (*metav1.LabelSelector).String() as generated by gogo-protobuf. */
function goLabelSelector(ls) {
  if (!ls) return 'nil';
  const ml = mapOr(ls.matchLabels);
  const labels = Object.keys(ml)
    .sort()
    .map((k) => `${k}: ${goScalar(ml[k])},`)
    .join('');
  const exprs = arrayOr(ls.matchExpressions)
    .map(mapOr)
    .map((e) => `LabelSelectorRequirement{Key:${str(e.key)},Operator:${str(e.operator)},Values:[${arrayOr(e.values).map(goScalar).join(' ')}],},`)
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}
/** intstr.IntOrString.String() */
const intOrStringString = (v) => (typeof v === 'number' ? String(Math.trunc(v)) : goScalar(v));

// ---------------------------------------------------------------------------------------------
// Label selectors (k8s.io/apimachinery/pkg/labels).

const QUALIFIED_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelKeyError(key) {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    if (parts[0].length === 0 || parts[0].length > 253 || !DNS1123_SUBDOMAIN.test(parts[0])) {
      return `key: Invalid value: ${goQuote(key)}: prefix part must be a lowercase RFC 1123 subdomain`;
    }
    name = parts[1];
  } else if (parts.length > 2) {
    return `key: Invalid value: ${goQuote(key)}: a qualified name must consist of alphanumeric characters, '-', '_' or '.'`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `key: Invalid value: ${goQuote(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}
function labelValueError(value) {
  if (value.length > 63 || (value.length > 0 && !QUALIFIED_NAME.test(value))) {
    return `values[0]: Invalid value: ${goQuote(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

/**
 * metav1.LabelSelectorAsSelector. Returns { selector } or { error }. A null selector selects
 * nothing; an empty one selects everything.
 */
function labelSelectorAsSelector(ls) {
  if (!ls) return { selector: { nothing: true, reqs: [] } };
  const ml = mapOr(ls.matchLabels);
  const exprs = arrayOr(ls.matchExpressions).map(mapOr);
  if (Object.keys(ml).length === 0 && exprs.length === 0) return { selector: { nothing: false, reqs: [] } };
  const reqs = [];
  for (const k of Object.keys(ml)) {
    const v = goScalar(ml[k]);
    const err = labelKeyError(k) || labelValueError(v);
    if (err) return { error: err };
    reqs.push({ key: k, op: '=', values: [v] });
  }
  const ops = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };
  for (const e of exprs) {
    const key = str(e.key);
    const op = ops[str(e.operator)];
    if (!op) return { error: `${goQuote(str(e.operator))} is not a valid label selector operator` };
    const values = arrayOr(e.values).map(goScalar);
    if ((op === 'in' || op === 'notin') && values.length === 0) {
      return { error: "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty" };
    }
    if ((op === 'exists' || op === '!') && values.length > 0) {
      return { error: 'values: Invalid value: values set must be empty for exists and does not exist' };
    }
    const err = labelKeyError(key) || values.map(labelValueError).find(Boolean);
    if (err) return { error: err };
    reqs.push({ key, op, values: [...values].sort() });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { selector: { nothing: false, reqs } };
}

function selectorMatches(sel, labels) {
  if (sel.nothing) return false;
  const has = (k) => Object.prototype.hasOwnProperty.call(labels, k);
  return sel.reqs.every((r) => {
    const v = has(r.key) ? goScalar(labels[r.key]) : undefined;
    switch (r.op) {
      case '=':
        return v !== undefined && v === r.values[0];
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
      case 'exists':
        return v !== undefined;
      default:
        return v === undefined;
    }
  });
}

function selectorString(sel) {
  return sel.reqs
    .map((r) => {
      switch (r.op) {
        case '=':
          return `${r.key}=${r.values[0]}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.op} (${r.values.join(',')})`;
        case 'exists':
          return r.key;
        default:
          return `!${r.key}`;
      }
    })
    .join(',');
}

/** labels.Set(m).String() */
const labelSetString = (m) =>
  Object.keys(mapOr(m))
    .sort()
    .map((k) => `${k}=${goScalar(m[k])}`)
    .join(',');

// ---------------------------------------------------------------------------------------------
// Quantities (k8s.io/apimachinery/pkg/api/resource), enough to tell zero from non-zero.

const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

/** The numeric value of a quantity, or undefined when kube-linter could not decode it. */
function parseQuantity(q) {
  if (typeof q === 'number' && Number.isFinite(q)) return q;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] || '';
  const scale = {
    '': 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  if (suffix in scale) return n * scale[suffix];
  return n * 10 ** Number(suffix.slice(1));
}

// ---------------------------------------------------------------------------------------------
// Shared pieces of the templates.

/** util.PerContainerCheck (all containers) / PerNonInitContainerCheck. */
const perContainer =
  (fn, containersOf = allContainers) =>
  (_ctx, obj) => {
    const t = podTemplateOf(obj);
    if (!t) return [];
    return containersOf(t.spec).flatMap((c) => fn(c, t.spec));
  };

/** util.CheckProbePort */
function checkProbePort(container, probe) {
  if (!isMap(probe)) return [];
  const ports = new Set();
  for (const p of arrayOr(container.ports).map(mapOr)) {
    if (p.protocol !== undefined && p.protocol !== '' && p.protocol !== 'TCP') continue;
    ports.add(`int:${typeof p.containerPort === 'number' ? p.containerPort : 0}`);
    ports.add(`str:${str(p.name)}`);
  }
  const key = (port) => (typeof port === 'number' ? `int:${port}` : `str:${goScalar(port)}`);
  const name = goQuote(str(container.name));
  if (isMap(probe.httpGet) && !ports.has(key(probe.httpGet.port))) {
    return [`container ${name} does not expose port ${intOrStringString(probe.httpGet.port)} for the HTTPGet`];
  }
  if (isMap(probe.tcpSocket) && !ports.has(key(probe.tcpSocket.port))) {
    return [`container ${name} does not expose port ${intOrStringString(probe.tcpSocket.port)} for the TCPSocket`];
  }
  if (isMap(probe.grpc)) {
    const port = typeof probe.grpc.port === 'number' ? probe.grpc.port : 0;
    if (!ports.has(`int:${port}`)) return [`container ${name} does not expose port ${port} for the GRPC check`];
  }
  return [];
}

/** the host-mounts template */
const hostMounts = (dirs) => (_ctx, obj) => {
  const t = podTemplateOf(obj);
  if (!t) return [];
  const results = [];
  const containers = allContainers(t.spec);
  for (const v of arrayOr(t.spec.volumes).map(mapOr)) {
    if (!isMap(v.hostPath)) continue;
    const hostPath = str(v.hostPath.path);
    for (const dir of dirs) {
      if (!dir.test(hostPath)) continue;
      for (const c of containers) {
        for (const m of arrayOr(c.volumeMounts).map(mapOr)) {
          if (str(m.name) === str(v.name)) {
            results.push(`host system directory ${goQuote(hostPath)} is mounted on container ${goQuote(str(c.name))}`);
          }
        }
      }
    }
  }
  return results;
};

/** k8s.io/apimachinery/pkg/util/validation.IsValidPortName */
function portNameErrors(port) {
  const errs = [];
  if (port.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port[0] === '-' || port[port.length - 1] === '-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** Go strconv.Atoi */
const atoi = (s) => (/^[+-]?[0-9]+$/.test(s) ? Number(s) : undefined);

const securityContextOf = (c) => mapOr(c.securityContext);
const effective = (c, podSpec, field) => {
  const own = securityContextOf(c)[field];
  if (own !== undefined && own !== null) return own;
  const pod = mapOr(podSpec.securityContext)[field];
  return pod === undefined ? null : pod;
};

// ---------------------------------------------------------------------------------------------
// The 31 default checks, in the order kube-linter runs them (sorted by name).

const SENSITIVE_DIRS = ['^/$', '^/boot$', '^/dev$', '^/etc$', '^/lib$', '^/proc$', '^/sys$', '^/usr$'].map((d) => new RegExp(d));
const LATEST_TAG_BLOCK_LIST = ['.*:(latest)$', '^[^:]*$', '(.*/[^:]+)$'];
const LATEST_TAG_REGEXES = LATEST_TAG_BLOCK_LIST.map((r) => new RegExp(r));
const ENV_VAR_SECRET_NAME = /.*secret([^s].*|$)/i;
const ALL_CAPABILITIES = /^all$/i;
const UNSAFE_SYSCTLS = ['kernel.msg', 'kernel.sem', 'kernel.shm', 'fs.mqueue.', 'net.'];

const CHECKS = [
  {
    name: 'dangling-service',
    remediation: "Confirm that your service's selector correctly matches the labels on one of your deployments.",
    appliesTo: isService,
    run(ctx, svc) {
      const spec = mapOr(svc.spec);
      if (spec.type === 'ExternalName') return [];
      const selector = mapOr(spec.selector);
      if (Object.keys(selector).length === 0) return ['service has no selector specified'];
      const parsed = labelSelectorAsSelector({ matchLabels: selector });
      if (parsed.error) return [`service has invalid label selector: ${parsed.error}`];
      for (const other of ctx) {
        const t = podTemplateOf(other);
        if (!t || namespaceOf(svc) !== namespaceOf(other)) continue;
        if (selectorMatches(parsed.selector, labelsOf(t))) return [];
      }
      return [`no pods found matching service labels (${goMap(selector)})`];
    },
  },
  {
    name: 'deprecated-service-account-field',
    remediation:
      'Use the serviceAccountName field instead. If you must specify serviceAccount, ensure values for serviceAccount and serviceAccountName match.',
    appliesTo: isDeploymentLike,
    run(_ctx, obj) {
      const t = podTemplateOf(obj);
      const sa = t ? str(t.spec.serviceAccount) : '';
      return sa ? [`serviceAccount is specified (${sa}), but this field is deprecated; use serviceAccountName instead`] : [];
    },
  },
  {
    name: 'docker-sock',
    remediation:
      'Ensure the Docker socket is not mounted inside any containers by removing the associated  Volume and VolumeMount in deployment yaml specification. If the Docker socket is mounted inside a container it could allow processes running within  the container to execute Docker commands which would effectively allow for full control of the host.',
    appliesTo: isDeploymentLike,
    run: hostMounts([/docker.sock$/]),
  },
  {
    name: 'drop-net-raw-capability',
    remediation:
      'NET_RAW makes it so that an application within the container is able to craft raw packets, use raw sockets, and bind to any address. Remove this capability in the containers under containers security contexts.',
    appliesTo: isDeploymentLike,
    // the verify-container-capabilities template with forbiddenCapabilities [NET_RAW]
    run: perContainer((c) => {
      const caps = securityContextOf(c).capabilities;
      if (!isMap(caps)) return [];
      const results = [];
      const name = goQuote(str(c.name));
      for (const cap of arrayOr(caps.add).map(goScalar)) {
        if (/NET_RAW/.test(cap) || ALL_CAPABILITIES.test(cap)) {
          results.push(`container ${name} has ADD capability: ${goQuote(cap)}, which matched with the forbidden capability for containers`);
        }
      }
      const drop = arrayOr(caps.drop).map(goScalar);
      if (!drop.some((cap) => /NET_RAW/.test(cap) || ALL_CAPABILITIES.test(cap))) {
        results.push(`container ${name} has DROP capabilities: ${goQuoteList(drop)}, but does not drop capability "NET_RAW" which is required`);
      }
      return results;
    }),
  },
  {
    name: 'duplicate-env-var',
    remediation: "Confirm that your DeploymentLike doesn't have duplicate env vars names.",
    appliesTo: isDeploymentLike,
    run: perContainer((c) => {
      const seen = new Map();
      const results = [];
      for (const env of arrayOr(c.env).map(mapOr)) {
        const n = str(env.name);
        seen.set(n, (seen.get(n) || 0) + 1);
        if (seen.get(n) === 2) results.push(`Duplicate environment variable ${n} in container ${goQuote(str(c.name))} found`);
      }
      return results;
    }),
  },
  {
    name: 'env-var-secret',
    remediation:
      'Do not use raw secrets in environment variables. Instead, either mount the secret as a file or use a secretKeyRef. Refer to https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets for details.',
    appliesTo: isDeploymentLike,
    run: perContainer((c) =>
      arrayOr(c.env)
        .map(mapOr)
        .filter((env) => ENV_VAR_SECRET_NAME.test(str(env.name)) && /.+/.test(goScalar(env.value)))
        .map((env) => `environment variable ${str(env.name)} in container ${goQuote(str(c.name))} found`),
    ),
  },
  {
    name: 'host-ipc',
    remediation: "Ensure the host's IPC namespace is not shared.",
    appliesTo: isDeploymentLike,
    run: (_ctx, obj) => (podTemplateOf(obj)?.spec.hostIPC === true ? ["resource shares host's IPC namespace (via hostIPC=true)."] : []),
  },
  {
    name: 'host-network',
    remediation: "Ensure the host's network namespace is not shared.",
    appliesTo: isDeploymentLike,
    run: (_ctx, obj) => (podTemplateOf(obj)?.spec.hostNetwork === true ? ["resource shares host's network namespace (via hostNetwork=true)."] : []),
  },
  {
    name: 'host-pid',
    remediation: "Ensure the host's process namespace is not shared.",
    appliesTo: isDeploymentLike,
    run: (_ctx, obj) => (podTemplateOf(obj)?.spec.hostPID === true ? ["object shares the host's process namespace (via hostPID=true)."] : []),
  },
  {
    name: 'invalid-target-ports',
    remediation:
      'Ensure that port naming is in conjunction with the specification. For more information, please look at the Kubernetes Service specification on this page: https://kubernetes.io/docs/reference/_print/#ServiceSpec. And additional information about IANA Service naming can be found on the following page: https://www.rfc-editor.org/rfc/rfc6335.html#section-5.1.',
    appliesTo: (gvk) => isDeploymentLike(gvk) || isService(gvk),
    run(_ctx, obj) {
      const t = podTemplateOf(obj);
      if (t) {
        return allContainers(t.spec).flatMap((c) =>
          arrayOr(c.ports)
            .map(mapOr)
            .filter((p) => str(p.name) !== '')
            .flatMap((p) => portNameErrors(str(p.name)).map((e) => `port name ${goQuote(str(p.name))} in container ${goQuote(str(c.name))} ${e}`)),
        );
      }
      if (!isService(gvkOf(obj))) return [];
      const results = [];
      for (const p of arrayOr(mapOr(obj.spec).ports).map(mapOr)) {
        const target = p.targetPort;
        if (target === undefined || target === null || target === 0) continue;
        const where = `port targetPort ${goQuote(intOrStringString(target))} in service ${goQuote(nameOf(obj))}`;
        if (typeof target === 'number') {
          if (!(target >= 1 && target <= 65535)) results.push(`${where} must be between 1 and 65535, inclusive`);
        } else {
          results.push(...portNameErrors(goScalar(target)).map((e) => `${where} ${e}`));
        }
      }
      return results;
    },
  },
  {
    name: 'job-ttl-seconds-after-finished',
    remediation: 'Set Job.spec.ttlSecondsAfterFinished. Unset CronJob.Spec.JobTemplate.Spec.ttlSecondsAfterFinished.',
    appliesTo: isJobLike,
    run(_ctx, obj) {
      const gvk = gvkOf(obj);
      const spec = mapOr(obj.spec);
      if (gvk.kind === 'Job' && (spec.ttlSecondsAfterFinished === undefined || spec.ttlSecondsAfterFinished === null)) {
        return ['Standalone Job does not specify ttlSecondsAfterFinished'];
      }
      const jobTtl = mapOr(mapOr(spec.jobTemplate).spec).ttlSecondsAfterFinished;
      if (gvk.kind === 'CronJob' && jobTtl !== undefined && jobTtl !== null) {
        return [
          'Managed Job specifies ttlSecondsAfterFinished which might conflict with successfulJobsHistoryLimit and failedJobsHistoryLimit from CronJob that have default values. Final behaviour is determined by the strictest parameter, and therefore, setting ttlSecondsAfterFinished at the job level can result with unexpected behaviour with regard to finished jobs removal',
        ];
      }
      return [];
    },
  },
  {
    name: 'latest-tag',
    remediation: 'Use a container image with a specific tag other than latest.',
    appliesTo: isDeploymentLike,
    run: perContainer((c) => {
      const image = str(c.image);
      if (!LATEST_TAG_REGEXES.some((r) => r.test(image))) return [];
      return [
        `The container ${goQuote(str(c.name))} is using an invalid container image, ${goQuote(image)}. Please use images that are not blocked by the \`BlockList\` criteria : ${goQuoteList(LATEST_TAG_BLOCK_LIST)}`,
      ];
    }),
  },
  {
    name: 'liveness-port',
    remediation: "Check which ports you've exposed and ensure they match what you have specified in the liveness probe.",
    appliesTo: isDeploymentLike,
    run: perContainer((c) => checkProbePort(c, c.livenessProbe), nonInitContainers),
  },
  {
    name: 'mismatching-selector',
    remediation: 'Confirm that your deployment selector correctly matches the labels in its pod template.',
    appliesTo: isDeploymentLike,
    run(_ctx, obj) {
      const { found, selector } = selectorOf(obj);
      if (!found) return [];
      if (!selector || (Object.keys(mapOr(selector.matchLabels)).length === 0 && arrayOr(selector.matchExpressions).length === 0)) {
        const gvk = gvkOf(obj);
        if (isCronJob(gvk) || is(gvk, 'batch', 'v1', 'Job')) return [];
        return ['object has no selector specified'];
      }
      const t = podTemplateOf(obj);
      if (!t) return [];
      const parsed = labelSelectorAsSelector(selector);
      if (parsed.error) return [`object has invalid label selector: ${parsed.error}`];
      if (selectorMatches(parsed.selector, labelsOf(t))) return [];
      return [`labels in pod spec (${goMap(labelsOf(t))}) do not match labels in selector (${goLabelSelector(selector)})`];
    },
  },
  {
    name: 'no-anti-affinity',
    remediation:
      'Specify anti-affinity or topology spread constraints in your pod specification to ensure that the orchestrator attempts to schedule replicas on different nodes. Using podAntiAffinity or topologySpreadConstraints, specify a labelSelector that matches pods for the deployment, and set the topologyKey to kubernetes.io/hostname. Refer to https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity and https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/ for details.',
    appliesTo: isDeploymentLike,
    run(_ctx, obj) {
      const minReplicas = 2;
      const topologyKeyMatches = (k) => k === 'kubernetes.io/hostname';
      const { found, replicas } = replicasOf(obj);
      if (!found || replicas < minReplicas) return [];
      const t = podTemplateOf(obj);
      if (!t) return [];
      const podLabels = labelsOf(t);
      // a topologySpreadConstraint on the topology key that selects the pods is enough (#1224)
      for (const tsc of arrayOr(t.spec.topologySpreadConstraints).map(mapOr)) {
        const parsed = labelSelectorAsSelector(nullable(tsc.labelSelector));
        if (parsed.error) continue;
        if (topologyKeyMatches(str(tsc.topologyKey)) && selectorMatches(parsed.selector, podLabels)) return [];
      }
      const plural = replicas > 1 ? 'replicas' : 'replica';
      const anti = mapOr(t.spec.affinity).podAntiAffinity;
      if (!isMap(anti)) return [`object has ${replicas} ${plural} but does not specify inter pod anti-affinity`];
      const preferred = arrayOr(anti.preferredDuringSchedulingIgnoredDuringExecution).map((w) => mapOr(mapOr(w).podAffinityTerm));
      const required = arrayOr(anti.requiredDuringSchedulingIgnoredDuringExecution).map(mapOr);
      if (preferred.length === 0 && required.length === 0) {
        return [`object has ${replicas} ${plural} but does not specify preferred or required inter pod anti-affinity during scheduling`];
      }
      const namespace = namespaceOf(obj);
      const issues = [];
      for (const term of [...preferred, ...required]) {
        const namespaces = arrayOr(term.namespaces).map(goScalar);
        let err;
        if (namespaces.length > 0 && !namespaces.includes(namespace)) {
          err = `pod's namespace ${goQuote(namespace)} not found in anti-affinity's namespaces [${namespaces.join(', ')}]`;
        } else {
          const parsed = labelSelectorAsSelector(nullable(term.labelSelector));
          if (parsed.error) err = parsed.error;
          else if (!topologyKeyMatches(str(term.topologyKey))) err = `anti-affinity's topology key does not match ${goQuote(str(term.topologyKey))}`;
          else if (!selectorMatches(parsed.selector, podLabels)) {
            err = `pod's labels ${goQuote(labelSetString(podLabels))} do not match with anti-affinity's labels ${goQuote(selectorString(parsed.selector))}`;
          }
        }
        if (!err) return [];
        issues.push(err);
      }
      return issues;
    },
  },
  {
    name: 'no-extensions-v1beta',
    remediation:
      'Migrate using the apps/v1 API versions for the objects. Refer to https://kubernetes.io/blog/2019/07/18/api-deprecations-in-1-16/ for details.',
    appliesTo: () => true,
    // the disallowed-api-obj template: unanchored regular expressions, as kube-linter's matcher
    run(_ctx, obj) {
      const gvk = gvkOf(obj);
      return /extensions/.test(gvk.group) && /v1beta.+/.test(gvk.version) ? [`disallowed API object found: ${gvkString(gvk)}`] : [];
    },
  },
  {
    name: 'no-read-only-root-fs',
    remediation: 'Set readOnlyRootFilesystem to true in the container securityContext.',
    appliesTo: isDeploymentLike,
    run: perContainer((c) =>
      securityContextOf(c).readOnlyRootFilesystem === true ? [] : [`container ${goQuote(str(c.name))} does not have a read-only root file system`],
    ),
  },
  {
    name: 'non-existent-service-account',
    remediation: 'Create the missing service account, or refer to an existing service account.',
    appliesTo: isDeploymentLike,
    run(ctx, obj) {
      const t = podTemplateOf(obj);
      if (!t) return [];
      const sa = str(t.spec.serviceAccountName) || str(t.spec.serviceAccount);
      if (sa === '' || sa === 'default') return [];
      const exists = ctx.some((o) => is(gvkOf(o), '', 'v1', 'ServiceAccount') && namespaceOf(o) === namespaceOf(obj) && nameOf(o) === sa);
      return exists ? [] : [`serviceAccount ${goQuote(sa)} not found`];
    },
  },
  {
    name: 'pdb-max-unavailable',
    remediation:
      'Change the PodDisruptionBudget to have maxUnavailable set to a value greater than 0. Refer to https://kubernetes.io/docs/tasks/run-application/configure-pdb/ for more information.',
    appliesTo: isPDB,
    run(_ctx, pdb) {
      const mu = mapOr(pdb.spec).maxUnavailable;
      if (mu === undefined || mu === null) return [];
      let value;
      if (typeof mu === 'number') value = Math.trunc(mu);
      else {
        const s = goScalar(mu);
        value = s.endsWith('%') ? atoi(s.slice(0, -1)) : undefined;
        if (value === undefined) return [`maxUnavailable has invalid value [${s}]`];
      }
      return value === 0 ? ['MaxUnavailable is set to 0'] : [];
    },
  },
  {
    name: 'pdb-min-available',
    remediation:
      'Change the PodDisruptionBudget to have minAvailable set to a number lower than the number of replicas in the related deployment-like objects. Refer to https://kubernetes.io/docs/tasks/run-application/configure-pdb/ for more information.',
    appliesTo: isPDB,
    run(ctx, pdb) {
      const spec = mapOr(pdb.spec);
      if (spec.minAvailable === undefined || spec.minAvailable === null) return [];
      const raw = intOrStringString(spec.minAvailable);
      let value = atoi(raw);
      let isPercent = false;
      if (value === undefined) {
        if (!raw.endsWith('%')) return [`PDB has invalid MinAvailable value: invalid type: string ${goQuote(raw)} is not a percentage`];
        value = atoi(raw.slice(0, -1));
        if (value === undefined) {
          return [
            `PDB has invalid MinAvailable value: invalid value ${goQuote(raw)}: strconv.Atoi: parsing ${goQuote(raw.slice(0, -1))}: invalid syntax`,
          ];
        }
        isPercent = true;
      }
      if (isPercent && value === 100) return ['PDB has minimum available replicas set to 100 percent of replicas'];
      const sel = mapOr(spec.selector);
      const parsed = labelSelectorAsSelector({ matchLabels: sel.matchLabels, matchExpressions: sel.matchExpressions });
      if (parsed.error) return [`PDB has invalid label selector: ${parsed.error}`];
      const ns = namespaceOf(pdb);
      // HPAs (and KEDA ScaledObjects) of the namespace by the name of their scale target
      const hpas = new Map();
      for (const o of ctx) {
        const gvk = gvkOf(o);
        if ((gvk.kind !== 'HorizontalPodAutoscaler' && gvk.kind !== 'ScaledObject') || namespaceOf(o) !== ns) continue;
        const typed = gvk.kind === 'ScaledObject' ? is(gvk, 'keda.sh', 'v1alpha1', 'ScaledObject') : gvk.group === 'autoscaling';
        if (!typed) continue;
        hpas.set(str(mapOr(mapOr(o.spec).scaleTargetRef).name), o);
      }
      const matching = [];
      for (const o of ctx) {
        if (!isDeploymentLike(gvkOf(o)) || namespaceOf(o) !== ns) continue;
        const { found, selector } = selectorOf(o);
        if (!found) continue;
        const own = labelSelectorAsSelector(selector);
        if (own.error) return [`Failed to retrieve deployments matching the PDB's label selector within namespace ${ns}: ${own.error}`];
        // labels.ConvertSelectorToLabelsMap(selector.String()) only understands key=value pairs
        const nonEquality = own.selector.reqs.find((r) => r.op !== '=');
        if (nonEquality) {
          return [
            `Failed to retrieve deployments matching the PDB's label selector within namespace ${ns}: invalid selector: ${selectorString({ reqs: [nonEquality] })}`,
          ];
        }
        const asLabels = Object.fromEntries(own.selector.reqs.map((r) => [r.key, r.values[0]]));
        if (selectorMatches(parsed.selector, asLabels)) matching.push(o);
      }
      const results = [];
      for (const o of matching) {
        let { replicas } = replicasOf(o);
        if (replicas === 1) {
          const hpa = hpas.get(nameOf(o));
          if (hpa) {
            const hpaSpec = mapOr(hpa.spec);
            const min = gvkOf(hpa).kind === 'ScaledObject' ? hpaSpec.minReplicaCount : hpaSpec.minReplicas;
            replicas = typeof min === 'number' ? min : 1;
          }
        }
        const minAvailable = isPercent ? Math.ceil(replicas * (value / 100)) : value;
        if (replicas <= minAvailable) {
          results.push(
            `The current number of replicas for deployment ${nameOf(o)} is equal to or lower than the minimum number of replicas specified by its PDB.`,
          );
        }
      }
      return results;
    },
  },
  {
    name: 'pdb-unhealthy-pod-eviction-policy',
    remediation:
      'Set unhealthyPodEvictionPolicy to AlwaysAllow. Refer to https://kubernetes.io/docs/tasks/run-application/configure-pdb/#unhealthy-pod-eviction-policy for more information.',
    appliesTo: isPDB,
    run: (_ctx, pdb) => {
      const policy = mapOr(pdb.spec).unhealthyPodEvictionPolicy;
      return policy === undefined || policy === null ? ['unhealthyPodEvictionPolicy is not explicitly set'] : [];
    },
  },
  {
    name: 'privilege-escalation-container',
    remediation:
      'Ensure containers do not allow privilege escalation by setting allowPrivilegeEscalation=false, privileged=false and removing CAP_SYS_ADMIN capability. See https://kubernetes.io/docs/tasks/configure-pod-container/security-context/ for more details.',
    appliesTo: isDeploymentLike,
    run: perContainer((c) => {
      if (!isMap(c.securityContext)) return [];
      const sc = c.securityContext;
      const name = goQuote(str(c.name));
      if (sc.allowPrivilegeEscalation === true) return [`container ${name} has AllowPrivilegeEscalation set to true.`];
      if (sc.privileged === true) return [`container ${name} is Privileged hence allows privilege escalation.`];
      if (arrayOr(mapOr(sc.capabilities).add).includes('SYS_ADMIN'))
        return [`container ${name} has SYS_ADMIN capability hence allows privilege escalation.`];
      return [];
    }),
  },
  {
    name: 'privileged-container',
    remediation: 'Do not run your container as privileged unless it is required.',
    appliesTo: isDeploymentLike,
    run: perContainer((c) => (securityContextOf(c).privileged === true ? [`container ${goQuote(str(c.name))} is privileged`] : [])),
  },
  {
    name: 'readiness-port',
    remediation: "Check which ports you've exposed and ensure they match what you have specified in the readiness probe.",
    appliesTo: isDeploymentLike,
    run: perContainer((c) => checkProbePort(c, c.readinessProbe), nonInitContainers),
  },
  {
    name: 'run-as-non-root',
    remediation:
      'Set runAsUser and runAsGroup to non-zero numbers and runAsNonRoot to true in your pod or container securityContext. Refer to https://kubernetes.io/docs/tasks/configure-pod-container/security-context/ for details.',
    appliesTo: isDeploymentLike,
    run: perContainer((c, podSpec) => {
      const results = [];
      const name = goQuote(str(c.name));
      const user = effective(c, podSpec, 'runAsUser');
      const group = effective(c, podSpec, 'runAsGroup');
      if (group === 0) results.push(`container ${name} has runAsGroup set to 0`);
      if (typeof user === 'number' && user > 0) return results;
      if (effective(c, podSpec, 'runAsNonRoot') === true) {
        if (user === 0) results.push(`container ${name} is set to runAsNonRoot, but runAsUser set to 0`);
        return results;
      }
      results.push(`container ${name} is not set to runAsNonRoot`);
      return results;
    }),
  },
  {
    name: 'sensitive-host-mounts',
    remediation: 'Ensure sensitive host system directories are not mounted in containers by removing those Volumes and VolumeMounts.',
    appliesTo: isDeploymentLike,
    run: hostMounts(SENSITIVE_DIRS),
  },
  {
    name: 'ssh-port',
    remediation: 'Ensure that non-SSH services are not using port 22. Confirm that any actual SSH servers have been vetted.',
    appliesTo: isDeploymentLike,
    run: perContainer((c) =>
      arrayOr(c.ports)
        .map(mapOr)
        .map((p) => ({ port: p.containerPort, protocol: str(p.protocol) || 'TCP' }))
        .filter((p) => p.port === 22 && /TCP/.test(p.protocol))
        .map((p) => `port 22 and protocol ${p.protocol} in container ${goQuote(str(c.name))} found`),
    ),
  },
  {
    name: 'startup-port',
    remediation: "Check which ports you've exposed and ensure they match what you have specified in the startup probe.",
    appliesTo: isDeploymentLike,
    run: perContainer((c) => checkProbePort(c, c.startupProbe), nonInitContainers),
  },
  {
    name: 'unsafe-sysctls',
    remediation:
      'Ensure container does not allow unsafe allocation of system resources by removing unsafe sysctls configurations. For more details see https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/ https://docs.docker.com/engine/reference/commandline/run/#configure-namespaced-kernel-parameters-sysctls-at-runtime.',
    appliesTo: isDeploymentLike,
    run(_ctx, obj) {
      const t = podTemplateOf(obj);
      if (!t) return [];
      const results = [];
      for (const ctl of arrayOr(mapOr(t.spec.securityContext).sysctls).map(mapOr)) {
        for (const prefix of UNSAFE_SYSCTLS) {
          if (str(ctl.name).startsWith(prefix)) results.push(`resource specifies unsafe sysctl ${goQuote(str(ctl.name))}.`);
        }
      }
      return results;
    },
  },
  {
    name: 'unset-cpu-requirements',
    remediation:
      'Set CPU requests for your container based on its requirements. Refer to https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#requests-and-limits for details.',
    appliesTo: isDeploymentLike,
    // the cpu-requirements template with requirementsType request, lowerBoundMillis 0, upperBoundMillis 0
    run: perContainer((c) => {
      const q = mapOr(mapOr(c.resources).requests).cpu;
      return (q === undefined ? 0 : parseQuantity(q)) === 0 ? [`container ${goQuote(str(c.name))} has cpu request 0`] : [];
    }),
  },
  {
    name: 'unset-memory-requirements',
    remediation:
      'Set memory limits for your container based on its requirements. Refer to https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#requests-and-limits for details.',
    appliesTo: isDeploymentLike,
    // the memory-requirements template with requirementsType limit, lowerBoundMB 0, upperBoundMB 0
    run: perContainer((c) => {
      const q = mapOr(mapOr(c.resources).limits).memory;
      return (q === undefined ? 0 : parseQuantity(q)) === 0 ? [`container ${goQuote(str(c.name))} has memory limit 0`] : [];
    }),
  },
];

const CHECK_NAMES = CHECKS.map((c) => c.name);

// ---------------------------------------------------------------------------------------------
// Lint contexts.

/**
 * Why kube-linter's decoder would leave this document out of the lint context, or undefined
 * when it loads. Only what the Go decoder rejects for certain is modelled.
 */
function invalidReason(obj) {
  if (!isMap(obj)) return 'not a YAML mapping';
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') return 'no apiVersion';
  if (typeof obj.kind !== 'string' || obj.kind === '') return 'no kind';
  const gvk = gvkOf(obj);
  const kinds = KNOWN_KINDS.get(`${gvk.group}/${gvk.version}`);
  if (kinds === undefined || (kinds !== null && !kinds.includes(gvk.kind))) {
    return `${gvkString(gvk)} is not a kind kube-linter's scheme decodes`;
  }
  if (kinds === null && gvk.kind.endsWith('List')) return `${gvk.kind} is not a Kubernetes object`;
  const t = podTemplateOf(obj);
  if (t) {
    for (const c of allContainers(t.spec)) {
      for (const section of ['requests', 'limits']) {
        for (const [resource, q] of Object.entries(mapOr(mapOr(c.resources)[section]))) {
          if (parseQuantity(q) === undefined)
            return `container ${goQuote(str(c.name))} has an invalid ${resource} ${section.slice(0, -1)} quantity ${goQuote(goScalar(q))}`;
        }
      }
    }
  }
  return undefined;
}

/**
 * Splits input objects ({ file, object }) into the ones kube-linter would load (v1 List items
 * expanded) and the ones it would leave out.
 */
function prepare(entries) {
  const loaded = [];
  const skipped = [];
  for (const { file, object } of entries) {
    const gvk = isMap(object) ? gvkOf(object) : undefined;
    const items = gvk && is(gvk, '', 'v1', 'List') ? arrayOr(object.items) : [object];
    for (const item of items) {
      const reason = invalidReason(item);
      if (reason) skipped.push({ file, object: item, reason });
      else loaded.push({ file, object: item });
    }
  }
  return { loaded, skipped };
}

function ignored(obj, checkName) {
  return Object.keys(mapOr(metadataOf(obj).annotations)).some(
    (k) => k === 'kube-linter.io/ignore-all' || k === `ignore-check.kube-linter.io/${checkName}`,
  );
}

/** Runs the default checks over one lint context of loaded { file, object } entries. */
function runContext(entries) {
  const ctx = entries.map((e) => e.object);
  const findings = [];
  for (const { file, object } of entries) {
    const gvk = gvkOf(object);
    for (const check of CHECKS) {
      if (!check.appliesTo(gvk) || ignored(object, check.name)) continue;
      for (const message of check.run(ctx, object)) {
        findings.push({
          file,
          check: check.name,
          message,
          remediation: check.remediation,
          object: { namespace: namespaceOf(object), name: nameOf(object), apiVersion: str(object.apiVersion), kind: gvk.kind },
        });
      }
    }
  }
  return findings;
}

/**
 * Lints the given Kubernetes objects as ONE lint context and returns the findings. An entry may
 * be a plain object or `{ file, object }`. Documents kube-linter could not decode are left out,
 * as kube-linter does; `lintWithSkipped` also returns them.
 */
function lint(objects) {
  return lintWithSkipped(objects).findings;
}

function lintWithSkipped(objects) {
  const entries = objects.map((o) =>
    isMap(o) && 'object' in o && !('apiVersion' in o) ? { file: o.file || '<input>', object: o.object } : { file: '<input>', object: o },
  );
  const { loaded, skipped } = prepare(entries);
  return { findings: runContext(loaded), objects: loaded.length, skipped };
}

/** The line kube-linter's plain output prints for a finding. */
function formatFinding(f) {
  const gvk = gvkOf({ apiVersion: f.object.apiVersion, kind: f.object.kind });
  const ns = f.object.namespace || '<no namespace>';
  return `${f.file}: (object: ${ns}/${f.object.name} ${gvkString(gvk)}) ${f.message} (check: ${f.check}, remediation: ${f.remediation})`;
}

// ---------------------------------------------------------------------------------------------
// Files.

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Files to load, in the order filepath.Walk visits them; explicitly named files of any extension. */
function collectFiles(fileOrDir) {
  const stat = fs.statSync(fileOrDir);
  if (!stat.isDirectory()) return [fileOrDir];
  const out = [];
  const walk = (dir) => {
    const names = fs.readdirSync(dir).sort();
    for (const name of names) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (YAML_EXTENSIONS.has(path.extname(name).toLowerCase())) out.push(p);
    }
  };
  walk(fileOrDir);
  return out;
}

/** Every document of a YAML file, as kube-linter's YAML reader splits it (YAML 1.1, like sigs.k8s.io/yaml). */
function readDocuments(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1' });
  const out = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      out.push({ file, object: undefined, error: doc.errors[0].message.split('\n')[0] });
      continue;
    }
    const value = doc.toJS({ maxAliasCount: -1 });
    if (value === null || value === undefined) continue;
    out.push({ file, object: value });
  }
  return out;
}

/**
 * Loads files and directories into lint contexts: one per directory of YAML files, as
 * kube-linter's CreateContexts, or one per file with `perFile`.
 */
function loadContexts(paths, { perFile = false } = {}) {
  const byKey = new Map();
  for (const p of paths) {
    for (const file of collectFiles(p)) {
      const key = perFile ? file : path.dirname(file);
      if (!byKey.has(key)) byKey.set(key, []);
      const list = byKey.get(key);
      if (!list.some((e) => e.file === file)) list.push(...readDocuments(file));
    }
  }
  return [...byKey.keys()].sort().map((key) => ({ key, entries: byKey.get(key) }));
}

function main(argv) {
  const opts = { perFile: false, failIfNoObjects: false };
  const paths = [];
  for (const a of argv) {
    if (a === '--context-per-file') opts.perFile = true;
    else if (a === '--fail-if-no-objects-found') opts.failIfNoObjects = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: kube-linter-defaults.js [--context-per-file] [--fail-if-no-objects-found] FILE_OR_DIR...');
      return 0;
    } else if (a.startsWith('--')) {
      console.error(`kube-linter-defaults: unknown option ${a}`);
      return 2;
    } else paths.push(a);
  }
  if (paths.length === 0) {
    console.error('usage: kube-linter-defaults.js [--context-per-file] [--fail-if-no-objects-found] FILE_OR_DIR...');
    return 2;
  }
  let contexts;
  try {
    contexts = loadContexts(paths, opts);
  } catch (err) {
    console.error(`kube-linter-defaults: ${err.message}`);
    return 2;
  }
  let objectCount = 0;
  const findings = [];
  for (const { entries } of contexts) {
    const broken = entries.filter((e) => e.error !== undefined);
    for (const e of broken) console.error(`Warning: failed to load object from ${e.file}: ${e.error}`);
    const { loaded, skipped } = prepare(entries.filter((e) => e.error === undefined));
    for (const s of skipped) console.error(`Warning: left out of the lint context, as kube-linter does: ${s.file}: ${s.reason}`);
    objectCount += loaded.length;
    findings.push(...runContext(loaded));
  }
  for (const f of findings) console.log(`${formatFinding(f)}\n`);
  console.log(`kube-linter default checks (port): ${objectCount} objects, ${findings.length} findings`);
  if (objectCount === 0) {
    console.error('Warning: no valid objects found.');
    if (opts.failIfNoObjects) return 1;
  }
  return findings.length > 0 ? 1 : 0;
}

module.exports = { lint, lintWithSkipped, formatFinding, loadContexts, CHECKS, CHECK_NAMES, main };

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
