import { Size } from 'cdk8s';
import { IPersistentVolumeClaim } from 'cdk8s-plus-27';

/** How a SerialBatchJob reacts to a failed step. */
export enum BatchRetryMode {
  /** One attempt: the first failing step fails the Job (pod `restartPolicy: Never`, `backoffLimit: 0`). */
  FAIL_FAST = 'FailFast',
  /** The kubelet restarts only the failed step, in the same pod (`restartPolicy: OnFailure`). */
  IN_PLACE = 'InPlace',
  /** A new pod skips the steps an earlier pod of the same Job finished, using done-markers on a volume. */
  RESUME_FROM_VOLUME = 'ResumeFromVolume',
}

/** Options of {@link BatchRetry.inPlace}. */
export interface InPlaceRetryOptions {
  /**
   * How many times a failed step may be restarted in place before the Job fails
   * (the Job's `backoffLimit`, which counts container restarts with `OnFailure`).
   *
   * @default 2
   */
  readonly retries?: number;
}

/** Options of {@link BatchRetry.resumeFromVolume}. */
export interface ResumeFromVolumeOptions {
  /**
   * How many new pods the Job may start after a failed one (the Job's `backoffLimit`). Each new
   * pod skips the steps that finished in an earlier pod of the same Job.
   *
   * @default 2
   */
  readonly retries?: number;
  /**
   * The claim holding the workspace and the done-markers. Each run uses its own directory on it,
   * named after the run (the Job's name), so the next scheduled Job starts from scratch.
   *
   * @default - a new ReadWriteOnce claim of `storage` is created
   */
  readonly claim?: IPersistentVolumeClaim;
  /**
   * Size of the claim the construct creates, in whole GiB (ignored when `claim` is given).
   *
   * @default Size.gibibytes(1)
   */
  readonly storage?: Size;
  /**
   * Storage class of the claim the construct creates (ignored when `claim` is given).
   *
   * @default - the cluster's default storage class
   */
  readonly storageClassName?: string;
  /**
   * Whether the summary container deletes the run's directory on the claim once every step has
   * finished. Directories of failed runs always stay, for inspection.
   *
   * @default true
   */
  readonly cleanUpOnSuccess?: boolean;
}

/**
 * What happens when a step fails: fail fast (the default), retry the failed step in place, or
 * resume in a new pod from done-markers kept on a volume.
 */
export class BatchRetry {
  /** The first failure fails the Job; the failed pod and its logs stay until the Job's TTL. */
  public static failFast(): BatchRetry {
    return new BatchRetry(BatchRetryMode.FAIL_FAST, 0);
  }

  /**
   * Restart only the failed step in the same pod (`restartPolicy: OnFailure`): earlier steps do
   * not run again and the workspace survives. A failure stops the pod for the kubelet to restart the
   * step, so after the last attempt neither the finally steps nor the summary run: prefer the
   * steps' own `retries`, which retry in the same container and then still run both. The kubelet waits 10 s, 20 s, 40 s... (capped at
   * 5 min) between restarts. When `retries` is reached the Job controller deletes the pod, and
   * its logs with it. `podFailurePolicy` is not available in this mode.
   */
  public static inPlace(options: InPlaceRetryOptions = {}): BatchRetry {
    return new BatchRetry(BatchRetryMode.IN_PLACE, options.retries ?? 2);
  }

  /**
   * Keep the workspace and a done-marker per finished step on a persistent volume, in a directory
   * per run: when a pod fails, the Job starts a new one that skips the steps already done. The run
   * is named after the Job (a CronJob's Jobs are named after their scheduled time); a new Job that
   * sets `SERIAL_BATCH_RUN` to the name of a failed Job re-runs that run from its failed step.
   */
  public static resumeFromVolume(options: ResumeFromVolumeOptions = {}): BatchRetry {
    return new BatchRetry(BatchRetryMode.RESUME_FROM_VOLUME, options.retries ?? 2, options);
  }

  /** The retry mode. */
  public readonly mode: BatchRetryMode;
  /** The Job's `backoffLimit`. */
  public readonly retries: number;
  /** Volume options (resume mode only). */
  public readonly volume?: ResumeFromVolumeOptions;

  private constructor(mode: BatchRetryMode, retries: number, volume?: ResumeFromVolumeOptions) {
    this.mode = mode;
    this.retries = retries;
    this.volume = volume;
  }
}
