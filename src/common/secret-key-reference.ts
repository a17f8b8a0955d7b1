import * as kplus from 'cdk8s-plus-27';

/**
 * One key of an existing Secret, read by a container as an environment variable
 * (`valueFrom.secretKeyRef`): the value never appears in the synthesized YAML. Every pattern of
 * the library takes this one struct wherever it reads a Secret key.
 */
export interface SecretKeyReference {
  /** The Secret, e.g. `Secret.fromSecretName(this, 'Db', 'shop-db')`. */
  readonly secret: kplus.ISecret;

  /** The key in the Secret's data. */
  readonly key: string;

  /**
   * Whether the pod may start when the Secret or the key is missing (the variable is then unset).
   *
   * @default false
   */
  readonly optional?: boolean;
}
