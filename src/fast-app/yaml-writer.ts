import { Yaml } from 'cdk8s';

/**
 * A YAML writer whose output is byte-identical to cdk8s's `Yaml.stringify()` (the `yaml`
 * library with `{ keepUndefined: true, lineWidth: 0, version: '1.1' }`, documents joined by
 * `---`) for the JSON-shaped documents a synthesis produces, at a fraction of its cost: it writes
 * the text directly instead of building and walking a YAML node tree per document.
 *
 * It covers plain objects, arrays, strings, numbers, booleans, `null` and `undefined`, which is
 * everything `ApiObject.toJson()` returns. A document holding anything else (a `Date`, a `Map`,
 * a class instance, an object with `toJSON()`, the same object twice, a scalar at the top) is
 * handed to `Yaml.stringify()` whole, so its text is the library's own.
 *
 * The scalar rules are a port of the `yaml` library's (2.x) `stringifyString` and
 * `stringifyNumber` for exactly these options, with the YAML 1.1 schema's type tests. Before its
 * first use in a process the writer renders a calibration set of tricky documents both ways; if
 * the installed cdk8s renders any of them differently (a different `yaml` version), the writer
 * steps aside and every document goes through `Yaml.stringify()`.
 */
export class YamlWriter {
  /** Whether this writer's rules match the installed cdk8s (checked once per process). */
  public static matchesInstalledCdk8s(): boolean {
    if (calibrated === undefined) {
      const docs = calibrationDocuments();
      let own: string | undefined;
      try {
        own = new YamlWriter(true).stringify(docs);
      } catch {
        own = undefined;
      }
      calibrated = own === Yaml.stringify(...docs);
    }
    return calibrated;
  }

  /** Rendered single-line strings: their text does not depend on where they stand. */
  private readonly scalars = new Map<string, string>();
  private readonly fast: boolean;

  /**
   * @param trusted skip the calibration check (used by the check itself)
   */
  constructor(trusted = false) {
    this.fast = trusted || YamlWriter.matchesInstalledCdk8s();
  }

  /** The same string as `Yaml.stringify(...docs)`. */
  public stringify(docs: readonly unknown[]): string {
    if (!this.fast) {
      return Yaml.stringify(...docs);
    }
    let out = '';
    for (let i = 0; i < docs.length; i++) {
      if (i > 0) {
        out += '---\n';
      }
      out += this.document(docs[i]);
    }
    return out;
  }

  private document(doc: unknown): string {
    if (doc === undefined) {
      return '\n';
    }
    try {
      const seen = new Set<object>();
      if (Array.isArray(doc)) {
        return `${this.seq(doc, '', seen)}\n`;
      }
      if (doc !== null && typeof doc === 'object') {
        return `${this.map(doc, '', seen)}\n`;
      }
    } catch (e) {
      if (e !== UNSUPPORTED) {
        throw e;
      }
    }
    return Yaml.stringify(doc);
  }

