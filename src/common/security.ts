import { ApiObject, JsonPatch } from 'cdk8s';

/**
 * Default user and group for the library's own containers: non-root and at least 10000, so
 * they never coincide with a host account (kube-score's container-security-context-user-group-id).
 */
export const DEFAULT_RUN_AS_USER = 10001;
export const DEFAULT_RUN_AS_GROUP = 10001;

/** Identity and filesystem options of a restricted container. */
export interface RestrictedSecurityOptions {
  /** UID the container runs as; must be non-zero. */
  readonly user: number;
  /** GID the container runs as; must be non-zero. */
  readonly group: number;
  /** Whether the root filesystem is read-only. @default true */
  readonly readOnlyRootFilesystem?: boolean;
}

/**
 * A container securityContext that meets the Pod Security Standards' `restricted` profile:
 * non-root with an explicit numeric identity, no privilege escalation, every capability dropped,
 * seccomp `RuntimeDefault`, and a read-only root filesystem unless asked otherwise.
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
export function restrictedContainerSecurityContext(opts: RestrictedSecurityOptions): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    readOnlyRootFilesystem: opts.readOnlyRootFilesystem ?? true,
    runAsGroup: opts.group,
    runAsNonRoot: true,
    runAsUser: opts.user,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Pod-level options matching {@link restrictedContainerSecurityContext}. */
export interface RestrictedPodSecurityOptions extends RestrictedSecurityOptions {
  /** Group that owns mounted volumes. @default - the same as `group` */
  readonly fsGroup?: number;
}

/**
 * A pod securityContext for restricted pods. `fsGroupChangePolicy: OnRootMismatch` avoids a
 * recursive chown of large volumes on every start.
 */
export function restrictedPodSecurityContext(opts: RestrictedPodSecurityOptions): Record<string, unknown> {
  return {
    fsGroup: opts.fsGroup ?? opts.group,
    fsGroupChangePolicy: 'OnRootMismatch',
    runAsGroup: opts.group,
    runAsNonRoot: true,
    runAsUser: opts.user,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Which containers of a pod spec to patch, by list and index. */
export interface ContainerPointer {
  readonly list: 'containers' | 'initContainers';
  readonly index: number;
}

/**
 * Replaces the securityContext of containers synthesized by cdk8s-plus-27 (whose container
 * security context has no capabilities and no seccomp profile) with a restricted one.
 *
 * @param obj the workload's ApiObject
 * @param podSpecPath JSON pointer to the pod spec, e.g. `/spec/template/spec`
 */
export function patchContainerSecurity(obj: ApiObject, podSpecPath: string, container: ContainerPointer, context: Record<string, unknown>): void {
  obj.addJsonPatch(JsonPatch.add(`${podSpecPath}/${container.list}/${container.index}/securityContext`, context));
}

/**
 * Pod-level hardening every pattern applies: the restricted pod securityContext and
 * `enableServiceLinks: false`, so no `<SVC>_SERVICE_HOST`/`<SVC>_PORT` variables from other
 * Services in the namespace overlay the configuration.
 */
export function patchPodHardening(obj: ApiObject, podSpecPath: string, podContext: Record<string, unknown>): void {
  obj.addJsonPatch(JsonPatch.add(`${podSpecPath}/securityContext`, podContext));
  obj.addJsonPatch(JsonPatch.add(`${podSpecPath}/enableServiceLinks`, false));
}
