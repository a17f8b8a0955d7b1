import { Size } from 'cdk8s';
import { IConfigMap, ISecret } from 'cdk8s-plus-27';

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

  private constructor(kind: string, s3: S3RepositoryOptions | undefined, volume: VolumeRepositoryOptions | undefined) {
    this.kind = kind;
    this._s3 = s3;
    this._volume = volume;
  }
}
