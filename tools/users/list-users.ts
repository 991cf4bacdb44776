// list_users: GET /loyalty/loyalty-cards/{id}/stats with filter and pagination encoded as the wire profile says.
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { assertPagingHonoured, encodeListQuery } from '../../src/coupontools/wire-profile.js';
import { holdersPath } from '../paths.js';
import { fitList, hasMore, listItems, summarizeUser, totalOf } from '../responses.js';
import { apiObject, loyaltyCardId, toolInput, userFilter } from '../schemas.js';

/** The API's page-size ceiling per design.md; the default keeps results small. */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

export const listUsers = defineTool({
  name: 'list_users',
  title: 'Find card holders',
  description:
    'Find holders by any user field in filter. Summaries and has_more; get_user has all.',
  input: toolInput({
    loyalty_card_id: loyaltyCardId,
    filter: userFilter.optional(),
    page: z.int().refine((n) => n >= 1 && n <= 100_000, { error: 'page: from 1 to 100000' }).meta({ minimum: undefined, maximum: undefined }).optional(),
    limit: z.int().refine((n) => n >= 1, { error: 'limit: at least 1' }).max(MAX_PAGE_SIZE, { error: `limit: at most ${MAX_PAGE_SIZE}` }).meta({ minimum: undefined }).optional(),
    include_voided: z.boolean().optional(),
  }),
  output: z.looseObject({
    users: z.array(apiObject),
    page: z.number(),
    limit: z.number(),
    has_more: z.boolean(),
    total: z.number().optional(),
    truncated: z.boolean().optional(),
    note: z.string().optional(),
  }),
  access: 'read',
  idempotent: true,
  async handler(args, api) {
    const page = args.page ?? 1;
    const limit = args.limit ?? DEFAULT_PAGE_SIZE;
    const { filter, include_voided: includeVoided } = args;
    const get = (p: number, l: number) =>
      api.request({ method: 'GET', path: holdersPath(args.loyalty_card_id), query: encodeListQuery(api.wire, { filter, page: p, limit: l, includeVoided }) });
    const { items, meta } = listItems((await get(page, limit)).data);
    // A later page that starts like page 1 means the page number was ignored: has_more would loop forever.
    const pageOneFirst = page > 1 && items.length > 0 ? listItems((await get(1, 1)).data).items[0] : undefined;
    assertPagingHonoured(api.wire, { page, limit }, items, pageOneFirst);
    const { kept, truncated } = fitList(items.map(summarizeUser));
    const total = totalOf(meta);
    return {
      users: kept,
      page,
      limit,
      has_more: hasMore(meta, page, limit, items.length),
      ...(total !== undefined ? { total } : {}),
      ...(truncated ? { truncated, note: `Only ${kept.length} of ${items.length} users fit in one result; ask again with limit=${kept.length}.` } : {}),
    };
  },
});
