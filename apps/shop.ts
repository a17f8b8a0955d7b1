import { App } from 'cdk8s';

/** Adds the web example's charts to the app (filled in by the web pattern). */
export function shopApp(_app: App): void {}
