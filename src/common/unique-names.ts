import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/** Kinds whose objects have no namespace: their names collide across namespaces. */
const CLUSTER_SCOPED_KINDS = new Set([
  'APIService',
  'CSIDriver',
  'CSINode',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

const registered = new WeakSet<IConstruct>();

/**
 * Makes synthesis of the app `scope` belongs to fail when two objects anywhere in it have the
 * same API group, kind, namespace and name: `kubectl apply` would silently keep the last one.
 * Registered once per app (on its root, as a construct validation, so `App`, `FastApp` and
 * `Testing.synth()` all run it); every pattern calls it from its constructor.
 */
export function ensureUniqueObjectNames(scope: IConstruct): void {
  const root = scope.node.root;
  if (registered.has(root)) {
    return;
  }
  registered.add(root);
  root.node.addValidation({ validate: () => objectNameCollisions(root) });
}

/**
 * One message per object that collides with an earlier one below `root`, naming the object and
 * the construct paths of both. Objects without a namespace collide with each other (they all
 * land in the namespace of the kubectl context), not with objects that name one.
 */
export function objectNameCollisions(root: IConstruct): string[] {
  const seen = new Map<string, ApiObject>();
  const problems: string[] = [];
  for (const c of root.node.findAll()) {
    if (!ApiObject.isApiObject(c)) {
      continue;
    }
    const group = c.apiVersion.includes('/') ? c.apiVersion.slice(0, c.apiVersion.lastIndexOf('/')) : '';
    const clusterScoped = CLUSTER_SCOPED_KINDS.has(c.kind);
    const namespace = clusterScoped ? '' : (c.metadata.namespace ?? '');
    const key = `${group}\u0000${c.kind}\u0000${namespace}\u0000${c.name}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, c);
      continue;
    }
    const where = clusterScoped ? '(cluster-scoped)' : namespace === '' ? 'without a namespace' : `in namespace "${namespace}"`;
    problems.push(
      `${c.kind} "${c.name}" ${where} is synthesized twice, by ${first.node.path} and by ${c.node.path}: ` +
        'kubectl apply would keep only the last one; give one of them another name, or put it in another namespace',
    );
  }
  return problems;
}
