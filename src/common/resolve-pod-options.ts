/**
 * Checks `PodOptions` the way the API server checks the fields they become, and adds the resolved
 * options to a pod template. Every pattern uses these two functions, so the options mean the same
 * everywhere.
 */
import * as kplus from 'cdk8s-plus-27';
import { PropErrors } from './errors';
import { isDnsLabel, isDnsSubdomain, isLabelKey, isLabelValue } from './names';
import { PodOptions } from './pod-options';
import { isNulFree } from './process-strings';

type k8sToleration = kplus.k8s.Toleration;

/** Largest total size of a pod's annotations (keys and values) the API server accepts. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Labels the ReplicaSet and StatefulSet controllers set on pods: never taken from users. */
const CONTROLLER_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'statefulset.kubernetes.io/pod-name']);

const OPERATORS = ['Equal', 'Exists'];
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** `PodOptions`, checked, in the shape of the pod fields they become. */
export interface ResolvedPodOptions {
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations: k8sToleration[];
  readonly podLabels: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
  readonly imagePullSecrets: string[];
  readonly priorityClassName?: string;
  readonly volumes: kplus.k8s.Volume[];
  readonly volumeMounts: kplus.k8s.VolumeMount[];
}

/** What the construct already puts in the pod, which the options must not collide with. */
export interface PodOptionsContext {
  /** Pod labels the construct sets (its selector's among them). */
  readonly labelKeys: readonly string[];
  /** Pod annotations the construct sets. */
  readonly annotationKeys?: readonly string[];
  /** Names of the construct's own volumes. */
  readonly volumeNames?: readonly string[];
  /** Mount paths of the construct's own volumes in the containers the extra volumes go to. */
  readonly mountPaths?: readonly string[];
}

/** A plain object whose values are all strings. */
export function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** A map of valid label keys to valid label values (a selector's `matchLabels`). */
export function isLabelMap(value: unknown): value is Record<string, string> {
  return isStringMap(value) && Object.entries(value).every(([k, v]) => isLabelKey(k) && isLabelValue(v));
}

/** Why a path cannot be a volume's mount path, or undefined. */
export function mountPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/') || path === '/') {
    return 'an absolute directory path other than "/"';
  }
  if (!isNulFree(path)) {
    return 'a path without NUL bytes';
  }
  if (path.endsWith('/') || /\/\/|\/\.\.?(\/|$)|:/.test(path)) {
    return 'a normalized absolute path (no trailing "/", "//", "." or ".." segments, no ":")';
  }
  return undefined;
}

function checkLabelMap(errors: PropErrors, prop: string, map: unknown, what: string): map is Record<string, string> {
  if (!isStringMap(map)) {
    errors.add(prop, 'a map of strings', map);
    return false;
  }
  for (const [k, v] of Object.entries(map)) {
    const at = `${prop}[${JSON.stringify(k)}]`;
    errors.check(
      isLabelKey(k),
      at,
      `keyed by a valid ${what} key (an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_", ".")`,
      k,
    );
    errors.check(isLabelValue(v), at, 'a label value (at most 63 letters, digits, "-", "_", ".", starting and ending alphanumeric)', v);
  }
  return true;
}

function checkToleration(errors: PropErrors, prop: string, t: unknown): k8sToleration | undefined {
  if (!errors.check(t !== null && typeof t === 'object' && !Array.isArray(t), prop, 'a toleration', t)) {
    return undefined;
  }
  const { key, operator = 'Equal', value, effect, tolerationSeconds } = t as Record<string, any>;
  let ok = true;
  if (key !== undefined) {
    ok = errors.check(isLabelKey(key), `${prop}.key`, 'a label key such as "dedicated" or "example.com/gpu"', key) && ok;
  }
  ok = errors.check(OPERATORS.includes(operator), `${prop}.operator`, 'one of "Equal", "Exists"', operator) && ok;
  ok =
    errors.check(
      key !== undefined || operator === 'Exists',
      `${prop}.operator`,
      '"Exists" when key is unset (a toleration of every taint)',
      operator,
    ) && ok;
  if (operator === 'Exists') {
    ok = errors.check(value === undefined || value === '', `${prop}.value`, 'unset with operator "Exists"', value) && ok;
  } else if (value !== undefined) {
    ok = errors.check(isLabelValue(value), `${prop}.value`, 'a label value', value) && ok;
  }
  if (effect !== undefined) {
    ok = errors.check(EFFECTS.includes(effect), `${prop}.effect`, 'one of "NoSchedule", "PreferNoSchedule", "NoExecute"', effect) && ok;
  }
  if (tolerationSeconds !== undefined) {
    ok =
      errors.check(
        Number.isSafeInteger(tolerationSeconds) && tolerationSeconds >= 0,
        `${prop}.tolerationSeconds`,
        'a whole number of seconds, at least 0',
        tolerationSeconds,
      ) && ok;
    ok = errors.check(effect === 'NoExecute', `${prop}.tolerationSeconds`, 'unset unless effect is "NoExecute"', tolerationSeconds) && ok;
  }
  if (!ok) {
    return undefined;
  }
  const out: Record<string, unknown> = { key, operator, value, effect, tolerationSeconds };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as k8sToleration;
}

