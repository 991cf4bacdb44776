// MCP prompts a person picks from a menu (stamp a purchase, look up a customer, a card summary), with completable arguments.
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { cardSummary, CARDS_URI, completeCardId, completeHolder, offers, type ReadTool } from './resources.js';
import type { ToolDefinition } from './tool.js';

/** The same id rule the tools enforce, so a bad id is refused here with a clear message. */
const cardIdText = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'card_id must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
const customerText = z.string().trim().min(1).max(200);

const say = (text: string): GetPromptResult => ({ messages: [{ role: 'user', content: { type: 'text', text } }] });

/** Registers the prompts whose tools this server offers (read-only mode and the allowlist decide). */
export function registerPrompts(server: McpServer, offered: readonly ToolDefinition[], read: ReadTool, sandbox: boolean): void {
  const cardId = (description: string) =>
    offers(offered, 'list_loyalty_cards') ? completable(cardIdText.describe(description), (typed) => completeCardId(read, typed ?? '')) : cardIdText.describe(description);
  // Completes the customer from the chosen card's holders, inserting their email (what list_users filters on best).
  const customer = completable(customerText.describe('Email, phone or name of the customer'), (typed, ctx) =>
    completeHolder(read, ctx?.arguments?.card_id, typed ?? '', (u) => u.email ?? u.phone),
  );

  if (offers(offered, 'list_users', 'add_stamps')) {
    server.registerPrompt(
      'stamp_purchase',
      {
        title: 'Stamp a purchase',
        description: "Find a customer on a card and add stamps for one purchase, once, then say what reward they have.",
        argsSchema: {
          card_id: cardId('The loyalty card'),
          customer,
          stamps: z.string().regex(/^[1-9]\d{0,3}$/, 'stamps must be a whole number from 1 to 9999').optional().describe('How many stamps (default 1)'),
          receipt: z.string().trim().min(1).max(128).optional().describe('Receipt or order number, so the purchase is never stamped twice'),
        },
      },
      ({ card_id, customer: who, stamps, receipt }) =>
        say(
          [
            `On loyalty card ${card_id}, give the customer "${who}" ${stamps ?? '1'} stamp(s) for one purchase.`,
            `1. Find them with list_users (filter by email or phone; by first_name/last_name for a name). If several match, or none, ask me; do not guess.`,
            `2. Call add_stamps once with amount ${stamps ?? '1'}${receipt ? ` and idempotency_key "${receipt}"` : ''}. If the outcome is unknown, check with get_user before anything else.`,
            `3. Tell me their new stamp count and any reward now available (rewards_available); do not redeem it unless I say so.`,
          ].join('\n'),
        ),
    );
  }

  if (offers(offered, 'list_users', 'get_user')) {
    server.registerPrompt(
      'look_up_customer',
      {
        title: 'Look up a customer',
        description: "Find a customer on a card and show their stamps, rewards and profile.",
        argsSchema: { card_id: cardId('The loyalty card'), customer },
      },
      ({ card_id, customer: who }) =>
        say(
          [
            `On loyalty card ${card_id}, look up the customer "${who}".`,
            `Find them with list_users (filter by email or phone; by first_name/last_name for a name), then get_user for the full record.`,
            `Show their name, email, stamps or points, the rewards they can redeem now, and whether the card is voided. Change nothing.`,
          ].join('\n'),
        ),
    );
  }

  if (offers(offered, 'list_loyalty_cards', 'list_users')) {
    server.registerPrompt(
      'card_summary',
      {
        title: 'Loyalty summary of a card',
        description: 'How many holders a card has and how many rewards are waiting, summarized for the owner.',
        argsSchema: { card_id: cardId('The loyalty card') },
      },
      async ({ card_id }, extra) => {
        // The figures are read now and attached, so the summary needs no tool call.
        const summary = await cardSummary(read, card_id, extra.signal);
        if (sandbox) summary.sandbox = true;
        return {
          messages: [
            { role: 'user', content: { type: 'resource', resource: { uri: `${CARDS_URI}/${card_id}`, mimeType: 'application/json', text: JSON.stringify(summary) } } },
            {
              role: 'user',
              content: {
                type: 'text',
                text: 'Summarize this loyalty card for its owner in a few lines: what it is, how many holders, how many have rewards waiting and how many rewards in all, and one suggestion (e.g. a push to holders with rewards waiting). Change nothing.',
              },
            },
          ],
        };
      },
    );
  }
}
