// list_loyalty_cards: GET /loyalty/loyalty-cards
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { cardsPath } from '../paths.js';
import { fitList, listItems } from '../responses.js';
import { cardOutput } from '../schemas.js';

export const listLoyaltyCards = defineTool({
  name: 'list_loyalty_cards',
  title: 'List loyalty cards',
  description:
    "List the business's loyalty cards: id, name, type (stamp, points, membership…). Start here: every other tool needs a loyalty_card_id.",
  input: z.strictObject({}),
  output: z.looseObject({ cards: z.array(cardOutput), truncated: z.boolean().optional() }),
  access: 'read',
  idempotent: true,
  async handler(_args, api) {
    const { items } = listItems((await api.request({ method: 'GET', path: cardsPath })).data);
    const { kept, truncated } = fitList(items);
    return { cards: kept as z.input<typeof cardOutput>[], ...(truncated ? { truncated } : {}) };
  },
});
