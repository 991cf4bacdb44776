// void_user: PUT /loyalty/loyalty-cards/{id}/stats/{userId}/void (destructive, confirmed by the seam).
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { holderPath } from '../paths.js';
import { describeHolder, objectOf } from '../responses.js';
import { loyaltyCardId, userId, userOutput } from '../schemas.js';

export const voidUser = defineTool({
  name: 'void_user',
  title: 'Void card holder',
  description:
    "Void a holder's card (anti-fraud): no more earning or redeeming, hidden from list_users, record kept. Asks a human first.",
  input: z.strictObject({ loyalty_card_id: loyaltyCardId, user_id: userId }),
  output: z.looseObject({ voided: z.boolean(), user_id: z.string(), user: userOutput.optional() }),
  access: 'destructive',
  idempotent: true,
  verifyHint: 'read the holder with get_user and look at its voided state',
  async describeEffect(args, api) {
    return `Void ${await describeHolder(api, args.loyalty_card_id, args.user_id)}. They will no longer be able to earn or redeem.`;
  },
  async handler(args, api) {
    const res = await api.request({ method: 'PUT', path: holderPath(args.loyalty_card_id, args.user_id, 'void') });
    const user = objectOf(res.data);
    return { voided: true, user_id: args.user_id, ...(Object.keys(user).length > 0 ? { user } : {}) };
  },
});
