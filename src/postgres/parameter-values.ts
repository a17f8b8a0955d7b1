// Checks a parameter value the way PostgreSQL's GUC parser does (src/backend/utils/misc/guc.c:
// parse_bool, parse_int, parse_real, convert_to_base_unit, config_enum_lookup_by_name), so a
// value the server would refuse at start-up is refused at synth time instead. Check hooks of
// single parameters (and every string parameter) are left to the server: this never refuses a
// value PostgreSQL takes.
import { PG15_PARAMETER_TYPES } from './parameter-types.generated';

/** One row of the generated table: what pg_settings says about a parameter. */
export interface ParameterType {
  readonly type: string;
  /** The base unit as pg_settings shows it (`kB`, `8kB`, `ms`, ...). */
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  /** Enum values pg_settings lists. */
  readonly values?: readonly string[];
  /** Enum values the server accepts without listing them (`true` for `on`, ...). */
  readonly hidden?: readonly string[];
}

const KB = 1024;
/** Base units as pg_settings shows them, in bytes (memory) or microseconds (time). */
const MEMORY_BASE: { readonly [unit: string]: number } = { B: 1, kB: KB, MB: KB * KB, '8kB': 8 * KB };
const TIME_BASE: { readonly [unit: string]: number } = { ms: 1000, s: 1_000_000, min: 60_000_000 };
/** Units a value may carry, largest first, in bytes or microseconds (guc.c's conversion tables). */
const MEMORY_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['TB', KB ** 4],
  ['GB', KB ** 3],
  ['MB', KB ** 2],
  ['kB', KB],
  ['B', 1],
];
const TIME_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000_000],
  ['h', 3_600_000_000],
  ['min', 60_000_000],
  ['s', 1_000_000],
  ['ms', 1000],
  ['us', 1],
];
const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const DBL_MIN = 2.2250738585072014e-308;
/** C's isspace in the C locale. */
const SPACE = /^[ \t\n\v\f\r]*/;

interface Parsed {
  readonly value: number;
  readonly rest: string;
  /** strtol/strtod set ERANGE. */
  readonly range: boolean;
}

