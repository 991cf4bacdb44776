// send_push_notification: POST /loyalty/loyalty-cards/{id}/push-notifications; a broadcast is confirmed by the seam.
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { cardPath } from '../paths.js';
import { asObject, describeCard } from '../responses.js';
import { idInput, loyaltyCardId, wireId } from '../schemas.js';

/** Wallet lock-screen messages are short; the API's own limit is unknown. */
export const MAX_PUSH_LENGTH = 500;
export const MAX_RECIPIENTS = 1000;

export const sendPushNotification = defineTool({
  name: 'send_push_notification',
  title: 'Send wallet push notification',
  description:
    'Push a message to holders who saved the card in Apple/Google Wallet: recipient_user_ids targets some; omitting it broadcasts to all (asks a human first). Cannot be unsent.',
  input: z.strictObject({
    loyalty_card_id: loyaltyCardId,
    message: z.string().trim().min(1, { error: 'message must not be empty' }).max(MAX_PUSH_LENGTH).describe('Text shown on the lock screen'),
    recipient_user_ids: z
      .array(idInput('recipient_user_ids'))
      .min(1, { error: 'give at least one recipient, or omit recipient_user_ids to broadcast' })
      .max(MAX_RECIPIENTS)
      .optional()
      .describe('Holder ids; omit to broadcast'),
  }),
  output: z.looseObject({ audience: z.string() }),
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
    return { audience: args.recipient_user_ids ? `${args.recipient_user_ids.length} selected` : 'all', ...(asObject(res.data) ?? {}) };
  },
});
