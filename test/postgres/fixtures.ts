import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { StatefulPostgres, StatefulPostgresProps } from '../../src';

/** A synthesized Kubernetes object. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
};

/** The superuser Secret every test uses. */
export function superuser(chart: Chart): kplus.ISecret {
  return kplus.Secret.fromSecretName(chart, 'Superuser', 'db-superuser');
}

/** Synthesizes one StatefulPostgres with `props` on top of the minimal required props. */
export function synthDb(props: Partial<StatefulPostgresProps> = {}, id = 'db'): { chart: Chart; db: StatefulPostgres; objects: K8sObject[] } {
  const chart = Testing.chart();
  const db = new StatefulPostgres(chart, id, { superuserSecret: superuser(chart), ...props });
  return { chart, db, objects: Testing.synth(chart) as K8sObject[] };
}

/** The one object of `kind` named `name`. */
export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${name}, found ${found.length}: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  }
  return found[0];
}

/** Every object of `kind`. */
export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** A container of a pod spec by name (containers or initContainers). */
export function container(podSpec: any, name: string): any {
  const c = [...(podSpec.initContainers ?? []), ...podSpec.containers].find((x: any) => x.name === name);
  if (!c) {
    throw new Error(`no container ${name}`);
  }
  return c;
}

/** A container's env as a name → value/valueFrom map. */
export function envOf(c: any): Record<string, any> {
  return Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

/** Parses `key = value` lines of postgresql.conf (last one wins, quotes removed). */
export function confSettings(conf: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of conf.split('\n')) {
    const m = /^([a-z_][a-z0-9_.]*)\s*=\s*('(?:[^']|'')*'|[^\s#]+)/.exec(line);
    if (m) {
      out[m[1]] = m[2].startsWith("'") ? m[2].slice(1, -1).replace(/''/g, "'") : m[2];
    }
  }
  return out;
}
