// MCP resources a person can attach (the card list, one card, one holder), with card and holder id completion; read through offered tools.
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolDefinition } from './tool.js';

/**
 * Runs an offered read tool's handler through the seam's request layer (input checked by the
 * tool's own schema); throws an McpError carrying the tool's error text. Nothing else reads data.
 */
export type ReadTool = (name: string, args: Record<string, unknown>, signal?: AbortSignal) => Promise<Record<string, unknown>>;

export const CARDS_URI = 'coupontools://cards';
export const CARD_TEMPLATE = 'coupontools://cards/{card_id}';
export const HOLDER_TEMPLATE = 'coupontools://cards/{card_id}/holders/{user_id}';

/** Most values one completion answers with (the protocol's own cap). */
const MAX_COMPLETIONS = 100;
/** A card summary counts holders over at most this many pages, so one read stays bounded. */
export const SUMMARY_PAGES = 10;
const SUMMARY_PAGE_SIZE = 100;

interface Card {
  id?: unknown;
  name?: unknown;
  type?: unknown;
}

export const offers = (offered: readonly ToolDefinition[], ...names: string[]): boolean => names.every((n) => offered.some((t) => t.name === n));

async function listCards(read: ReadTool, signal?: AbortSignal): Promise<Card[]> {
  const { cards } = await read('list_loyalty_cards', {}, signal);
  return Array.isArray(cards) ? (cards as Card[]) : [];
}

/** Card ids whose id starts with, or whose name contains, what was typed. Never throws: a failed lookup completes nothing. */
export async function completeCardId(read: ReadTool, typed: string): Promise<string[]> {
  try {
    const needle = typed.trim().toLowerCase();
    return (await listCards(read))
      .filter((c) => c.id !== undefined && (String(c.id).startsWith(typed.trim()) || String(c.name ?? '').toLowerCase().includes(needle)))
      .map((c) => String(c.id))
      .slice(0, MAX_COMPLETIONS);
  } catch {
    return [];
  }
}

/** Holders of a card (first page) matching what was typed by id, name, email or phone, answered as `pick`. */
export async function completeHolder(read: ReadTool, cardId: string | undefined, typed: string, pick: (user: Record<string, unknown>) => unknown): Promise<string[]> {
  if (!cardId) return [];
  try {
    const { users } = await read('list_users', { loyalty_card_id: cardId, limit: SUMMARY_PAGE_SIZE });
    const needle = typed.trim().toLowerCase();
    const matches = (u: Record<string, unknown>): boolean =>
      String(u.id ?? '').startsWith(typed.trim()) || ['first_name', 'last_name', 'email', 'phone'].some((f) => String(u[f] ?? '').toLowerCase().includes(needle));
    return (Array.isArray(users) ? (users as Record<string, unknown>[]) : [])
      .filter(matches)
      .map(pick)
      .filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
      .map(String)
      .slice(0, MAX_COMPLETIONS);
  } catch {
    return [];
  }
}

/** One card and what its owner wants to know at a glance: holders and rewards waiting to be handed over. */
export async function cardSummary(read: ReadTool, cardId: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const card = (await listCards(read, signal)).find((c) => String(c.id) === cardId);
  if (!card) throw new McpError(ErrorCode.InvalidParams, `No loyalty card ${cardId}; ${CARDS_URI} lists them.`);
  let holders = 0;
  let withRewards = 0;
  let rewardsWaiting = 0;
  let complete = false;
  for (let page = 1; page <= SUMMARY_PAGES; page++) {
    const result = await read('list_users', { loyalty_card_id: cardId, page, limit: SUMMARY_PAGE_SIZE }, signal);
    const users = Array.isArray(result.users) ? (result.users as Record<string, unknown>[]) : [];
    holders += users.length;
    for (const u of users) {
      const waiting = typeof u.rewards_available === 'number' ? u.rewards_available : 0;
      rewardsWaiting += waiting;
      if (waiting > 0) withRewards++;
    }
    // A page cut short to fit a result would make the next page skip holders: stop and say so.
    if (result.has_more !== true || result.truncated === true) {
      complete = result.has_more !== true;
      break;
    }
  }
  return {
    card,
    holders,
    holders_with_rewards_waiting: withRewards,
    rewards_waiting: rewardsWaiting,
    ...(complete ? {} : { note: `Counted the first ${holders} holders only (voided holders are not counted).` }),
  };
}

function json(uri: string, value: Record<string, unknown>, sandbox: boolean): ReadResourceResult {
  const labelled = sandbox ? { ...value, sandbox: true } : value;
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(labelled) }] };
}

const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));

/** Registers the resources whose tools this server offers (read-only mode and the allowlist decide). */
export function registerResources(server: McpServer, offered: readonly ToolDefinition[], read: ReadTool, sandbox: boolean): void {
  const cardIdCompletion = { card_id: (typed: string) => completeCardId(read, typed) };
  if (offers(offered, 'list_loyalty_cards')) {
    server.registerResource(
      'loyalty-cards',
      CARDS_URI,
      { title: 'Loyalty cards', description: "The business's loyalty cards: id, name, type.", mimeType: 'application/json' },
      async (uri, extra) => json(uri.href, { cards: await listCards(read, extra.signal) }, sandbox),
    );
  }
  if (offers(offered, 'list_loyalty_cards', 'list_users')) {
    server.registerResource(
      'loyalty-card',
      new ResourceTemplate(CARD_TEMPLATE, {
        // Each card is attachable by name from the client's resource picker.
        list: async (extra) => ({
          resources: (await listCards(read, extra.signal))
            .filter((c) => c.id !== undefined)
            .map((c) => ({ uri: `${CARDS_URI}/${encodeURIComponent(String(c.id))}`, name: String(c.name ?? c.id), mimeType: 'application/json' })),
        }),
        complete: cardIdCompletion,
      }),
      { title: 'Loyalty card summary', description: 'One card with its holder count and the rewards waiting to be handed over.', mimeType: 'application/json' },
      async (uri, vars, extra) => json(uri.href, await cardSummary(read, one(vars.card_id), extra.signal), sandbox),
    );
  }
  if (offers(offered, 'get_user')) {
    const complete: Record<string, (typed: string, ctx?: { arguments?: Record<string, string> }) => Promise<string[]>> = {};
    if (offers(offered, 'list_loyalty_cards')) Object.assign(complete, cardIdCompletion);
    if (offers(offered, 'list_users')) complete.user_id = (typed, ctx) => completeHolder(read, ctx?.arguments?.card_id, typed, (u) => u.id);
    server.registerResource(
      'card-holder',
      new ResourceTemplate(HOLDER_TEMPLATE, { list: undefined, complete }),
      { title: 'Card holder', description: "One holder's full record: profile, stamps or points, rewards available.", mimeType: 'application/json' },
      async (uri, vars, extra) => json(uri.href, await read('get_user', { loyalty_card_id: one(vars.card_id), user_id: one(vars.user_id) }, extra.signal), sandbox),
    );
  }
}
