import { ApiObject, Chart, Duration, JsonPatch, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { sha256Of } from '../common/checksum';
import { escapeKubernetesExpansion } from '../common/env';
import { sizeToQuantity } from '../common/quantities';
import { PropErrors, throwPropError } from '../common/errors';
import { ensureUniqueObjectNames } from '../common/unique-names';
import { AppIdentity, LABEL_INSTANCE, LABEL_NAME, selectorLabels, standardLabels } from '../common/labels';
import { applyPodOptions } from '../common/resolve-pod-options';
import { toResourceRequirements } from '../common/resources';
import { spreadScheduling } from '../common/scheduling';
import { patchContainerSecurity, patchPodHardening, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../common/security';
import { HttpRoute } from '../imports/gateway-httproutes-gateway.networking.k8s.io';
import type { PostgresConnection } from '../postgres/connection';
import { ReferenceGrantV1Beta1 } from '../imports/gateway-referencegrants-gateway.networking.k8s.io';
import { ServiceMonitor } from '../imports/monitoring-servicemonitors-monitoring.coreos.com';
import { httpRouteSpec, tlsReferenceGrantSpec } from './gateway';
import { WebAppNetworkPeer } from './network-peer';
import {
  CONTAINER_NAME,
  containerEnv,
  HTTP_PORT_NAME,
  livenessProbe,
  METRICS_PORT_NAME,
  namedPort,
  readinessProbe,
  startupProbe,
} from './pod-template';
import {
  CANARY_SUFFIX,
  CONFIG_CHECKSUM_ANNOTATION,
  checkPeer,
  checkPorts,
  ResolvedEgressRule,
  ResolvedWebApp,
  resolveWebAppProps,
} from './resolve-props';
import { serviceMonitorSpec } from './service-monitor';
import { WebAppWithIngressProps } from './web-app-with-ingress-props';

const POD_SPEC = '/spec/template/spec';
const CONTAINER = `${POD_SPEC}/containers/0`;
const KUBE_SCORE_IGNORE = 'kube-score/ignore';
const KUBE_LINTER_IGNORE = 'ignore-check.kube-linter.io';
const CANARY_ANNOTATION = 'nginx.ingress.kubernetes.io/canary';

/** One track of the app (the main one, or the canary): its identity, image and replicas. */
interface Track {
  readonly idPrefix: string;
  readonly identity: AppIdentity;
  readonly image: string;
  readonly imagePullPolicy: kplus.ImagePullPolicy;
  /** undefined when an autoscaler owns the count. */
  readonly replicas?: number;
}

/** The objects of one track. */
interface TrackObjects {
  readonly deployment: kplus.Deployment;
  readonly service: kplus.Service;
  readonly ingress?: kplus.Ingress;
  readonly podDisruptionBudget?: ApiObject;
  readonly networkPolicy?: ApiObject;
}

/**
 * A stateless HTTP application behind an Ingress or a Gateway, with the production defaults a
 * cluster expects:
 *
 * - a Deployment with a stable `app.kubernetes.io/name` + `instance` selector, zero-downtime rolling
 *   updates, readiness/liveness/startup probes, a preStop delay and a matching grace period, a
 *   restricted security context, explicit resources and spreading across zones and hosts;
 * - a ClusterIP Service and an Ingress (class, host, Prefix paths, TLS with cert-manager) and/or a
 *   Gateway API HTTPRoute;
 * - its own ServiceAccount (token not mounted), a PodDisruptionBudget, a NetworkPolicy, an optional
 *   HorizontalPodAutoscaler, ConfigMap, ServiceMonitor and canary track;
 * - with `database`, libpq's environment and the NetworkPolicy rules of both sides.
 *
 * Every object is named after `instance`; the children are exposed as escape hatches.
 */
export class WebAppWithIngress extends Construct {
  /** The Deployment running the app. */
  public readonly deployment: kplus.Deployment;
  /** The ClusterIP Service in front of the pods (port named `http`). */
  public readonly service: kplus.Service;
  /** The Ingress routing the hosts and paths to the Service, unless `ingressEnabled` is false. */
  public readonly ingress?: kplus.Ingress;
  /** The HTTPRoute (`gateway.networking.k8s.io/v1`) attaching the app to its Gateway, when `gateway` is set. */
  public readonly httpRoute?: ApiObject;
  /** The ReferenceGrant (`gateway.networking.k8s.io/v1beta1`) for the TLS Secret, when `gateway.referenceGrant` is true. */
  public readonly referenceGrant?: ApiObject;
  /** The ServiceMonitor (`monitoring.coreos.com/v1`), when `metrics` is set. */
  public readonly serviceMonitor?: ApiObject;
  /** The pods' ServiceAccount: created by the construct unless one was passed in. */
  public readonly serviceAccount: kplus.IServiceAccount;
  /** The ConfigMap holding `config`, when given. */
  public readonly configMap?: kplus.ConfigMap;
  /** The HorizontalPodAutoscaler, when `autoscaling` is set. */
  public readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  /** The PodDisruptionBudget (`policy/v1`), when the app runs 2 or more pods or is autoscaled. */
  public readonly podDisruptionBudget?: ApiObject;
  /** The NetworkPolicy (`networking.k8s.io/v1`), unless disabled. */
  public readonly networkPolicy?: ApiObject;
  /** The canary Deployment, when `canary` is set. */
  public readonly canaryDeployment?: kplus.Deployment;
  /** The canary Service, when `canary` is set. */
  public readonly canaryService?: kplus.Service;
  /** The canary Ingress (ingress-nginx canary annotations), when `canary` is set and the Ingress enabled. */
  public readonly canaryIngress?: kplus.Ingress;
  /** The canary's PodDisruptionBudget, when the canary runs 2 or more pods. */
  public readonly canaryPodDisruptionBudget?: ApiObject;
  /** The canary's NetworkPolicy, when `canary` is set and the policy is enabled. */
  public readonly canaryNetworkPolicy?: ApiObject;

  /** `app.kubernetes.io/name` of the app. */
  public readonly appName: string;
  /** `app.kubernetes.io/instance` of the app, and the name of its objects. */
  public readonly instance: string;
  /** The container port (named `http`). */
  public readonly port: number;
  /** The Service port (named `http`). */
  public readonly servicePort: number;
  /** The labels that select the app's pods (the canary's excluded); never change them. */
  public readonly selectorLabels: { [key: string]: string };
  /** `https://<host>` with TLS, `http://<host>` without. */
  public readonly url: string;

  private readonly app: ResolvedWebApp;
  private readonly ingressPeers: WebAppNetworkPeer[];
  private readonly egressRules: ResolvedEgressRule[];

  constructor(scope: Construct, id: string, props: WebAppWithIngressProps) {
    super(scope, id);
    const app = resolveWebAppProps(this, id, props);
    ensureUniqueObjectNames(this);
    this.app = app;
    this.appName = app.name;
    this.instance = app.instance;
    this.port = app.port;
    this.servicePort = app.servicePort;
    this.url = `${app.tls ? 'https' : 'http'}://${app.hosts[0]}`;
    this.ingressPeers = [...app.networkPolicy.allowFrom];
    this.egressRules = [...app.networkPolicy.allowTo];
    const databasePeers = new Map<string, PostgresConnection>();
    for (const { connection } of app.databases) {
      const peer = connection._egressPeer();
      const key = JSON.stringify([peer.podLabels, peer.namespace, peer.port]);
      if (!databasePeers.has(key)) {
        databasePeers.set(key, connection);
        this.egressRules.push({
          peer: WebAppNetworkPeer.pods(peer.podLabels, peer.namespace),
          ports: [peer.port],
          protocol: kplus.NetworkProtocol.TCP,
        });
      }
    }

    const identity: AppIdentity = { name: app.name, instance: app.instance, component: app.component, partOf: app.partOf, version: app.version };
    const sharedIdentity: AppIdentity = { ...identity, version: undefined };
    this.selectorLabels = selectorLabels({ name: app.name, instance: app.instance });

    if (app.serviceAccount) {
      this.serviceAccount = app.serviceAccount;
    } else {
      const sa = new kplus.ServiceAccount(this, 'ServiceAccount', {
        metadata: { name: app.instance, labels: standardLabels(sharedIdentity) },
        automountToken: app.automountServiceAccountToken,
      });
      this.serviceAccount = sa;
    }

    if (app.config) {
      this.configMap = new kplus.ConfigMap(this, 'ConfigMap', {
        metadata: { name: `${app.instance}-config`, labels: standardLabels(sharedIdentity) },
        data: app.config,
      });
    }

    const main = this.addTrack({
      idPrefix: '',
      identity,
      image: app.image,
      imagePullPolicy: app.imagePullPolicy,
      replicas: app.autoscaling ? undefined : app.replicas,
    });
    this.deployment = main.deployment;
    this.service = main.service;
    this.ingress = main.ingress;
    this.podDisruptionBudget = main.podDisruptionBudget;
    this.networkPolicy = main.networkPolicy;

    if (app.autoscaling) {
      const metrics: kplus.Metric[] = [];
      if (app.autoscaling.targetCpuUtilization !== undefined) {
        metrics.push(kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(app.autoscaling.targetCpuUtilization)));
      }
      if (app.autoscaling.targetMemoryUtilization !== undefined) {
        metrics.push(kplus.Metric.resourceMemory(kplus.MetricTarget.averageUtilization(app.autoscaling.targetMemoryUtilization)));
      }
      this.autoscaler = new kplus.HorizontalPodAutoscaler(this, 'HorizontalPodAutoscaler', {
        metadata: { name: app.instance, labels: standardLabels(sharedIdentity) },
        target: this.deployment,
        minReplicas: app.autoscaling.minReplicas,
        maxReplicas: app.autoscaling.maxReplicas,
        metrics,
      });
    }

    if (app.canary) {
      const canary = this.addTrack({
        idPrefix: 'Canary',
        identity: { ...identity, instance: `${app.instance}${CANARY_SUFFIX}`, version: app.canary.version },
        image: app.canary.image,
        imagePullPolicy: app.canary.imagePullPolicy,
        replicas: app.canary.replicas,
      });
      this.canaryDeployment = canary.deployment;
      this.canaryService = canary.service;
      this.canaryIngress = canary.ingress;
      this.canaryPodDisruptionBudget = canary.podDisruptionBudget;
      this.canaryNetworkPolicy = canary.networkPolicy;
    }

    // the database side: its (or its pooler's) NetworkPolicy admits the pods of both tracks
    for (const connection of databasePeers.values()) {
      connection._allowFrom(this.selectorLabels, this._namespace);
      if (app.canary) {
        connection._allowFrom(selectorLabels({ name: app.name, instance: `${app.instance}${CANARY_SUFFIX}` }), this._namespace);
      }
    }

    if (app.gateway) {
      this.httpRoute = new HttpRoute(this, 'HttpRoute', {
        metadata: { name: app.instance, labels: standardLabels(sharedIdentity) },
        spec: httpRouteSpec(app, { main: this.service.name, canary: this.canaryService?.name }),
      });
      if (app.gateway.referenceGrant) {
        this.referenceGrant = new ReferenceGrantV1Beta1(this, 'ReferenceGrant', {
          metadata: { name: `${app.instance}-tls`, labels: standardLabels(sharedIdentity) },
          spec: tlsReferenceGrantSpec(app),
        });
      }
    }

    if (app.metrics) {
      this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
        metadata: { name: app.instance, labels: standardLabels(sharedIdentity) },
        spec: serviceMonitorSpec(app, this._peerPodSelector() as any),
      });
    }
  }

  /**
   * Allows `peer` to connect to the app port (the NetworkPolicy's ingress rules).
   */
  public allowFrom(peer: WebAppNetworkPeer): void {
    this.requireNetworkPolicy('allowFrom()');
    const errors = new PropErrors(this);
    checkPeer(errors, peer, 'allowFrom(peer)');
    errors.throwIfAny();
    this.ingressPeers.push(peer);
  }

  /**
   * Allows the pods to connect to `peer` (the NetworkPolicy's egress rules).
   *
   * @param peer the destination
   * @param ports destination container ports; default: the web app's port for `WebAppNetworkPeer.webApp()`, every port otherwise
   * @param protocol protocol of the ports; default TCP
   */
  public allowTo(peer: WebAppNetworkPeer, ports?: number[], protocol?: kplus.NetworkProtocol): void {
    this.requireNetworkPolicy('allowTo()');
    const errors = new PropErrors(this);
    checkPeer(errors, peer, 'allowTo(peer)');
    checkPorts(errors, ports, 'allowTo(ports)');
    errors.check(
      protocol === undefined || Object.values(kplus.NetworkProtocol).includes(protocol),
      'allowTo(protocol)',
      'one of TCP, UDP, SCTP',
      protocol,
    );
    errors.throwIfAny();
    this.egressRules.push({ peer, ports: ports ? [...ports] : undefined, protocol: protocol ?? kplus.NetworkProtocol.TCP });
  }

  /**
   * Lets this app call `other`: egress from these pods to its port, and ingress into its pods from
   * these. Both apps must have their NetworkPolicy enabled.
   */
  public connectTo(other: WebAppWithIngress): void {
    other.requireNetworkPolicy('connectTo()');
    this.allowTo(WebAppNetworkPeer.webApp(other));
    other.allowFrom(WebAppNetworkPeer.webApp(this));
  }

  /** @internal The pod selector matching the app's pods, its canary's included. */
  public _peerPodSelector(): Record<string, unknown> {
    if (!this.app.canary) {
      return { matchLabels: { ...this.selectorLabels } };
    }
    return {
      matchExpressions: [{ key: LABEL_INSTANCE, operator: 'In', values: [this.instance, `${this.instance}${CANARY_SUFFIX}`] }],
      matchLabels: { [LABEL_NAME]: this.appName },
    };
  }

  /** @internal The namespace of the app's objects (its chart's). */
  public get _namespace(): string | undefined {
    return Chart.of(this).namespace;
  }

  private requireNetworkPolicy(method: string): void {
    if (!this.app.networkPolicy.enabled) {
      throwPropError(this, 'networkPolicy.enabled', `true to call ${method}`, false);
    }
  }

  private addTrack(track: Track): TrackObjects {
    const app = this.app;
    const { identity } = track;
    const selector = selectorLabels({ name: identity.name, instance: identity.instance });
    const labels = standardLabels(identity);
    const objectName = identity.instance;
    const id = (name: string) => `${track.idPrefix}${name}`;

    const pod = applyPodOptions(
      {
        metadata: {},
        spec: {
          containers: [
            {
              name: CONTAINER_NAME,
              volumeMounts: [...app.writableDirectories.map((w) => ({ mountPath: w.path, name: w.volumeName })), ...app.databaseMounts],
            },
          ],
          volumes: [
            ...app.writableDirectories.map((w) => ({
              emptyDir: { sizeLimit: kplus.k8s.Quantity.fromString(sizeToQuantity(app.writableDirectorySizeLimit)) },
              name: w.volumeName,
            })),
            ...app.databaseVolumes,
          ],
        },
      },
      app.podOptions,
    );

    const deployment = new kplus.Deployment(this, id('Deployment'), {
      metadata: { name: objectName, labels, annotations: this.deploymentAnnotations(track) },
      select: false,
      replicas: track.replicas,
      minReady: Duration.seconds(app.minReadySeconds),
      progressDeadline: Duration.seconds(app.progressDeadlineSeconds),
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.percent(25),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      podMetadata: { labels },
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: app.automountServiceAccountToken,
      terminationGracePeriod: Duration.seconds(app.terminationGraceSeconds),
      containers: [
        {
          name: CONTAINER_NAME,
          image: track.image,
          imagePullPolicy: track.imagePullPolicy,
          command: app.command?.map(escapeKubernetesExpansion),
          args: app.args?.map(escapeKubernetesExpansion),
          ports: this.containerPorts(),
          envFrom: this.configMap ? [kplus.Env.fromConfigMap(this.configMap)] : undefined,
          lifecycle: app.preStopSeconds > 0 ? { preStop: kplus.Handler.fromCommand(['sleep', String(app.preStopSeconds)]) } : undefined,
        },
      ],
    });
    deployment.select(kplus.LabelSelector.of({ labels: selector }));
    for (const [k, v] of Object.entries(pod.metadata?.labels ?? {})) {
      deployment.podMetadata.addLabel(k, v);
    }
    for (const [k, v] of Object.entries(pod.metadata?.annotations ?? {})) {
      deployment.podMetadata.addAnnotation(k, v);
    }
    if (this.configMap) {
      const configMap = this.configMap;
      // Hashed at synthesis, after any later configMap.addData(): a config change rolls the pods.
      deployment.podMetadata.addAnnotation(CONFIG_CHECKSUM_ANNOTATION, Lazy.any({ produce: () => sha256Of(configMap.data) }) as unknown as string);
    }

    const obj = ApiObject.of(deployment);
    // cdk8s-plus labels pods with a hash of the construct path; the explicit labels replace it so
    // moving the construct in the tree never touches the pods.
    obj.addJsonPatch(JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
    obj.addJsonPatch(JsonPatch.add('/spec/revisionHistoryLimit', app.revisionHistoryLimit));
    // Values the API server never stores (a false hostNetwork, a zero minReadySeconds) would make
    // every `kubectl apply` report `configured`: a drift that never settles under GitOps tools.
    obj.addJsonPatch(JsonPatch.remove(`${POD_SPEC}/hostNetwork`));
    if (app.minReadySeconds === 0) {
      obj.addJsonPatch(JsonPatch.remove('/spec/minReadySeconds'));
    }
    patchPodHardening(obj, POD_SPEC, restrictedPodSecurityContext({ user: app.runAsUser, group: app.runAsGroup }));
    patchContainerSecurity(
      obj,
      POD_SPEC,
      { list: 'containers', index: 0 },
      restrictedContainerSecurityContext({ user: app.runAsUser, group: app.runAsGroup, readOnlyRootFilesystem: app.readOnlyRootFilesystem }),
    );
    obj.addJsonPatch(JsonPatch.add(`${CONTAINER}/resources`, toResourceRequirements(app.resources)));
    obj.addJsonPatch(JsonPatch.add(`${CONTAINER}/readinessProbe`, readinessProbe(app)));
    obj.addJsonPatch(JsonPatch.add(`${CONTAINER}/startupProbe`, startupProbe(app)));
    const liveness = livenessProbe(app);
    if (liveness) {
      obj.addJsonPatch(JsonPatch.add(`${CONTAINER}/livenessProbe`, liveness));
    }
    const { affinity, topologySpreadConstraints } = spreadScheduling(selector);
    obj.addJsonPatch(JsonPatch.add(`${POD_SPEC}/affinity`, affinity));
    obj.addJsonPatch(JsonPatch.add(`${POD_SPEC}/topologySpreadConstraints`, topologySpreadConstraints));
    const env = containerEnv(app, this._namespace);
    if (env.length > 0) {
      obj.addJsonPatch(JsonPatch.add(`${CONTAINER}/env`, env));
    }
    const { containers, ...podFields } = pod.spec!;
    if (containers[0].volumeMounts?.length) {
      obj.addJsonPatch(JsonPatch.add(`${CONTAINER}/volumeMounts`, containers[0].volumeMounts));
    }
    for (const [field, value] of Object.entries(podFields)) {
      obj.addJsonPatch(JsonPatch.add(`${POD_SPEC}/${field}`, value));
    }

    const service = new kplus.Service(this, id('Service'), {
      metadata: { name: objectName, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: this.servicePorts(),
    });
    for (const [k, v] of Object.entries(selector)) {
      service.selectLabel(k, v);
    }
    ApiObject.of(service).addJsonPatch(JsonPatch.replace('/spec/ports/0/targetPort', namedPort(HTTP_PORT_NAME)));
    if (app.metrics?.portName === METRICS_PORT_NAME) {
      ApiObject.of(service).addJsonPatch(JsonPatch.replace('/spec/ports/1/targetPort', namedPort(METRICS_PORT_NAME)));
    }
    ApiObject.of(service).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));

    let ingress: kplus.Ingress | undefined;
    if (app.ingressEnabled) {
      ingress = new kplus.Ingress(this, id('Ingress'), {
        metadata: { name: objectName, labels, annotations: this.ingressAnnotations(track) },
        className: app.ingressClassName,
        tls: app.tls ? [{ hosts: app.hosts, secret: kplus.Secret.fromSecretName(this, id('TlsSecret'), app.tls.secretName) }] : undefined,
      });
      const backend = kplus.IngressBackend.fromService(service, { port: app.servicePort });
      for (const host of app.hosts) {
        for (const path of app.paths) {
          ingress.addHostRule(host, path, backend, kplus.HttpIngressPathType.PREFIX);
        }
      }
    }

    const podCount = track.replicas ?? 2;
    let podDisruptionBudget: ApiObject | undefined;
    if (track.replicas === undefined || podCount >= 2) {
      podDisruptionBudget = new ApiObject(this, id('PodDisruptionBudget'), {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: objectName, labels },
        spec: {
          maxUnavailable: 1,
          selector: { matchLabels: selector },
          unhealthyPodEvictionPolicy: 'AlwaysAllow',
        },
      });
    }

    let networkPolicy: ApiObject | undefined;
    if (app.networkPolicy.enabled) {
      networkPolicy = new ApiObject(this, id('NetworkPolicy'), {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: objectName, labels },
        spec: Lazy.any({ produce: () => this.networkPolicySpec(selector) }),
      });
    }

    return { deployment, service, ingress, podDisruptionBudget, networkPolicy };
  }

  private containerPorts(): kplus.ContainerPort[] {
    const ports: kplus.ContainerPort[] = [{ name: HTTP_PORT_NAME, number: this.app.port }];
    const metrics = this.app.metrics;
    if (metrics?.portName === METRICS_PORT_NAME) {
      ports.push({ name: METRICS_PORT_NAME, number: metrics.port });
    }
    return ports;
  }

  private servicePorts(): kplus.ServicePort[] {
    const ports: kplus.ServicePort[] = [{ name: HTTP_PORT_NAME, port: this.app.servicePort, targetPort: this.app.port }];
    const metrics = this.app.metrics;
    if (metrics?.portName === METRICS_PORT_NAME) {
      ports.push({ name: METRICS_PORT_NAME, port: metrics.port, targetPort: metrics.port });
    }
    return ports;
  }

  private deploymentAnnotations(track: Track): Record<string, string> {
    const app = this.app;
    const annotations: Record<string, string> = {};
    const kubeScore: string[] = [];
    if (track.imagePullPolicy !== kplus.ImagePullPolicy.ALWAYS) {
      kubeScore.push('container-image-pull-policy');
    }
    if (app.runAsUser < 10000 || app.runAsGroup < 10000) {
      kubeScore.push('container-security-context-user-group-id');
    }
    if (!app.readOnlyRootFilesystem) {
      kubeScore.push('container-security-context-readonlyrootfilesystem');
      annotations[`${KUBE_LINTER_IGNORE}/no-read-only-root-fs`] = 'readOnlyRootFilesystem was turned off for this app';
    }
    if (track.idPrefix !== '' && track.replicas !== undefined && track.replicas < 2) {
      // A canary is small on purpose: it takes a share of the traffic next to the main track.
      kubeScore.push('deployment-replicas');
    }
    if (app.livenessCheckPath !== undefined && app.livenessCheckPath === app.healthCheckPath) {
      // Asked for explicitly: liveness on the readiness endpoint, with more lenient thresholds.
      kubeScore.push('pod-probes-identical');
    }
    if (!app.networkPolicy.enabled) {
      kubeScore.push('pod-networkpolicy');
    }
    if (app.serviceAccount) {
      annotations[`${KUBE_LINTER_IGNORE}/non-existent-service-account`] = `the ServiceAccount ${app.serviceAccount.name} is managed outside this app`;
    }
    if (app.port === 22) {
      annotations[`${KUBE_LINTER_IGNORE}/ssh-port`] = 'the app itself listens on port 22';
    }
    if (kubeScore.length > 0) {
      annotations[KUBE_SCORE_IGNORE] = kubeScore.join(',');
    }
    // Polaris reads no reason: the exemptions mirror the kube-score and kube-linter ones above.
    const polaris: string[] = [];
    if (track.replicas === undefined || (track.idPrefix !== '' && track.replicas < 2)) {
      polaris.push('deploymentMissingReplicas');
    }
    if (track.imagePullPolicy !== kplus.ImagePullPolicy.ALWAYS) {
      polaris.push('pullPolicyNotAlways');
    }
    if (!app.readOnlyRootFilesystem) {
      polaris.push('notReadOnlyRootFilesystem');
    }
    if (!app.networkPolicy.enabled) {
      polaris.push('missingNetworkPolicy');
    }
    for (const check of polaris) {
      annotations[`polaris.fairwinds.com/${check}-exempt`] = 'true';
    }
    return annotations;
  }

  private ingressAnnotations(track: Track): Record<string, string> {
    const app = this.app;
    if (track.idPrefix === '') {
      const annotations = { ...app.ingressAnnotations };
      if (app.tls?.clusterIssuer) {
        annotations['cert-manager.io/cluster-issuer'] = app.tls.clusterIssuer;
      }
      if (app.tls?.issuer) {
        annotations['cert-manager.io/issuer'] = app.tls.issuer;
      }
      return annotations;
    }
    // The canary shares the main Ingress' certificate: no issuer annotation (cert-manager would
    // manage the same Secret twice), and ingress-nginx ignores most other annotations on a canary.
    const canary = app.canary!;
    const annotations: Record<string, string> = { [CANARY_ANNOTATION]: 'true' };
    if (canary.weight !== undefined) {
      annotations[`${CANARY_ANNOTATION}-weight`] = String(canary.weight);
    }
    if (canary.header !== undefined) {
      annotations[`${CANARY_ANNOTATION}-by-header`] = canary.header;
    }
    if (canary.headerValue !== undefined) {
      annotations[`${CANARY_ANNOTATION}-by-header-value`] = canary.headerValue;
    }
    if (canary.cookie !== undefined) {
      annotations[`${CANARY_ANNOTATION}-by-cookie`] = canary.cookie;
    }
    return annotations;
  }

  private networkPolicySpec(selector: Record<string, string>): Record<string, unknown> {
    const np = this.app.networkPolicy;
    const ns = this._namespace;
    const appPort = [{ port: this.port, protocol: 'TCP' }];
    const controller: Record<string, unknown> = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': np.ingressControllerNamespace } },
    };
    if (np.ingressControllerPodLabels && Object.keys(np.ingressControllerPodLabels).length > 0) {
      controller.podSelector = { matchLabels: { ...np.ingressControllerPodLabels } };
    }
    const ingress: unknown[] = [];
    if (this.app.ingressEnabled) {
      ingress.push({ from: [controller], ports: appPort });
    }
    const gateway = this.app.gateway;
    if (gateway) {
      const dataPlane: Record<string, unknown> = {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': gateway.dataPlaneNamespace } },
      };
      if (gateway.dataPlanePodLabels && Object.keys(gateway.dataPlanePodLabels).length > 0) {
        dataPlane.podSelector = { matchLabels: { ...gateway.dataPlanePodLabels } };
      }
      ingress.push({ from: [dataPlane], ports: appPort });
    }
    const metrics = this.app.metrics;
    if (metrics) {
      ingress.push({
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': metrics.scraperNamespace } } }],
        ports: [{ port: metrics.port, protocol: 'TCP' }],
      });
    }
    for (const peer of this.ingressPeers) {
      ingress.push({ from: [peer._render(ns).peer], ports: appPort });
    }
    const egress: unknown[] = [
      {
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
    ];
    for (const rule of this.egressRules) {
      const rendered = rule.peer._render(ns);
      const ports = rule.ports ?? rendered.defaultPorts;
      egress.push({ to: [rendered.peer], ...(ports ? { ports: ports.map((port) => ({ port, protocol: rule.protocol })) } : {}) });
    }
    return {
      egress,
      ingress,
      podSelector: { matchLabels: { ...selector } },
      policyTypes: ['Ingress', 'Egress'],
    };
  }
}
