import { Size } from 'cdk8s';
import { IConfigMap, ISecret, k8s } from 'cdk8s-plus-27';
import { sizeInKibibytes, sizeToQuantity } from '../common/quantities';
import { isDnsSubdomain, isPort } from '../common/names';
import { describeSize, MAX_QUANTITY_KIB } from '../common/size-checks';
import { PGBACKREST_CA_DIR, PGBACKREST_REPO_MOUNT, env, secretEnv } from './pod-parts';

/** How pgBackRest addresses the S3 bucket. */
export enum S3UriStyle {
  /** `https://<bucket>.<endpoint>/...` (AWS S3). */
  HOST = 'host',
  /** `https://<endpoint>/<bucket>/...` (MinIO, Ceph and most S3-compatible stores). */
  PATH = 'path',
}

/** Options for a pgBackRest repository in an S3 (or S3-compatible) bucket. */
export interface S3RepositoryOptions {
  /** The bucket backups and archived WAL are written to. */
  readonly bucket: string;
  /** The bucket's region, such as `eu-west-1`. */
  readonly region: string;
  /**
   * The S3 endpoint pgBackRest connects to over HTTPS, with `:<port>` when it is not 443
   * (`minio.storage.svc:9000`).
   * @default - `s3.<region>.amazonaws.com`
   */
  readonly endpoint?: string;
  /**
   * Path inside the bucket; two clusters must never share one.
   * @default - `/pgbackrest/<name>`
   */
  readonly path?: string;
  /**
   * Secret with the access key id and secret access key pgBackRest signs its requests with.
   * They reach pgBackRest as environment variables from `secretKeyRef`, never in the manifest.
   * @default - pgBackRest uses the pod's cloud identity (`repo1-s3-key-type=auto`), e.g. IRSA
   */
  readonly credentials?: ISecret;
  /**
   * Key of the access key id in `credentials`.
   * @default 'AWS_ACCESS_KEY_ID'
   */
  readonly accessKeyIdKey?: string;
  /**
   * Key of the secret access key in `credentials`.
   * @default 'AWS_SECRET_ACCESS_KEY'
   */
  readonly secretAccessKeyKey?: string;
  /**
   * Host or path style bucket addressing.
   * @default S3UriStyle.HOST
   */
  readonly uriStyle?: S3UriStyle;
  /**
   * ConfigMap with the PEM certificate(s) of the CA that signed the endpoint's TLS certificate,
   * for a store behind a private CA (MinIO, Ceph). It is mounted read-only in the containers that
   * run pgBackRest, which then trusts this bundle (`repo1-storage-ca-file`); TLS is always verified.
   * @default - the CA certificates of the pgBackRest image (public CAs, enough for AWS S3)
   */
  readonly caBundle?: IConfigMap;
  /**
   * Key of the PEM bundle in `caBundle`.
   * @default 'ca.crt'
   */
  readonly caBundleKey?: string;
}

/** Options for a pgBackRest repository on a PersistentVolumeClaim of its own. */
export interface VolumeRepositoryOptions {
  /**
   * Size of the repository volume.
   * @default Size.gibibytes(20)
   */
  readonly size?: Size;
  /**
   * StorageClass of the repository volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

/**
 * Where pgBackRest keeps backups and archived WAL: an S3 bucket (off-site, the recommended
 * choice) or a volume of its own in the cluster (the same failure domain as the data: a
 * convenience, not disaster recovery).
 */
export class BackupRepository {
  /** A repository in an S3 or S3-compatible bucket. */
  public static s3(options: S3RepositoryOptions): BackupRepository {
    return new BackupRepository('s3', options, undefined);
  }

  /** A repository on a PersistentVolumeClaim mounted by the pgBackRest agent of the primary. */
  public static volume(options: VolumeRepositoryOptions = {}): BackupRepository {
    return new BackupRepository('volume', undefined, options);
  }

  /** `s3` or `volume`. */
  public readonly kind: string;
  /** @internal */
  public readonly _s3?: S3RepositoryOptions;
  /** @internal */
  public readonly _volume?: VolumeRepositoryOptions;

