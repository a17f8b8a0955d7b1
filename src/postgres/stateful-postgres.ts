import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { sha256Of } from '../common/checksum';
import { throwPropError } from '../common/errors';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NAME } from '../common/labels';
import { addKubeScoreIgnore, workloadsBelow } from '../common/linter-annotations';
import { ensureUniqueObjectNames } from '../common/unique-names';
import { PodMonitor } from '../imports/monitoring-podmonitors-monitoring.coreos.com';
import { PrometheusRule } from '../imports/monitoring-prometheusrules-monitoring.coreos.com';
import * as assets from './scripts/assets.generated';
import { podPeer, PostgresConnection, PostgresConnectionOptions } from './connection';
import { componentSelector, labelsFor, MEMBER_COMPONENTS, MEMBER_LABEL, memberSelector, workloadAnnotations } from './instance-labels';
import {
  backupCronJobNames,
  backupPodTemplate,
  backupRbacAnnotations,
  backupRoleRules,
  cronJobSpec,
  dumpPodTemplate,
  usersJob,
  usersJobData,
} from './jobs';
import { memberStatefulSet } from './member-statefulset';
import { MonitoredInstance, podMonitorSpec, prometheusRuleSpec } from './monitoring';
import { networkPolicies, tcp } from './network-policies';
import { renderPatroniConfig } from './patroni-config';
import { pgbackrestConfigData } from './pgbackrest-conf';
import { renderPgHba } from './pg-hba';
import { oneAtATime, poolerConfigData, poolerDeployment } from './pooler';
import { renderPostgresqlConf } from './postgresql-conf';
import { StatefulPostgresProps } from './props';
import { APP_NAME, clientCaDir, clientTls, PG_PORT, POOLER_PORT, REPLICATION_USER, resolveProps, ResolvedPostgres } from './resolve-props';
import { renderUsersSql, usersScriptOf } from './users-sql';

/** Options of `connectionEnv` (the same as `connection`'s). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the name connectionEnv's options have always had
export interface ConnectionEnvOptions extends PostgresConnectionOptions {}

/**
 * PostgreSQL as plain Kubernetes objects: a primary and streaming replicas (or Patroni for
 * automatic failover), read-write and read-only Services, pgBouncer, pgBackRest backups with
 * WAL archiving, logical dumps, declared users and databases, postgres_exporter, a
 * PodDisruptionBudget and NetworkPolicies. No operator runs in the cluster.
 *
 * @see https://www.postgresql.org/docs/15/warm-standby.html
 */
export class StatefulPostgres extends Construct {
  /** Base name of every object. */
  public readonly name: string;
  /** PostgreSQL major version. */
  public readonly version: number;
  /** The read-write Service (the primary), port 5432. */
  public readonly primaryService: kplus.Service;
  /** The read-only Service (the replicas), port 5432; undefined with a single instance. */
  public readonly replicaService?: kplus.Service;
  /** The pgBouncer Service, port 5432; undefined without a pooler. */
  public readonly poolerService?: kplus.Service;
  /** The headless Service giving every instance a stable DNS name. */
  public readonly headlessService: kplus.Service;
  /** The StatefulSet of the primary (with Patroni: of every member). */
  public readonly primaryStatefulSet: ApiObject;
  /** The StatefulSet of the replicas; undefined with one instance or with Patroni. */
  public readonly replicaStatefulSet?: ApiObject;
  /** postgresql.conf, pg_hba.conf and the container scripts. */
  public readonly configMap: kplus.ConfigMap;
  /** The rendered postgresql.conf. */
  public readonly postgresqlConf: string;
  /** The rendered pg_hba.conf. */
  public readonly pgHbaConf: string;
  /** The rendered users.sql. */
  public readonly usersSql: string;
  /** The label key client pods carry (value `"true"`) to pass the NetworkPolicy. */
  public readonly clientLabelKey: string;
  /** The Prometheus Operator PodMonitor (`metrics.monitoring`); undefined without one. */
  public readonly podMonitor?: ApiObject;
  /** The Prometheus Operator PrometheusRule with the alerts (`metrics.monitoring`); undefined without one. */
  public readonly prometheusRule?: ApiObject;