/** C strtol(s, &end, 0) on a 64-bit long. */
function strtol(s: string): Parsed | undefined {
  const m = /^([ \t\n\v\f\r]*)([+-]?)(0[xX](?=[0-9a-fA-F])[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) {
    return undefined;
  }
  const digits = m[3];
  const big = /^0[xX]/.test(digits)
    ? BigInt(digits.toLowerCase())
    : digits.length > 1 && digits[0] === '0'
      ? BigInt(`0o${digits.slice(1)}`)
      : BigInt(digits);
  const signed = m[2] === '-' ? -big : big;
  const range = signed > 9223372036854775807n || signed < -9223372036854775808n;
  return { value: Number(signed), rest: s.slice(m[0].length), range };
}

/** C strtod (decimal and hexadecimal forms, infinity and NaN), with glibc's ERANGE rule. */
function strtod(s: string): Parsed | undefined {
  const lead = SPACE.exec(s)![0];
  const body = s.slice(lead.length);
  const special = /^([+-]?)(infinity|inf|nan(\([0-9A-Za-z_]*\))?)/i.exec(body);
  if (special) {
    const v = special[2].toLowerCase().startsWith('nan') ? NaN : special[1] === '-' ? -Infinity : Infinity;
    return { value: v, rest: body.slice(special[0].length), range: false };
  }
  const hex = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?/.exec(body);
  if (hex) {
    const [int, frac = ''] = hex[2].split('.');
    let v = 0;
    for (const c of int + frac) {
      v = v * 16 + parseInt(c, 16);
    }
    v = v * 16 ** -frac.length * 2 ** Number(hex[3] ?? 0);
    return finish(hex[1] === '-' ? -v : v, /[1-9a-fA-F]/.test(hex[2]), body.slice(hex[0].length));
  }
  const dec = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(body);
  if (!dec) {
    return undefined;
  }
  return finish(Number(dec[0]), /[1-9]/.test(dec[0].replace(/[eE].*$/, '')), body.slice(dec[0].length));
}

function finish(value: number, nonZero: boolean, rest: string): Parsed {
  const range = !Number.isFinite(value) || (nonZero && Math.abs(value) < DBL_MIN);
  return { value, rest, range };
}

/** ASCII-only lower case, as pg_strcasecmp compares (`\u212A`, the Kelvin sign, is no `k`). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** C rint: round half to even. */
function rint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** convert_to_base_unit: the value of `number unit` in the parameter's base unit, if the unit fits. */
function toBaseUnit(value: number, unitText: string, baseUnit: string): number | undefined {
  const unit = /^[^ \t\n\v\f\r]{1,3}/.exec(unitText)?.[0] ?? '';
  if (unitText.slice(unit.length).replace(SPACE, '') !== '') {
    return undefined;
  }
  const memory = MEMORY_BASE[baseUnit];
  const table = memory !== undefined ? MEMORY_UNITS : TIME_UNITS;
  const base = memory ?? TIME_BASE[baseUnit];
  const i = table.findIndex(([name]) => name === unit);
  if (i < 0) {
    return undefined;
  }
  // one multiplication by the ratio guc.c tabulates for this unit and base unit
  const cvalue = value * (table[i][1] / base);
  const next = table[i + 1];
  // a fraction such as "30.1GB" is rounded to a whole number of the next smaller unit
  return next ? rint(cvalue / (next[1] / base)) * (next[1] / base) : cvalue;
}

/** parse_bool: any prefix of true/false/yes/no, on/off (at least two letters), 1 and 0, any case. */
export function isPgBool(value: string): boolean {
  const v = asciiLower(value);
  if (v === '1' || v === '0') {
    return true;
  }
  if (v.startsWith('o')) {
    return v.length >= 2 && ('on'.startsWith(v) || 'off'.startsWith(v));
  }
  return v.length > 0 && ['true', 'false', 'yes', 'no'].some((word) => word.startsWith(v));
}

/** parse_int: the value in the parameter's base unit (not range-checked), or undefined. */
export function parsePgInteger(value: string, unit: string | undefined): number | undefined {
  let parsed = strtol(value);
  // strtol stopping at a decimal point or an exponent (or overflowing): the value is parsed again as a float
  const stop = parsed === undefined ? value : parsed.rest;
  if (/^[.eE]/.test(stop) || parsed?.range) {
    parsed = strtod(value);
  }
  if (parsed === undefined || parsed.range || Number.isNaN(parsed.value)) {
    return undefined;
  }
  let v = parsed.value;
  const rest = parsed.rest.replace(SPACE, '');
  if (rest !== '') {
    const converted = unit ? toBaseUnit(v, rest, unit) : undefined;
    if (converted === undefined) {
      return undefined;
    }
    v = converted;
  }
  v = rint(v);
  return v > INT_MAX || v < INT_MIN ? undefined : v;
}

/** parse_real: the value in the parameter's base unit (not range-checked), or undefined. */
export function parsePgReal(value: string, unit: string | undefined): number | undefined {
  const parsed = strtod(value);
  if (parsed === undefined || parsed.range || Number.isNaN(parsed.value)) {
    return undefined;
  }
  const rest = parsed.rest.replace(SPACE, '');
  if (rest === '') {
    return parsed.value;
  }
  return unit ? toBaseUnit(parsed.value, rest, unit) : undefined;
}

function unitRule(unit: string | undefined): string {
  if (unit === undefined) {
    return '';
  }
  const family = MEMORY_BASE[unit] !== undefined ? 'B, kB, MB, GB, TB' : 'us, ms, s, min, h, d';
  return ` ${unit === '8kB' ? '8kB blocks' : unit} (or with a unit: ${family})`;
}

/**
 * The rule `value` breaks for PostgreSQL 15 parameter `name` (lower case), or undefined when the
 * server's parser takes it (or the parameter is not in the table: extension and other majors'
 * parameters are left to the server).
 */
export function parameterValueProblem(name: string, value: string): string | undefined {
  const t: ParameterType | undefined = Object.prototype.hasOwnProperty.call(PG15_PARAMETER_TYPES, name) ? PG15_PARAMETER_TYPES[name] : undefined;
  if (t === undefined) {
    return undefined;
  }
  switch (t.type) {
    case 'bool':
      return isPgBool(value) ? undefined : 'a boolean (on, off, true, false, yes, no, 1, 0 or a unique prefix of these)';
    case 'integer': {
      const v = parsePgInteger(value, t.unit);
      return v !== undefined && v >= t.min! && v <= t.max! ? undefined : `an integer from ${t.min} to ${t.max}${unitRule(t.unit)}`;
    }
    case 'real': {
      const v = parsePgReal(value, t.unit);
      return v !== undefined && v >= t.min! && v <= t.max! ? undefined : `a number from ${t.min} to ${t.max}${unitRule(t.unit)}`;
    }
    case 'enum': {
      const accepted = [...t.values!, ...(t.hidden ?? [])];
      return accepted.some((a) => asciiLower(a) === asciiLower(value)) ? undefined : `one of ${t.values!.map((a) => JSON.stringify(a)).join(', ')}`;
    }
    default:
      return undefined;
  }
}
