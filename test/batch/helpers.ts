/** Small readers over synthesized batch manifests, and the database the batch tests connect to. */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { StatefulPostgres, StatefulPostgresProps } from '../../src';

export type Obj = Record<string, any>;

export function byKind(objects: Obj[], kind: string): Obj[] {
  return objects.filter((o) => o.kind === kind);
}

export function only(objects: Obj[], kind: string): Obj {
  const found = byKind(objects, kind);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}, found ${found.length}`);
  }
  return found[0];
}

/** The Job spec of a Job or of a CronJob's jobTemplate. */
export function jobSpecOf(objects: Obj[]): Obj {
  const cron = byKind(objects, 'CronJob');
  return cron.length > 0 ? cron[0].spec.jobTemplate.spec : only(objects, 'Job').spec;
}

export function podSpecOf(objects: Obj[]): Obj {
  return jobSpecOf(objects).template.spec;
}

/** CPU quantity in millicores. */
export function millis(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

const UNITS: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** Memory quantity in bytes. */
export function bytes(q: string): number {
  const m = /^([0-9]+)(Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) {
    throw new Error(`unexpected quantity ${q}`);
  }
  return Number(m[1]) * (m[2] ? UNITS[m[2]] : 1);
}

/**
 * The pod's effective request for a resource, as the scheduler computes it:
 * max(largest init container request, sum of app container requests).
 */
export function effectiveRequest(pod: Obj, resource: string, parse: (q: string) => number): number {
  const init = Math.max(0, ...(pod.initContainers ?? []).map((c: Obj) => parse(c.resources.requests[resource])));
  const app = (pod.containers as Obj[]).reduce((sum, c) => sum + parse(c.resources.requests[resource]), 0);
  return Math.max(init, app);
}

/** The StatefulPostgres the batch tests connect to: users etl and archiver, databases sales and archive. */
export function warehouse(chart: Chart, props: Partial<StatefulPostgresProps> = {}): StatefulPostgres {
  const secret = (id: string, name: string) => kplus.Secret.fromSecretName(chart, id, name);
  return new StatefulPostgres(chart, 'warehouse', {
    superuserSecret: secret('Su', 'warehouse-superuser'),
    users: [
      { name: 'etl', password: { secret: secret('Etl', 'warehouse-etl') } },
      { name: 'archiver', password: { secret: secret('Archiver', 'warehouse-archiver') } },
    ],
    databases: [
      { name: 'sales', owner: 'etl' },
      { name: 'archive', owner: 'archiver' },
    ],
    ...props,
  });
}
