// list_loyalty_cards: GET /loyalty/loyalty-cards
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { cardsPath } from '../paths.js';
import { fitList, listItems } from '../responses.js';
import { apiObject, toolInput } from '../schemas.js';

export const listLoyaltyCards = defineTool({
  name: 'list_loyalty_cards',
  title: 'List loyalty cards',
  description: 'Loyalty cards (id, name, type): start here for a loyalty_card_id.',
  input: toolInput({}),
  output: z.looseObject({ cards: z.array(apiObject), truncated: z.boolean().optional() }),
  access: 'read',
  idempotent: true,
  async handler(_args, api) {
    const { items } = listItems((await api.request({ method: 'GET', path: cardsPath })).data);
    const { kept, truncated } = fitList(items);
    return { cards: kept, ...(truncated ? { truncated } : {}) };
  },
});
