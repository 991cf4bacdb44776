// Output schemas never turn a successful call into an error: every documented field of every answer in every JSON form, plus keys named like ours.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTools } from '../../tools/index.js';
import { startHarness, textOf, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { COUPONTOOLS_CONFIRM: 'off' } });
});
afterAll(() => h.close());

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Every JSON form a field may take. */
const FORMS: unknown[] = [null, 12345, 'text', true, { nested: 1 }, [1, 'a']];
/** Keys named like the ones our results compute; an API answer holding them must not overwrite ours. */
const COLLIDING = ['audience', 'recipients', 'requested', 'added', 'created', 'failed', 'created_ids', 'failures', 'redeemed', 'deleted', 'voided', 'user_id', 'user', 'card', 'cards', 'users', 'balance', 'card_completed', 'rewards_unlocked', 'rewards_available', 'delivery', 'page', 'limit', 'has_more', 'note', 'sandbox', 'replayed', 'status', 'next'];

/** A field path (dot separated, numbers index arrays) set to a value in a copy of the body. */
function setAt(body: unknown, path: string, value: unknown): unknown {
  const copy = clone(body);
  const keys = path.split('.');
  let node = copy as Json;
  for (const key of keys.slice(0, -1)) node = node[key] as Json;
  node[keys.at(-1)!] = value;
  return copy;
}

interface Case {
  tool: string;
  args: Json;
  method: string;
  path: string;
  /** The answer as the sandbox gives it. */
  body: () => unknown;
  /** The documented fields, as paths into the body. */
  fields: string[];
  /** Our own keys that must keep the value we computed. */
  ours: (s: Json) => void;
}

const CARD = '/v4/loyalty/loyalty-cards/1001';
const HOLDER_FIELDS = ['id', 'first_name', 'last_name', 'email', 'phone', 'stamps', 'points', 'rewards', 'rewards.0', 'rewards.0.id', 'rewards.0.status', 'rewards.0.name', 'rewards.0.earned_at', 'voided', 'updated_at'];
const holder = (): Json => {
  const jane = clone(h.sandbox.state.holders[0]!) as unknown as Json;
  jane.rewards = [{ id: 70001, reward_id: 2, name: 'Free coffee', status: 'available', earned_at: jane.updated_at, used_at: null }];
  return jane;
};

const CASES: Case[] = [
  {
    tool: 'list_loyalty_cards', args: {}, method: 'GET', path: '/v4/loyalty/loyalty-cards', body: () => clone(h.sandbox.state.cards),
    fields: ['0', '0.id', '0.code', '0.name', '0.domain', '0.type', '0.rewards'], ours: (s) => expect(Array.isArray(s.cards)).toBe(true),
  },
  {
    tool: 'copy_loyalty_card', args: { loyalty_card_id: 1001 }, method: 'POST', path: `${CARD}/copy`, body: () => clone(h.sandbox.state.cards[0]),
    fields: ['id', 'code', 'name', 'domain', 'type', 'rewards'], ours: (s) => expect(typeof s.card).toBe('object'),
  },
  {
    tool: 'list_users', args: { loyalty_card_id: 1001 }, method: 'GET', path: `${CARD}/stats`,
    body: () => ({ data: [holder(), holder()], pagination: { page: 1, limit: 50, total: 2 } }),
    fields: ['data.0', ...HOLDER_FIELDS.map((f) => `data.0.${f}`), 'pagination', 'pagination.page', 'pagination.total'],
    ours: (s) => {
      expect(s.page).toBe(1);
      expect(s.limit).toBe(50);
      expect(typeof s.has_more).toBe('boolean');
    },
  },
  { tool: 'get_user', args: { loyalty_card_id: 1001, user_id: 5001 }, method: 'GET', path: `${CARD}/stats/5001`, body: holder, fields: HOLDER_FIELDS, ours: (s) => expect(Array.isArray(s.rewards_available)).toBe(true) },
  { tool: 'create_user', args: { loyalty_card_id: 1001, first_name: 'Mu' }, method: 'POST', path: `${CARD}/stats`, body: holder, fields: HOLDER_FIELDS, ours: (s) => expect(typeof s.user).toBe('object') },
  {
    tool: 'create_users', args: { loyalty_card_id: 1001, users: [{ first_name: 'A' }, { first_name: 'B' }] }, method: 'POST', path: `${CARD}/stats/bulk`,
    body: () => ({ created: 1, failed: 1, results: [{ index: 0, status: 'created', user: holder() }, { index: 1, status: 'error', error: { field: 'email', message: 'bad', code: 305 } }] }),
    fields: ['created', 'failed', 'results', 'results.0', 'results.0.index', 'results.0.status', 'results.0.user', 'results.0.user.id', 'results.1.error', 'results.1.index'],
    ours: (s) => {
      expect(s.requested).toBe(2);
      expect(Array.isArray(s.created_ids)).toBe(true);
      expect(Array.isArray(s.failures)).toBe(true);
    },
  },
  { tool: 'update_user', args: { loyalty_card_id: 1001, user_id: 5001, city: 'Gent' }, method: 'POST', path: `${CARD}/stats/5001`, body: holder, fields: HOLDER_FIELDS, ours: (s) => expect(typeof s.user).toBe('object') },
  {
    tool: 'add_stamps', args: { loyalty_card_id: 1001, user_id: 5001, amount: 2 }, method: 'POST', path: `${CARD}/stats/5001`, body: holder, fields: HOLDER_FIELDS,
    ours: (s) => {
      expect(s.added).toBe(2);
      expect(Array.isArray(s.rewards_unlocked) && Array.isArray(s.rewards_available)).toBe(true);
    },
  },
  {
    tool: 'use_rewards', args: { loyalty_card_id: 1001, user_id: 5001, reward_ids: [70001] }, method: 'PUT', path: `${CARD}/stats/5001/rewards`, body: holder, fields: HOLDER_FIELDS,
    ours: (s) => expect(s.redeemed).toEqual([70001]),
  },
  {
    tool: 'void_user', args: { loyalty_card_id: 1001, user_id: 5001 }, method: 'PUT', path: `${CARD}/stats/5001/void`, body: holder, fields: HOLDER_FIELDS,
    ours: (s) => expect([s.voided, s.user_id]).toEqual([true, 5001]),
  },
  {
    tool: 'delete_user', args: { loyalty_card_id: 1001, user_id: 5001 }, method: 'DELETE', path: `${CARD}/stats/5001`, body: holder, fields: HOLDER_FIELDS,
    ours: (s) => expect([s.deleted, s.user_id]).toEqual([true, 5001]),
  },
  {
    tool: 'send_push_notification', args: { loyalty_card_id: 1001, message: 'Hi', recipient_user_ids: [5001] }, method: 'POST', path: `${CARD}/push-notifications`,
    body: () => ({ id: 'pn_000001', recipients: 1, sent: 1, skipped_no_wallet: 0, skipped_voided: 0 }),
    fields: ['id', 'recipients', 'sent', 'skipped_no_wallet', 'skipped_voided'],
    ours: (s) => expect([s.audience, s.recipients]).toEqual(['selected', 1]),
  },
];

