import type { ListedObject } from '../connectors/contract';

/**
 * Include/exclude globs over object names as the source lists them (`public.*`, `public.tmp_*`). `*` matches any
 * run of characters (dots too, so `*` alone is everything), `?` one character; the rest is literal and case-sensitive,
 * as the stores' own names are.
 */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

export const matchesAny = (name: string, globs: readonly string[]) => globs.some((g) => globToRegExp(g).test(name));

/** The listed objects an include/exclude pair selects, in name order (stable plans, stable child ids). */
export function selectObjects(listed: readonly ListedObject[], include: readonly string[], exclude: readonly string[] = []): ListedObject[] {
  return listed.filter((o) => matchesAny(o.name, include) && !matchesAny(o.name, exclude)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
