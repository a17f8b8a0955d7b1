import { PropErrors } from './errors';
import { DEFAULT_RUN_AS_GROUP, DEFAULT_RUN_AS_USER } from './security';

/** The identity and filesystem props of a restricted container, as the patterns take them. */
export interface RunAsProps {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly readOnlyRootFilesystem?: boolean;
}

/** The same, checked and with defaults applied. */
export interface ResolvedRunAs {
  readonly user: number;
  readonly group: number;
  readonly readOnlyRootFilesystem: boolean;
}

const MAX_ID = 2147483647;

/** Checks a non-root user and group and applies the library's defaults (10001, read-only root). */
export function resolveRunAs(errors: PropErrors, props: RunAsProps): ResolvedRunAs {
  const user = props.runAsUser ?? DEFAULT_RUN_AS_USER;
  errors.check(Number.isInteger(user) && user >= 1 && user <= MAX_ID, 'runAsUser', `a non-root UID from 1 to ${MAX_ID}`, user);
  const group = props.runAsGroup ?? DEFAULT_RUN_AS_GROUP;
  errors.check(Number.isInteger(group) && group >= 1 && group <= MAX_ID, 'runAsGroup', `a non-root GID from 1 to ${MAX_ID}`, group);
  return { user, group, readOnlyRootFilesystem: props.readOnlyRootFilesystem ?? true };
}
