/**
 * Validates synthesized objects against the Kubernetes 1.27 OpenAPI schema (through the
 * `kubernetes-models` 4.3 validators, generated from 1.27) and, unlike those validators,
 * rejects unknown fields: `imagee:` passes a JSON-schema check but a real API server with
 * strict field validation refuses it. A few server-side name rules that the schema does not
 * express (object, container and port names, label values) are checked too.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
type Schema = Record<string, any>;

const schemas = new Map<string, Schema>();
// The models register their schemas through this module; capture them for the strict walk.
const validateModule = require('@kubernetes-models/validate');
const originalRegister = validateModule.register;
validateModule.register = (id: string, schema: Schema) => {
  schemas.set(id, schema);
  return originalRegister(id, schema);
};

const modelCache = new Map<string, any>();

function modelFor(apiVersion: string, kind: string): any {
  const key = `${apiVersion}/${kind}`;
  if (modelCache.has(key)) {
    return modelCache.get(key);
  }
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const modulePath = group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
  let model: any;
  try {
    model = require(modulePath)[kind];
  } catch {
    model = undefined;
  }
  modelCache.set(key, model);
  return model;
}

function deref(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let i = 0; s && s.$ref && i < 10; i++) {
    s = schemas.get(String(s.$ref).replace(/#$/, ''));
  }
  return s;
}

function branches(schema: Schema): Schema[] {
  const list = [...(schema.oneOf ?? []), ...(schema.anyOf ?? []), ...(schema.allOf ?? [])];
  return list.map(deref).filter((b): b is Schema => b !== undefined && b.type !== 'null');
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** A quantity as this library writes it: a plain decimal with an optional suffix, never exponent form. */
const PLAIN_QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;
const QUANTITY_FACTOR: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * Range rules the JSON schema states but its validator does not enforce: `int32` and `int64`
 * fields hold integers of that range (int64: what JavaScript holds exactly), a quantity is a
 * plain decimal with a suffix (no exponent form, no NaN) whose thousandths fit an int64, and no string holds a NUL.
 */
function valueRangeProblems(schema: Schema, value: unknown, at: string, out: string[]): void {
  const where = at.replace(/^\$\.?/, '');
  if (typeof value === 'number' && schema.type === 'integer') {
    if (schema.format === 'int32' && !(Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX)) {
      out.push(`${where}: ${value} is not an int32`);
    } else if (schema.format === 'int64' && !Number.isSafeInteger(value)) {
      out.push(`${where}: ${value} is not an int64 JavaScript holds exactly`);
    }
  }
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      out.push(`${where}: string holds a NUL byte`);
    }
    if (schema.type === 'string' && schema.format === 'quantity') {
      const m = PLAIN_QUANTITY.exec(value);
      // the API server reads amounts in thousandths (MilliValue, an int64): past that it warns
      if (!m || Math.abs(Number(m[1]) * QUANTITY_FACTOR[m[2] ?? ''] * 1000) >= 2 ** 63) {
        out.push(`${where}: ${JSON.stringify(value)} is not a plain quantity whose thousandths fit an int64`);
      }
    }
  }
}

function unknownFields(schemaIn: Schema | undefined, value: unknown, at: string, out: string[]): void {
  const schema = deref(schemaIn);
  if (!schema || value === null || value === undefined) {
    return;
  }
  valueRangeProblems(schema, value, at, out);
  const alternatives = branches(schema);
  if (alternatives.length > 0 && !schema.properties && !schema.items && !schema.additionalProperties) {
    for (const alt of alternatives) {
      unknownFields(alt, value, at, out);
    }
    return;
  }
  if (Array.isArray(value)) {
    if (schema.items) {
      value.forEach((item, i) => unknownFields(schema.items, item, `${at}[${i}]`, out));
    }
    return;
  }
  if (typeof value !== 'object') {
    return;
  }
  const obj = value as Record<string, unknown>;
  if (schema.properties) {
    for (const [key, child] of Object.entries(obj)) {
      const propSchema = schema.properties[key];
      if (propSchema) {
        unknownFields(propSchema, child, `${at}.${key}`, out);
      } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        unknownFields(schema.additionalProperties, child, `${at}.${key}`, out);
      } else if (!schema['x-kubernetes-preserve-unknown-fields']) {
        out.push(`unknown field "${at}.${key}"`.replace('"$.', '"'));
      }
    }
  } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    for (const [key, child] of Object.entries(obj)) {
      unknownFields(schema.additionalProperties, child, `${at}.${key}`, out);
    }
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** Kinds whose names must be DNS-1123 labels rather than subdomains. */
const LABEL_NAMED_KINDS = new Set(['Service', 'Namespace', 'StatefulSet', 'CronJob', 'Job']);