  /**
   * @internal Problems with the options, as `[subprop, rule, value]` (prefix the prop path).
   */
  public _problems(): Array<[string, string, unknown]> {
    const out: Array<[string, string, unknown]> = [];
    const check = (ok: boolean, prop: string, rule: string, value: unknown) => {
      if (!ok) {
        out.push([prop, rule, value]);
      }
    };
    const s3 = this._s3;
    if (s3) {
      check(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3.bucket), 'bucket', 'an S3 bucket name', s3.bucket);
      check(/^[a-z0-9-]{2,32}$/.test(s3.region), 'region', 'a region such as eu-west-1', s3.region);
      if (s3.endpoint !== undefined) {
        const m = /^([A-Za-z0-9.-]+)(?::([0-9]+))?$/.exec(s3.endpoint);
        check(
          m !== null && isDnsSubdomain(m[1].toLowerCase()) && (m[2] === undefined || isPort(Number(m[2]))),
          'endpoint',
          'a host name with an optional port from 1 to 65535 (no scheme)',
          s3.endpoint,
        );
      }
      if (s3.path !== undefined) {
        check(/^\/[A-Za-z0-9._/-]*$/.test(s3.path) && !s3.path.includes('..'), 'path', 'an absolute path', s3.path);
      }
      for (const [prop, key] of [
        ['accessKeyIdKey', s3.accessKeyIdKey],
        ['secretAccessKeyKey', s3.secretAccessKeyKey],
      ] as const) {
        check(key === undefined || /^[-._a-zA-Z0-9]+$/.test(key), prop, 'a Secret key', key);
      }
      check(s3.caBundleKey === undefined || /^[-._a-zA-Z0-9]+$/.test(s3.caBundleKey), 'caBundleKey', 'a ConfigMap key', s3.caBundleKey);
      check(
        s3.credentials === undefined || isDnsSubdomain(s3.credentials.name),
        'credentials',
        'a Secret name (DNS-1123 subdomain)',
        s3.credentials?.name,
      );
      check(s3.caBundle === undefined || isDnsSubdomain(s3.caBundle.name), 'caBundle', 'a ConfigMap name (DNS-1123 subdomain)', s3.caBundle?.name);
    } else {
      const size = this._volume?.size ?? Size.gibibytes(20);
      const kib = sizeInKibibytes(size);
      check(
        kib !== undefined && kib >= 1024 * 1024 && kib <= MAX_QUANTITY_KIB && kib % 1024 === 0,
        'size',
        `at least 1Gi, at most ${MAX_QUANTITY_KIB}Ki and a whole number of MiB`,
        describeSize(size),
      );
      const storageClassName = this._volume?.storageClassName;
      check(storageClassName === undefined || isDnsSubdomain(storageClassName), 'storageClassName', 'a DNS-1123 subdomain', storageClassName);
    }
    return out;
  }

  /**
   * Where the repository of cluster `clusterName` lives, to tell two repositories apart.
   * @internal
   */
  public _location(clusterName: string): string {
    if (this._s3) {
      const s3 = this._s3;
      return `s3://${s3.endpoint ?? `s3.${s3.region}.amazonaws.com`}/${s3.bucket}${(s3.path ?? `/pgbackrest/${clusterName}`).replace(/\/+$/, '')}`;
    }
    return `pvc://${clusterName}-pgbackrest-repo`;
  }

  /**
   * @internal The `repo1-*` lines of pgbackrest.conf for the repository of cluster `clusterName`,
   * a volume mounted at the mount path + `suffix`.
   */
  public _configLines(clusterName: string, suffix: string = ''): string[] {
    const s3 = this._s3;
    if (!s3) {
      return ['repo1-type=posix', `repo1-path=${PGBACKREST_REPO_MOUNT}${suffix}`];
    }
    return [
      'repo1-type=s3',
      `repo1-path=${s3.path ?? `/pgbackrest/${clusterName}`}`,
      `repo1-s3-bucket=${s3.bucket}`,
      `repo1-s3-endpoint=${s3.endpoint ?? `s3.${s3.region}.amazonaws.com`}`,
      `repo1-s3-region=${s3.region}`,
      `repo1-s3-uri-style=${s3.uriStyle ?? S3UriStyle.HOST}`,
      `repo1-s3-key-type=${s3.credentials ? 'shared' : 'auto'}`,
    ];
  }

