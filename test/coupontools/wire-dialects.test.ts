// The list and wire suite in every dialect the sandbox speaks: a profile setting is proven end to end, not just parsed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, wireProfileOf } from '../../src/config.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { DIALECTS } from '../support/dialects.js';
import { startHarness, textOf, type Harness } from '../support/harness.js';

const COFFEE = 1001;
const JANE = 5001;

async function ok(h: Harness, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await h.call(name, args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
}

describe.each(DIALECTS)('dialect: $name', ({ dialect, profile }) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ dialect, env: { COUPONTOOLS_CONFIRM: 'off', ...profile } });
  });
  afterAll(() => h.close());
  beforeEach(() => h.sandbox.clearRequests());

  const sizeKey = dialect.pageSizeKey ?? 'limit';
  const activeIds = (): number[] =>
    h.sandbox.state.holders
      .filter((u) => u.loyalty_card_id === COFFEE && !u.voided)
      .map((u) => u.id)
      .sort((a, b) => a - b);

  it('list_users finds a holder by email, with the balance under our name', async () => {
    const out = await ok(h, 'list_users', { loyalty_card_id: COFFEE, filter: { email: 'jane@example.com' } });
    expect(out.users).toEqual([expect.objectContaining({ id: JANE, first_name: 'Jane', stamps: 7 })]);
    expect(out.has_more).toBe(false);
    expect(h.sandbox.requests).toHaveLength(1);
  });

  it('list_users pages through every holder once, in the dialect’s query encoding, and stops', async () => {
    const seen: number[] = [];
    let page = 1;
    for (; page <= 30; page++) {
      const out = await ok(h, 'list_users', { loyalty_card_id: COFFEE, page, limit: 3 });
      seen.push(...(out.users as Array<{ id: number }>).map((u) => u.id));
      if (!out.has_more) break;
    }
    expect(page).toBeLessThan(30);
    expect(seen).toEqual(activeIds());
    // Page 2 went out encoded as the profile says (the first request of that call; the second checks page 1).
    const second = h.sandbox.requests.filter((r) => r.method === 'GET')[1]!;
    const expected = {
      brackets: `pagination[page]=2&pagination[${sizeKey}]=3`,
      json: `pagination=${encodeURIComponent(JSON.stringify({ page: 2, [sizeKey]: 3 }))}`,
      flat: `page=2&${sizeKey}=3`,
    }[dialect.listEncoding ?? 'brackets'];
    expect(second.query).toBe(expected);
  });

  it('list_users with include_voided lists the voided holders too', async () => {
    const all = await ok(h, 'list_users', { loyalty_card_id: COFFEE, limit: 200, include_voided: true });
    const voided = h.sandbox.state.holders.filter((u) => u.loyalty_card_id === COFFEE && u.voided).length;
    expect((all.users as unknown[]).length).toBe(activeIds().length + voided);
  });

  it('get_user and add_stamps read the balance and rewards under our names', async () => {
    const before = await ok(h, 'get_user', { loyalty_card_id: COFFEE, user_id: JANE });
    const user = before.user as Record<string, unknown>;
    expect(user).toMatchObject({ id: JANE, stamps: expect.any(Number), voided: false });
    expect(Array.isArray(user.rewards)).toBe(true);
    for (const theirs of Object.values(dialect.fieldNames ?? {})) expect(user).not.toHaveProperty(theirs);
    const after = await ok(h, 'add_stamps', { loyalty_card_id: COFFEE, user_id: JANE, amount: 1 });
    expect((after.user as { stamps: number }).stamps).toBe((user.stamps as number) + 1);
    expect(Array.isArray(after.rewards_available)).toBe(true);
  });

  it('create_users sends the bulk body the profile names, and the API takes it', async () => {
    const users = [{ first_name: 'Bo', email: 'bo@example.org' }, { last_name: 'Li' }];
    const out = await ok(h, 'create_users', { loyalty_card_id: 1002, users });
    const req = h.sandbox.requests.find((r) => r.method === 'POST')!;
    expect(req.path).toMatch(/\/stats\/bulk$/);
    expect(req.json).toEqual(dialect.bulkKey ? { [dialect.bulkKey]: users } : users);
    expect(out).toMatchObject({ requested: 2, created: 2, failed: 0 });
  });
});

