import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { PodOptions } from '../common/pod-options';
import { SecretKeyReference } from '../common/secret-key-reference';
import { WebAppNetworkPeer } from './network-peer';

/**
 * TLS for the Ingress: the certificate lives in a Secret, optionally issued by cert-manager.
 */
export interface WebAppTlsOptions {
  /**
   * Name of the `kubernetes.io/tls` Secret holding the certificate for every host of the Ingress.
   * With an issuer, cert-manager creates and renews it under this name.
   */
  readonly secretName: string;

  /**
   * A cert-manager ClusterIssuer that issues the certificate: adds the
   * `cert-manager.io/cluster-issuer` annotation to the Ingress.
   *
   * @default - no ClusterIssuer annotation (the Secret is managed some other way)
   * @see https://cert-manager.io/docs/usage/ingress/
   */
  readonly clusterIssuer?: string;

  /**
   * A namespaced cert-manager Issuer that issues the certificate: adds the `cert-manager.io/issuer`
   * annotation to the Ingress. Mutually exclusive with `clusterIssuer`.
   *
   * @default - no Issuer annotation
   */
  readonly issuer?: string;
}

/**
 * Horizontal pod autoscaling (`autoscaling/v2`) of the web app's Deployment.
 */
export interface WebAppAutoscalingOptions {
  /**
   * The fewest pods the autoscaler keeps. Two or more keeps the app available while a node drains.
   *
   * @default 2
   */
  readonly minReplicas?: number;

  /** The most pods the autoscaler creates. */
  readonly maxReplicas: number;

  /**
   * Average CPU use, as a percentage of the CPU request, that the autoscaler aims for.
   *
   * @default - 70 when `targetMemoryUtilization` is not set, otherwise no CPU target
   */
  readonly targetCpuUtilization?: number;

  /**
   * Average memory use, as a percentage of the memory request, that the autoscaler aims for.
   *
   * @default - no memory target
   */
  readonly targetMemoryUtilization?: number;
}

/**
 * An egress rule of the web app's NetworkPolicy: traffic the pods may send.
 */
export interface WebAppEgressRule {
  /** Where the traffic may go. */
  readonly peer: WebAppNetworkPeer;

  /**
   * Destination ports (as seen by the destination pod, i.e. container ports, not Service ports).
   *
   * @default - the web app's container port for `WebAppNetworkPeer.webApp()`, every port otherwise
   */
  readonly ports?: number[];

  /**
   * Protocol of the ports.
   *
   * @default NetworkProtocol.TCP
   */
  readonly protocol?: kplus.NetworkProtocol;
}

/**
 * The NetworkPolicy that isolates the web app's pods: only the ingress controller (and declared
 * peers) may connect, and the pods may only reach DNS (and declared peers).
 */
export interface WebAppNetworkPolicyOptions {
  /**
   * Whether to emit the NetworkPolicy. Without it every pod in the cluster can reach the app and
   * the app can reach everything.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Namespace of the ingress controller, allowed to connect to the app port.
   *
   * @default 'ingress-nginx'
   */
  readonly ingressControllerNamespace?: string;

  /**
   * Labels of the ingress controller's pods inside `ingressControllerNamespace`.
   *
   * @default - every pod of that namespace
   */
  readonly ingressControllerPodLabels?: { [key: string]: string };

  /**
   * More sources allowed to connect to the app port (for example a monitoring namespace).
   *
   * @default - only the ingress controller
   */
  readonly allowFrom?: WebAppNetworkPeer[];

  /**
   * Destinations the pods may connect to besides DNS (UDP and TCP port 53), which is always allowed.
   *
   * @default - DNS only
   */
  readonly allowTo?: WebAppEgressRule[];
}

/**
 * A canary track served by ingress-nginx's canary annotations: a second Deployment (its own
 * `app.kubernetes.io/instance`, `<instance>-canary`), Service and Ingress with the same hosts and paths.
 *
 * @see https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#canary
 */
export interface WebAppCanaryOptions {
  /** The canary's image, pinned like the main image. */
  readonly image: string;

  /**
   * Number of canary pods (the canary is not autoscaled).
   *
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Percentage of requests (0-100) routed to the canary: `nginx.ingress.kubernetes.io/canary-weight`.
   * Header and cookie rules take precedence over the weight.
   *
   * @default - 10 when neither `header` nor `cookie` is given, otherwise no weight
   */
  readonly weight?: number;