/**
 * Checks the pod options and returns them in the shape of the pod fields. Every problem is
 * recorded in `errors` (the caller throws).
 */
export function resolvePodOptions(errors: PropErrors, props: PodOptions, context: PodOptionsContext): ResolvedPodOptions {
  let nodeSelector: Record<string, string> | undefined;
  if (props.nodeSelector !== undefined && checkLabelMap(errors, 'nodeSelector', props.nodeSelector, 'label')) {
    nodeSelector = Object.keys(props.nodeSelector).length > 0 ? { ...props.nodeSelector } : undefined;
  }

  const tolerations: k8sToleration[] = [];
  if (props.tolerations !== undefined && errors.check(Array.isArray(props.tolerations), 'tolerations', 'a list of tolerations', props.tolerations)) {
    props.tolerations.forEach((t, i) => {
      const resolved = checkToleration(errors, `tolerations[${i}]`, t);
      if (resolved) {
        tolerations.push(resolved);
      }
    });
  }

  const podLabels: Record<string, string> = {};
  if (props.podLabels !== undefined && checkLabelMap(errors, 'podLabels', props.podLabels, 'label')) {
    for (const [k, v] of Object.entries(props.podLabels)) {
      const owned = context.labelKeys.includes(k) || CONTROLLER_LABELS.has(k);
      errors.check(!owned, `podLabels[${JSON.stringify(k)}]`, 'a label the construct or a controller does not set', k);
      podLabels[k] = v;
    }
  }

  const podAnnotations: Record<string, string> = {};
  if (
    props.podAnnotations !== undefined &&
    errors.check(isStringMap(props.podAnnotations), 'podAnnotations', 'a map of strings', props.podAnnotations)
  ) {
    let bytes = 0;
    for (const [k, v] of Object.entries(props.podAnnotations)) {
      const at = `podAnnotations[${JSON.stringify(k)}]`;
      bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
      if (
        errors.check(
          isLabelKey(k),
          at,
          'keyed by a valid annotation key (an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_", ".")',
          k,
        )
      ) {
        errors.check(!(context.annotationKeys ?? []).includes(k), at, 'an annotation the construct does not manage', k);
      }
      // the API server stores one, but YAML tools and C programs reading annotations end the string there
      errors.check(isNulFree(v), at, 'a value without NUL bytes', v);
      podAnnotations[k] = v;
    }
    errors.check(bytes <= MAX_ANNOTATIONS_BYTES, 'podAnnotations', `at most ${MAX_ANNOTATIONS_BYTES} bytes of keys and values`, `${bytes} bytes`);
  }

  const imagePullSecrets: string[] = [];
  if (
    props.imagePullSecrets !== undefined &&
    errors.check(Array.isArray(props.imagePullSecrets), 'imagePullSecrets', 'a list of Secret names', props.imagePullSecrets)
  ) {
    props.imagePullSecrets.forEach((name, i) => {
      if (errors.check(isDnsSubdomain(name), `imagePullSecrets[${i}]`, 'a Secret name (DNS-1123 subdomain)', name)) {
        errors.check(!imagePullSecrets.includes(name), `imagePullSecrets[${i}]`, 'a Secret not listed before', name);
      }
      imagePullSecrets.push(name);
    });
  }

  errors.check(
    props.priorityClassName === undefined || isDnsSubdomain(props.priorityClassName),
    'priorityClassName',
    'a PriorityClass name (DNS-1123 subdomain)',
    props.priorityClassName,
  );

  const volumes: kplus.k8s.Volume[] = [];
  const volumeMounts: kplus.k8s.VolumeMount[] = [];
  if (props.volumes !== undefined && errors.check(Array.isArray(props.volumes), 'volumes', 'a list of extra volumes', props.volumes)) {
    const names = new Set(context.volumeNames ?? []);
    const paths = new Set(context.mountPaths ?? []);
    props.volumes.forEach((v, i) => {
      const prop = `volumes[${i}]`;
      if (!errors.check(v !== null && typeof v === 'object', prop, 'an extra volume', v)) {
        return;
      }
      let ok = true;
      if ((ok = errors.check(isDnsLabel(v.name), `${prop}.name`, 'a volume name (DNS-1123 label)', v.name) && ok)) {
        ok = errors.check(!names.has(v.name), `${prop}.name`, 'a volume name not used in the pod already', v.name) && ok;
        names.add(v.name);
      }
      const pathProblem = mountPathProblem(v.mountPath);
      if ((ok = errors.check(pathProblem === undefined, `${prop}.mountPath`, pathProblem ?? '', v.mountPath) && ok)) {
        ok = errors.check(!paths.has(v.mountPath), `${prop}.mountPath`, 'a path not mounted already', v.mountPath) && ok;
        paths.add(v.mountPath);
      }
      if (v.subPath !== undefined) {
        const sub = v.subPath;
        const subOk = typeof sub === 'string' && sub !== '' && !sub.startsWith('/') && !sub.split('/').includes('..') && isNulFree(sub);
        ok = errors.check(subOk, `${prop}.subPath`, 'a relative path without ".." segments or NUL bytes', sub) && ok;
      }
      const isSource = v.source !== null && typeof v.source === 'object' && typeof (v.source as any)._problems === 'function';
      if ((ok = errors.check(isSource, `${prop}.source`, 'an ExtraVolumeSource', v.source) && ok)) {
        for (const [sub, rule, value] of v.source._problems()) {
          ok = false;
          errors.add(`${prop}.source.${sub}`, rule, value);
        }
      }
      if (ok) {
        volumes.push(v.source._volume(v.name));
        const readOnly = v.source._writable ? (v.readOnly ?? true) : true;
        volumeMounts.push({ name: v.name, mountPath: v.mountPath, readOnly, ...(v.subPath !== undefined ? { subPath: v.subPath } : {}) });
      }
    });
  }

  return {
    nodeSelector,
    tolerations,
    podLabels,
    podAnnotations,
    imagePullSecrets,
    priorityClassName: props.priorityClassName,
    volumes,
    volumeMounts,
  };
}

