// Frame budget stage: a result's serialized JSON-RPC line stays under 64 KB, its longest lists and texts cut and named.

/** Some clients cap one stdio line at 64 KB; every answer frame stays below this. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Left for the JSON-RPC envelope and a client's request id around the result. */
export const FRAME_ENVELOPE_BYTES = 1024;
/** Texts shorter than this are never cut: they are names and ids, not bulk. */
const MIN_CUT_CHARS = 200;
/** Bounds the work on a pathological answer; past it the answer is refused as too large. */
const MAX_CUTS = 32;
/** Deeper than this a value is weighed as a whole (the request layer refuses deeper answers anyway). */
const MAX_WALK_DEPTH = 100;

export interface Cut {
  /** Where in the result, e.g. "user.rewards" or "results". */
  path: string;
  kept: number;
  total: number;
  unit: 'items' | 'characters';
}

interface Node {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
  path: string;
  bytes: number;
}

const pathOf = (parent: string, key: string | number): string => (typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key);

/** One pass: an estimate of each value's JSON size, and the largest list or long text seen. */
function largest(root: Record<string, unknown>): Node | undefined {
  let best: Node | undefined;
  const weigh = (value: unknown, parent: Node['parent'], key: string | number, path: string, depth: number): number => {
    let bytes: number;
    if (typeof value === 'string') bytes = Buffer.byteLength(value) + 2;
    else if (value === null || typeof value !== 'object' || depth > MAX_WALK_DEPTH) bytes = value === null || typeof value !== 'object' ? String(value).length : Buffer.byteLength(JSON.stringify(value) ?? '');
    else if (Array.isArray(value)) bytes = 2 + value.reduce<number>((sum, v, i) => sum + 1 + weigh(v, value, i, pathOf(path, i), depth + 1), 0);
    else bytes = 2 + Object.entries(value).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + 4 + weigh(v, value as Record<string, unknown>, k, pathOf(path, k), depth + 1), 0);
    const cuttable = Array.isArray(value) ? value.length > 0 : typeof value === 'string' && value.length > MIN_CUT_CHARS;
    if (cuttable && (!best || bytes > best.bytes)) best = { parent, key, path, bytes };
    return bytes;
  };
  for (const [k, v] of Object.entries(root)) weigh(v, root, k, k, 1);
  return best;
}

/** The first `n` items of a list, or the first `n` characters of a text (never half a surrogate pair). */
function head(value: unknown[] | string, n: number): unknown[] | string {
  if (Array.isArray(value)) return value.slice(0, n);
  const cut = value.slice(0, n);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

/**
 * Cuts the largest lists and texts of `data` (a copy) until `size(data)` is at most `limit`;
 * each cut keeps as much as fits. Undefined when even empty lists and short texts do not fit.
 */
export function fitFrame(data: Record<string, unknown>, size: (data: Record<string, unknown>) => number, limit: number): { data: Record<string, unknown>; cuts: Cut[] } | undefined {
  if (size(data) <= limit) return { data, cuts: [] };
  const work = structuredClone(data);
  const cuts: Cut[] = [];
  for (let round = 0; round < MAX_CUTS; round++) {
    const node = largest(work);
    if (!node) return undefined;
    const slot = node.parent as Record<string | number, unknown>;
    const whole = slot[node.key] as unknown[] | string;
    const total = whole.length;
    const fits = (n: number): boolean => {
      slot[node.key] = head(whole, n);
      return size(work) <= limit;
    };
    const unit = Array.isArray(whole) ? 'items' : 'characters';
    if (!fits(0)) {
      cuts.push({ path: node.path, kept: 0, total, unit });
      continue;
    }
    // The most that fits: fits(lo) holds, fits(hi) does not.
    let lo = 0;
    let hi = total;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    fits(lo);
    cuts.push({ path: node.path, kept: lo, total, unit });
    return { data: work, cuts };
  }
  return undefined;
}

/** What the model reads about the cuts. */
export function describeCuts(cuts: readonly Cut[]): string {
  return cuts.map((c) => `${c.path}: first ${c.kept} of ${c.total} ${c.unit}`).join('; ');
}
