import { kebabCase, objectName } from '../../src/common/object-names';

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
