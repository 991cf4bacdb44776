// delete_user: DELETE /loyalty/loyalty-cards/{id}/stats/{userId} (destructive, confirmed by the seam).
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { holderPath } from '../paths.js';
import { describeHolder } from '../responses.js';
import { idOutput, loyaltyCardId, toolInput, userId, wireId } from '../schemas.js';

export const deleteUser = defineTool({
  name: 'delete_user',
  title: 'Delete card holder',
  description: 'Erase a holder, stamps and rewards (fraud: void_user).',
  input: toolInput({ loyalty_card_id: loyaltyCardId, user_id: userId }),
  output: z.looseObject({ deleted: z.boolean(), user_id: idOutput }),
  access: 'destructive',
  idempotent: true,
  verifyHint: 'try get_user: a 404 means the holder is gone',
  async describeEffect(args, api) {
    return `Permanently delete ${await describeHolder(api, args.loyalty_card_id, args.user_id)}. Their stamps and rewards are lost.`;
  },
  async handler(args, api) {
    await api.request({ method: 'DELETE', path: holderPath(args.loyalty_card_id, args.user_id) });
    return { deleted: true, user_id: wireId(args.user_id) };
  },
});