/**
 * A copy of `template` with the options added: labels and annotations on its metadata, node
 * selector, tolerations, pull secrets and priority class on its spec, the extra volumes in the pod
 * and mounted into the containers named in `mountInto` (default: every container, init containers
 * excluded). Entries already in the template are kept; the options' come after them.
 */
export function applyPodOptions(
  template: kplus.k8s.PodTemplateSpec,
  options: ResolvedPodOptions,
  mountInto?: readonly string[],
): kplus.k8s.PodTemplateSpec {
  const spec: kplus.k8s.PodSpec = template.spec ?? { containers: [] };
  const metadata = template.metadata ?? {};
  const labels = { ...(metadata.labels ?? {}), ...options.podLabels };
  const annotations = { ...(metadata.annotations ?? {}), ...options.podAnnotations };
  const mounts = (c: kplus.k8s.Container): kplus.k8s.Container => {
    if (options.volumeMounts.length === 0 || (mountInto !== undefined && !mountInto.includes(c.name))) {
      return c;
    }
    return { ...c, volumeMounts: [...(c.volumeMounts ?? []), ...options.volumeMounts] };
  };
  const pullSecrets = [...(spec.imagePullSecrets ?? [])];
  for (const name of options.imagePullSecrets) {
    if (!pullSecrets.some((s) => s.name === name)) {
      pullSecrets.push({ name });
    }
  }
  const tolerations = [...(spec.tolerations ?? []), ...options.tolerations];
  const volumes = [...(spec.volumes ?? []), ...options.volumes];
  const nodeSelector = options.nodeSelector ? { ...(spec.nodeSelector ?? {}), ...options.nodeSelector } : spec.nodeSelector;
  return {
    ...template,
    metadata: {
      ...metadata,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      ...spec,
      containers: spec.containers.map(mounts),
      ...(nodeSelector ? { nodeSelector } : {}),
      ...(tolerations.length > 0 ? { tolerations } : {}),
      ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets } : {}),
      ...(options.priorityClassName !== undefined ? { priorityClassName: options.priorityClassName } : {}),
      ...(volumes.length > 0 ? { volumes } : {}),
    },
  };
}
