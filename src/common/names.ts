/**
 * Name rules of the Kubernetes API, checked at synth time so the API server never has to
 * reject our output.
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 */

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Longest DNS-1123 label (Service names, container names, port names are shorter still). */
export const MAX_LABEL_LENGTH = 63;
/** Longest DNS-1123 subdomain (most object names). */
export const MAX_SUBDOMAIN_LENGTH = 253;
/**
 * A CronJob name is at most 52 characters: the controller appends 11 characters
 * (`-<timestamp>`) for the Job name, which must stay a valid label.
 */
export const MAX_CRONJOB_NAME_LENGTH = 52;
/**
 * A Job name is at most 63 characters: the Job controller copies it into the
 * `batch.kubernetes.io/job-name` label of its pods.
 */
export const MAX_JOB_NAME_LENGTH = 63;

/** A DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, 1-63 chars. */
export function isDnsLabel(value: string, maxLength: number = MAX_LABEL_LENGTH): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= maxLength && DNS_1123_LABEL.test(value);
}

/** A DNS-1123 subdomain: dot-separated labels, 1-253 chars. */
export function isDnsSubdomain(value: string, maxLength: number = MAX_SUBDOMAIN_LENGTH): boolean {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= maxLength &&
    DNS_1123_SUBDOMAIN.test(value) &&
    value.split('.').every((part) => part.length <= MAX_LABEL_LENGTH)
  );
}

/**
 * A host name an Ingress accepts: a DNS-1123 subdomain, optionally with a leading `*.` wildcard label,
 * and never an IP address.
 */
export function isIngressHost(value: string): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  const host = value.startsWith('*.') ? value.slice(2) : value;
  return isDnsSubdomain(host) && !/^[0-9.]+$/.test(host);
}

/** An environment variable name the API server accepts (letters, digits, `_`, `-`, `.`; not starting with a digit). */
export function isEnvVarName(value: string): boolean {
  return typeof value === 'string' && ENV_VAR_NAME.test(value);
}

/** A C identifier, the portable subset of env var names that every shell can read. */
export function isCIdentifier(value: string): boolean {
  return typeof value === 'string' && C_IDENTIFIER.test(value);
}

/** A ConfigMap or Secret data key. */
export function isConfigMapKey(value: string): boolean {
  return typeof value === 'string' && value.length <= MAX_SUBDOMAIN_LENGTH && CONFIG_MAP_KEY.test(value) && value !== '.' && value !== '..';
}

/** A named port (IANA_SVC_NAME): at most 15 lowercase alphanumerics and '-', with at least one letter, no '--'. */
export function isPortName(value: string): boolean {
  return (
    typeof value === 'string' && value.length >= 1 && value.length <= 15 && IANA_SVC_NAME.test(value) && /[a-z]/.test(value) && !value.includes('--')
  );
}

/** A TCP/UDP port number. */
export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** The parts of an OCI image reference that matter for validation and pull policy. */
export interface ImageReference {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const IMAGE_REFERENCE =
  /^((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** Parses `registry/repo:tag@sha256:...`; undefined when the reference is malformed. */
export function parseImage(image: string): ImageReference | undefined {
  if (typeof image !== 'string') {
    return undefined;
  }
  const m = IMAGE_REFERENCE.exec(image);
  if (!m) {
    return undefined;
  }
  return { repository: m[1], tag: m[2], digest: m[3] };
}

/**
 * Why an image reference is not pinned, or undefined when it is: a reference must be well formed
 * and carry a digest or a tag other than `latest`, so every rollout runs the image that was reviewed.
 */
export function imagePinProblem(image: string): string | undefined {
  const ref = parseImage(image);
  if (!ref) {
    return 'a valid image reference (registry/repository:tag or @sha256:digest)';
  }
  if (!ref.tag && !ref.digest) {
    return 'pinned with a tag or a digest (an untagged image means latest)';
  }
  if (ref.tag === 'latest' && !ref.digest) {
    return 'pinned with a tag other than latest or a digest';
  }
  return undefined;
}

/** Whether an image reference is pinned by digest (content-addressed, safe to cache on nodes). */
export function isDigestPinned(image: string): boolean {
  return parseImage(image)?.digest !== undefined;
}

const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A DNS-1035 label (Service names): like a DNS-1123 label but starting with a letter. */
export function isDns1035Label(value: string, maxLength: number = MAX_LABEL_LENGTH): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= maxLength && DNS_1035_LABEL.test(value);
}

/** A label (or annotation) key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isLabelKey(value: string): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  const slash = value.lastIndexOf('/');
  const prefix = slash >= 0 ? value.slice(0, slash) : undefined;
  const name = slash >= 0 ? value.slice(slash + 1) : value;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) {
    return false;
  }
  return name.length <= MAX_LABEL_LENGTH && LABEL_NAME_PART.test(name);
}

/** A label value: at most 63 characters, alphanumerics with `-`, `_`, `.` inside; may be empty. */
export function isLabelValue(value: string): boolean {
  return typeof value === 'string' && value.length <= MAX_LABEL_LENGTH && LABEL_VALUE.test(value);
}
