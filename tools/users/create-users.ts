// create_users: POST /loyalty/loyalty-cards/{id}/stats/bulk with the users in the wire profile's bulk body.
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { bulkBody } from '../../src/wire-profile.js';
import { holdersPath } from '../paths.js';
import { asObject } from '../responses.js';
import { loyaltyCardId, userItem } from '../schemas.js';

/** Largest batch we send in one call; the API's own limit is unknown. */
export const MAX_BATCH = 500;

export const createUsers = defineTool({
  name: 'create_users',
  title: 'Create card holders in bulk',
  description: `Enrol up to ${MAX_BATCH} customers in one call (create_user's fields). Returns per-user results. If the outcome is unknown, check list_users before repeating.`,
  input: z.strictObject({
    loyalty_card_id: loyaltyCardId,
    users: z.array(userItem).min(1, { error: 'give at least one user' }).max(MAX_BATCH).describe('Users to create'),
  }),
  output: z.looseObject({ requested: z.number() }),
  access: 'write',
  idempotent: false,
  verifyHint: 'look a few of the customers up with list_users (filter by email)',
  async handler(args, api) {
    const res = await api.request({ method: 'POST', path: holdersPath(args.loyalty_card_id, 'bulk'), body: bulkBody(api.wire, args.users) });
    const answer = Array.isArray(res.data) ? { results: res.data } : (asObject(res.data) ?? {});
    return { requested: args.users.length, ...answer };
  },
});
