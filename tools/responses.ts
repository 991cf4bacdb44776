// Reading the API's answers tolerantly: wrapped or bare lists, undocumented user objects, bounded output.
import { CoupontoolsError } from '../src/coupontools/errors.js';
import { quoted } from '../src/pipeline/prompt-text.js';
import type { ToolApi } from '../src/mcp/tool.js';
import { cardsPath, holderPath } from './paths.js';

export type JsonObject = Record<string, unknown>;

export const asObject = (v: unknown): JsonObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);

/** Where a wrapped list may hold its items. */
const LIST_KEYS = ['data', 'stats', 'users', 'items', 'results', 'cards', 'loyalty_cards'] as const;

/** The items of a list response, bare or wrapped, and the wrapper (for metadata) when there is one. */
export function listItems(data: unknown): { items: JsonObject[]; meta: JsonObject } {
  const wrapper = asObject(data);
  const list = Array.isArray(data) ? data : LIST_KEYS.map((k) => wrapper?.[k]).find(Array.isArray);
  if (!Array.isArray(list)) {
    throw new CoupontoolsError({ kind: 'invalid_response', outcome: 'not_applied', detail: 'The API answered without a list where one was expected.' });
  }
  const items = list.map((item) => asObject(item) ?? { value: item });
  return { items, meta: { ...wrapper, ...asObject(wrapper?.pagination), ...asObject(wrapper?.meta) } };
}

/** A single object from a response; a bare id or empty body becomes an object too. */
export function objectOf(data: unknown): JsonObject {
  const obj = asObject(data);
  if (!obj) return data === null || data === undefined ? {} : { value: data };
  // Some APIs wrap the single object too.
  const inner = asObject(obj.data) ?? asObject(obj.user) ?? asObject(obj.stat);
  return inner && Object.keys(obj).length <= 2 ? inner : obj;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** Whether another page follows, from whatever metadata the API gave. */
export function hasMore(meta: JsonObject, page: number, limit: number, count: number): boolean {
  if (typeof meta.has_more === 'boolean') return meta.has_more;
  const total = totalOf(meta);
  if (total !== undefined) return page * limit < total;
  const last = num(meta.last_page) ?? num(meta.pages) ?? num(meta.total_pages);
  if (last !== undefined) return page < last;
  if (typeof meta.next === 'string' || typeof meta.next_page === 'number') return true;
  return count >= limit;
}

export function totalOf(meta: JsonObject): number | undefined {
  return num(meta.total) ?? num(meta.total_count) ?? num(meta.count_total);
}

/**
 * A list whose paging the API was found not to honour (wire-profile.ts pagingProblem), from its
 * answer to page 1 at `asked` items: all it will ever send, cut into pages locally. That is every
 * item when it sent a number other than `asked` (more: the size was ignored; fewer: the list
 * ended) and no total says otherwise; when it sent exactly `asked`, the rest may be out of reach.
 */
export function unpagedList(answer: { items: JsonObject[]; meta: JsonObject }, asked: number): { items: JsonObject[]; complete: boolean; total?: number } {
  const { items, meta } = answer;
  const stated = totalOf(meta);
  const complete = items.length !== asked && (stated === undefined || stated <= items.length);
  const total = complete ? items.length : stated;
  return { items, complete, ...(total !== undefined ? { total } : {}) };
}

/**
 * An id in our own results: a number when the API's id is a number or all digits, a string when it
 * is some other short string, and nothing for any other JSON the API may have sent in its place.
 */
export function resultId(v: unknown): number | string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  if (typeof v === 'string' && v !== '' && v.length <= 64) return v;
  return undefined;
}

// Type aliases, not interfaces: they fit the output schemas' open objects.
export type RewardSummary = { id: number | string; name?: unknown };

/** The rewards a holder can redeem now (those with an id use_rewards can take); [] when none are shown. */
export function availableRewards(user: JsonObject): RewardSummary[] {
  if (!Array.isArray(user.rewards)) return [];
  const out: RewardSummary[] = [];
  for (const r of user.rewards.map(asObject)) {
    const id = resultId(r?.id);
    if (!r || id === undefined || (r.status !== undefined && r.status !== 'available')) continue;
    out.push({ id, ...(r.name !== undefined && r.name !== null ? { name: r.name } : {}) });
  }
  return out;
}

/** Fields a model needs to recognise a holder in a list; get_user returns everything. */
const SUMMARY_FIELDS = ['first_name', 'last_name', 'email', 'phone', 'stamps', 'points', 'voided'] as const;

export function summarizeUser(user: JsonObject): JsonObject {
  const id = resultId(user.id);
  const out: JsonObject = id === undefined ? {} : { id };
  for (const key of SUMMARY_FIELDS) if (user[key] !== undefined && user[key] !== null && user[key] !== '') out[key] = user[key];
  // Present with 0: a missing count reads as "unknown", and a model would go and look.
  if (Array.isArray(user.rewards)) out.rewards_available = availableRewards(user).length;
  return out;
}

/** The balance the holder object shows after an add: stamps, or points on a points card. */
const balanceOf = (user: JsonObject): number | undefined => num(user.stamps) ?? num(user.points);

/**
 * What an add did in the program's terms, read from the holder the API answered with. A balance
 * only goes down by completing the card (it starts over), so a balance below the amount just added
 * means the card completed. Rewards stamped with the same instant as the holder's update were
 * unlocked by this add.
 */
export type StampOutcome = {
  balance?: number;
  card_completed?: boolean;
  rewards_unlocked: RewardSummary[];
  rewards_available: RewardSummary[];
  note?: string;
};