  /**
   * @internal Env pointing pgBackRest at the repository volume or at the CA bundle of an S3
   * repository, then the S3 credentials as `secretKeyRef`s, named `<prefix>REPO1_...`; volumes and
   * CA bundles are mounted at their paths + `suffix`.
   */
  public _env(prefix: string = 'PGBACKREST_', suffix: string = ''): k8s.EnvVar[] {
    const s3 = this._s3;
    if (!s3) {
      return [env(`${prefix}REPO1_PATH`, `${PGBACKREST_REPO_MOUNT}${suffix}`)];
    }
    const out = s3.caBundle ? [env(`${prefix}REPO1_STORAGE_CA_FILE`, `${PGBACKREST_CA_DIR}${suffix}/ca.crt`)] : [];
    if (s3.credentials) {
      out.push(
        secretEnv(`${prefix}REPO1_S3_KEY`, s3.credentials.name, s3.accessKeyIdKey ?? 'AWS_ACCESS_KEY_ID'),
        secretEnv(`${prefix}REPO1_S3_KEY_SECRET`, s3.credentials.name, s3.secretAccessKeyKey ?? 'AWS_SECRET_ACCESS_KEY'),
      );
    }
    return out;
  }

  /**
   * @internal Mounts of the repository volume (read-only for a restore source) or of the CA
   * bundle, in every container that runs pgBackRest; names and paths end in `suffix`.
   */
  public _mounts(suffix: string = '', readOnly: boolean = false): k8s.VolumeMount[] {
    if (!this._s3) {
      return [{ name: `pgbackrest-repo${suffix}`, mountPath: `${PGBACKREST_REPO_MOUNT}${suffix}`, ...(readOnly ? { readOnly: true } : {}) }];
    }
    return this._s3.caBundle ? [{ name: `pgbackrest-ca${suffix}`, mountPath: `${PGBACKREST_CA_DIR}${suffix}`, readOnly: true }] : [];
  }

  /** @internal The volumes behind {@link _mounts} for the repository of cluster `clusterName`. */
  public _volumes(clusterName: string, suffix: string = '', readOnly: boolean = false): k8s.Volume[] {
    if (!this._s3) {
      const claim = { claimName: this.claimNameFor(clusterName), ...(readOnly ? { readOnly: true } : {}) };
      return [{ name: `pgbackrest-repo${suffix}`, persistentVolumeClaim: claim }];
    }
    const ca = this._s3.caBundle;
    const items = [{ key: this._s3.caBundleKey ?? 'ca.crt', path: 'ca.crt' }];
    return ca ? [{ name: `pgbackrest-ca${suffix}`, configMap: { name: ca.name, items, defaultMode: 0o444 } }] : [];
  }

  /** @internal The claim of a volume repository (undefined for S3). */
  public _claim(clusterName: string): { name: string; spec: k8s.PersistentVolumeClaimSpec } | undefined {
    if (this._s3) {
      return undefined;
    }
    const v = this._volume ?? {};
    return {
      name: this.claimNameFor(clusterName),
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: k8s.Quantity.fromString(sizeToQuantity(v.size ?? Size.gibibytes(20))) } },
        ...(v.storageClassName ? { storageClassName: v.storageClassName } : {}),
      },
    };
  }

  /** @internal The TCP port pgBackRest reaches the repository on: the endpoint's, 443 by default; none for a volume. */
  public _egressPort(): number | undefined {
    if (!this._s3) {
      return undefined;
    }
    const m = /:(\d+)$/.exec(this._s3.endpoint ?? '');
    return m ? Number(m[1]) : 443;
  }

  private claimNameFor(clusterName: string): string {
    return `${clusterName}-pgbackrest-repo`;
  }

  private constructor(kind: string, s3: S3RepositoryOptions | undefined, volume: VolumeRepositoryOptions | undefined) {
    this.kind = kind;
    this._s3 = s3;
    this._volume = volume;
  }
}