function podSpecOf(obj: any): any {
  switch (obj.kind) {
    case 'Pod':
      return obj.spec;
    case 'CronJob':
      return obj.spec?.jobTemplate?.spec?.template?.spec;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return obj.spec?.template?.spec;
    default:
      return undefined;
  }
}

function nameRules(obj: any, out: string[]): void {
  const name = obj.metadata?.name;
  const maxName = obj.kind === 'CronJob' ? 52 : LABEL_NAMED_KINDS.has(obj.kind) ? 63 : 253;
  const nameRe = LABEL_NAMED_KINDS.has(obj.kind) ? DNS_LABEL : DNS_SUBDOMAIN;
  if (typeof name !== 'string' || name.length > maxName || !nameRe.test(name)) {
    out.push(
      `metadata.name ${JSON.stringify(name)} is not a valid ${obj.kind} name (at most ${maxName} chars, ${nameRe === DNS_LABEL ? 'DNS-1123 label' : 'DNS-1123 subdomain'})`,
    );
  }
  const labelSets: Array<[string, Record<string, string> | undefined]> = [['metadata.labels', obj.metadata?.labels]];
  if (obj.spec?.template?.metadata?.labels) {
    labelSets.push(['spec.template.metadata.labels', obj.spec.template.metadata.labels]);
  }
  for (const [where, labels] of labelSets) {
    for (const [k, v] of Object.entries(labels ?? {})) {
      const nameOk = LABEL_NAME.test(k) && k.split('/').pop()!.length <= 63;
      if (!nameOk || typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
        out.push(`${where} ${k}=${JSON.stringify(v)} is not a valid label`);
      }
    }
  }
  const pod = podSpecOf(obj);
  if (pod) {
    const all = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
    const names = new Set<string>();
    for (const c of all) {
      if (!DNS_LABEL.test(c.name ?? '') || c.name.length > 63) {
        out.push(`container name ${JSON.stringify(c.name)} is not a DNS-1123 label`);
      }
      if (names.has(c.name)) {
        out.push(`container name ${JSON.stringify(c.name)} is used twice`);
      }
      names.add(c.name);
      for (const p of c.ports ?? []) {
        if (p.name !== undefined && (p.name.length > 15 || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(p.name) || !/[a-z]/.test(p.name))) {
          out.push(`port name ${JSON.stringify(p.name)} of container ${c.name} is not an IANA_SVC_NAME`);
        }
      }
    }
    const volumes = new Set((pod.volumes ?? []).map((v: any) => v.name));
    for (const c of all) {
      for (const m of c.volumeMounts ?? []) {
        const claimNames = new Set((obj.spec?.volumeClaimTemplates ?? []).map((t: any) => t.metadata?.name));
        if (!volumes.has(m.name) && !claimNames.has(m.name)) {
          out.push(`container ${c.name} mounts volume ${JSON.stringify(m.name)} that the pod does not define`);
        }
      }
    }
  }
}

