// The sandbox's implementation of the v4 loyalty endpoints: routing, validation and state changes.
import { createHash } from 'node:crypto';
import {
  ERROR_CODE,
  cardNotFound,
  holderNotFound,
  methodNotAllowed,
  routeNotFound,
  unprocessable,
  type SandboxResponse,
} from './api-errors.js';
import type { SandboxDialect } from './dialect.js';
import { addHolder, grantToHolder } from './holder-records.js';
import {
  findProfileProblem,
  idFromBody,
  idFromSegment,
  isJsonObject,
  objectBody,
  parseHolderListQuery,
  parseJsonBody,
  profileBody,
  rejectUnknownKeys,
  type FieldProblem,
  type HolderListQuery,
} from './request-validation.js';
import type { SandboxCard, SandboxHolder, SandboxState } from './state.js';

/** The highest amount one add accepts: it keeps a typo like 1e9 from minting a billion rewards. */
export const MAX_GRANT_AMOUNT = 10_000;
export const MAX_BULK_ITEMS = 500;
export const MAX_COPY_NAME_LENGTH = 50;
export const MAX_PUSH_MESSAGE_LENGTH = 500;

/** What a handler may do besides reading and changing the state. */
export interface RouteContext {
  readonly state: SandboxState;
  /** The wire dialect this sandbox speaks (list encoding, list shape, bulk body, paging). */
  readonly dialect: SandboxDialect;
  /** The current time as an API timestamp. */
  timestamp(): string;
  /** Called after every change to the state (persists it when a state file is configured). */
  persist(): void;
  /** Called for every applied add-stamps grant. */
  recordGrant(cardId: number, userId: number, amount: number, at: string): void;
}

export interface ApiRequest {
  method: string;
  /** Raw pathname, still percent-encoded, including the /v4 prefix. */
  path: string;
  /** Raw query string without '?'. */
  query: string;
  body: string;
}

interface RouteParams {
  card: string;
  user: string;
}

type Handler = (context: RouteContext, request: ApiRequest, params: RouteParams) => SandboxResponse;

interface Route {
  /** Literal segments, or ':card' / ':user' for a parameter. */
  pattern: readonly string[];
  methods: Readonly<Record<string, Handler>>;
}

const CARDS = ['loyalty', 'loyalty-cards'] as const;

// Order matters where a literal competes with a parameter: `stats/bulk` comes before `stats/:user`,
// so GET .../stats/bulk is a 405, not a lookup of a holder called "bulk".
const ROUTES: readonly Route[] = [
  { pattern: [...CARDS], methods: { GET: listCards } },
  { pattern: [...CARDS, ':card', 'copy'], methods: { POST: copyCard } },
  { pattern: [...CARDS, ':card', 'stats'], methods: { GET: listHolders, POST: createHolder } },
  { pattern: [...CARDS, ':card', 'stats', 'bulk'], methods: { POST: createHolders } },
  { pattern: [...CARDS, ':card', 'stats', ':user'], methods: { GET: getHolder, POST: changeHolder, DELETE: deleteHolder } },
  { pattern: [...CARDS, ':card', 'stats', ':user', 'rewards'], methods: { PUT: useRewards } },
  { pattern: [...CARDS, ':card', 'stats', ':user', 'void'], methods: { PUT: voidHolder } },
  { pattern: [...CARDS, ':card', 'push-notifications'], methods: { POST: sendPushNotification } },
];

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null; // malformed %-escape: matches no literal and names no id
  }
}

/**
 * Splits the raw path on '/' first and decodes each segment after, so an encoded slash or dot
 * stays inside its segment ('1001%2Fstats' is one id that does not exist, not two segments).
 */
function matchRoute(rawPath: string): { route: Route; params: RouteParams } | null {
  const raw = rawPath.split('/');
  if (raw[0] !== '' || raw[1] !== 'v4') return null;
  const segments = raw.slice(2).map(decodeSegment);
  for (const route of ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params: RouteParams = { card: '', user: '' };
    const matches = route.pattern.every((part, index) => {
      const segment = segments[index];
      if (segment === null || segment === undefined) return false;
      if (part === ':card' || part === ':user') {
        params[part === ':card' ? 'card' : 'user'] = segment;
        return segment !== '';
      }
      return part === segment;
    });
    if (matches) return { route, params };
  }
  return null;
}

/** Answers one authenticated API request; errors are thrown as SandboxHttpError. */
export function routeApiRequest(context: RouteContext, request: ApiRequest): SandboxResponse {
  const match = matchRoute(request.path);
  if (match === null) throw routeNotFound();
  const handler = match.route.methods[request.method];
  if (handler === undefined) throw methodNotAllowed(Object.keys(match.route.methods));
  return handler(context, request, match.params);
}

