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

/** Says whether a value passes a schema; it reads the value and allocates nothing. */
export type Check = (value: unknown) => boolean;

/** What a zod schema's definition holds, as far as the fast check reads it. */
interface Def {
  type: string;
  checks?: readonly unknown[];
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: readonly z.ZodType[];
  entries?: Record<string, unknown>;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A check of the kinds output schemas are made of, built once from the schema: objects (open to
 * more keys), arrays, unions, optional and nullable values, enums of strings, strings, finite
 * numbers, booleans and unknown values. Where it says yes, zod says yes to the same value (a test
 * holds them to agreeing on every tool's output schema); anything else, a refinement or a length
 * check among it, has no such check (undefined), and only zod decides.
 */
function compile(schema: z.ZodType): Check | undefined {
  const def = schema._zod.def as unknown as Def;
  if (def.checks !== undefined && def.checks.length > 0) return undefined;
  switch (def.type) {
    case 'unknown':
      return () => true;
    case 'string':
      return (v) => typeof v === 'string';
    case 'number':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'enum': {
      const values = Object.values(def.entries ?? {});
      if (!values.every((x) => typeof x === 'string')) return undefined;
      const allowed = new Set(values);
      return (v) => typeof v === 'string' && allowed.has(v);
    }
    case 'optional':
    case 'nullable': {
      const inner = def.innerType && compile(def.innerType);
      if (!inner) return undefined;
      return def.type === 'optional' ? (v) => v === undefined || inner(v) : (v) => v === null || inner(v);
    }
    case 'union': {
      const options = (def.options ?? []).map(compile);
      if (options.length === 0 || options.some((o) => !o)) return undefined;
      const all = options as Check[];
      return (v) => {
        for (let i = 0; i < all.length; i++) if ((all[i] as Check)(v)) return true;
        return false;
      };
    }
    case 'array': {
      const element = def.element && compile(def.element);
      if (!element) return undefined;
      // An index loop: a hole in a sparse array is undefined, as zod reads it (every() would skip it).
      return (v) => {
        if (!Array.isArray(v)) return false;
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
        return true;
      };
    }
    case 'object': {
      if (def.catchall !== undefined && (def.catchall._zod.def as unknown as Def).type !== 'unknown') return undefined;
      const keys: Array<{ key: string; check: Check; required: boolean }> = [];
      for (const [key, value] of Object.entries(def.shape ?? {})) {
        const check = compile(value);
        if (!check) return undefined;
        keys.push({ key, check, required: (value._zod.def as unknown as Def).type !== 'optional' });
      }
      return (v) => {
        if (!isRecord(v)) return false;
        for (let i = 0; i < keys.length; i++) {
          const { key, check, required } = keys[i] as (typeof keys)[number];
          if (!Object.hasOwn(v, key)) {
            // Absent: fine when optional. A value it inherits is left to zod.
            if (required || v[key] !== undefined) return false;
            continue;
          }
          if (!check(v[key])) return false;
        }
        return true;
      };
    }
    default:
      return undefined;
  }
}

const compiled = new WeakMap<z.ZodType, Check | null>();

/** The schema's fast check (see compile), built on first use; undefined when it has none. */
export function fastCheck(schema: z.ZodType): Check | undefined {
  let check = compiled.get(schema);
  if (check === undefined) {
    check = compile(schema) ?? null;
    compiled.set(schema, check);
  }
  return check ?? undefined;
}

/**
 * `data` (a copy) made to pass `schema` by leaving out the values the check named, with their
 * paths; undefined when that cannot be done (a required value of our own is missing). A value the
 * fast check passes is returned as it is: zod would pass it too, and builds a copy to say so.
 */
export function fitSchema(schema: z.ZodType, data: Record<string, unknown>): { data: Record<string, unknown>; left_out: string[] } | undefined {
  if (fastCheck(schema)?.(data)) return { data, left_out: [] };
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
