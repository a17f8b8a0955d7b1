/**
 * The items with distinct `name`s, the first of each name kept, in order: pod volumes and volume
 * mounts that several sources ask for (two database connections to one instance share its CA volume).
 */
export function uniqueByName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(i.name) && seen.add(i.name) !== undefined);
}
