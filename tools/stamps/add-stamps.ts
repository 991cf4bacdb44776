// add_stamps: POST /loyalty/loyalty-cards/{id}/stats/{userId} with exactly {"amount": n}.
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { holderPath } from '../paths.js';
import { availableRewards, objectOf } from '../responses.js';
import { loyaltyCardId, userId, userOutput } from '../schemas.js';

/** A guard against a slipped digit; far above any single purchase. */
export const MAX_STAMPS_PER_CALL = 10_000;

export const addStamps = defineTool({
  name: 'add_stamps',
  title: 'Add stamps or points',
  description:
    'Add stamps (points on a points card) to a holder once per purchase; pass the receipt number as idempotency_key so a retry never stamps twice. Returns the holder and rewards_available.',
  input: z.strictObject({
    loyalty_card_id: loyaltyCardId,
    user_id: userId,
    amount: z.int({ error: 'amount must be a whole number' }).min(1, { error: 'amount must be at least 1' }).max(MAX_STAMPS_PER_CALL).describe('Stamps or points to add, ≥ 1'),
  }),
  output: z.looseObject({ added: z.number(), user: userOutput, rewards_available: z.array(z.unknown()).optional() }),
  access: 'write',
  idempotent: false,
  idempotencyKey: true,
  verifyHint: "read the holder's balance with get_user and compare it with the balance before",
  async handler(args, api) {
    // Exactly {amount}: any other key on this URL would turn the call into a profile update.
    const res = await api.request({ method: 'POST', path: holderPath(args.loyalty_card_id, args.user_id), body: { amount: args.amount } });
    const user = objectOf(res.data);
    const rewards = availableRewards(user);
    return { added: args.amount, user, ...(rewards ? { rewards_available: rewards } : {}) };
  },
});