// ----------------------------------------------------------------------------------------------
// Lookups

function requireCard(context: RouteContext, segment: string): SandboxCard {
  const id = idFromSegment(segment);
  const card = id === null ? undefined : context.state.cards.find((candidate) => candidate.id === id);
  if (card === undefined) throw cardNotFound(segment);
  return card;
}

function requireHolder(context: RouteContext, card: SandboxCard, segment: string): SandboxHolder {
  const id = idFromSegment(segment);
  const holder =
    id === null ? undefined : context.state.holders.find((candidate) => candidate.id === id && candidate.loyalty_card_id === card.id);
  if (holder === undefined) throw holderNotFound(segment, card.id);
  return holder;
}

function holdersOf(context: RouteContext, card: SandboxCard): SandboxHolder[] {
  return context.state.holders.filter((holder) => holder.loyalty_card_id === card.id).sort((a, b) => a.id - b.id);
}

function rejectIfVoided(holder: SandboxHolder, action: string): void {
  if (holder.voided) {
    throw unprocessable(`User ${holder.id} is voided and cannot ${action}.`, ERROR_CODE.invalidValue);
  }
}

// ----------------------------------------------------------------------------------------------
// Cards

function listCards(context: RouteContext): SandboxResponse {
  return { status: 200, body: context.state.cards };
}

/** A 6-character code derived from the id, so copies get stable codes without a random source. */
function cardCodeFor(id: number, cards: readonly SandboxCard[]): string {
  const taken = new Set(cards.map((card) => card.code));
  for (let attempt = 0; ; attempt++) {
    const digest = createHash('sha256').update(`sandbox-card:${id}:${attempt}`).digest();
    const code = [...digest.subarray(0, 6)].map((byte) => (byte % 36).toString(36)).join('');
    if (!taken.has(code)) return code;
  }
}

function copyCard(context: RouteContext, request: ApiRequest, params: RouteParams): SandboxResponse {
  const original = requireCard(context, params.card);
  const body = objectBody(request.body);
  rejectUnknownKeys(body, ['name']);
  let name = `${original.name} (copy)`;
  if ('name' in body) {
    const requested = body.name;
    const length = typeof requested === 'string' ? [...requested].length : 0;
    if (typeof requested !== 'string' || requested.trim() === '' || length > MAX_COPY_NAME_LENGTH) {
      throw unprocessable(`Field "name" must be a non-empty string of at most ${MAX_COPY_NAME_LENGTH} characters.`);
    }
    name = requested;
  }
  const { state } = context;
  const id = state.next_ids.card++;
  const base = { id, code: cardCodeFor(id, state.cards), name, domain: original.domain, created_at: context.timestamp() };
  // Reward definitions are copied with fresh ids: definition ids stay unique across the sandbox.
  const copy: SandboxCard =
    original.type === 'stamp'
      ? { ...base, type: 'stamp', rewards: original.rewards.map((reward) => ({ ...reward, id: state.next_ids.reward_definition++ })) }
      : original.type === 'points'
        ? { ...base, type: 'points', rewards: original.rewards.map((reward) => ({ ...reward, id: state.next_ids.reward_definition++ })) }
        : { ...base, type: 'membership', rewards: [] };
  state.cards.push(copy);
  context.persist();
  return { status: 201, body: copy };
}

// ----------------------------------------------------------------------------------------------
// Holders

function matchesFilters(holder: SandboxHolder, filters: HolderListQuery['filters']): boolean {
  const fold = (text: string): string => text.normalize('NFC').toLowerCase();
  return filters.every(([field, wanted]) => fold(holder[field]).includes(fold(wanted)));
}

function listHolders(context: RouteContext, request: ApiRequest, params: RouteParams): SandboxResponse {
  const card = requireCard(context, params.card);
  const { dialect } = context;
  const query = parseHolderListQuery(request.query, dialect);
  const selected = holdersOf(context, card).filter(
    (holder) => (query.includeVoided || !holder.voided) && matchesFilters(holder, query.filters),
  );
  // A dialect that ignores paging answers as if every request were for page 1 (and, if it ignores the size too, for everything).
  const page = dialect.paging === 'honoured' ? query.page : 1;
  const limit = dialect.paging === 'ignored' ? selected.length : query.limit;
  const start = (page - 1) * limit;
  const items = selected.slice(start, start + limit);
  if (dialect.lists === 'bare') return { status: 200, body: items };
  const pagination = dialect.paging === 'ignored' ? { total: selected.length } : { page, [dialect.pageSizeKey]: limit, total: selected.length };
  return { status: 200, body: { data: items, pagination } };
}

