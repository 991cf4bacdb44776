// use_rewards: PUT /loyalty/loyalty-cards/{id}/stats/{userId}/rewards with {"reward_ids": [...]}.
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { holderPath } from '../paths.js';
import { availableRewards, objectOf } from '../responses.js';
import { apiObject, idInput, idOutput, loyaltyCardId, missingOr, rewardsOutput, toolInput, userId, wireId } from '../schemas.js';

export const useRewards = defineTool({
  name: 'use_rewards',
  title: 'Redeem rewards',
  description: "Redeem rewards handed over; ids from get_user's rewards_available.",
  input: toolInput({
    loyalty_card_id: loyaltyCardId,
    user_id: userId,
    reward_ids: z
      .array(idInput('reward_ids'), { error: missingOr('reward_ids', 'reward_ids must be an array of ids', 'call get_user and use ids from rewards_available') })
      .min(1, { error: 'give at least one reward id' })
      .refine((ids) => ids.length <= 50, { error: 'at most 50 reward ids per call' }),
  }),
  output: z.looseObject({ redeemed: z.array(idOutput), rewards_available: rewardsOutput, user: apiObject }),
  access: 'write',
  idempotent: false,
  verifyHint: "check the holder's rewards with get_user",
  async handler(args, api) {
    const reward_ids = args.reward_ids.map(wireId);
    const res = await api.request({ method: 'PUT', path: holderPath(args.loyalty_card_id, args.user_id, 'rewards'), body: { reward_ids } });
    const user = objectOf(res.data);
    return { redeemed: reward_ids, rewards_available: availableRewards(user), user };
  },
});