  private readonly resolved: ResolvedPostgres;
  /** Ingress rules of the members' and the pooler's NetworkPolicies, open to `connection()._allowFrom`; undefined without policies. */
  private readonly memberIngress?: kplus.k8s.NetworkPolicyIngressRule[];
  private readonly poolerIngress?: kplus.k8s.NetworkPolicyIngressRule[];

  constructor(scope: Construct, id: string, props: StatefulPostgresProps) {
    super(scope, id);
    ensureUniqueObjectNames(this);
    const r = resolveProps(this, id, props);
    this.resolved = r;
    this.name = r.name;
    this.version = r.version;
    this.clientLabelKey = r.clientLabelKey;

    // ---- configuration ----
    this.postgresqlConf = renderPostgresqlConf([
      { title: r.settings.derivedTitle, settings: r.settings.derived },
      { title: 'StatefulPostgres', settings: r.settings.construct },
      { title: 'parameters', settings: r.settings.parameters },
    ]);
    this.pgHbaConf = renderPgHba({ replicationUser: REPLICATION_USER, requireTls: r.tls?.require ?? false });
    const configData: Record<string, string> = {
      'postgresql.conf': this.postgresqlConf,
      'pg_hba.conf': this.pgHbaConf,
      'pg-common.sh': assets.PG_COMMON_SH,
      'start-postgres.sh': assets.START_POSTGRES_SH,
      'bootstrap-primary.sh': assets.BOOTSTRAP_PRIMARY_SH,
      'bootstrap-replica.sh': assets.BOOTSTRAP_REPLICA_SH,
      'bootstrap.sql': assets.BOOTSTRAP_SQL,
      'logical-backup.sh': assets.LOGICAL_BACKUP_SH,
    };
    if (r.backup) {
      configData['pgbackrest-archive.sh'] = assets.PGBACKREST_ARCHIVE_SH;
      configData['pgbackrest-agent.sh'] = assets.PGBACKREST_AGENT_SH;
      configData['restore-backup.sh'] = assets.RESTORE_BACKUP_SH;
    }
    if (r.ha) {
      configData['patroni.yml'] = renderPatroniConfig(r, this.pgHbaConf);
    }
    this.configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: `${r.name}-config`, labels: labelsFor(r, 'config') },
      data: configData,
    });
    const pgbackrestData = r.backup ? pgbackrestConfigData(r, r.backup) : undefined;
    if (pgbackrestData) {
      new kplus.ConfigMap(this, 'PgBackRestConfig', {
        metadata: { name: `${r.name}-pgbackrest`, labels: labelsFor(r, 'backup') },
        data: pgbackrestData,
      });
    }

    // ---- services ----
    this.headlessService = this.service('Headless', `${r.name}-hl`, 'member', undefined, true);
    if (r.ha) {
      this.primaryService = this.service('Primary', `${r.name}-rw`, 'member', 'primary');
      this.replicaService = this.service('Replicas', `${r.name}-ro`, 'member', 'replica');
    } else {
      this.primaryService = this.service('Primary', `${r.name}-rw`, 'primary');
      if (r.replicas > 1) {
        this.replicaService = this.service('Replicas', `${r.name}-ro`, 'read');
      }
    }

    // ---- members ----
    const memberContext = {
      configMapName: this.configMap.name,
      pgbackrestConfigMapName: `${r.name}-pgbackrest`,
      headlessServiceName: this.headlessService.name,
      primaryServiceName: this.primaryService.name,
      checksum: sha256Of({ config: configData, pgbackrest: Object.values(pgbackrestData ?? {}).join('') }),
      serviceAccountName: r.ha ? this.patroniRbac() : undefined,
    };
    if (r.ha) {
      this.primaryStatefulSet = new kplus.k8s.KubeStatefulSet(this, 'PrimaryStatefulSet', memberStatefulSet(r, 'member', memberContext));
    } else {
      this.primaryStatefulSet = new kplus.k8s.KubeStatefulSet(this, 'PrimaryStatefulSet', memberStatefulSet(r, 'primary', memberContext));
      if (r.replicas > 1) {
        this.replicaStatefulSet = new kplus.k8s.KubeStatefulSet(this, 'ReplicaStatefulSet', memberStatefulSet(r, 'read', memberContext));
      }
    }
    new kplus.k8s.KubePodDisruptionBudget(this, 'Pdb', {
      metadata: { name: r.name, labels: labelsFor(r, 'member') },
      spec: oneAtATime(memberSelector(r)),
    });

    // ---- users, pooler, backups ----
    this.usersSql = renderUsersSql(usersScriptOf(r));
    const usersData = usersJobData(this.usersSql);
    const usersConfig = new kplus.ConfigMap(this, 'UsersConfig', {
      metadata: { name: `${r.name}-users`, labels: labelsFor(r, 'users') },
      data: usersData,
    });
    const job = usersJob(r, usersData, usersConfig.name, this.primaryService.name);
    new kplus.k8s.KubeJob(this, 'UsersJob', {
      metadata: { name: job.name, labels: labelsFor(r, 'users'), annotations: workloadAnnotations(r) },
      spec: job.spec,
    });
    if (r.pooler) {
      this.poolerService = this.createPooler();
    }
    if (r.backup) {
      this.createBackupJobs();
    }
    if (r.logicalBackup) {
      this.createLogicalBackup();
    }
    const monitoring = r.metrics?.monitoring;
    if (monitoring) {
      const instance = this.monitoredInstance();
      const metadata = { name: r.name, labels: labelsFor(r, 'metrics') };
      if (monitoring.podMonitor) {
        this.podMonitor = new PodMonitor(this, 'PodMonitor', { metadata, spec: podMonitorSpec(instance, monitoring) });
      }
      if (monitoring.alerts) {
        this.prometheusRule = new PrometheusRule(this, 'PrometheusRule', { metadata, spec: prometheusRuleSpec(instance, monitoring) });
      }
    }
    for (const workload of workloadsBelow(this)) {
      if (JSON.stringify(workload.toJson()).match(/"imagePullPolicy":"(?!Always")/)) {
        // a digest never changes, or the user chose the policy: kube-score's `Always` rule does not apply
        addKubeScoreIgnore(workload, 'container-image-pull-policy');
      }
    }
    if (r.networkPolicy) {
      const plans = networkPolicies(r);
      for (const p of plans.policies) {
        new kplus.k8s.KubeNetworkPolicy(this, p.id, { metadata: { name: p.name, labels: labelsFor(r, p.component) }, spec: p.spec });
      }
      this.memberIngress = plans.memberIngress;
      this.poolerIngress = plans.poolerIngress;
    } else {
      // asked for explicitly: the pods' traffic is governed by policies outside this construct
      for (const workload of workloadsBelow(this)) {
        addKubeScoreIgnore(workload, 'pod-networkpolicy');
      }
    }
  }

  /**
   * A connection to a declared database, for the `database` prop of `WebAppWithIngress` and
   * `SerialBatchJob`: they get the libpq env (the password as a `secretKeyRef`, with TLS the CA as
   * a file and `verify-ca`/`verify-full`) and the NetworkPolicy rules of both sides.
   *
   * @param database a declared database
   */
  public connection(database: string, options: PostgresConnectionOptions = {}): PostgresConnection {
    return this.resolveConnection('connection', database, options);
  }

  /**
   * Environment for a workload connecting to a database: `PGHOST`, `PGPORT`, `PGDATABASE`,
   * `PGUSER`, `PGSSLMODE` and `PGPASSWORD` as a `secretKeyRef` to the user's Secret. libpq and most
   * drivers read these directly. The workload's pods must carry the `<name>-client: "true"` label
   * (see `clientLabelKey`) to pass the NetworkPolicy. Env alone carries no CA file, so with TLS
   * the server is not verified (`require`); `connection()` given to a pattern verifies it.
   *
   * @param database a declared database
   */
  public connectionEnv(database: string, options: ConnectionEnvOptions = {}): { [name: string]: kplus.EnvValue } {
    return this.resolveConnection('connectionEnv', database, options)._envValues();
  }

  private resolveConnection(method: string, database: string, options: PostgresConnectionOptions): PostgresConnection {
    const r = this.resolved;
    const db = r.databases.find((d) => d.name === database);
    if (!db) {
      throwPropError(this, `${method}(database)`, 'a declared database', database);
    }
    const user = options.user ?? db.ownerUser;
    if (!user) {
      throwPropError(this, `${method}(options.user)`, `a declared user (database ${database} has no owner user)`, user);
    }
    const secret = r.passwordFiles.get(user);
    if (!secret || !r.users.some((u) => u.name === user)) {
      throwPropError(this, `${method}(options.user)`, 'a declared user', user);
    }
    const readOnly = options.readOnly ?? false;
    const viaPooler = (options.viaPooler ?? true) && this.poolerService !== undefined && !readOnly;
    let service = this.primaryService.name;
    let component = r.ha ? 'member' : 'primary';
    if (readOnly) {
      if (!this.replicaService) {
        throwPropError(this, `${method}(options.readOnly)`, 'false with a single instance (there is no read-only Service)', true);
      }
      service = this.replicaService.name;
      component = r.ha ? 'member' : 'read';
    } else if (viaPooler) {
      service = this.poolerService!.name;
      component = 'pooler';
    }
    const refId = `ConnectionSecret-${secret.name}`;
    const secretRef = (this.node.tryFindChild(refId) as kplus.ISecret | undefined) ?? kplus.Secret.fromSecretName(this, refId, secret.name);
    const tls = clientTls(r, service);
    const port = viaPooler ? POOLER_PORT : PG_PORT;
    return PostgresConnection._of({
      database,
      user,
      host: tls.host,
      port: PG_PORT,
      sslMode: tls.sslMode,
      readOnly,
      viaPooler,
      password: { secret: secretRef, key: secret.key },
      ca:
        tls.verifies && r.tls
          ? {
              secretName: r.tls.secretName,
              key: 'ca.crt',
              volumeName: `${r.name}-ca`,
              directory: clientCaDir(r.name),
              file: `${clientCaDir(r.name)}/ca.crt`,
            }
          : undefined,
      peer: { podLabels: componentSelector(r, component), namespace: r.namespace, port },
      allowFrom: (podLabels, clientNamespace) => {
        const rules = viaPooler ? this.poolerIngress : this.memberIngress;
        rules?.push({ from: [podPeer(podLabels, clientNamespace, r.namespace)], ports: [tcp(port)] });
      },
    });
  }

  private service(id: string, name: string, component: string, role?: string, headless = false): kplus.Service {
    const svc = new kplus.Service(this, id, {
      metadata: { name, labels: labelsFor(this.resolved, component) },
      ports: [{ name: 'postgresql', port: PG_PORT, targetPort: PG_PORT }],
      clusterIP: headless ? 'None' : undefined,
    });
    svc.selectLabel(LABEL_NAME, APP_NAME);
    svc.selectLabel(LABEL_INSTANCE, this.name);
    if (headless) {
      svc.selectLabel(MEMBER_LABEL, 'true');
      ApiObject.of(svc).addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', true));
    } else {
      svc.selectLabel(LABEL_COMPONENT, component);
    }
    if (role) {
      svc.selectLabel('role', role);
      const obj = ApiObject.of(svc);
      obj.metadata.addAnnotation(
        'ignore-check.kube-linter.io/dangling-service',
        'Patroni sets the role label on the current primary/replicas at runtime',
      );
      obj.metadata.addAnnotation('kube-score/ignore', 'service-targets-pod');
    }
    return svc;
  }

  /**
   * A ServiceAccount, Role and RoleBinding named `<name>-<suffix>` (the Role and RoleBinding with
   * `annotations`, if given); returns the ServiceAccount's name.
   */
  private serviceAccountWithRole(
    idPrefix: string,
    suffix: string,
    component: string,
    automountToken: boolean,
    rules: kplus.k8s.PolicyRule[],
    annotations?: { role: Record<string, string>; binding: Record<string, string> },
  ): string {
    const r = this.resolved;
    const metadata = { name: `${r.name}-${suffix}`, labels: labelsFor(r, component) };
    const sa = new kplus.ServiceAccount(this, `${idPrefix}ServiceAccount`, { metadata, automountToken });
    const role = new kplus.k8s.KubeRole(this, `${idPrefix}Role`, { metadata: { ...metadata, annotations: annotations?.role }, rules });
    new kplus.k8s.KubeRoleBinding(this, `${idPrefix}RoleBinding`, {
      metadata: { ...metadata, annotations: annotations?.binding },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name }],
    });
    return sa.name;
  }

  /** Patroni's ServiceAccount: it keeps its state in ConfigMaps and labels the pods with their role. */
  private patroniRbac(): string {
    return this.serviceAccountWithRole('Patroni', 'patroni', 'member', true, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'patch', 'update', 'watch', 'delete', 'deletecollection'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
      { apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch'] },
    ]);
  }

  private createPooler(): kplus.Service {
    const r = this.resolved;
    const pooler = r.pooler!;
    const data = poolerConfigData(r, pooler, this.primaryService.name);
    const cm = new kplus.ConfigMap(this, 'PoolerConfig', { metadata: { name: `${r.name}-pooler`, labels: labelsFor(r, 'pooler') }, data });
    const deployment = poolerDeployment(r, pooler, data, cm.name);
    new kplus.k8s.KubeDeployment(this, 'PoolerDeployment', deployment);
    new kplus.k8s.KubePodDisruptionBudget(this, 'PoolerPdb', {
      metadata: { name: `${r.name}-pooler`, labels: labelsFor(r, 'pooler') },
      spec: oneAtATime(deployment.spec!.selector),
    });
    const svc = new kplus.Service(this, 'PoolerService', {
      metadata: { name: `${r.name}-pooler`, labels: labelsFor(r, 'pooler') },
      ports: [{ name: 'postgresql', port: PG_PORT, targetPort: POOLER_PORT }],
    });
    for (const [k, v] of Object.entries(deployment.spec!.selector.matchLabels ?? {})) {
      svc.selectLabel(k, v);
    }
    return svc;
  }

  /** What the monitors and alerts know of this instance: its pods, members, pooler and backup CronJobs. */
  private monitoredInstance(): MonitoredInstance {
    const r = this.resolved;
    const names = backupCronJobNames(r);
    const backupCronJobs = [
      ...(r.backup ? [names.full] : []),
      ...(r.backup?.differentialSchedule ? [names.diff] : []),
      ...(r.logicalBackup ? [names.dump] : []),
    ];
    return {
      name: r.name,
      namespace: r.namespace,
      appName: APP_NAME,
      memberComponents: MEMBER_COMPONENTS,
      members: r.replicas,
      pooler: r.pooler !== undefined && r.metrics?.poolerImage !== undefined,
      backupCronJobs,
    };
  }

  private cronJob(id: string, name: string, spec: kplus.k8s.CronJobSpec, component: string): void {
    new kplus.k8s.KubeCronJob(this, id, {
      metadata: { name, labels: labelsFor(this.resolved, component), annotations: workloadAnnotations(this.resolved) },
      spec,
    });
  }

  private createBackupJobs(): void {
    const r = this.resolved;
    const backup = r.backup!;
    const claim = backup.own.repository._claim(r.name);
    if (claim) {
      new kplus.k8s.KubePersistentVolumeClaim(this, 'PgBackRestRepository', {
        metadata: { name: claim.name, labels: labelsFor(r, 'backup') },
        spec: claim.spec,
      });
    }
    const sa = this.serviceAccountWithRole('Backup', 'backup', 'backup', false, backupRoleRules(this.primaryService.name), backupRbacAnnotations());
    const template = (type: 'full' | 'diff') => backupPodTemplate(r, backup.kubectlImage, type, this.primaryService.name, sa);
    this.cronJob('FullBackup', backupCronJobNames(r).full, cronJobSpec(r, backup.schedule, 'backup', template('full')), 'backup');
    if (backup.differentialSchedule) {
      this.cronJob('DiffBackup', backupCronJobNames(r).diff, cronJobSpec(r, backup.differentialSchedule, 'backup', template('diff')), 'backup');
    }
  }

  private createLogicalBackup(): void {
    const r = this.resolved;
    const opts = r.logicalBackup!;
    const claimName = `${r.name}-dumps`;
    new kplus.k8s.KubePersistentVolumeClaim(this, 'DumpVolume', {
      metadata: { name: claimName, labels: labelsFor(r, 'backup') },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: kplus.k8s.Quantity.fromString(opts.storage) } },
        ...(opts.storageClassName ? { storageClassName: opts.storageClassName } : {}),
      },
    });
    const pod = dumpPodTemplate(r, opts, this.configMap.name, claimName, this.primaryService.name);
    this.cronJob('LogicalBackup', backupCronJobNames(r).dump, cronJobSpec(r, opts.schedule, 'backup', pod), 'backup');
  }
}