function getHolder(context: RouteContext, _request: ApiRequest, params: RouteParams): SandboxResponse {
  const card = requireCard(context, params.card);
  return { status: 200, body: requireHolder(context, card, params.user) };
}

function createHolder(context: RouteContext, request: ApiRequest, params: RouteParams): SandboxResponse {
  const card = requireCard(context, params.card);
  const profile = profileBody(objectBody(request.body));
  // A holder created through the API has not added the pass to a phone wallet yet.
  const holder = addHolder(context.state, card, { profile, createdAt: context.timestamp(), walletInstalled: false });
  context.persist();
  return { status: 201, body: holder };
}

type BulkResult =
  | { index: number; status: 'created'; user: SandboxHolder }
  | { index: number; status: 'error'; error: FieldProblem };

function createHolders(context: RouteContext, request: ApiRequest, params: RouteParams): SandboxResponse {
  const card = requireCard(context, params.card);
  const { bulkKey } = context.dialect;
  const body = parseJsonBody(request.body);
  const items = bulkKey === null ? body : isJsonObject(body) && Object.keys(body).length === 1 ? body[bulkKey] : undefined;
  if (!Array.isArray(items) || items.length === 0) {
    throw unprocessable(
      bulkKey === null
        ? 'The request body must be a non-empty JSON array of user objects.'
        : `The request body must be {"${bulkKey}": [...]}, a non-empty JSON array of user objects under "${bulkKey}".`,
    );
  }
  if (items.length > MAX_BULK_ITEMS) {
    throw unprocessable(`A bulk request takes at most ${MAX_BULK_ITEMS} users; this one has ${items.length}.`);
  }
  const timestamp = context.timestamp();
  const results = items.map((item: unknown, index): BulkResult => {
    if (!isJsonObject(item)) {
      const error = { field: null, message: 'Each item must be a JSON object of user fields.', code: ERROR_CODE.invalidValue };
      return { index, status: 'error', error };
    }
    const problem = findProfileProblem(item);
    if (problem !== null) return { index, status: 'error', error: problem };
    const user = addHolder(context.state, card, { profile: item, createdAt: timestamp, walletInstalled: false });
    return { index, status: 'created', user };
  });
  const created = results.filter((result) => result.status === 'created').length;
  if (created > 0) context.persist();
  return { status: 200, body: { created, failed: results.length - created, results } };
}

/** POST .../stats/{userId}: `{"amount": n}` adds stamps or points; any other body updates the profile. */
function changeHolder(context: RouteContext, request: ApiRequest, params: RouteParams): SandboxResponse {
  const card = requireCard(context, params.card);
  const holder = requireHolder(context, card, params.user);
  const body = objectBody(request.body);
  return 'amount' in body ? addToBalance(context, card, holder, body) : updateProfile(context, holder, body);
}

function addToBalance(context: RouteContext, card: SandboxCard, holder: SandboxHolder, body: Record<string, unknown>): SandboxResponse {
  if (Object.keys(body).length !== 1) {
    throw unprocessable(
      'Send amount alone: a body with "amount" adds stamps or points and may not carry other fields; update the profile in a separate request.',
      ERROR_CODE.notAllowed,
    );
  }
  const { amount } = body;
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > MAX_GRANT_AMOUNT) {
    throw unprocessable(`Field "amount" must be an integer from 1 to ${MAX_GRANT_AMOUNT}.`, ERROR_CODE.invalidNumber);
  }
  if (card.type === 'membership') {
    throw unprocessable(`Loyalty card ${card.id} is a membership card: it has no stamps or points to add.`, ERROR_CODE.invalidValue);
  }
  rejectIfVoided(holder, 'earn stamps or points');
  const timestamp = context.timestamp();
  grantToHolder(context.state, card, holder, amount, timestamp);
  context.recordGrant(card.id, holder.id, amount, timestamp);
  context.persist();
  return { status: 200, body: holder };
}

function updateProfile(context: RouteContext, holder: SandboxHolder, body: Record<string, unknown>): SandboxResponse {
  const profile = profileBody(body);
  if (Object.keys(profile).length === 0) {
    throw unprocessable('Send at least one user field to update (first_name, last_name, email, ...).', ERROR_CODE.missingParameter);
  }
  Object.assign(holder, profile);
  holder.updated_at = context.timestamp();
  context.persist();
  return { status: 200, body: holder };
}

