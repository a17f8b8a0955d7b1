import * as kplus from 'cdk8s-plus-27';
import { isDigestPinned } from './names';

/**
 * The pull policy of a container: the one asked for, else the one that fits the image reference
 * (a digest never changes, so `IfNotPresent`; a tag may move, so `Always`).
 */
export function pullPolicyFor(image: string, requested?: kplus.ImagePullPolicy): kplus.ImagePullPolicy {
  return requested ?? (isDigestPinned(image) ? kplus.ImagePullPolicy.IF_NOT_PRESENT : kplus.ImagePullPolicy.ALWAYS);
}
