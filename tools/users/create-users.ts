// create_users: POST /loyalty/loyalty-cards/{id}/stats/bulk with the users in the wire profile's bulk body.
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { bulkBody } from '../../src/coupontools/wire-profile.js';
import { holdersPath } from '../paths.js';
import { bulkSummary } from '../responses.js';
import { apiValue, idOutput, loyaltyCardId, missingOr, toolInput, userItem } from '../schemas.js';

/** Largest batch we send in one call; the API's own limit is unknown. */
export const MAX_BATCH = 500;

export const createUsers = defineTool({
  name: 'create_users',
  title: 'Create card holders',
  description: `Enrol up to ${MAX_BATCH} customers; failures are listed by index.`,
  input: toolInput({
    loyalty_card_id: loyaltyCardId,
    users: z
      .array(userItem, { error: missingOr('users', 'users must be an array of user objects', 'give an array of user objects') })
      .min(1, { error: 'give at least one user' })
      .refine((users) => users.length <= MAX_BATCH, { error: `at most ${MAX_BATCH} users per call: split the list` }),
  }),
  output: z.looseObject({
    requested: z.number(),
    created: z.number().optional(),
    failed: z.number().optional(),
    created_ids: z.array(idOutput),
    failures: z.array(z.looseObject({ index: z.number(), error: apiValue })),
    note: z.string().optional(),
  }),
  access: 'write',
  idempotent: false,
  verifyHint: 'look a few of the customers up with list_users (filter by email)',
  async handler(args, api) {
    const res = await api.request({ method: 'POST', path: holdersPath(args.loyalty_card_id, 'bulk'), body: bulkBody(api.wire, args.users) });
    return bulkSummary(args.users.length, res.data);
  },
});
