// The wire profile: every unconfirmed guess about the live API's wire format as one setting, and the code that applies it.

/**
 * How `filter` and `pagination` travel on a GET (coupontools-api-v4.md §4.2):
 * - brackets: `filter[email]=a%40b.c&pagination[page]=2&pagination[limit]=50` (PHP style, the default guess)
 * - json:     `filter={"email":"a@b.c"}&pagination={"page":2,"limit":50}`
 * - flat:     `email=a%40b.c&page=2&limit=50` (how v3 paged its directory users)
 */
export const LIST_ENCODINGS = ['brackets', 'json', 'flat'] as const;
export type ListEncoding = (typeof LIST_ENCODINGS)[number];

/** The name of the page-size key inside the pagination (`pagination[limit]` or `pagination[per_page]`). */
export const PAGE_SIZE_KEYS = ['limit', 'per_page'] as const;
export type PageSizeKey = (typeof PAGE_SIZE_KEYS)[number];

/** Bulk create body: a bare JSON array of users, or an object holding it under `bulkKey`. */
export const BULK_BODIES = ['array', 'wrapped'] as const;
export type BulkBodyShape = (typeof BULK_BODIES)[number];

/** Our names for the holder fields whose live names are unknown; an alias maps the API's name onto one of these. */
export const ALIASABLE_FIELDS = ['stamps', 'points', 'rewards', 'voided', 'wallet_installed'] as const;
export type AliasableField = (typeof ALIASABLE_FIELDS)[number];

export interface WireProfile {
  listEncoding: ListEncoding;
  pageSizeKey: PageSizeKey;
  bulkBody: BulkBodyShape;
  bulkKey: string;
  /** The API's field name → ours, applied to every answer before a tool reads it. */
  fieldAliases: Readonly<Record<string, AliasableField>>;
}

export const DEFAULT_WIRE_PROFILE: WireProfile = {
  listEncoding: 'brackets',
  pageSizeKey: 'limit',
  bulkBody: 'array',
  bulkKey: 'users',
  fieldAliases: {},
};

/** The settings (env variable → value) that select a profile, in the form doctor prints for pasting. */
export function profileSettings(profile: WireProfile): Record<string, string> {
  return {
    COUPONTOOLS_LIST_ENCODING: profile.listEncoding,
    COUPONTOOLS_PAGE_SIZE_KEY: profile.pageSizeKey,
    COUPONTOOLS_BULK_BODY: profile.bulkBody,
    COUPONTOOLS_BULK_KEY: profile.bulkKey,
    COUPONTOOLS_FIELD_ALIASES: Object.entries(profile.fieldAliases)
      .map(([theirs, ours]) => `${theirs}:${ours}`)
      .join(','),
  };
}

export interface ListQuery {
  filter?: Readonly<Partial<Record<string, string>>>;
  page: number;
  limit: number;
  includeVoided?: boolean;
}

