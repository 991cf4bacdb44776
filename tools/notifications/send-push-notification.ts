// send_push_notification: POST /loyalty/loyalty-cards/{id}/push-notifications; a broadcast is confirmed by the seam.
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { cardPath } from '../paths.js';
import { describeCard } from '../responses.js';
import { apiValue, idInput, loyaltyCardId, missingOr, toolInput, wireId } from '../schemas.js';

/** Wallet lock-screen messages are short; the API's own limit is unknown. */
export const MAX_PUSH_LENGTH = 500;
export const MAX_RECIPIENTS = 1000;

export const sendPushNotification = defineTool({
  name: 'send_push_notification',
  title: 'Send wallet push',
  description:
    "Wallet push to recipient_user_ids, else all holders (needs a human's yes); cannot be unsent.",
  input: toolInput({
    loyalty_card_id: loyaltyCardId,
    message: z
      .string({ error: missingOr('message', 'message must be text', 'give the text to show on the lock screen') })
      .trim()
      .refine((s) => s !== '', { error: 'message must not be empty' })
      .max(MAX_PUSH_LENGTH, { error: `message: at most ${MAX_PUSH_LENGTH} characters` }),
    recipient_user_ids: z
      .array(idInput('recipient_user_ids'))
      .min(1, { error: 'give at least one recipient, or omit recipient_user_ids to broadcast' })
      .refine((ids) => ids.length <= MAX_RECIPIENTS, { error: `at most ${MAX_RECIPIENTS} recipients per call` })
      .optional(),
  }),
  output: z.looseObject({ audience: z.enum(['all', 'selected']), recipients: z.number().optional(), delivery: apiValue }),
  access: 'write',
  accessFor: (args) => (args.recipient_user_ids ? 'write' : 'destructive'),
  idempotent: false,
  verifyHint: 'ask the user whether the message arrived; there is no read tool for pushes',
  async describeEffect(args, api) {
    return `Send a wallet push to EVERY holder of ${await describeCard(api, args.loyalty_card_id)} who saved it in a wallet: "${args.message}". It cannot be unsent.`;
  },
  async handler(args, api) {
    // Never send []: an empty list may mean "everyone".
    const body = args.recipient_user_ids
      ? { message: args.message, recipient_stat_ids: args.recipient_user_ids.map(wireId) }
      : { message: args.message };
    const res = await api.request({ method: 'POST', path: cardPath(args.loyalty_card_id, 'push-notifications'), body });
    // The API's answer (e.g. how many were reached) goes under its own key, so it can never overwrite ours.
    const audience = args.recipient_user_ids ? { audience: 'selected' as const, recipients: args.recipient_user_ids.length } : { audience: 'all' as const };
    return { ...audience, delivery: res.data ?? null };
  },
});
