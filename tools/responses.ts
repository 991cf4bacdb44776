// Reading the API's answers tolerantly: wrapped or bare lists, undocumented user objects, bounded output.
import { CoupontoolsError } from '../src/errors.js';
import { quoted } from '../src/pipeline/prompt-text.js';
import type { ToolApi } from '../src/tool.js';
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

/** The rewards a holder can redeem now, if the user object shows them. */
export function availableRewards(user: JsonObject): JsonObject[] | undefined {
  if (!Array.isArray(user.rewards)) return undefined;
  return user.rewards
    .map(asObject)
    .filter((r): r is JsonObject => r !== undefined && (r.status === undefined || r.status === 'available'))
    .map((r) => ({ id: r.id, ...(r.name !== undefined ? { name: r.name } : {}) }));
}

/** Fields a model needs to recognise a holder in a list; get_user returns everything. */
const SUMMARY_FIELDS = ['id', 'first_name', 'last_name', 'email', 'phone', 'stamps', 'points', 'voided'] as const;

export function summarizeUser(user: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of SUMMARY_FIELDS) if (user[key] !== undefined && user[key] !== null && user[key] !== '') out[key] = user[key];
  const rewards = availableRewards(user);
  if (rewards && rewards.length > 0) out.rewards_available = rewards.length;
  return out;
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
  const rewards = availableRewards(user);
  const holdings = [...balance, ...(rewards ? [`${rewards.length} unused reward(s)`] : [])].join(', ');
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