  /**
   * Requests carrying this header are routed to the canary (`canary-by-header`): with the value
   * `always`, or with `headerValue` when it is given.
   *
   * @default - no header rule
   */
  readonly header?: string;

  /**
   * The value of `header` that routes a request to the canary (`canary-by-header-value`).
   *
   * @default - `always` routes to the canary, `never` away from it
   */
  readonly headerValue?: string;

  /**
   * Requests whose cookie of this name is `always` are routed to the canary (`canary-by-cookie`).
   *
   * @default - no cookie rule
   */
  readonly cookie?: string;
}

/**
 * Properties of `WebAppWithIngress`. The shared pod options (`nodeSelector`, `tolerations`,
 * `podLabels`, `podAnnotations`, `imagePullSecrets`, `priorityClassName`, `volumes`) apply to the
 * pods of the app and of its canary; extra volumes are mounted into the app container.
 */
export interface WebAppWithIngressProps extends PodOptions {
  /**
   * Container image, pinned with a tag other than `latest` or a digest
   * (`ghcr.io/acme/shop:1.4.2`, `ghcr.io/acme/shop@sha256:...`).
   */
  readonly image: string;

  /** The DNS name the Ingress serves, e.g. `shop.example.com`. */
  readonly host: string;

  /**
   * More DNS names served by the same Ingress rules and certificate, e.g. `www.shop.example.com`.
   *
   * @default - only `host`
   */
  readonly additionalHosts?: string[];

  /**
   * URL path prefixes routed to the app (`pathType: Prefix`: `/api` matches `/api` and `/api/x`,
   * not `/apix`). Regular expressions are rejected: they need controller-specific path types.
   *
   * @default ['/']
   */
  readonly paths?: string[];

  /**
   * The port the app listens on inside the container, declared as the named port `http`.
   *
   * @default 8080
   */
  readonly port?: number;

  /**
   * The port of the ClusterIP Service (named `http`, targeting the container port by name).
   *
   * @default 80
   */
  readonly servicePort?: number;

  /**
   * Number of pods. Ignored when `autoscaling` is set: the Deployment then omits `replicas` so
   * that applying the manifest never resets the count the autoscaler chose.
   *
   * @default 2
   */
  readonly replicas?: number;

  /**
   * `app.kubernetes.io/name`: the application's name.
   *
   * @default - the construct id in kebab case (`ShopFront` becomes `shop-front`)
   */
  readonly name?: string;

  /**
   * `app.kubernetes.io/instance`, and the name of every object (Deployment, Service, Ingress, ...).
   * Together with `name` it forms the pod selector, which Kubernetes never lets change: changing
   * either replaces the app.
   *
   * @default - the same as `name`
   */
  readonly instance?: string;

  /**
   * `app.kubernetes.io/component` on every object.
   *
   * @default 'web'
   */
  readonly component?: string;

  /**
   * `app.kubernetes.io/part-of` on every object: the larger application this one belongs to.
   *
   * @default - no part-of label
   */
  readonly partOf?: string;

  /**
   * HTTP path answering 2xx when the app can serve requests: used by the readiness and startup
   * probes (`GET http://<pod>:http<path>`).
   *
   * @default - TCP connection checks on the `http` port, and no liveness probe (see `livenessCheckPath`)
   */
  readonly healthCheckPath?: string;

  /**
   * HTTP path of the liveness probe, answering 2xx while the process is healthy (checked every 10 s,
   * restart after 6 failures). Prefer a path that does not check downstream dependencies: a liveness
   * probe that fails with a dependency restarts every pod at once. The same path as `healthCheckPath`
   * is allowed (the Deployment then tells kube-score to skip `pod-probes-identical`).
   *
   * @default - a TCP connection check on the `http` port when `healthCheckPath` is set, no liveness probe otherwise
   */
  readonly livenessCheckPath?: string;

  /**
   * How long a new container may take to start answering its health check before the kubelet
   * restarts it (startup probe period 5 s, failure threshold = timeout / 5 s).
   *
   * @default Duration.minutes(5)
   */
  readonly startupTimeout?: Duration;

  /**
   * How long a terminating pod waits (preStop `sleep`) before the app receives SIGTERM, so that
   * endpoints, kube-proxy and the ingress controller stop sending it requests first. Needs a `sleep`
   * binary in the image; `Duration.seconds(0)` disables the hook (for distroless images).
   *
   * @default Duration.seconds(10)
   */
  readonly preStopDelay?: Duration;

