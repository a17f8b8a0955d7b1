import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { describeValue, PropErrors, throwPropError } from '../../src/common/errors';

describe('PropErrors', () => {
  const scope = () => new Construct(Testing.chart(), 'db');

  test('throws nothing when every check passes', () => {
    const errors = new PropErrors(scope());
    expect(errors.check(true, 'replicas', 'at least 1', 3)).toBe(true);
    expect(() => errors.throwIfAny()).not.toThrow();
  });

  test('one problem: the construct path, the prop, the rule and the value on one line', () => {
    const errors = new PropErrors(scope());
    expect(errors.check(false, 'replicas', 'an integer of at least 1', 0)).toBe(false);
    expect(() => errors.throwIfAny()).toThrow(new Error('[test/db] replicas must be an integer of at least 1, got 0'));
  });

  test('several problems are listed at once so a user fixes them in one go', () => {
    const errors = new PropErrors(scope());
    errors.add('port', 'an integer from 1 to 65535', 70000);
    errors.add('host', 'a DNS-1123 subdomain', 'Shop_Example');
    expect(() => errors.throwIfAny()).toThrow(
      '[test/db] 2 invalid props:\n  - port must be an integer from 1 to 65535, got 70000\n  - host must be a DNS-1123 subdomain, got "Shop_Example"',
    );
  });

  test('throwPropError throws a single formatted error', () => {
    expect(() => throwPropError(scope(), 'image', 'pinned', 'nginx')).toThrow('[test/db] image must be pinned, got "nginx"');
  });

  test('values are rendered so undefined, strings and objects stay distinguishable', () => {
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue('1')).toBe('"1"');
    expect(describeValue(1)).toBe('1');
    expect(describeValue({ a: [1] })).toBe('{"a":[1]}');
    expect(describeValue('x'.repeat(300)).length).toBeLessThanOrEqual(302);
    expect(describeValue({ long: 'y'.repeat(300) })).toMatch(/\.\.\.$/);
  });
});
