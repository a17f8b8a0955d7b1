import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/** The value of `app.kubernetes.io/managed-by` on every object this library synthesizes. */
export const MANAGED_BY = 'cdk8s-patterns';

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_VERSION = 'app.kubernetes.io/version';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

/** What identifies an application and one of its parts in the recommended labels. */
export interface AppIdentity {
  /** `app.kubernetes.io/name`: the application's name. */
  readonly name: string;
  /** `app.kubernetes.io/instance`: a unique name for this instance of the application. */
  readonly instance: string;
  /** `app.kubernetes.io/component`: the part's role, such as `web`, `database`, `pooler`. */
  readonly component?: string;
  /** `app.kubernetes.io/part-of`: the higher-level application this is a part of. */
  readonly partOf?: string;
  /** `app.kubernetes.io/version`: the version of the application (never part of a selector). */
  readonly version?: string;
}

/**
 * The stable selector: name + instance (+ component when a construct has several workloads).
 * Selectors are immutable on Deployments and StatefulSets, so nothing that changes between
 * releases (version, construct path hash) may appear here.
 */
export function selectorLabels(id: AppIdentity): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_NAME]: id.name,
    [LABEL_INSTANCE]: id.instance,
  };
  if (id.component) {
    labels[LABEL_COMPONENT] = id.component;
  }
  return labels;
}

/** All recommended labels for an object, including `managed-by: cdk8s-patterns`. */
export function standardLabels(id: AppIdentity): Record<string, string> {
  const labels: Record<string, string> = { ...selectorLabels(id) };
  if (id.partOf) {
    labels[LABEL_PART_OF] = id.partOf;
  }
  if (id.version) {
    labels[LABEL_VERSION] = id.version;
  }
  labels[LABEL_MANAGED_BY] = MANAGED_BY;
  return labels;
}

/**
 * Adds the standard labels to every ApiObject below `scope` (the construct's own children).
 * Call it at the end of a pattern's constructor, after all children exist.
 */
export function labelAll(scope: IConstruct, id: AppIdentity): void {
  const labels = standardLabels(id);
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject) {
      for (const [k, v] of Object.entries(labels)) {
        child.metadata.addLabel(k, v);
      }
    }
  }
}

/**
 * A label value derived from an image reference: the tag, when it is a valid label value
 * (used for `app.kubernetes.io/version`). Digest-only references give no version.
 */
export function versionFromImage(image: string): string | undefined {
  const withoutDigest = image.split('@')[0];
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon <= slash) {
    return undefined;
  }
  const tag = withoutDigest.slice(colon + 1);
  return /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(tag) && tag.length <= 63 ? tag : undefined;
}
