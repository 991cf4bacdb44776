// use_rewards: PUT /loyalty/loyalty-cards/{id}/stats/{userId}/rewards with {"reward_ids": [...]}.
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { holderPath } from '../paths.js';
import { availableRewards, objectOf } from '../responses.js';
import { idInput, loyaltyCardId, userId, userOutput, wireId } from '../schemas.js';

export const useRewards = defineTool({
  name: 'use_rewards',
  title: 'Redeem rewards',
  description:
    "Redeem a holder's available rewards, e.g. when the free coffee is handed over. Reward ids come from get_user's rewards_available. Returns the holder.",
  input: z.strictObject({
    loyalty_card_id: loyaltyCardId,
    user_id: userId,
    reward_ids: z
      .array(idInput('reward_ids'))
      .min(1, { error: 'give at least one reward id' })
      .max(50)
      .describe('Reward ids to redeem (get_user)'),
  }),
  output: z.looseObject({ redeemed: z.array(z.union([z.number(), z.string()])), user: userOutput }),
  access: 'write',
  idempotent: false,
  verifyHint: "check the holder's rewards with get_user",
  async handler(args, api) {
    const reward_ids = args.reward_ids.map(wireId);
    const res = await api.request({ method: 'PUT', path: holderPath(args.loyalty_card_id, args.user_id, 'rewards'), body: { reward_ids } });
    const user = objectOf(res.data);
    const rewards = availableRewards(user);
    return { redeemed: reward_ids, user, ...(rewards ? { rewards_available: rewards } : {}) };
  },
});
