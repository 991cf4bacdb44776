// get_user: GET /loyalty/loyalty-cards/{id}/stats/{userId}
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { holderPath } from '../paths.js';
import { availableRewards, requireObject } from '../responses.js';
import { apiObject, loyaltyCardId, rewardsOutput, toolInput, userId } from '../schemas.js';

export const getUser = defineTool({
  name: 'get_user',
  title: 'Get card holder',
  description: "A holder's full record; use_rewards takes ids from rewards_available.",
  input: toolInput({ loyalty_card_id: loyaltyCardId, user_id: userId }),
  output: z.looseObject({ user: apiObject, rewards_available: rewardsOutput }),
  access: 'read',
  idempotent: true,
  async handler(args, api) {
    const user = requireObject((await api.request({ method: 'GET', path: holderPath(args.loyalty_card_id, args.user_id) })).data, 'the holder');
    return { user, rewards_available: availableRewards(user) };
  },
});
