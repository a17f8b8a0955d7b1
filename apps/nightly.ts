import { App } from 'cdk8s';

/** Adds the batch example's charts to the app (filled in by the batch pattern). */
export function nightlyApp(_app: App): void {}