describe('output schemas accept any JSON from the API', () => {
  it('covers all twelve tools', () => {
    expect(CASES.map((c) => c.tool).sort()).toEqual(allTools.map((t) => t.name).sort());
  });

  let total = 0;
  it.each(CASES)('$tool: every documented field in every form, and colliding keys, still succeed', async (c) => {
    const answers: unknown[] = [];
    for (const field of c.fields) for (const form of FORMS) answers.push(setAt(c.body(), field, form));
    const base = c.body();
    const collide = (target: Json): Json => ({ ...Object.fromEntries(COLLIDING.map((k) => [k, { from: 'api' }])), ...target });
    if (Array.isArray(base)) answers.push(base.map((item) => (item && typeof item === 'object' ? collide(item as Json) : item)));
    else {
      const b = base as Json;
      answers.push({ ...b, ...Object.fromEntries(COLLIDING.map((k) => [k, { from: 'api' }])) });
      if (Array.isArray(b.data)) answers.push({ ...b, data: (b.data as Json[]).map(collide) });
      if (Array.isArray(b.results)) answers.push({ ...b, results: (b.results as Json[]).map((r) => ({ ...r, user: collide(r.user as Json ?? {}) })) });
    }
    for (const body of answers) {
      h.sandbox.inject({ method: c.method, path: c.path, status: 200, body: body as object });
      // The SDK Client itself rejects a result that breaks the advertised output schema.
      const result = (await h.client.callTool({ name: c.tool, arguments: c.args })) as CallToolResult;
      expect(result.isError, `${c.tool} with ${JSON.stringify(body).slice(0, 300)}: ${textOf(result)}`).toBeFalsy();
      c.ours(result.structuredContent as Json);
    }
    h.sandbox.clearFaults();
    total += answers.length;
    process.stderr.write(`output mutations: ${c.tool} ${answers.length} answers ok (${total} so far)\n`);
  });
});

describe('create_users summarizes', () => {
  it('500 users: counts, created ids and failures in full, far under 64 KB', async () => {
    // Every hundredth email has no dot in its domain: our schema lets it through, the API (sandbox) refuses that one user.
    const users = Array.from({ length: 500 }, (_, i) => ({ first_name: `Bulk ${i}`, last_name: 'O\'Quote "Heavy"', email: i % 100 === 7 ? `bad${i}@nodot` : `bulk${i}@example.com` }));
    const result = (await h.client.callTool({ name: 'create_users', arguments: { loyalty_card_id: 1001, users } })) as CallToolResult;
    expect(result.isError, textOf(result)).toBeFalsy();
    const s = result.structuredContent as { requested: number; created: number; failed: number; created_ids: number[]; failures: unknown[] };
    expect(s.requested).toBe(500);
    expect(s.created + s.failed).toBe(500);
    expect(s.created_ids).toHaveLength(s.created);
    expect(s.failures).toHaveLength(s.failed);
    expect(s.failed).toBe(5);
    expect(s.failures[0]).toMatchObject({ index: 7, error: { field: 'email' } });
    const line = JSON.stringify({ jsonrpc: '2.0', id: 1, result });
    process.stderr.write(`create_users: 500 users -> ${Buffer.byteLength(line)} bytes on the wire (${s.created} created, ${s.failed} failed)\n`);
    expect(Buffer.byteLength(line)).toBeLessThan(16_000);
  });
});
