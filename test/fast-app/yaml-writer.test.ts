/**
 * FastApp's YAML writer must produce exactly what cdk8s's `Yaml.stringify()` produces: the same
 * bytes for every document, or the library's own text when it hands a document over.
 */
import { Yaml } from 'cdk8s';
import * as fc from 'fast-check';
import { YamlWriter } from '../../src/fast-app/yaml-writer';

const stock = (docs: unknown[]): string => Yaml.stringify(...docs);
const fast = (docs: unknown[]): string => new YamlWriter().stringify(docs);

/** Pieces that trip YAML writers: indicators, type look-alikes, markers, escapes, unicode. */
const FRAGMENTS = [
  'a',
  'Z',
  '0',
  '9',
  ' ',
  '  ',
  '\t',
  '\n',
  '\n\n',
  '\r',
  ':',
  ': ',
  '#',
  ' #',
  '-',
  '- ',
  '?',
  '---',
  '...',
  '%',
  '"',
  "'",
  '\\',
  '\\n',
  '<<',
  'y',
  'no',
  'On',
  'null',
  '~',
  '.',
  '.inf',
  'e5',
  '_',
  '0x',
  '0b1',
  '1:20',
  '2001-12-14',
  'T21:59:43',
  'é',
  '😀',
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\ud800',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&',
  '*',
  '!',
  '|',
  '>',
  '@',
  '`',
];

const trickyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 8 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'yes', 'NO', '1_000', '+.5', '1.4.2', '<<', '--- x', '... y', '%TAG', 'a'.repeat(45) + '\nb') },
  // long lines and long multi-line text: no folding at lineWidth 0, quoted multi-line text at 40+
  {
    weight: 1,
    arbitrary: fc.array(fc.constantFrom('word ', 'word\n', ' \n', '\n ', '"', "'", 'x'), { minLength: 10, maxLength: 60 }).map((p) => p.join('')),
  },
);

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: trickyString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, undefined, 0, -0, 1e21, 2 ** 53 + 2, NaN, Infinity, -Infinity) },
);

const { value: jsonShaped } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(trickyString, tie('value'), { maxKeys: 5 }),
  ),
}));

/** What documents look like: a mapping or a sequence at the top, sometimes missing. */
const document: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(trickyString, jsonShaped, { maxKeys: 6 }) },
  { weight: 2, arbitrary: fc.array(jsonShaped, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

describe('calibration', () => {
  test('the writer matches the installed cdk8s, so FastApp uses it', () => {
    expect(YamlWriter.matchesInstalledCdk8s()).toBe(true);
  });

  test('with a cdk8s that writes differently, every document goes through Yaml.stringify', () => {
    jest.isolateModules(() => {
      jest.doMock('cdk8s', () => {
        const actual = jest.requireActual('cdk8s');
        return {
          ...actual,
          Yaml: { stringify: (...docs: unknown[]) => `changed\n${actual.Yaml.stringify(...docs)}` },
        };
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('../../src/fast-app/yaml-writer') as typeof import('../../src/fast-app/yaml-writer');
      expect(isolated.YamlWriter.matchesInstalledCdk8s()).toBe(false);
      expect(new isolated.YamlWriter().stringify([{ a: 1 }])).toBe('changed\na: 1\n');
    });
    jest.dontMock('cdk8s');
  });
});

describe('byte-identical to Yaml.stringify', () => {
  test('a Kubernetes object written directly, without the library', () => {
    const spy = jest.spyOn(Yaml, 'stringify');
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' }, annotations: { 'checksum/config': '0123abc' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'ghcr.io/example/web:1.4.2',
                args: ['--port', '8080', 'yes', ''],
                env: [{ name: 'PGPORT', value: '5432' }],
                command: ['/bin/sh', '-c', 'set -eu\nexec app "$@"\n'],
                securityContext: { capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
                resources: { limits: { cpu: '1', memory: '256Mi' } },
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
            tolerations: [],
          },
        },
      },
    };
    const text = fast([deployment, undefined, { kind: 'ConfigMap', data: { 'init.sql': 'CREATE TABLE t (id int);\n\n-- done\n' } }]);
    // the writer did not call the library: it wrote the text itself
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(text).toBe(stock([deployment, undefined, { kind: 'ConfigMap', data: { 'init.sql': 'CREATE TABLE t (id int);\n\n-- done\n' } }]));
  });

  test('property: random documents of tricky strings, numbers and nesting', () => {
    fc.assert(
      fc.property(fc.array(document, { maxLength: 3 }), (docs) => {
        expect(fast(docs)).toBe(stock(docs));
      }),
      { numRuns: 3000 },
    );
  });

  test('property: every string, as a key and as a value, at several depths', () => {
    fc.assert(
      fc.property(trickyString, (s) => {
        const docs = [{ [s]: s }, { a: { [s]: [s, [s], { [s]: s }] } }, [s, [s]]];
        expect(fast(docs)).toBe(stock(docs));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('documents the writer hands to the library whole', () => {
  class Point {
    constructor(
      public readonly x: number,
      public readonly y: number,
    ) {}
  }
  const shared = { reused: true };
  const cases: [string, unknown][] = [
    ['a Date', { at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) }],
    ['a Map', { m: new Map([['k', 'v']]) }],
    ['a Set', { s: new Set(['a']) }],
    ['a class instance', { p: new Point(1, 2) }],
    ['an object with toJSON()', { t: { toJSON: () => 'serialized' } }],
    ['the same object twice (an anchor and an alias)', { a: shared, b: shared }],
    ['the same array twice', [[1], [2]].map(() => shared)],
    ['a key over 1024 characters (an explicit key)', { ['k'.repeat(1100)]: 'v' }],
    ['a bigint', { n: BigInt(10) }],
    ['a boxed string', { s: Object('boxed') }],
    ['a string at the top', 'just text'],
    ['a multi-line string at the top', 'line\n---\nline\n'],
    ['a number at the top', 42],
    ['null at the top', null],
    ['a Buffer', { b: Buffer.from('hi') }],
  ];

  test.each(cases)('%s', (_name, doc) => {
    expect(fast([doc, { after: 'fast again' }])).toBe(stock([doc, { after: 'fast again' }]));
  });

  test('a value the library cannot write throws the library error', () => {
    const doc = { f: Symbol('s') };
    expect(() => fast([doc])).toThrow(errorOf(() => stock([doc])));
  });
});

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}
