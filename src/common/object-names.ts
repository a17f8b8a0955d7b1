/**
 * The naming rule of every pattern.
 *
 * A construct names its objects after its `name` prop or, when that is unset, after its construct
 * id in kebab case (`ShopFront` becomes `shop-front`). Objects of a part of the pattern add a fixed
 * suffix (`-config`, `-canary`, `-pooler`). Names never contain a hash of the construct path: the
 * name stays the same when the construct moves in the tree, and two constructs with the same name
 * in one namespace are a mistake the API server reports, not one a hash hides. `name` overrides the
 * rule, for instance to keep the names of objects created before.
 */

/** `ShopFront` → `shop-front`, `HTTPServer2` → `http-server2`: a construct id as a DNS label. */
export function kebabCase(id: string): string {
  return String(id)
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The name of a pattern's objects: `name` when given, otherwise the construct id in kebab case. */
export function objectName(id: string, name: string | undefined): string {
  return name ?? kebabCase(id);
}