describe.each([
  { paging: 'ignored', lists: 'wrapped' },
  { paging: 'ignored', lists: 'bare' },
  { paging: 'page-ignored', lists: 'wrapped' },
  { paging: 'page-ignored', lists: 'bare' },
] as const)('an API that ignores paging ($paging, $lists lists): list_users pages locally', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ dialect });
  });
  afterAll(() => h.close());
  const holdersOf = (card: number): number[] =>
    h.sandbox.state.holders
      .filter((u) => u.loyalty_card_id === card && !u.voided)
      .map((u) => u.id)
      .sort((a, b) => a - b);

  it('pages 1..n cover every holder exactly once, has_more is false on the last page, and no page is an error', async () => {
    const seen: number[] = [];
    const notes: Array<string | undefined> = [];
    let page = 1;
    for (; page <= 30; page++) {
      const out = await ok(h, 'list_users', { loyalty_card_id: COFFEE, page, limit: 3 });
      seen.push(...(out.users as Array<{ id: number }>).map((u) => u.id));
      notes.push(out.note as string | undefined);
      if (!out.has_more) break;
    }
    const all = holdersOf(COFFEE);
    expect(all.length).toBeGreaterThan(6);
    expect(page).toBe(Math.ceil(all.length / 3));
    expect(seen).toEqual(all);
    // Page 1 of an API that honours the size but not the page number is page 1: nothing to tell apart.
    for (const [i, note] of notes.entries()) {
      if (dialect.paging === 'page-ignored' && i === 0) expect(note).toBeUndefined();
      else expect(note).toBe(`Paged locally: the API ignores paging (COUPONTOOLS_LIST_ENCODING=brackets, COUPONTOOLS_PAGE_SIZE_KEY=limit) and sends ${all.length} users at once.`);
    }
    const past = await ok(h, 'list_users', { loyalty_card_id: COFFEE, page: page + 1, limit: 3 });
    expect(past).toMatchObject({ users: [], has_more: false });
  });

  it('a filter still narrows the list, and a lookup that fits one page is answered as the API sent it', async () => {
    const jane = await ok(h, 'list_users', { loyalty_card_id: COFFEE, filter: { email: 'jane@example.com' } });
    expect(jane).toMatchObject({ users: [expect.objectContaining({ id: JANE })], has_more: false });
    expect(jane.note).toBeUndefined();
  });

  it('more holders than the API sends at once: every page it can reach, then has_more false and a note naming what is out of reach', async () => {
    const card = 1002;
    const before = holdersOf(card).length;
    const users = Array.from({ length: 260 }, (_, i) => ({ email: `far-${dialect.paging}-${dialect.lists}-${i}@example.com` }));
    await ok(h, 'create_users', { loyalty_card_id: card, users });
    const all = holdersOf(card);
    expect(all.length).toBe(before + 260);
    const seen: number[] = [];
    let last: Record<string, unknown> = {};
    for (let page = 1; page <= 20; page++) {
      last = await ok(h, 'list_users', { loyalty_card_id: card, page, limit: 50 });
      seen.push(...(last.users as Array<{ id: number }>).map((u) => u.id));
      if (!last.has_more) break;
    }
    expect(last.has_more).toBe(false);
    if (dialect.paging === 'ignored') {
      // It sends everything at once: every holder is reached.
      expect(seen).toEqual(all);
    } else {
      // It honours the size (at most 200) but not the page: the first 200 are all it will ever send.
      expect(seen).toEqual(all.slice(0, 200));
      const rest = dialect.lists === 'wrapped' ? `the other ${all.length - 200}` : 'any others';
      expect(last.note).toContain(`sends 200 users at once, no more: ${rest} can only be found with a filter (e.g. by email); \`coupontools-mcp doctor\` finds an encoding it honours.`);
    }
  });
});

describe('a profile the API does not speak', () => {
  it('a profile that does not match the API is refused by it, with the API’s message', async () => {
    const h = await startHarness({ dialect: { listEncoding: 'json' } });
    try {
      const result = await h.call('list_users', { loyalty_card_id: COFFEE });
      expect(result.isError).toBe(true);
      // The API's words are quoted as the API's (JSON string), so its own quotes come escaped.
      expect(textOf(result)).toMatch(/HTTP 422.*the API says ".*Unknown query parameter \\"pagination\[page\]\\"/);
    } finally {
      await h.close();
    }
  });
});

describe('wire profile settings', () => {
  it('parse into the profile, and a bad value names the setting', () => {
    const action = parseConfig(['--list-encoding', 'JSON', '--field-aliases=stamp_count:stamps, reward_list:rewards'], { COUPONTOOLS_BULK_BODY: 'wrapped', COUPONTOOLS_BULK_KEY: 'stats' });
    expect(action.action === 'run' && wireProfileOf(action.config)).toEqual({
      listEncoding: 'json',
      pageSizeKey: 'limit',
      bulkBody: 'wrapped',
      bulkKey: 'stats',
      fieldAliases: { stamp_count: 'stamps', reward_list: 'rewards' },
    });
    expect(() => parseConfig([], { COUPONTOOLS_LIST_ENCODING: 'xml' })).toThrow('COUPONTOOLS_LIST_ENCODING (--list-encoding) must be one of brackets, json, flat');
    expect(() => parseConfig([], { COUPONTOOLS_FIELD_ALIASES: 'stamp_count:balance' })).toThrow(/COUPONTOOLS_FIELD_ALIASES \(--field-aliases\) takes theirs:ours pairs with ours one of stamps, points, rewards, voided, wallet_installed, got "stamp_count:balance"/);
    expect(() => parseConfig([], { COUPONTOOLS_FIELD_ALIASES: 'a:b:c' })).toThrow(ConfigError);
  });
});

describe('the sandbox refuses a list query in another encoding than its own', () => {
  it.each([
    [{ listEncoding: 'json' } as const, 'pagination=%7Bpage%3A2%7D', 'pagination must be a JSON object'],
    [{ listEncoding: 'json' } as const, 'pagination=%7B%22page%22%3A2%2C%22size%22%3A3%7D', 'Unknown query parameter "pagination.size"'],
    [{ listEncoding: 'flat', pageSizeKey: 'per_page' } as const, 'page=2&limit=3', 'Unknown query parameter "limit"'],
    [{ listEncoding: 'flat' } as const, 'pagination[page]=2', 'Unknown query parameter "pagination[page]"'],
    [{ listEncoding: 'flat' } as const, 'page=0', 'page must be an integer of 1 or more'],
  ])('%j: %s', async (dialect, query, message) => {
    const sandbox = await startSandbox({ dialect });
    try {
      const res = await fetch(`${sandbox.url}/loyalty/loyalty-cards/${COFFEE}/stats?${query}`, { headers: { 'x-api-key': sandbox.apiKey, 'x-api-secret': sandbox.apiSecret } });
      expect(res.status).toBe(422);
      expect(JSON.stringify(await res.json())).toContain(message.replace(/"/g, '\\"'));
    } finally {
      await sandbox.close();
    }
  });
});
