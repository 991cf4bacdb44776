// create_user: POST /loyalty/loyalty-cards/{id}/stats
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { holdersPath } from '../paths.js';
import { objectOf } from '../responses.js';
import { loyaltyCardId, userFields, userOutput } from '../schemas.js';

export const createUser = defineTool({
  name: 'create_user',
  title: 'Create card holder',
  description:
    'Enrol one customer on a card (all fields optional). Check list_users by email first to avoid duplicates. Returns the new holder with its id.',
  input: z.strictObject({ loyalty_card_id: loyaltyCardId, ...userFields }),
  output: z.looseObject({ user: userOutput }),
  access: 'write',
  idempotent: false,
  verifyHint: 'look the customer up with list_users (filter by email or phone)',
  async handler({ loyalty_card_id, ...fields }, api) {
    const res = await api.request({ method: 'POST', path: holdersPath(loyalty_card_id), body: fields });
    return { user: objectOf(res.data) };
  },
});
