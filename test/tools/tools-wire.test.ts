// Every tool: the exact request on the wire (method, path, headers, query, body) and the shape of its result.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { packageInfo } from '../../src/package-info.js';
import { startHarness, TEST_KEY, TEST_SECRET, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  // Confirmation off here: this file is about the wire; confirm.test.ts covers the gate.
  h = await startHarness({ env: { COUPONTOOLS_CONFIRM: 'off' } });
});
afterAll(() => h.close());
beforeEach(() => h.sandbox.clearRequests());

const base = () => new URL(h.sandbox.url).pathname; // '/v4'

/** The n-th active holder of the coffee card other than Jane (seeded data is shuffled by the seed). */
function coffeeHolder(n: number): number {
  const holders = h.sandbox.state.holders.filter((u) => u.loyalty_card_id === 1001 && !u.voided && u.id !== 5001);
  return holders[n]!.id;
}

function only() {
  expect(h.sandbox.requests).toHaveLength(1);
  return h.sandbox.requests[0]!;
}

async function ok(name: string, args: Record<string, unknown>) {
  const result = await h.call(name, args);
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  const structured = result.structuredContent as Record<string, unknown>;
  // The text is the same data as compact JSON.
  expect(result.content).toEqual([{ type: 'text', text: JSON.stringify(structured) }]);
  return structured;
}

describe('request headers', () => {
  it('sends the auth pair, JSON types and a user-agent naming the package', async () => {
    await ok('list_loyalty_cards', {});
    const req = only();
    expect(req.headers['x-api-key']).toBe(TEST_KEY);
    expect(req.headers['x-api-secret']).toBe(TEST_SECRET);
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toContain(`coupontools-mcp/${packageInfo.version}`);
  });
});

