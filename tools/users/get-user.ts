// get_user: GET /loyalty/loyalty-cards/{id}/stats/{userId}
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { holderPath } from '../paths.js';
import { availableRewards, requireObject } from '../responses.js';
import { loyaltyCardId, userId, userOutput } from '../schemas.js';

export const getUser = defineTool({
  name: 'get_user',
  title: 'Get card holder',
  description:
    "One holder's full record: profile, stamps or points, rewards, voided state. rewards_available lists the reward ids use_rewards can redeem now.",
  input: z.strictObject({ loyalty_card_id: loyaltyCardId, user_id: userId }),
  output: z.looseObject({ user: userOutput, rewards_available: z.array(z.unknown()).optional() }),
  access: 'read',
  idempotent: true,
  async handler(args, api) {
    const user = requireObject((await api.request({ method: 'GET', path: holderPath(args.loyalty_card_id, args.user_id) })).data, 'the holder');
    const rewards = availableRewards(user);
    return { user, ...(rewards ? { rewards_available: rewards } : {}) };
  },
});
