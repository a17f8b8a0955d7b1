import { Chart, Testing } from 'cdk8s';
import { WebAppWithIngress, WebAppWithIngressProps } from '../../src';

/** The smallest valid props. */
export const MINIMAL: WebAppWithIngressProps = { image: 'ghcr.io/acme/shop:1.4.2', host: 'shop.example.com' };

/** Synthesizes one web app in a fresh chart (schema-validated by the test setup). */
export function synthWebApp(
  props: Partial<WebAppWithIngressProps> = {},
  id: string = 'shop',
): { chart: Chart; app: WebAppWithIngress; objects: any[] } {
  const chart = Testing.chart();
  const app = new WebAppWithIngress(chart, id, { ...MINIMAL, ...props });
  return { chart, app, objects: Testing.synth(chart) };
}

/** The one object of `kind` (and `name`, when given). */
export function only(objects: any[], kind: string, name?: string): any {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  }
  return found[0];
}

/** Every object of `kind`. */
export function all(objects: any[], kind: string): any[] {
  return objects.filter((o) => o.kind === kind);
}

/** The app container of a Deployment. */
export function container(deployment: any): any {
  return deployment.spec.template.spec.containers[0];
}
