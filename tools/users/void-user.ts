// void_user: PUT /loyalty/loyalty-cards/{id}/stats/{userId}/void (destructive, confirmed by the seam).
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { holderPath } from '../paths.js';
import { describeHolder, objectOf } from '../responses.js';
import { apiObject, idOutput, loyaltyCardId, toolInput, userId, wireId } from '../schemas.js';

export const voidUser = defineTool({
  name: 'void_user',
  title: 'Void card holder',
  description: 'Void a holder for fraud: no earning or redeeming, record kept.',
  input: toolInput({ loyalty_card_id: loyaltyCardId, user_id: userId }),
  output: z.looseObject({ voided: z.boolean(), user_id: idOutput, user: apiObject.optional() }),
  access: 'destructive',
  idempotent: true,
  verifyHint: 'read the holder with get_user and look at its voided state',
  async describeEffect(args, api) {
    return `Void ${await describeHolder(api, args.loyalty_card_id, args.user_id)}. They will no longer be able to earn or redeem.`;
  },
  async handler(args, api) {
    const res = await api.request({ method: 'PUT', path: holderPath(args.loyalty_card_id, args.user_id, 'void') });
    const user = objectOf(res.data);
    return { voided: true, user_id: wireId(args.user_id), ...(Object.keys(user).length > 0 ? { user } : {}) };
  },
});
