// copy_loyalty_card: POST /loyalty/loyalty-cards/{id}/copy
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { cardPath } from '../paths.js';
import { objectOf } from '../responses.js';
import { cardOutput, loyaltyCardId } from '../schemas.js';

export const copyLoyaltyCard = defineTool({
  name: 'copy_loyalty_card',
  title: 'Copy loyalty card',
  description: 'Duplicate a loyalty card (design and rewards, not its holders). Returns the new card with its id.',
  input: z.strictObject({
    loyalty_card_id: loyaltyCardId,
    name: z.string().trim().min(1).max(50, { error: 'at most 50 characters' }).optional().describe('Name of the copy, max 50 chars'),
  }),
  output: z.looseObject({ card: cardOutput }),
  access: 'write',
  idempotent: false,
  verifyHint: 'list the cards with list_loyalty_cards to see whether the copy exists',
  async handler(args, api) {
    const body = args.name === undefined ? {} : { name: args.name };
    const res = await api.request({ method: 'POST', path: cardPath(args.loyalty_card_id, 'copy'), body });
    return { card: objectOf(res.data) as z.input<typeof cardOutput> };
  },
});
