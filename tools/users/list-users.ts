// list_users: GET /loyalty/loyalty-cards/{id}/stats with filter and pagination encoded as the wire profile says.
import { z } from 'zod';
import { defineTool } from '../../src/tool.js';
import { assertPagingHonoured, encodeListQuery } from '../../src/wire-profile.js';
import { holdersPath } from '../paths.js';
import { fitList, hasMore, listItems, summarizeUser, totalOf } from '../responses.js';
import { idOutput, loyaltyCardId, USER_FIELD_NAMES, wellFormedText } from '../schemas.js';

/** The API's page-size ceiling per design.md; the default keeps results small. */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

export const listUsers = defineTool({
  name: 'list_users',
  title: 'List or find card holders',
  description:
    'Find a card\'s holders; filter matches any user field, e.g. {"email":"jane@example.com"}. Returns summaries (id, name, email, phone, stamps/points, rewards_available) and has_more; get_user has the full record.',
  input: z.strictObject({
    loyalty_card_id: loyaltyCardId,
    // Shown as a plain map (the field names are create_user's); checked against those names.
    filter: z
      .record(z.string(), z.string())
      .describe('User field → value, e.g. {"email":"a@b.c"}')
      .pipe(z.partialRecord(z.enum(USER_FIELD_NAMES), wellFormedText.pipe(z.string().min(1).max(255))))
      .optional(),
    page: z.int().min(1).max(100_000).optional().describe('Page, from 1'),
    limit: z.int().min(1).max(MAX_PAGE_SIZE).optional().describe(`Page size, default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE}`),
    include_voided: z.boolean().optional().describe('Also list voided holders'),
  }),
  output: z.looseObject({
    users: z.array(z.looseObject({ id: idOutput.optional() })),
    page: z.number(),
    limit: z.number(),
    has_more: z.boolean(),
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
