// create_user: POST /loyalty/loyalty-cards/{id}/stats
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { holdersPath } from '../paths.js';
import { objectOf } from '../responses.js';
import { apiObject, loyaltyCardId, toolInputWithUserFields } from '../schemas.js';

export const createUser = defineTool({
  name: 'create_user',
  title: 'Create card holder',
  description: 'Enrol one customer (check list_users by email first).',
  input: toolInputWithUserFields({ loyalty_card_id: loyaltyCardId }),
  output: z.looseObject({ user: apiObject }),
  access: 'write',
  idempotent: false,
  verifyHint: 'look the customer up with list_users (filter by email or phone)',
  async handler({ loyalty_card_id, ...fields }, api) {
    const res = await api.request({ method: 'POST', path: holdersPath(loyalty_card_id), body: fields });
    return { user: objectOf(res.data) };
  },
});