function useRewards(context: RouteContext, request: ApiRequest, params: RouteParams): SandboxResponse {
  const card = requireCard(context, params.card);
  const holder = requireHolder(context, card, params.user);
  const body = objectBody(request.body);
  rejectUnknownKeys(body, ['reward_ids']);
  if (!('reward_ids' in body)) throw unprocessable('Missing parameter: reward_ids.', ERROR_CODE.missingParameter);
  const requested = body.reward_ids;
  if (!Array.isArray(requested) || requested.length === 0) {
    throw unprocessable('Field "reward_ids" must be a non-empty array of reward ids from the user\'s rewards list.');
  }
  rejectIfVoided(holder, 'redeem rewards');
  // Check every id before changing anything: a bad id anywhere means nothing is redeemed.
  const available = holder.rewards.filter((reward) => reward.status === 'available');
  const chosen = new Set<number>();
  for (const value of requested) {
    const id = idFromBody(value);
    const reward = id === null ? undefined : available.find((candidate) => candidate.id === id);
    if (id !== null && chosen.has(id)) {
      throw unprocessable(`Reward ${id} is listed more than once in reward_ids.`, ERROR_CODE.notAllowed);
    }
    if (reward === undefined || id === null) {
      const ids = available.map((candidate) => candidate.id).join(', ') || 'none';
      throw unprocessable(
        `Reward ${JSON.stringify(value)} is not an available reward of user ${holder.id} (available reward ids: ${ids}). Nothing was redeemed.`,
        ERROR_CODE.notAllowed,
      );
    }
    chosen.add(id);
  }
  const timestamp = context.timestamp();
  for (const reward of available) {
    if (!chosen.has(reward.id)) continue;
    reward.status = 'used';
    reward.used_at = timestamp;
  }
  holder.updated_at = timestamp;
  context.persist();
  return { status: 200, body: holder };
}

function voidHolder(context: RouteContext, _request: ApiRequest, params: RouteParams): SandboxResponse {
  const card = requireCard(context, params.card);
  const holder = requireHolder(context, card, params.user);
  if (!holder.voided) {
    holder.voided = true;
    holder.updated_at = context.timestamp();
    context.persist();
  }
  return { status: 200, body: holder };
}

function deleteHolder(context: RouteContext, _request: ApiRequest, params: RouteParams): SandboxResponse {
  const card = requireCard(context, params.card);
  const holder = requireHolder(context, card, params.user);
  context.state.holders.splice(context.state.holders.indexOf(holder), 1);
  context.persist();
  return { status: 204 };
}

// ----------------------------------------------------------------------------------------------
// Push notifications

function sendPushNotification(context: RouteContext, request: ApiRequest, params: RouteParams): SandboxResponse {
  const card = requireCard(context, params.card);
  const body = objectBody(request.body);
  rejectUnknownKeys(body, ['message', 'recipient_stat_ids']);
  if (!('message' in body)) throw unprocessable('Missing parameter: message.', ERROR_CODE.missingParameter);
  const { message } = body;
  if (typeof message !== 'string' || message.trim() === '' || [...message].length > MAX_PUSH_MESSAGE_LENGTH) {
    throw unprocessable(`Field "message" must be a non-empty string of at most ${MAX_PUSH_MESSAGE_LENGTH} characters.`);
  }

  const cardHolders = holdersOf(context, card);
  let targeted: SandboxHolder[];
  if ('recipient_stat_ids' in body) {
    const requested = body.recipient_stat_ids;
    if (!Array.isArray(requested) || requested.length === 0) {
      throw unprocessable(
        'Field "recipient_stat_ids" must be a non-empty array of user ids of this card; omit it to send to every holder.',
      );
    }
    const byId = new Map<number, SandboxHolder>();
    for (const value of requested) {
      const id = idFromBody(value);
      const holder = id === null ? undefined : cardHolders.find((candidate) => candidate.id === id);
      if (holder === undefined) {
        throw unprocessable(
          `recipient_stat_ids: ${JSON.stringify(value)} is not a user of loyalty card ${card.id}. Nothing was sent.`,
          ERROR_CODE.notAllowed,
        );
      }
      byId.set(holder.id, holder); // a repeated id is one recipient, not two
    }
    targeted = [...byId.values()];
  } else {
    targeted = cardHolders.filter((holder) => !holder.voided);
  }

  const reached = targeted.filter((holder) => !holder.voided && holder.wallet_installed);
  const skippedVoided = targeted.filter((holder) => holder.voided).length;
  const { state } = context;
  const id = `pn_${String(state.next_ids.notification++).padStart(6, '0')}`;
  state.notifications.push({
    id,
    loyalty_card_id: card.id,
    message,
    recipient_ids: targeted.map((holder) => holder.id),
    sent_ids: reached.map((holder) => holder.id),
    created_at: context.timestamp(),
  });
  context.persist();
  return {
    status: 200,
    body: {
      id,
      recipients: targeted.length,
      sent: reached.length,
      skipped_no_wallet: targeted.length - reached.length - skippedVoided,
      skipped_voided: skippedVoided,
    },
  };
}
