// add_stamps: POST /loyalty/loyalty-cards/{id}/stats/{userId} with exactly {"amount": n}.
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { holderPath } from '../paths.js';
import { objectOf, stampOutcome } from '../responses.js';
import { apiObject, loyaltyCardId, missingOr, rewardsOutput, toolInput, userId } from '../schemas.js';

/** A guard against a slipped digit; far above any single purchase. */
export const MAX_STAMPS_PER_CALL = 10_000;

export const addStamps = defineTool({
  name: 'add_stamps',
  title: 'Add stamps or points',
  description:
    'Add stamps or points for one purchase; receipt number as idempotency_key.',
  input: toolInput({
    loyalty_card_id: loyaltyCardId,
    user_id: userId,
    amount: z
      .int({ error: missingOr('amount', 'amount must be a whole number', 'give the stamps or points to add (1 or more)') })
      .min(1, { error: 'amount must be at least 1' })
      .refine((n) => n <= MAX_STAMPS_PER_CALL, { error: `amount: at most ${MAX_STAMPS_PER_CALL} per call` })
      .meta({ maximum: undefined }),
  }),
  output: z.looseObject({
    added: z.number(),
    balance: z.number().optional(),
    card_completed: z.boolean().optional(),
    rewards_unlocked: rewardsOutput,
    rewards_available: rewardsOutput,
    note: z.string().optional(),
    user: apiObject,
  }),
  access: 'write',
  idempotent: false,
  idempotencyKey: true,
  verifyHint: "read the holder's balance with get_user and compare it with the balance before",
  async handler(args, api) {
    // Exactly {amount}: any other key on this URL would turn the call into a profile update.
    const res = await api.request({ method: 'POST', path: holderPath(args.loyalty_card_id, args.user_id), body: { amount: args.amount } });
    const user = objectOf(res.data);
    return { added: args.amount, ...stampOutcome(user, args.amount), user };
  },
});