/** Problems with one synthesized object; empty when the API server would accept it. */
export function manifestProblems(obj: any): string[] {
  const out: string[] = [];
  if (!obj || typeof obj !== 'object' || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    return ['object has no apiVersion/kind'];
  }
  const Model = modelFor(obj.apiVersion, obj.kind);
  if (!Model) {
    const crd = crdSchemaFor(obj.apiVersion, obj.kind);
    if (!crd) {
      return [`${obj.apiVersion} ${obj.kind} is neither a Kubernetes 1.27 built-in type nor a custom resource of scripts/cluster/crds`];
    }
    if (!crd.validate(obj)) {
      for (const e of crd.validate.errors ?? []) {
        out.push(`schema: ${e.instancePath || '/'} ${e.message}`);
      }
    }
    unknownFields(crd.schema, obj, '$', out);
    nameRules(obj, out);
    return out;
  }
  try {
    new Model(JSON.parse(JSON.stringify(obj))).validate();
  } catch (e: any) {
    out.push(`schema: ${e.message}`);
  }
  const topSchema = findSchemaForKind(obj.apiVersion, obj.kind);
  if (!topSchema) {
    out.push(`no schema registered for ${obj.apiVersion} ${obj.kind}`);
  }
  unknownFields(topSchema, obj, '$', out);
  nameRules(obj, out);
  return out;
}

/**
 * Custom resources are checked against the openAPIV3Schema of the pinned CRDs in
 * scripts/cluster/crds (the ones the cluster suite installs): types, enums, patterns, required
 * fields and unknown fields. Their CEL rules are left to the real API server.
 */
const CRD_DIR = require('path').join(__dirname, '..', '..', 'scripts', 'cluster', 'crds');
let crdSchemas: Map<string, { schema: Schema; validate: any }> | undefined;

function crdSchemaFor(apiVersion: string, kind: string): { schema: Schema; validate: any } | undefined {
  if (!crdSchemas) {
    crdSchemas = new Map();
    const fs = require('fs');
    const { parseAllDocuments } = require('yaml');
    const Ajv = require('ajv').default;
    // CRD patterns are Go RE2: a leading `(?i)` becomes the `i` flag; a pattern JavaScript cannot
    // compile is left to the real API server.
    const regExp = (pattern: string, flags: string) => {
      const m = /^\(\?i\)(.*)$/s.exec(pattern);
      try {
        return m ? new RegExp(m[1], `${flags}i`) : new RegExp(pattern, flags);
      } catch {
        return /[^]*/;
      }
    };
    regExp.code = 'regExp';
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp } });
    const files: string[] = fs.existsSync(CRD_DIR) ? fs.readdirSync(CRD_DIR).filter((f: string) => f.endsWith('.yaml')) : [];
    for (const file of files) {
      for (const doc of parseAllDocuments(fs.readFileSync(require('path').join(CRD_DIR, file), 'utf8'))) {
        const crd = doc.toJS();
        if (crd?.kind !== 'CustomResourceDefinition') {
          continue;
        }
        for (const version of crd.spec.versions ?? []) {
          const schema = version.schema?.openAPIV3Schema;
          if (schema && version.served !== false) {
            crdSchemas.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, { schema, validate: ajv.compile(schema) });
          }
        }
      }
    }
  }
  return crdSchemas.get(`${apiVersion}/${kind}`);
}

const schemaByKind = new Map<string, Schema>();

function findSchemaForKind(apiVersion: string, kind: string): Schema | undefined {
  const key = `${apiVersion}/${kind}`;
  const cached = schemaByKind.get(key);
  if (cached) {
    return cached;
  }
  for (const schema of schemas.values()) {
    const props = schema.properties;
    if (props?.kind?.enum?.[0] === kind && props?.apiVersion?.enum?.[0] === apiVersion) {
      schemaByKind.set(key, schema);
      return schema;
    }
  }
  return undefined;
}

/** Throws one error listing every invalid object (kind/name and the problems). */
export function assertValidManifests(objects: readonly any[], source: string = 'synthesized output'): void {
  const failures: string[] = [];
  for (const obj of objects) {
    const problems = manifestProblems(obj);
    if (problems.length > 0) {
      failures.push(`${obj?.kind ?? '?'} ${obj?.metadata?.name ?? '?'}:\n    ${problems.join('\n    ')}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(`${source}: ${failures.length} invalid Kubernetes object(s):\n  ${failures.join('\n  ')}`);
  }
}