describe('each tool on the wire', () => {
  it('list_loyalty_cards: GET /loyalty/loyalty-cards', async () => {
    const out = await ok('list_loyalty_cards', {});
    const req = only();
    expect([req.method, req.path, req.query, req.body]).toEqual(['GET', `${base()}/loyalty/loyalty-cards`, '', '']);
    const cards = out.cards as Array<Record<string, unknown>>;
    expect(cards.map((c) => c.id)).toEqual(expect.arrayContaining([1001, 1002, 1003]));
    expect(cards.find((c) => c.id === 1001)).toMatchObject({ type: 'stamp', name: 'Café Aroma coffee card' });
  });

  it('copy_loyalty_card: POST /copy with {name}, and {} without', async () => {
    const out = await ok('copy_loyalty_card', { loyalty_card_id: 1001, name: 'Winter card' });
    let req = only();
    expect([req.method, req.path, req.query]).toEqual(['POST', `${base()}/loyalty/loyalty-cards/1001/copy`, '']);
    expect(req.json).toEqual({ name: 'Winter card' });
    expect(out.card).toMatchObject({ name: 'Winter card', type: 'stamp' });
    h.sandbox.clearRequests();
    await ok('copy_loyalty_card', { loyalty_card_id: '1001' });
    req = only();
    expect(req.json).toEqual({});
  });

  it('list_users: bracket-encoded filter and pagination, include_voided only when true', async () => {
    const out = await ok('list_users', { loyalty_card_id: 1001, filter: { email: 'jane@example.com' }, page: 1, limit: 10 });
    let req = only();
    expect([req.method, req.path]).toEqual(['GET', `${base()}/loyalty/loyalty-cards/1001/stats`]);
    expect(req.query).toBe('filter[email]=jane%40example.com&pagination[page]=1&pagination[limit]=10');
    expect(req.body).toBe('');
    expect(out).toMatchObject({ page: 1, limit: 10, has_more: false });
    expect(out.users).toEqual([expect.objectContaining({ id: 5001, first_name: 'Jane', last_name: 'Doe', stamps: 7 })]);

    h.sandbox.clearRequests();
    await ok('list_users', { loyalty_card_id: 1001, include_voided: true });
    req = only();
    expect(req.query).toBe('pagination[page]=1&pagination[limit]=50&include_voided=true');

    h.sandbox.clearRequests();
    await ok('list_users', { loyalty_card_id: 1001, include_voided: false });
    expect(only().query).toBe('pagination[page]=1&pagination[limit]=50');
  });

  it('list_users: has_more follows the total, and summaries stay short', async () => {
    const out = await ok('list_users', { loyalty_card_id: 1001, limit: 2 });
    expect(out).toMatchObject({ page: 1, limit: 2, has_more: true });
    const users = out.users as Array<Record<string, unknown>>;
    expect(users).toHaveLength(2);
    for (const u of users) expect(Object.keys(u)).not.toContain('custom_1');
    const last = await ok('list_users', { loyalty_card_id: 1001, limit: 200 });
    expect(last.has_more).toBe(false);
  });

  it('get_user: GET /stats/{userId}, with rewards_available', async () => {
    const out = await ok('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    const req = only();
    expect([req.method, req.path, req.query, req.body]).toEqual(['GET', `${base()}/loyalty/loyalty-cards/1001/stats/5001`, '', '']);
    expect(out.user).toMatchObject({ id: 5001, email: 'jane@example.com' });
    expect(out.rewards_available).toEqual([]);
  });

  it('create_user: POST /stats with exactly the given fields', async () => {
    const out = await ok('create_user', { loyalty_card_id: 1001, first_name: 'Ann', email: 'ann@example.org', custom_3: 'vip' });
    const req = only();
    expect([req.method, req.path]).toEqual(['POST', `${base()}/loyalty/loyalty-cards/1001/stats`]);
    expect(req.json).toEqual({ first_name: 'Ann', email: 'ann@example.org', custom_3: 'vip' });
    expect(out.user).toMatchObject({ first_name: 'Ann', email: 'ann@example.org' });
    expect(typeof (out.user as { id: unknown }).id).toBe('number');
  });

  it('create_users: POST /stats/bulk with a bare JSON array', async () => {
    const users = [{ first_name: 'Bo', email: 'bo@example.org' }, { last_name: 'Li' }];
    const out = await ok('create_users', { loyalty_card_id: 1002, users });
    const req = only();
    expect([req.method, req.path]).toEqual(['POST', `${base()}/loyalty/loyalty-cards/1002/stats/bulk`]);
    expect(req.json).toEqual(users);
    expect(out).toMatchObject({ requested: 2, created: 2, failed: 0 });
  });

  it('update_user: POST /stats/{userId} with profile fields and never amount', async () => {
    const out = await ok('update_user', { loyalty_card_id: 1001, user_id: '5001', city: 'Ghent' });
    const req = only();
    expect([req.method, req.path]).toEqual(['POST', `${base()}/loyalty/loyalty-cards/1001/stats/5001`]);
    expect(req.json).toEqual({ city: 'Ghent' });
    expect(out.user).toMatchObject({ id: 5001, city: 'Ghent', stamps: 7 });
  });

  it('add_stamps: POST /stats/{userId} with exactly {"amount": n}; says when a reward unlocks', async () => {
    const out = await ok('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 3 });
    const req = only();
    expect([req.method, req.path]).toEqual(['POST', `${base()}/loyalty/loyalty-cards/1001/stats/5001`]);
    expect(req.body).toBe('{"amount":3}');
    expect(out).toMatchObject({ added: 3 });
    expect(out.rewards_available).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Free coffee' })]));
  });

  it('use_rewards: PUT /rewards with {"reward_ids": [...]} as numbers', async () => {
    const before = await ok('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    const rewardIds = (before.rewards_available as Array<{ id: number }>).map((r) => r.id);
    expect(rewardIds.length).toBeGreaterThan(0);
    h.sandbox.clearRequests();
    const out = await ok('use_rewards', { loyalty_card_id: 1001, user_id: 5001, reward_ids: rewardIds.map(String) });
    const req = only();
    expect([req.method, req.path]).toEqual(['PUT', `${base()}/loyalty/loyalty-cards/1001/stats/5001/rewards`]);
    expect(req.json).toEqual({ reward_ids: rewardIds });
    expect(out.redeemed).toEqual(rewardIds);
    expect(out.rewards_available).toEqual([]);
  });

  it('void_user: PUT /stats/{userId}/void without a body', async () => {
    const id = coffeeHolder(0);
    const out = await ok('void_user', { loyalty_card_id: 1001, user_id: id });
    const req = only();
    expect([req.method, req.path, req.body]).toEqual(['PUT', `${base()}/loyalty/loyalty-cards/1001/stats/${id}/void`, '']);
    expect(out).toMatchObject({ voided: true, user_id: id, user: { id, voided: true } });
  });

  it('delete_user: DELETE /stats/{userId}; a 204 is success', async () => {
    const id = coffeeHolder(1);
    const out = await ok('delete_user', { loyalty_card_id: 1001, user_id: id });
    const req = only();
    expect([req.method, req.path, req.body]).toEqual(['DELETE', `${base()}/loyalty/loyalty-cards/1001/stats/${id}`, '']);
    expect(out).toEqual({ deleted: true, user_id: id });
    expect(h.sandbox.state.holders.some((u) => u.id === id)).toBe(false);
  });

  it('send_push_notification: recipients go as recipient_stat_ids; a broadcast omits the field', async () => {
    const out = await ok('send_push_notification', { loyalty_card_id: 1001, message: 'Double stamps today!', recipient_user_ids: [5001] });
    let req = only();
    expect([req.method, req.path]).toEqual(['POST', `${base()}/loyalty/loyalty-cards/1001/push-notifications`]);
    expect(req.json).toEqual({ message: 'Double stamps today!', recipient_stat_ids: [5001] });
    expect(out).toMatchObject({ audience: 'selected', recipients: 1, delivery: { sent: 1 } });
    h.sandbox.clearRequests();
    const all = await ok('send_push_notification', { loyalty_card_id: 1001, message: 'Closed Monday' });
    req = only();
    expect(req.json).toEqual({ message: 'Closed Monday' });
    expect(all.audience).toBe('all');
    expect((all.delivery as { sent: number }).sent).toBeGreaterThan(1);
  });

  it('percent-encodes string ids in the path', async () => {
    const result = await h.call('get_user', { loyalty_card_id: 'card_A-1', user_id: 'x-9' });
    expect(result.isError).toBe(true);
    expect(only().path).toBe(`${base()}/loyalty/loyalty-cards/card_A-1/stats/x-9`);
  });
});