  /** A mapping whose continuation lines start with `indent` (`{}` when empty). */
  private map(obj: object, indent: string, seen: Set<object>): string {
    checkObject(obj, seen);
    const keys = Object.keys(obj);
    if (keys.length === 0) {
      return '{}';
    }
    const inner = indent + '  ';
    let out = '';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const keyText = this.string(key, inner, true);
      if (keyText.length > 1024) {
        // the library writes an explicit `? key` then
        throw UNSUPPORTED;
      }
      if (i > 0) {
        out += `\n${indent}`;
      }
      const value = (obj as Record<string, unknown>)[key];
      if (Array.isArray(value)) {
        out += value.length === 0 ? `${keyText}: []` : `${keyText}:\n${inner}${this.seq(value, inner, seen)}`;
      } else if (value !== null && typeof value === 'object') {
        const body = this.map(value, inner, seen);
        out += body === '{}' ? `${keyText}: {}` : `${keyText}:\n${inner}${body}`;
      } else {
        out += `${keyText}: ${this.scalar(value, inner)}`;
      }
    }
    return out;
  }

  /** A block sequence whose continuation lines start with `indent` (`[]` when empty). */
  private seq(items: unknown[], indent: string, seen: Set<object>): string {
    checkArray(items, seen);
    if (items.length === 0) {
      return '[]';
    }
    const itemIndent = indent + '  ';
    let out = '';
    for (let i = 0; i < items.length; i++) {
      if (i > 0) {
        out += `\n${indent}`;
      }
      const item = items[i];
      if (Array.isArray(item)) {
        out += `- ${this.seq(item, itemIndent, seen)}`;
      } else if (item !== null && typeof item === 'object') {
        out += `- ${this.map(item, itemIndent, seen)}`;
      } else {
        out += `- ${this.scalar(item, itemIndent)}`;
      }
    }
    return out;
  }

  /** A scalar in value position (never a key), at `indent`. */
  private scalar(value: unknown, indent: string): string {
    switch (typeof value) {
      case 'string':
        return this.string(value, indent, false);
      case 'number':
        return stringifyNumber(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'undefined':
        return 'null';
      case 'object':
        // only null reaches here
        return 'null';
      default:
        // bigint, symbol, function
        throw UNSUPPORTED;
    }
  }

  private string(value: string, indent: string, implicitKey: boolean): string {
    const cached = this.scalars.get(value);
    if (cached !== undefined) {
      return cached;
    }
    const text = stringifyString(value, indent, implicitKey);
    // Single-line strings read the same in every position, except those starting with a
    // document marker (quoted as a top-level key only).
    if (!value.includes('\n') && !DOCUMENT_MARKER.test(value)) {
      this.scalars.set(value, text);
    }
    return text;
  }
}

let calibrated: boolean | undefined;

/** Thrown (never escapes) when a document holds something only the `yaml` library renders. */
const UNSUPPORTED = { unsupported: true };

function checkObject(obj: object, seen: Set<object>): void {
  const proto = Object.getPrototypeOf(obj);
  if ((proto !== Object.prototype && proto !== null) || typeof (obj as { toJSON?: unknown }).toJSON === 'function' || seen.has(obj)) {
    // class instances, Maps, Dates, boxed primitives, toJSON(): the library's own rules;
    // the same object twice: the library writes an anchor and an alias
    throw UNSUPPORTED;
  }
  seen.add(obj);
}

function checkArray(items: unknown[], seen: Set<object>): void {
  if (Object.getPrototypeOf(items) !== Array.prototype || typeof (items as { toJSON?: unknown }).toJSON === 'function' || seen.has(items)) {
    throw UNSUPPORTED;
  }
  seen.add(items);
}

// ---------------------------------------------------------------------------------------------
// A port of the `yaml` library's scalar rules for: lineWidth 0 (no folding), block quotes on,
// singleQuote null, doubleQuotedAsJSON false, doubleQuotedMinMultiLineLength 40, plain default
// string type, block (never flow) context, and an indent that is never empty (scalars are never
// at the top of a document here).

const INDENT_STEP = '  ';
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
// the library double-quotes any string holding these (control characters, lone surrogates)
// eslint-disable-next-line no-control-regex
const FORCE_DOUBLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const MERGE_KEY = '<<';

/**
 * The YAML 1.1 schema's tests for plain scalars that would read back as something other than a
 * string (null, bool, int, float, sexagesimal, timestamp, merge key).
 */
