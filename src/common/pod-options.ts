/**
 * Pod options every pattern takes with the same names and types: where the pods may run, extra
 * labels and annotations, image pull secrets, priority and extra volumes. A pattern's props
 * interface extends `PodOptions`; `resolvePodOptions()` checks them and `applyPodOptions()` adds
 * them to a pod template (see `resolve-pod-options.ts`).
 */
import * as kplus from 'cdk8s-plus-27';
import { isDnsSubdomain } from './names';

/**
 * A toleration of the pods: lets them run on nodes with a matching taint. Fields and values are
 * spelled as in the Kubernetes API.
 *
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
 */
export interface Toleration {
  /**
   * The taint key the toleration matches (a label key such as `dedicated` or `example.com/gpu`).
   *
   * @default - every taint key; `operator` must then be `Exists`
   */
  readonly key?: string;

  /**
   * `Equal` matches a taint with this key and `value`; `Exists` matches any value of the key.
   *
   * @default 'Equal'
   */
  readonly operator?: string;

  /**
   * The taint value matched with `operator: 'Equal'` (a label value).
   *
   * @default - the empty value
   */
  readonly value?: string;

  /**
   * The taint effect matched: `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
   *
   * @default - every effect
   */
  readonly effect?: string;

  /**
   * With `effect: 'NoExecute'`: how many seconds the pods keep running on a node after the taint
   * appears, before they are evicted (the API field of the same name, in seconds).
   *
   * @default - the pods stay on the node for as long as the taint is tolerated
   */
  readonly tolerationSeconds?: number;
}

/**
 * Where an extra volume's content comes from: an existing Secret, ConfigMap or
 * PersistentVolumeClaim. The construct never creates them.
 */
export class ExtraVolumeSource {
  /**
   * Every key of an existing Secret, as files named after the keys.
   *
   * @param secret the Secret, e.g. `Secret.fromSecretName(this, 'Certs', 'shop-certs')`
   * @param defaultMode file mode of the files; default 0o440 (owner and the pod's group may read)
   */
  public static fromSecret(secret: kplus.ISecret, defaultMode?: number): ExtraVolumeSource {
    return new ExtraVolumeSource('Secret', () => secret.name, defaultMode);
  }

  /**
   * Every key of an existing ConfigMap, as files named after the keys.
   *
   * @param configMap the ConfigMap, e.g. `ConfigMap.fromConfigMapName(this, 'Conf', 'shop-conf')`
   * @param defaultMode file mode of the files; default 0o440
   */
  public static fromConfigMap(configMap: kplus.IConfigMap, defaultMode?: number): ExtraVolumeSource {
    return new ExtraVolumeSource('ConfigMap', () => configMap.name, defaultMode);
  }

  /**
   * An existing PersistentVolumeClaim in the pods' namespace.
   *
   * @param claim the claim, e.g. `PersistentVolumeClaim.fromClaimName(this, 'Uploads', 'shop-uploads')`
   */
  public static fromPersistentVolumeClaim(claim: kplus.IPersistentVolumeClaim): ExtraVolumeSource {
    return new ExtraVolumeSource('PersistentVolumeClaim', () => claim.name, undefined);
  }

  private constructor(
    private readonly kind: string,
    private readonly objectName: () => string,
    private readonly defaultMode: number | undefined,
  ) {}

  /** @internal Problems with the source's arguments, as `[subprop, rule, value]`. */
  public _problems(): Array<[string, string, unknown]> {
    const out: Array<[string, string, unknown]> = [];
    let name: unknown;
    try {
      name = this.objectName();
    } catch {
      name = undefined;
    }
    if (!isDnsSubdomain(name as string)) {
      out.push([
        this.kind === 'PersistentVolumeClaim' ? 'claim' : this.kind === 'Secret' ? 'secret' : 'configMap',
        `a ${this.kind} with a valid name`,
        name,
      ]);
    }
    const mode = this.defaultMode;
    if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) {
      out.push(['defaultMode', 'a file mode from 0 to 0o777 (511)', mode]);
    }
    return out;
  }

  /** @internal Whether a container may write to the volume. */
  public get _writable(): boolean {
    return this.kind === 'PersistentVolumeClaim';
  }

  /** @internal The pod volume named `name`. */
  public _volume(name: string): kplus.k8s.Volume {
    const defaultMode = this.defaultMode ?? 0o440;
    switch (this.kind) {
      case 'Secret':
        return { name, secret: { secretName: this.objectName(), defaultMode } };
      case 'ConfigMap':
        return { name, configMap: { name: this.objectName(), defaultMode } };
      default:
        return { name, persistentVolumeClaim: { claimName: this.objectName() } };
    }
  }
}

/**
 * An extra volume of the pods, mounted into the pattern's main containers.
 */
export interface ExtraVolume {
  /** The volume's name in the pod (a DNS-1123 label, unique in the pod). */
  readonly name: string;

  /** What the volume holds. */
  readonly source: ExtraVolumeSource;

  /** Absolute path of the mount in the containers. */
  readonly mountPath: string;

  /**
   * Whether the containers may only read the volume. Secret and ConfigMap volumes are always
   * read-only.
   *
   * @default true
   */
  readonly readOnly?: boolean;

  /**
   * A path inside the volume to mount instead of its root (relative, without `..`).
   *
   * @default - the volume's root
   */
  readonly subPath?: string;
}

/**
 * Pod options shared by every pattern, with the same names and types.
 */
export interface PodOptions {
  /**
   * Node labels a node must carry for the pods to be scheduled on it (`spec.nodeSelector`), e.g.
   * `{ 'kubernetes.io/arch': 'arm64' }`.
   *
   * @default - any node
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodeselector
   */
  readonly nodeSelector?: { [key: string]: string };

  /**
   * Taints the pods tolerate (`spec.tolerations`), e.g. nodes dedicated to a team.
   *
   * @default - no tolerations beyond those the cluster adds
   */
  readonly tolerations?: Toleration[];

  /**
   * Extra labels on the pods (not on the workload). The labels the construct sets itself, the
   * selector's among them, cannot be overridden.
   *
   * @default - only the construct's labels
   */
  readonly podLabels?: { [key: string]: string };

  /**
   * Extra annotations on the pods, e.g. for a service mesh or a log shipper. Changing them rolls
   * the pods. Annotations the construct manages cannot be overridden.
   *
   * @default - only the construct's annotations
   */
  readonly podAnnotations?: { [key: string]: string };

  /**
   * Names of existing `kubernetes.io/dockerconfigjson` Secrets the kubelet uses to pull the images.
   *
   * @default - no pull secrets (public images, or credentials configured on the nodes)
   */
  readonly imagePullSecrets?: string[];

  /**
   * `priorityClassName` of the pods: an existing PriorityClass that decides which pods the
   * scheduler preempts first when the cluster is full.
   *
   * @default - the cluster's default priority
   */
  readonly priorityClassName?: string;

  /**
   * Extra volumes from existing Secrets, ConfigMaps or PersistentVolumeClaims, mounted into the
   * pattern's main containers.
   *
   * @default - no extra volumes
   */
  readonly volumes?: ExtraVolume[];
}
