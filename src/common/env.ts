/**
 * Guards for environment variables built from user configuration: names that would overlay
 * variables other software reads, duplicates across sources, and Kubernetes `$(VAR)` expansion.
 */

const RESERVED_EXACT = new Set(['PATH', 'HOME', 'HOSTNAME', 'USER', 'SHELL', 'PWD', 'TMPDIR', 'LD_PRELOAD', 'LD_LIBRARY_PATH']);

/**
 * Why `name` must not be set from configuration, or undefined when it is safe.
 *
 * - libpq reads every `PG*` variable (`PGHOST`, `PGPORT`, `PGPASSWORD`, ...): a config key named
 *   like one silently redirects every `psql` in the pod;
 * - `KUBERNETES_*` is injected by the kubelet for in-cluster clients;
 * - `<SVC>_SERVICE_HOST`, `<SVC>_SERVICE_PORT[_<NAME>]` and `<SVC>_PORT_<N>_<PROTO>[_*]` are the
 *   shapes of service-link variables;
 * - `PATH`, `HOME`, `HOSTNAME`, `USER`, `SHELL`, `PWD`, `TMPDIR`, `LD_*` change how every process runs.
 */
export function reservedEnvReason(name: string): string | undefined {
  if (/^PG[A-Z0-9_]*$/.test(name)) {
    return 'libpq reads PG* variables';
  }
  if (/^KUBERNETES_/.test(name)) {
    return 'the kubelet sets KUBERNETES_* variables';
  }
  if (/_SERVICE_(HOST|PORT)(_[A-Z0-9_]+)?$/.test(name) || /_PORT_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?$/.test(name)) {
    return 'it has the shape of a service-link variable';
  }
  if (RESERVED_EXACT.has(name) || /^LD_/.test(name)) {
    return 'the container runtime and shells rely on it';
  }
  return undefined;
}

/** Where an environment variable comes from, for duplicate reports. */
export interface EnvSource {
  /** A prop path such as `config`, `steps[2].env`, `secretEnv`. */
  readonly source: string;
  readonly names: readonly string[];
}

/** Every name that appears in more than one place, with the places: `{ NAME: ['config', 'env'] }`. */
export function findDuplicateEnv(sources: readonly EnvSource[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const { source, names } of sources) {
    for (const name of names) {
      const list = seen.get(name) ?? [];
      list.push(source);
      seen.set(name, list);
    }
  }
  const dups = new Map<string, string[]>();
  for (const [name, where] of seen) {
    if (where.length > 1) {
      dups.set(name, where);
    }
  }
  return dups;
}

/**
 * Escapes `$(` as `$$(` so Kubernetes does not expand `$(VAR)` references in a container's
 * command, args or env values: the process receives the text exactly as written. The kubelet also
 * turns every `$$` into `$`, so a `$` followed by `$` is doubled too (`$$` stays `$$`, `$$(` stays `$$(`).
 */
export function escapeKubernetesExpansion(value: string): string {
  return value.replace(/\$(?=[$(])/g, '$$$$');
}