const NON_STRING_TESTS: readonly RegExp[] = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
  /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
  /^[-+]?0b[0-1_]+$/,
  /^[-+]?0[0-7_]+$/,
  /^[-+]?[0-9][0-9_]*$/,
  /^[-+]?0x[0-9a-fA-F_]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/,
  /^<<$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:t|T|[ \t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\.[0-9]+)?)(?:[ \t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?$/,
];

function stringifyNumber(value: number): string {
  if (!isFinite(value)) {
    return isNaN(value) ? '.nan' : value < 0 ? '-.inf' : '.inf';
  }
  return Object.is(value, -0) ? '-0' : JSON.stringify(value);
}

function stringifyString(value: string, indent: string, implicitKey: boolean): string {
  if (value === MERGE_KEY) {
    // the library picks the merge-key tag for this string and writes it bare
    return MERGE_KEY;
  }
  if (FORCE_DOUBLE.test(value)) {
    return doubleQuotedString(value, indent, implicitKey);
  }
  return plainString(value, indent, implicitKey);
}

function plainString(value: string, indent: string, implicitKey: boolean): string {
  const multiLine = value.includes('\n');
  if (implicitKey && multiLine) {
    return quotedString(value, indent, implicitKey);
  }
  if (NOT_PLAIN.test(value)) {
    return implicitKey || !multiLine ? quotedString(value, indent, implicitKey) : blockString(value, indent, implicitKey);
  }
  if (!implicitKey && multiLine) {
    return blockString(value, indent, implicitKey);
  }
  if (implicitKey && indent === INDENT_STEP && DOCUMENT_MARKER.test(value)) {
    return quotedString(value, indent, implicitKey);
  }
  // no line breaks are left here: the plain text is the value itself
  for (const test of NON_STRING_TESTS) {
    if (test.test(value)) {
      return quotedString(value, indent, implicitKey);
    }
  }
  return value;
}

function quotedString(value: string, indent: string, implicitKey: boolean): string {
  const hasDouble = value.includes('"');
  const hasSingle = value.includes("'");
  return hasDouble && !hasSingle ? singleQuotedString(value, indent, implicitKey) : doubleQuotedString(value, indent, implicitKey);
}

function singleQuotedString(value: string, indent: string, implicitKey: boolean): string {
  if ((implicitKey && value.includes('\n')) || /[ \t]\n|\n[ \t]/.test(value)) {
    return doubleQuotedString(value, indent, implicitKey);
  }
  return "'" + value.replace(/'/g, "''").replace(/\n+/g, `$&\n${indent}`) + "'";
}

function doubleQuotedString(value: string, indent: string, implicitKey: boolean): string {
  const json = JSON.stringify(value);
  let str = '';
  let start = 0;
  for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
    if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
      // space before newline needs to be escaped to not be folded
      str += json.slice(start, i) + '\\ ';
      i += 1;
      start = i;
      ch = '\\';
    }
    if (ch === '\\') {
      switch (json[i + 1]) {
        case 'u': {
          str += json.slice(start, i);
          const code = json.substr(i + 2, 4);
          switch (code) {
            case '0000':
              str += '\\0';
              break;
            case '0007':
              str += '\\a';
              break;
            case '000b':
              str += '\\v';
              break;
            case '001b':
              str += '\\e';
              break;
            case '0085':
              str += '\\N';
              break;
            case '00a0':
              str += '\\_';
              break;
            case '2028':
              str += '\\L';
              break;
            case '2029':
              str += '\\P';
              break;
            default:
              if (code.substr(0, 2) === '00') {
                str += '\\x' + code.substr(2);
              } else {
                str += json.substr(i, 6);
              }
          }
          i += 5;
          start = i + 1;
          break;
        }
        case 'n':
          if (implicitKey || json[i + 2] === '"' || json.length < 40) {
            i += 1;
          } else {
            // folding will eat first newline
            str += json.slice(start, i) + '\n\n';
            while (json[i + 2] === '\\' && json[i + 3] === 'n' && json[i + 4] !== '"') {
              str += '\n';
              i += 2;
            }
            str += indent;
            // space after newline needs to be escaped to not be folded
            if (json[i + 2] === ' ') {
              str += '\\';
            }
            i += 1;
            start = i + 1;
          }
          break;
        default:
          i += 1;
      }
    }
  }
  return start ? str + json.slice(start) : json;
}

const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

function blockString(value: string, indent: string, implicitKey: boolean): string {
  if (/\n[\t ]+$/.test(value)) {
    return quotedString(value, indent, implicitKey);
  }
  // lineWidth 0: always literal; value is never empty here (it holds a line break)
  let endStart: number;
  for (endStart = value.length; endStart > 0; --endStart) {
    const ch = value[endStart - 1];
    if (ch !== '\n' && ch !== '\t' && ch !== ' ') {
      break;
    }
  }
  let end = value.substring(endStart);
  const endNlPos = end.indexOf('\n');
  let chomp: string;
  if (endNlPos === -1) {
    chomp = '-';
  } else if (value === end || endNlPos !== end.length - 1) {
    chomp = '+';
  } else {
    chomp = '';
  }
  if (end) {
    value = value.slice(0, -end.length);
    if (end[end.length - 1] === '\n') {
      end = end.slice(0, -1);
    }
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  let startWithSpace = false;
  let startEnd: number;
  let startNlPos = -1;
  for (startEnd = 0; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === ' ') {
      startWithSpace = true;
    } else if (ch === '\n') {
      startNlPos = startEnd;
    } else {
      break;
    }
  }
  let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  // the indent is never empty here, so an explicit indentation indicator is 2
  const header = (startWithSpace ? '2' : '') + chomp;
  value = value.replace(/\n+/g, `$&${indent}`);
  return `|${header}\n${indent}${start}${value}${end}`;
}

