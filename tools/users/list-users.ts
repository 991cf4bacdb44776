// list_users: GET /loyalty/loyalty-cards/{id}/stats with filter and pagination encoded as the wire profile says; paged locally when the API ignores paging.
import { z } from 'zod';
import { defineTool } from '../../src/mcp/tool.js';
import { encodeListQuery, pagingProblem, unpagedNote } from '../../src/coupontools/wire-profile.js';
import { holdersPath } from '../paths.js';
import { fitList, hasMore, listItems, summarizeUser, totalOf, unpagedList } from '../responses.js';
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
    const get = async (p: number, l: number) =>
      listItems((await api.request({ method: 'GET', path: holdersPath(args.loyalty_card_id), query: encodeListQuery(api.wire, { filter, page: p, limit: l, includeVoided }) })).data);
    const answer = await get(page, limit);
    // A later page that starts like page 1 means the page number was ignored: has_more would loop forever.
    const pageOneFirst = page > 1 && answer.items.length > 0 && answer.items.length <= limit ? (await get(1, 1)).items[0] : undefined;
    const problem = pagingProblem(api.wire, { page, limit }, answer.items, pageOneFirst);
    // Paging not honoured: the page is cut from everything the API sends for page 1 (at the largest size it takes).
    const local = problem === undefined ? undefined : unpagedList(page === 1 ? answer : await get(1, MAX_PAGE_SIZE), page === 1 ? limit : MAX_PAGE_SIZE);
    const start = (page - 1) * limit;
    const items = local ? local.items.slice(start, start + limit) : answer.items;
    const { kept, truncated } = fitList(items.map(summarizeUser));
    const total = local ? local.total : totalOf(answer.meta);
    const notes = [
      ...(local ? [unpagedNote(api.wire, local)] : []),
      ...(truncated ? [`Only ${kept.length} of ${items.length} users fit in one result; ask again with limit=${kept.length}.`] : []),
    ];
    return {
      users: kept,
      page,
      limit,
      has_more: local ? start + limit < local.items.length : hasMore(answer.meta, page, limit, items.length),
      ...(total !== undefined ? { total } : {}),
      ...(truncated ? { truncated } : {}),
      ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
    };
  },
});
