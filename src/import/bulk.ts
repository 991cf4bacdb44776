// The bulk endpoint as the import sends it: the one place its body is shaped and its answer read.
import type { ApiRequest } from '../coupontools/client.js';
import { bulkBody, type WireProfile } from '../coupontools/wire-profile.js';
import { holdersPath } from '../../tools/paths.js';
import { asObject, type JsonObject } from '../../tools/responses.js';

/** POST /loyalty/loyalty-cards/{id}/stats/bulk with the users in the account's bulk body shape, as create_users sends them. */
export function bulkRequest(cardId: string, users: readonly JsonObject[], profile: WireProfile): ApiRequest {
  return { method: 'POST', path: holdersPath(cardId, 'bulk'), body: bulkBody(profile, users) };
}

export type ItemOutcome = { id: string | number | null } | { error: string };

const idOf = (item: JsonObject): string | number | null => {
  for (const source of [asObject(item.user), asObject(item.data), asObject(item.stat), item]) {
    const id = source?.id;
    if (typeof id === 'number' || (typeof id === 'string' && id !== '')) return id;
  }
  return null;
};

const errorOf = (item: JsonObject): string | undefined => {
  if (item.status === 'error' || item.error !== undefined || item.success === false) {
    const error = asObject(item.error);
    const message = error?.message ?? item.message ?? item.error;
    const field = typeof error?.field === 'string' ? `${error.field}: ` : '';
    return `${field}${typeof message === 'string' ? message : 'refused by the API'}`.slice(0, 300);
  }
  return undefined;
};

/**
 * Per-user outcomes of a 2xx bulk answer, in the order sent. The answer's shape is undocumented:
 * a list (bare or under results/data/users) read by `index` when items carry one, else by position;
 * without a usable list every user counts as created with its id unknown.
 */
export function bulkOutcomes(data: unknown, count: number): ItemOutcome[] {
  const wrapper = asObject(data);
  const list = Array.isArray(data) ? data : [wrapper?.results, wrapper?.data, wrapper?.users, wrapper?.stats].find(Array.isArray);
  const out: ItemOutcome[] = Array.from({ length: count }, () => ({ id: null }));
  if (!Array.isArray(list)) return out;
  list.forEach((raw, position) => {
    const item = asObject(raw);
    if (!item) return;
    const index = typeof item.index === 'number' && Number.isInteger(item.index) ? item.index : list.length === count ? position : -1;
    if (index < 0 || index >= count) return;
    const error = errorOf(item);
    out[index] = error !== undefined ? { error } : { id: idOf(item) };
  });
  return out;
}
