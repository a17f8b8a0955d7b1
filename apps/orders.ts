import { App } from 'cdk8s';

/** Adds the postgres example's charts to the app (filled in by the postgres pattern). */
export function ordersApp(_app: App): void {}