  /**
   * How long the app may take after SIGTERM to finish in-flight requests. The pod's
   * `terminationGracePeriodSeconds` is `preStopDelay + drainTimeout + 5 s`.
   *
   * @default Duration.seconds(20)
   */
  readonly drainTimeout?: Duration;

  /**
   * TLS for every host of the Ingress.
   *
   * @default - no TLS: plain HTTP only
   */
  readonly tls?: WebAppTlsOptions;

  /**
   * `spec.ingressClassName`: which ingress controller serves the Ingress.
   *
   * @default 'nginx'
   */
  readonly ingressClassName?: string;

  /**
   * Extra annotations on the Ingress (controller settings such as body size or timeouts).
   *
   * @default - only the cert-manager issuer annotation, when `tls` names an issuer
   */
  readonly ingressAnnotations?: { [key: string]: string };

  /**
   * Scale the Deployment with a HorizontalPodAutoscaler.
   *
   * @default - a fixed number of `replicas`
   */
  readonly autoscaling?: WebAppAutoscalingOptions;

  /**
   * Non-secret configuration: becomes a ConfigMap read with `envFrom`. Its checksum annotates the pod
   * template, so a change rolls the pods. Keys must be C identifiers; keys that look like secrets
   * (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, ...) are rejected: use `secretEnv`.
   *
   * @default - no ConfigMap
   */
  readonly config?: { [key: string]: string };

  /**
   * Environment variables read from existing Secrets (`secretKeyRef`). Pods do not restart when a
   * Secret changes: roll them (`kubectl rollout restart`) after a rotation.
   *
   * @default - no secret variables
   */
  readonly secretEnv?: { [name: string]: SecretKeyReference };

  /**
   * Container command (overrides the image's ENTRYPOINT). `$(` is passed literally, never expanded.
   *
   * @default - the image's ENTRYPOINT
   */
  readonly command?: string[];

  /**
   * Container arguments (override the image's CMD). `$(` is passed literally, never expanded.
   *
   * @default - the image's CMD
   */
  readonly args?: string[];

  /**
   * CPU, memory and ephemeral-storage requests and limits; each value given replaces its default.
   *
   * @default - cpu 100m request / 1 limit, memory 256Mi / 256Mi, ephemeral-storage 128Mi / 512Mi
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * UID the container runs as. Values below 10000 may collide with host users (kube-score flags them;
   * the Deployment then carries a `kube-score/ignore` annotation).
   *
   * @default 10001
   */
  readonly runAsUser?: number;

  /**
   * GID the container runs as, also the pod's `fsGroup`.
   *
   * @default 10001
   */
  readonly runAsGroup?: number;

  /**
   * Whether the container's root filesystem is read-only. Turning it off annotates the Deployment
   * for kube-score and kube-linter.
   *
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;

  /**
   * Absolute paths that get a writable `emptyDir` each, since the root filesystem is read-only.
   *
   * @default ['/tmp']
   */
  readonly writableDirectories?: string[];

  /**
   * `sizeLimit` of each writable directory (a whole number of MiB). Their sum must fit in the
   * ephemeral-storage limit.
   *
   * @default Size.mebibytes(256)
   */
  readonly writableDirectorySizeLimit?: Size;

  /**
   * When the kubelet pulls the image.
   *
   * @default - `Always` for a tag (a moved tag is noticed), `IfNotPresent` for a digest (content never changes)
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;

  /**
   * ServiceAccount of the pods.
   *
   * @default - a new ServiceAccount named like the app, whose token is not mounted
   */
  readonly serviceAccount?: kplus.IServiceAccount;

  /**
   * Whether the ServiceAccount token is mounted into the pods (only apps that call the Kubernetes API need it).
   *
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;

  /**
   * The NetworkPolicy isolating the pods.
   *
   * @default - enabled: ingress from the `ingress-nginx` namespace on the app port, egress to DNS
   */
  readonly networkPolicy?: WebAppNetworkPolicyOptions;

  /**
   * A canary track (ingress-nginx only).
   *
   * @default - no canary
   */
  readonly canary?: WebAppCanaryOptions;

  /**
   * Old ReplicaSets kept for `kubectl rollout undo`.
   *
   * @default 5
   */
  readonly revisionHistoryLimit?: number;

  /**
   * How long a new pod must be ready before it counts as available and the rollout continues.
   *
   * @default Duration.seconds(10)
   */
  readonly minReady?: Duration;

  /**
   * How long a rollout may make no progress before the Deployment reports it as failed.
   *
   * @default Duration.minutes(10)
   */
  readonly progressDeadline?: Duration;
}
