// copy_loyalty_card: POST /loyalty/loyalty-cards/{id}/copy
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { cardPath } from '../paths.js';
import { objectOf } from '../responses.js';
import { apiObject, loyaltyCardId, toolInput } from '../schemas.js';

export const copyLoyaltyCard = defineTool({
  name: 'copy_loyalty_card',
  title: 'Copy loyalty card',
  description: 'Copy a card with its design and rewards, not its holders.',
  input: toolInput({
    loyalty_card_id: loyaltyCardId,
    name: z.string().trim().refine((s) => s !== '', { error: 'name must not be empty: omit it for a default name' }).max(50, { error: 'name: at most 50 characters' }).optional(),
  }),
  output: z.looseObject({ card: apiObject }),
  access: 'write',
  idempotent: false,
  verifyHint: 'list the cards with list_loyalty_cards to see whether the copy exists',
  async handler(args, api) {
    const body = args.name === undefined ? {} : { name: args.name };
    const res = await api.request({ method: 'POST', path: cardPath(args.loyalty_card_id, 'copy'), body });
    return { card: objectOf(res.data) };
  },
});
