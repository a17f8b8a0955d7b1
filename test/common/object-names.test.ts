import { kebabCase, objectName } from '../../src/common/object-names';
import { uniqueByName } from '../../src/common/unique-by-name';

test.each([
  ['ShopFront', 'shop-front'],
  ['HTTPServer2', 'http-server2'],
  ['orders_db', 'orders-db'],
  ['--Web--', 'web'],
])('kebabCase(%s) is %s', (id, name) => {
  expect(kebabCase(id)).toBe(name);
});

test('name overrides the id; no hash in either', () => {
  expect(objectName('ShopFront', undefined)).toBe('shop-front');
  expect(objectName('ShopFront', 'legacy-shop')).toBe('legacy-shop');
});

test('uniqueByName keeps the first item of each name, in order', () => {
  expect(
    uniqueByName([
      { name: 'a', v: 1 },
      { name: 'b', v: 2 },
      { name: 'a', v: 3 },
    ]),
  ).toEqual([
    { name: 'a', v: 1 },
    { name: 'b', v: 2 },
  ]);
});
