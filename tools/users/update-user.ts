// update_user: POST /loyalty/loyalty-cards/{id}/stats/{userId} with profile fields, never amount.
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { holderPath } from '../paths.js';
import { objectOf } from '../responses.js';
import { apiObject, loyaltyCardId, toolInputWithUserFields, userId } from '../schemas.js';

export const updateUser = defineTool({
  name: 'update_user',
  title: 'Update card holder',
  description: "Change a holder's profile fields (stamps: add_stamps).",
  input: toolInputWithUserFields({ loyalty_card_id: loyaltyCardId, user_id: userId }, (keys) => {
    // The API adds stamps when this URL gets `amount`; a profile edit must never do that.
    if (!keys.includes('amount')) return undefined;
    const others = keys.filter((k) => k !== 'amount');
    return `amount is not allowed here: use add_stamps to add stamps${others.length ? `; unknown keys: ${others.join(', ')}` : ''}`;
  }).refine(({ loyalty_card_id: _card, user_id: _user, ...fields }) => Object.values(fields).some((v) => v !== undefined), {
    error: 'give at least one field to change, such as email or phone',
  }),
  output: z.looseObject({ user: apiObject }),
  access: 'write',
  idempotent: true,
  verifyHint: 'read the holder with get_user',
  async handler({ loyalty_card_id, user_id, ...fields }, api) {
    const res = await api.request({ method: 'POST', path: holderPath(loyalty_card_id, user_id), body: fields });
    return { user: objectOf(res.data) };
  },
});