export function stampOutcome(user: JsonObject, amount: number): StampOutcome {
  const balance = balanceOf(user);
  const available = availableRewards(user);
  const updated = user.updated_at;
  const fresh = new Set(
    (Array.isArray(user.rewards) ? user.rewards : [])
      .map(asObject)
      .filter((r) => typeof updated === 'string' && r?.earned_at === updated)
      .map((r) => resultId(r?.id)),
  );
  const unlocked = available.filter((r) => fresh.has(r.id));
  const completed = balance !== undefined && balance < amount;
  return {
    ...(balance !== undefined ? { balance, card_completed: completed } : {}),
    rewards_unlocked: unlocked,
    rewards_available: available,
    ...(completed ? { note: `The card was completed and starts over at ${balance}; no stamp was lost.` } : {}),
  };
}

/**
 * Bytes of list items in one result. The result travels twice (structured and text) on one
 * JSON-RPC line, and some clients cap a line at 64 KB.
 */
export const MAX_LIST_BYTES = 24_000;

/** Keeps the leading items that fit in MAX_LIST_BYTES. */
export function fitList<T>(items: readonly T[]): { kept: T[]; truncated: boolean } {
  let bytes = 2;
  const kept: T[] = [];
  for (const item of items) {
    bytes += Buffer.byteLength(JSON.stringify(item)) + 1;
    if (bytes > MAX_LIST_BYTES) return { kept, truncated: true };
    kept.push(item);
  }
  return { kept, truncated: false };
}

/** A single object a read must return; anything else is the API misbehaving, not an empty record. */
export function requireObject(data: unknown, what: string): JsonObject {
  if (!asObject(data)) {
    throw new CoupontoolsError({ kind: 'invalid_response', outcome: 'not_applied', detail: `The API answered without ${what}.` });
  }
  return objectOf(data);
}

/** Names the holder and card of a gated call, so the human knows exactly what they approve. */
export async function describeHolder(api: ToolApi, cardId: string, userId: string): Promise<string> {
  const user = requireObject((await api.request({ method: 'GET', path: holderPath(cardId, userId) })).data, 'the holder');
  // API text in a human's prompt is quoted data, so a crafted name cannot pose as the server's words.
  const name = [user.first_name, user.last_name].filter((p) => typeof p === 'string' && p !== '').join(' ');
  const email = typeof user.email === 'string' && user.email ? `, email ${quoted(user.email)}` : '';
  const balance = ['stamps', 'points'].filter((k) => user[k] !== undefined).map((k) => `${String(user[k])} ${k}`);
  const rewards = Array.isArray(user.rewards) ? [`${availableRewards(user).length} unused reward(s)`] : [];
  const holdings = [...balance, ...rewards].join(', ');
  return `card holder ${name ? quoted(name) : '(no name)'}${email} (user ${userId}) on ${await describeCard(api, cardId)}${holdings ? `, holding ${holdings}` : ''}`;
}

/** "card "Name" (id)" when the card list can be read, else just the id. */
export async function describeCard(api: ToolApi, cardId: string): Promise<string> {
  try {
    const { items } = listItems((await api.request({ method: 'GET', path: cardsPath })).data);
    const card = items.find((c) => String(c.id) === cardId);
    if (card && typeof card.name === 'string') return `card ${quoted(card.name)} (${cardId})`;
  } catch {
    // The card name is a courtesy; the id alone still names the target.
  }
  return `card ${cardId}`;
}

/**
 * A bulk create in a few hundred bytes instead of every user echoed back: counts, the created ids
 * and each failure with what the API said about it. Per-user results are read from a bare array or
 * one wrapped under `results` (or a list key); without them, the API's own counts are passed on.
 */
export type BulkSummary = {
  requested: number;
  created?: number;
  failed?: number;
  created_ids: (number | string)[];
  failures: { index: number; error: unknown }[];
  note?: string;
};

export function bulkSummary(requested: number, data: unknown): BulkSummary {
  const wrapper = asObject(data);
  const list = Array.isArray(data) ? data : (['results', ...LIST_KEYS] as const).map((k) => wrapper?.[k]).find(Array.isArray);
  if (!Array.isArray(list)) {
    const created = num(wrapper?.created);
    const failed = num(wrapper?.failed);
    return {
      requested,
      ...(created !== undefined ? { created } : {}),
      ...(failed !== undefined ? { failed } : {}),
      created_ids: [],
      failures: [],
      note: 'The API did not list per-user results; look the customers up with list_users (filter by email).',
    };
  }
  const createdIds: (number | string)[] = [];
  const failures: BulkSummary['failures'] = [];
  list.forEach((raw, position) => {
    const item = asObject(raw);
    const error = item?.error ?? item?.errors;
    const failed = item?.status === 'error' || item?.status === 'failed' || (error !== undefined && error !== null);
    if (!failed) {
      const id = resultId(asObject(item?.user)?.id ?? item?.id);
      if (id !== undefined) createdIds.push(id);
      return;
    }
    const index = typeof item?.index === 'number' && Number.isSafeInteger(item.index) ? item.index : position;
    failures.push({ index, error: error ?? raw });
  });
  const { kept, truncated } = fitList(failures);
  return {
    requested,
    created: list.length - failures.length,
    failed: failures.length,
    created_ids: createdIds,
    failures: kept,
    ...(truncated ? { note: `Only the first ${kept.length} of ${failures.length} failures fit in one result; fix those and send the rest again.` } : {}),
  };
}
