import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { PodOptions } from '../common/pod-options';
import { SecretKeyReference } from '../common/secret-key-reference';
import type { PostgresConnection } from '../postgres/connection';
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
 * A canary track: a second Deployment (its own `app.kubernetes.io/instance`, `<instance>-canary`)
 * and Service. Through an Ingress it gets a second Ingress with the same hosts and paths and
 * ingress-nginx's canary annotations; through a Gateway the HTTPRoute splits the traffic with
 * weighted `backendRefs` and sends requests with the canary header to the canary.
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
   * Ingress only: an HTTPRoute cannot match cookies portably.
   *
   * @default - no cookie rule
   */
  readonly cookie?: string;
}

/**
 * Publishing through the Gateway API: an `HTTPRoute` attached to an existing Gateway. The
 * Gateway's listener terminates TLS with its own certificate (its `certificateRefs`); the route
 * only carries the hosts, the path prefixes and the backends.
 *
 * @see https://gateway-api.sigs.k8s.io/api-types/httproute/
 */
export interface WebAppGatewayOptions {
  /** Name of the Gateway the route attaches to. */
  readonly name: string;

  /**
   * Namespace of the Gateway. Its listener must allow routes from the app's namespace
   * (`allowedRoutes.namespaces`).
   */
  readonly namespace: string;

  /**
   * The listener of the Gateway to attach to (`parentRefs[].sectionName`), e.g. `https`.
   *
   * @default - every listener of the Gateway that allows the route
   */
  readonly sectionName?: string;

  /**
   * Namespace of the pods that forward the Gateway's traffic to the app, allowed through the
   * app's NetworkPolicy to the app port.
   *
   * @default - the Gateway's namespace
   */
  readonly dataPlaneNamespace?: string;

  /**
   * Labels of the Gateway's data-plane pods inside `dataPlaneNamespace`.
   *
   * @default - every pod of that namespace
   */
  readonly dataPlanePodLabels?: { [key: string]: string };

  /**
   * Emit a `ReferenceGrant` in the app's namespace that lets Gateways of `namespace` use the TLS
   * Secret `tls.secretName` kept next to the app (a cross-namespace `certificateRefs`). Needs `tls`
   * and a chart namespace other than the Gateway's.
   *
   * @default false
   */
  readonly referenceGrant?: boolean;
}

/**
 * Scraping of the app's metrics by the Prometheus Operator: a `ServiceMonitor` selecting the
 * app's Services (its canary's too).
 *
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor
 */
export interface WebAppMetricsOptions {
  /**
   * The container port serving the metrics. The app port is scraped through the `http` Service
   * port; another port is declared on the container and the Services as `metrics`.
   */
  readonly port: number;

  /**
   * HTTP path of the metrics.
   *
   * @default '/metrics'
   */
  readonly path?: string;

  /**
   * How often Prometheus scrapes the pods.
   *
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;

  /**
   * Namespace of Prometheus, allowed through the app's NetworkPolicy to the metrics port.
   *
   * @default 'monitoring'
   */
  readonly scraperNamespace?: string;
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
   * Whether to publish the app through an Ingress. Turn it on together with `gateway` to serve
   * both while moving from one to the other.
   *
   * @default - true without `gateway`, false with it
   */
  readonly ingressEnabled?: boolean;

  /**
   * Publish the app through a Gateway API `HTTPRoute` attached to an existing Gateway (the same
   * hosts, paths and Service port as the Ingress; a canary becomes weighted `backendRefs` and a
   * header match). Needs the Gateway API CRDs (v1) and a Gateway controller in the cluster.
   *
   * @default - no HTTPRoute: the app is published through its Ingress
   */
  readonly gateway?: WebAppGatewayOptions;

  /**
   * Metrics scraped by the Prometheus Operator through a `ServiceMonitor` (needs its CRDs).
   *
   * @default - no ServiceMonitor
   */
  readonly metrics?: WebAppMetricsOptions;

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
   * (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, ...) are rejected: use `secretEnv`. Reserved names
   * (`PG*`, `KUBERNETES_*`, ...) are rejected too: database variables come from `database`.
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
   * The PostgreSQL database the app uses, from `db.connection('orders')` of a `StatefulPostgres`.
   * The container gets libpq's `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD` (a
   * `secretKeyRef` to the user's Secret, never a value) and `PGSSLMODE`; with TLS the CA is
   * mounted and `PGSSLROOTCERT` names it. The NetworkPolicies of both sides are opened: the app's
   * egress to the database (or pooler) pods on their port, and their ingress from the app's pods
   * (its canary's too), with a namespaceSelector when the charts' namespaces differ.
   *
   * @default - no database
   */
  readonly database?: PostgresConnection;

  /**
   * More databases, keyed by the prefix of their variables (`ORDERS_` gives `ORDERS_PGHOST`, ...),
   * each wired like `database`.
   *
   * @default - no other databases
   */
  readonly databases?: { [envPrefix: string]: PostgresConnection };

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
   * A canary track (through ingress-nginx or a Gateway).
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