/** The query pairs of a list request in the profile's encoding (the request layer percent-encodes them). */
export function encodeListQuery(profile: Pick<WireProfile, 'listEncoding' | 'pageSizeKey'>, query: ListQuery): [string, string][] {
  const filter = Object.entries(query.filter ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
  const size = profile.pageSizeKey;
  const pairs: [string, string][] = [];
  switch (profile.listEncoding) {
    case 'brackets':
      for (const [field, value] of filter) pairs.push([`filter[${field}]`, value]);
      pairs.push(['pagination[page]', String(query.page)], [`pagination[${size}]`, String(query.limit)]);
      break;
    case 'json':
      if (filter.length > 0) pairs.push(['filter', JSON.stringify(Object.fromEntries(filter))]);
      pairs.push(['pagination', JSON.stringify({ page: query.page, [size]: query.limit })]);
      break;
    case 'flat':
      for (const [field, value] of filter) pairs.push([field, value]);
      pairs.push(['page', String(query.page)], [size, String(query.limit)]);
      break;
  }
  // Sent only when true: a PHP backend could read the string "false" as true.
  if (query.includeVoided === true) pairs.push(['include_voided', 'true']);
  return pairs;
}

/** The body of POST .../stats/bulk for these users; the one place the bulk shape is decided (import uses it too). */
export function bulkBody(profile: Pick<WireProfile, 'bulkBody' | 'bulkKey'>, users: readonly unknown[]): unknown {
  return profile.bulkBody === 'wrapped' ? { [profile.bulkKey]: users } : users;
}

/** Deepest nesting renamed; a holder sits at most a few levels down (list → item → user). */
const MAX_ALIAS_DEPTH = 6;

/**
 * An answer with the API's field names replaced by ours wherever an alias applies (ours is not
 * already there), so every tool reads `stamps`, `rewards`, … whatever the live API calls them.
 */
export function applyFieldAliases(profile: Pick<WireProfile, 'fieldAliases'>, data: unknown, depth = 0): unknown {
  const aliases = Object.entries(profile.fieldAliases);
  if (aliases.length === 0 || depth > MAX_ALIAS_DEPTH || data === null || typeof data !== 'object') return data;
  if (Array.isArray(data)) return data.map((item) => applyFieldAliases(profile, item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const ours = Object.hasOwn(profile.fieldAliases, key) ? profile.fieldAliases[key] : undefined;
    const name = ours !== undefined && !Object.hasOwn(data, ours) ? ours : key;
    out[name] = applyFieldAliases(profile, value, depth + 1);
  }
  return out;
}

/** What a paging check needs of one item: something that identifies it. */
function identity(item: unknown): string {
  const id = item && typeof item === 'object' && !Array.isArray(item) ? (item as { id?: unknown }).id : undefined;
  return id !== undefined && id !== null ? `id ${String(id)}` : JSON.stringify(item);
}

function describeEncoding(profile: Pick<WireProfile, 'listEncoding' | 'pageSizeKey'>): string {
  return `COUPONTOOLS_LIST_ENCODING=${profile.listEncoding}, COUPONTOOLS_PAGE_SIZE_KEY=${profile.pageSizeKey}`;
}

/**
 * Why a page cannot be trusted, or undefined when it can: more items than the limit asked for
 * (the page size was ignored), or a later page that starts where page 1 starts (the page number
 * was ignored). Either way a has_more computed from it would page forever.
 */
export function pagingProblem(
  profile: Pick<WireProfile, 'listEncoding' | 'pageSizeKey'>,
  asked: { page: number; limit: number },
  items: readonly unknown[],
  pageOneFirst?: unknown,
): string | undefined {
  const sent = `(sent as ${describeEncoding(profile)})`;
  if (items.length > asked.limit) {
    return `Paging was not honoured: the API returned ${items.length} users for a page size of ${asked.limit} ${sent}.`;
  }
  if (asked.page > 1 && items.length > 0 && pageOneFirst !== undefined && identity(items[0]) === identity(pageOneFirst)) {
    return `Paging was not honoured: page ${asked.page} began with the same user as page 1 (${identity(items[0])}) ${sent}.`;
  }
  return undefined;
}

/**
 * Says that the API ignores paging and what it sends at once instead (`list`: see unpagedList in
 * tools/responses.ts), after `lead`: a note on a page cut locally, or why a job that needs every
 * holder cannot run. Plain about any holders out of reach.
 */
export function unpagedNote(
  profile: Pick<WireProfile, 'listEncoding' | 'pageSizeKey'>,
  list: { items: readonly unknown[]; complete: boolean; total?: number },
  lead = 'Paged locally',
): string {
  const sends = `${lead}: the API ignores paging (${describeEncoding(profile)}) and sends ${list.items.length} users at once`;
  if (list.complete) return `${sends}.`;
  const rest = list.total !== undefined ? `the other ${list.total - list.items.length}` : 'any others';
  return `${sends}, no more: ${rest} can only be found with a filter (e.g. by email); \`coupontools-mcp doctor\` finds an encoding it honours.`;
}
