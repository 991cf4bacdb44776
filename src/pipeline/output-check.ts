// Output check stage: a result is checked against the tool's registered output schema before the SDK sees it;
// a value in an unexpected form is left out and named, so it never turns a successful call into an error.
import type { z } from 'zod';

/** Rounds of leaving values out; each round removes every value the last check named. */
const MAX_ROUNDS = 8;

type Container = Record<string, unknown> | unknown[];

/** Removes the value at `path`; false when there is nothing there to remove. */
function remove(root: Record<string, unknown>, path: readonly PropertyKey[]): boolean {
  let parent: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return false;
    parent = (parent as Record<PropertyKey, unknown>)[key];
  }
  const last = path[path.length - 1];
  if (last === undefined || parent === null || typeof parent !== 'object') return false;
  const container = parent as Container;
  if (Array.isArray(container) && typeof last === 'number') {
    if (last >= container.length) return false;
    container.splice(last, 1);
    return true;
  }
  if (!Object.hasOwn(container, last as string)) return false;
  delete (container as Record<PropertyKey, unknown>)[last];
  return true;
}

const show = (path: readonly PropertyKey[]): string => path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');

/**
 * `data` (a copy) made to pass `schema` by leaving out the values the check named, with their
 * paths; undefined when that cannot be done (a required value of our own is missing).
 */
export function fitSchema(schema: z.ZodType, data: Record<string, unknown>): { data: Record<string, unknown>; left_out: string[] } | undefined {
  let work = data;
  const leftOut: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const check = schema.safeParse(work);
    if (check.success) return { data: work, left_out: leftOut.filter((p) => !leftOut.some((q) => p.startsWith(`${q}.`) || p.startsWith(`${q}[`))) };
    if (round === 0) work = structuredClone(data);
    // Deepest and last first, so removing one list item does not shift the index of another.
    const paths = [...new Map(check.error.issues.map((i) => [show(i.path), i.path])).values()].sort((a, b) => {
      for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) return typeof a[k] === 'number' && typeof b[k] === 'number' ? (b[k] as number) - (a[k] as number) : 0;
      return b.length - a.length;
    });
    let removed = false;
    for (const path of paths) {
      // A required value that is missing: leave out what holds it, up to a top-level key.
      for (let end = path.length; end > 0; end--) {
        if (!remove(work, path.slice(0, end))) continue;
        removed = true;
        leftOut.push(show(path.slice(0, end)));
        break;
      }
    }
    if (!removed) return undefined;
  }
  return undefined;
}