/** Documents that exercise every rule above; rendered both ways once per process. */
function calibrationDocuments(): unknown[] {
  const strings = [
    'plain',
    'app.kubernetes.io/name',
    'ghcr.io/example/app:1.4.2',
    '',
    ' lead',
    'trail ',
    'a: b',
    'a:b',
    'x #y',
    'x#y',
    '#x',
    '- x',
    '-',
    '?',
    '? x',
    '*a',
    '&a',
    '!t',
    '|',
    '>',
    '%p',
    '@a',
    '`a',
    '"q"',
    "'s'",
    `it's "both"`,
    'say "hi"',
    "it's",
    '---',
    '--- x',
    '...',
    '<<',
    '~',
    'null',
    'Null',
    'NULL',
    'y',
    'Y',
    'yes',
    'No',
    'on',
    'OFF',
    'true',
    'False',
    '0',
    '-1',
    '+1',
    '007',
    '0o7',
    '0b101',
    '0x1F',
    '1_000',
    '1.5',
    '.5',
    '1.',
    '1e3',
    '1.2e-3',
    '.inf',
    '-.Inf',
    '.NaN',
    '1:20',
    '1:20.5',
    '2001-12-14',
    '2001-12-14t21:59:43.10-05:00',
    '2001-12-14 21:59:43.10',
    '1.4.2',
    '10.0.0.0/8',
    'a,b',
    '[a]',
    '{a}',
    'tab\there',
    'cr\rhere',
    'bell\u0007',
    'nul\u0000',
    'esc\u001b',
    'del\u007f',
    'nel\u0085',
    'nbsp\u00a0',
    'ls\u2028',
    'ps\u2029',
    'lone\ud800',
    'emoji 😀',
    'ümlaut',
    'back\\slash',
    'line\nbreak',
    'line\nbreak\n',
    'line\nbreak\n\n',
    '\n',
    '\n\nx',
    ' \nleading space line',
    'x\n  indented',
    'trailing\n  ',
    'a \nb',
    'a\n b',
    'multi\n\n\nblank',
    'a longer line of text that is at least forty characters long\nand a second',
    'a longer line of text that is at least forty characters long \nand a second',
    "single 'quoted'\nacross lines",
    'double "quoted"\nacross lines',
    'double "quoted" \nwith space',
    '#!/bin/sh\nset -eu\necho "$(date)"\n',
    'key: value\n- item\n',
    '--- doc\n... end\n%dir\n',
  ];
  const multiLine = strings.filter((s) => s.includes('\n'));
  const markers = strings.filter((s) => DOCUMENT_MARKER.test(s));
  return [
    {
      // every string as a key at the top (where document markers are quoted) and as a value
      ...Object.fromEntries(strings.map((s, i) => [s, i])),
      data: Object.fromEntries(strings.map((s, i) => [`k${i}`, s])),
      // what depends on the depth: block scalars' indentation, markers as nested keys
      deep: { list: [{ item: [...multiLine] }, [[...multiLine]]], keys: Object.fromEntries(markers.map((s) => [s, s])) },
      numbers: [0, -0, 1, -1, 1.5, -2.25, 1e21, 1e-7, 2 ** 53, NaN, Infinity, -Infinity],
      other: [true, false, null, undefined, [], {}, [[]], [{}], [[1, 2], [3]], [{ a: 1, b: [2] }], { a: undefined }],
    },
    undefined,
    ['top', { level: 'sequence' }],
    [],
    {},
    // handed to the library: a key too long for an implicit key
    { ['a'.repeat(1030)]: 'long key' },
  ];
}
