// Property-based fuzzing of every tool's arguments through the real server, request layer and sandbox (fixed seed).
import { existsSync, readFileSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { seedState } from '../../src/sandbox/sandbox.js';
import type { ToolDefinition } from '../../src/mcp/tool.js';
import { allTools } from '../../tools/index.js';
import { USER_FIELD_NAMES } from '../../tools/schemas.js';
import { TEST_SECRET, startHarness, textOf, type Harness } from '../support/harness.js';

/** Fixed, so CI sees the same 12,000 cases on every run; a failure report repeats it with the path to replay. */
const SEED = 20251125;
const RUNS = 1000;

// ---------------------------------------------------------------------------------------------
// The seeded program (the harness's sandbox starts from seed 42): real card, holder and reward ids.

const seeded = seedState(42);
const CARD_IDS = seeded.cards.map((c) => c.id);
const HOLDERS = seeded.holders.map((h) => ({
  card: h.loyalty_card_id,
  user: h.id,
  rewards: h.rewards.filter((r) => r.status === 'available').map((r) => r.id),
}));
const WITH_REWARDS = HOLDERS.filter((h) => h.rewards.length > 0);
const HOLDERS_OF = new Map(CARD_IDS.map((id) => [id, HOLDERS.filter((h) => h.card === id).map((h) => h.user)]));

// ---------------------------------------------------------------------------------------------
// Generators of valid values

/** An id as a model may send it: a number or the same digits as a string. */
const asSent = (id: number, asNumber: boolean): number | string => (asNumber ? id : String(id));

/** Valid by the id rule, but (almost always) not a card or holder that exists. */
const otherId: fc.Arbitrary<number | string> = fc.oneof(
  fc.integer({ min: 1, max: 2 ** 31 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  fc.constantFrom('bulk', 'copy', 'void', 'rewards', 'stats', '0', '00', '-', '_', 'NaN', 'a'.repeat(64), '9'.repeat(64), '9007199254740993'),
);

const cardId: fc.Arbitrary<number | string> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...CARD_IDS), fc.boolean()).map(([id, n]) => asSent(id, n)) },
  { weight: 2, arbitrary: otherId },
);

/** A card and a holder: mostly a real pair, sometimes a holder of another card, sometimes unknown ids. */
const cardAndUser: fc.Arbitrary<{ loyalty_card_id: number | string; user_id: number | string }> = fc.oneof(
  {
    weight: 7,
    arbitrary: fc
      .tuple(fc.constantFrom(...HOLDERS), fc.boolean(), fc.boolean())
      .map(([h, a, b]) => ({ loyalty_card_id: asSent(h.card, a), user_id: asSent(h.user, b) })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(cardId, fc.constantFrom(...HOLDERS), fc.boolean()).map(([card, h, b]) => ({ loyalty_card_id: card, user_id: asSent(h.user, b) })),
  },
  { weight: 1, arbitrary: fc.tuple(cardId, otherId).map(([card, user]) => ({ loyalty_card_id: card, user_id: user })) },
);

/** Any UTF-16 code unit, lone surrogates and control characters included (JSON can carry all of them). */
const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Free text: mostly plausible, some arbitrary unicode, some raw UTF-16, some URL and markup tricks. */
function text(max: number, minLength = 0): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 5, arbitrary: fc.constantFrom('Jane', 'Zoë', 'Łukasz', "O'Brien", 'Van den Berg', 'Dąbrowski', '山田 太郎', 'محمد', 'Main street 1', 'Brussels', '1000', 'EC1A 1BB') },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
      { weight: 1, arbitrary: fc.string({ unit: utf16Unit, maxLength: 20 }) },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', 'a&b=c', '%', '%00', '#x', '?', '+', '../..', "x'); DROP TABLE users;--", '<script>', '\u0000', '\n', 'x'.repeat(max), '😀'.repeat(Math.floor(max / 2))) },
    )
    .map((s) => s.slice(0, max))
    .filter((s) => s.length >= minLength);
}

const email: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('jane@example.com', 'new@example.org', 'a@b', 'zoë@exämple.be', "o'brien@example.ie", 'x+tag@sub.example.co.uk') },
  { weight: 3, arbitrary: fc.emailAddress().filter((s) => s.length <= 255) },
  { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[^\s@]{1,20}$/), fc.stringMatching(/^[^\s@]{1,20}$/)).map(([l, d]) => `${l}@${d}`) },
);

const phone: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^\+32[0-9]{9}$/) },
  { weight: 1, arbitrary: text(32) },
);

/** create_user's fields, each optional. */
const userFieldArbs: Record<string, fc.Arbitrary<string>> = {
  first_name: text(255),
  last_name: text(255),
  email,
  phone,
  address: text(255),
  zip: fc.oneof(fc.stringMatching(/^[0-9]{4}$/), text(20)),
  city: text(255),
  ...Object.fromEntries(['custom_1', 'custom_2', 'custom_3', 'custom_4', 'custom_5', 'custom_6', 'custom_7', 'custom_8'].map((k) => [k, text(255)])),
};
const someUserFields = fc.record(userFieldArbs, { requiredKeys: [] });

const amount = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 10_000 }) }, { weight: 1, arbitrary: fc.constantFrom(1, 10_000) });

/** Picks the members of `items` named by the bits of `mask` (at least one). */
const pick = <T>(items: readonly T[], mask: number): T[] => {
  const chosen = items.filter((_, i) => (mask >> i) & 1);
  return chosen.length > 0 ? chosen : items.slice(0, 1);
};

// ---------------------------------------------------------------------------------------------
// Known-bad values, written by hand so the schema is not the only judge of what must be refused.

const long = (n: number, c = 'x') => c.repeat(n);
const NOT_A_STRING = [null, 1, 0, true, [], ['a'], {}, { a: 1 }];
const BAD_ID = fc.constantFrom<unknown>(
  '1/../2', '%2e%2e', 'a?x=', 'a#b', ' 1', '1 ', '1\n', '', '..', '.', 'é', 'ß', '😀', '５', '١٢٣', '1001\u200b', '5001/void', '\u0000', long(65), long(10_000),
  -1, 0, 1.5, -0.5, 2 ** 53, 1e21, null, true, false, [], [1001], {}, { id: 1001 },
);
const BAD_TEXT = (max: number) => fc.constantFrom<unknown>(long(max + 1), long(max + 1, '😀'), long(100_000), ...NOT_A_STRING);
const BAD_EMAIL = fc.constantFrom<unknown>('not-an-email', '', 'a b@c.d', 'a@b@c', '@', 'a@', '@b.c', ' jane@example.com', `${long(250)}@ex.co`, ...NOT_A_STRING);
const BAD_USER_FIELDS: Record<string, fc.Arbitrary<unknown>> = {
  ...Object.fromEntries(Object.keys(userFieldArbs).map((k) => [k, BAD_TEXT(255)])),
  email: BAD_EMAIL,
  phone: BAD_TEXT(32),
  zip: BAD_TEXT(20),
};
const BAD_AMOUNT = fc.constantFrom<unknown>(0, -1, -10_000, 1.5, 0.1, 10_001, 1e21, 2 ** 53, '3', '1', '', 'NaN', 'Infinity', null, true, [1], { amount: 1 });
const BAD_NONEMPTY_IDS = (max: number) => fc.constantFrom<unknown>([], null, 'x', 5, {}, [null], ['1;DROP'], ['a/b'], ['%2e%2e'], [0], [-1], [1.5], [''], Array.from({ length: max + 1 }, (_, i) => i + 1));

/** Keys no tool takes (each tool's own keys are removed from this list for it). */
const EXTRA_KEYS = [
  'foo', 'amount', 'confirm_token', 'idempotency_key', 'user_id', 'loyalty_card_id ', 'loyaltyCardId', 'USER_ID', 'recipient_stat_ids', 'reward_ids',
  'message', 'name', 'page', 'filter[email]', 'constructor', 'toString', 'hasOwnProperty', 'données', '😀', ' ',
];

// ---------------------------------------------------------------------------------------------
// One spec per tool

interface Spec {
  /** Arguments the tool accepts, biased towards the seeded data. */
  valid: fc.Arbitrary<Record<string, unknown>>;
  /** Required keys: leaving one out must be refused. */
  required: string[];
  /** Hand-written values each field must refuse. */
  bad: Record<string, fc.Arbitrary<unknown>>;
}

const SPECS: Record<string, Spec> = {
  list_loyalty_cards: { valid: fc.constant({}), required: [], bad: {} },
  copy_loyalty_card: {
    valid: fc.record(
      {
        loyalty_card_id: cardId,
        name: fc.oneof(
          fc.constantFrom('Summer card', 'Café Aroma – copy', '  padded  ', '😀 promo', long(50), `  ${long(50)}  `),
          text(50).filter((s) => s.trim().length > 0),
        ),
      },
      { requiredKeys: ['loyalty_card_id'] },
    ),
    required: ['loyalty_card_id'],
    bad: { loyalty_card_id: BAD_ID, name: fc.constantFrom<unknown>('', '   ', '\t\n', '\u00a0\u3000', long(51), ` ${long(51)}`, long(51, '😀'), ...NOT_A_STRING) },
  },
  list_users: {
    valid: fc.record(
      {
        loyalty_card_id: cardId,
        filter: fc.oneof(
          fc.constantFrom({ email: 'jane@example.com' }, { first_name: 'a' }, { city: 'ss' }, { last_name: 'ë', zip: '1' }),
          fc.dictionary(fc.constantFrom(...USER_FIELD_NAMES), text(255, 1), { maxKeys: 3 }),
        ),
        page: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }) }),
        limit: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(1, 200)),
        include_voided: fc.boolean(),
      },
      { requiredKeys: ['loyalty_card_id'] },
    ),
    required: ['loyalty_card_id'],
    bad: {
      loyalty_card_id: BAD_ID,
      filter: fc.constantFrom<unknown>({ password: 'x' }, { Email: 'x' }, { amount: '3' }, { 'filter[email]': 'x' }, { email: '' }, { email: 5 }, { city: null }, { first_name: long(256) }, 'email', ['email'], [], null, 5),
      page: fc.constantFrom<unknown>(0, -1, 1.5, 100_001, 1e21, '2', '', null, true, []),
      limit: fc.constantFrom<unknown>(0, -5, 201, 1.5, 1e21, '50', null, false, {}),
      include_voided: fc.constantFrom<unknown>('true', 'false', 1, 0, 'yes', null, []),
    },
  },
  get_user: { valid: cardAndUser, required: ['loyalty_card_id', 'user_id'], bad: { loyalty_card_id: BAD_ID, user_id: BAD_ID } },
  create_user: {
    valid: fc.tuple(cardId, someUserFields).map(([card, fields]) => ({ loyalty_card_id: card, ...fields })),
    required: ['loyalty_card_id'],
    bad: { loyalty_card_id: BAD_ID, ...BAD_USER_FIELDS },
  },
  create_users: {
    valid: fc.record({
      loyalty_card_id: cardId,
      users: fc.oneof({ weight: 5, arbitrary: fc.array(someUserFields, { minLength: 1, maxLength: 5 }) }, { weight: 1, arbitrary: fc.array(someUserFields, { minLength: 1, maxLength: 60 }) }),
    }),
    required: ['loyalty_card_id', 'users'],
    bad: {
      loyalty_card_id: BAD_ID,
      users: fc.constantFrom<unknown>(
        [], null, {}, 'x', 5, [null], ['x'], [[]], [{ amount: 3 }], [{ first_name: 5 }], [{ email: 'bad' }], [{}, { password: 'x' }], [{ first_name: long(256) }],
        Array.from({ length: 501 }, () => ({})),
      ),
    },
  },
  update_user: {
    valid: fc.tuple(cardAndUser, someUserFields.filter((f) => Object.keys(f).length > 0)).map(([ids, fields]) => ({ ...ids, ...fields })),
    required: ['loyalty_card_id', 'user_id'],
    bad: { loyalty_card_id: BAD_ID, user_id: BAD_ID, ...BAD_USER_FIELDS },
  },
  add_stamps: {
    valid: fc
      .tuple(
        cardAndUser,
        amount,
        fc.oneof(
          { weight: 7, arbitrary: fc.constant(undefined) },
          // A few receipt numbers come back, so replays and key conflicts happen too.
          { weight: 1, arbitrary: fc.constantFrom('receipt-1', 'receipt-2', 'receipt-3') },
          { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 128 }) },
        ),
      )
      .map(([ids, n, key]) => ({ ...ids, amount: n, ...(key === undefined ? {} : { idempotency_key: key }) })),
    required: ['loyalty_card_id', 'user_id', 'amount'],
    bad: { loyalty_card_id: BAD_ID, user_id: BAD_ID, amount: BAD_AMOUNT, idempotency_key: fc.constantFrom<unknown>('', long(129), 5, null, ['k'], {}) },
  },
  use_rewards: {
    valid: fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(fc.constantFrom(...WITH_REWARDS), fc.integer({ min: 1, max: 7 }), fc.boolean(), fc.boolean())
          .map(([h, mask, a, b]) => ({ loyalty_card_id: asSent(h.card, a), user_id: asSent(h.user, b), reward_ids: pick(h.rewards, mask).map((id) => asSent(id, a)) })),
      },
      {
        weight: 3,
        arbitrary: fc
          .tuple(cardAndUser, fc.array(fc.oneof(fc.integer({ min: 70_001, max: 70_110 }), otherId), { minLength: 1, maxLength: 4 }))
          .map(([ids, rewardIds]) => ({ ...ids, reward_ids: rewardIds })),
      },
    ),
    required: ['loyalty_card_id', 'user_id', 'reward_ids'],
    bad: { loyalty_card_id: BAD_ID, user_id: BAD_ID, reward_ids: BAD_NONEMPTY_IDS(50) },
  },
  void_user: { valid: cardAndUser, required: ['loyalty_card_id', 'user_id'], bad: { loyalty_card_id: BAD_ID, user_id: BAD_ID } },
  delete_user: { valid: cardAndUser, required: ['loyalty_card_id', 'user_id'], bad: { loyalty_card_id: BAD_ID, user_id: BAD_ID } },
  send_push_notification: {
    valid: fc
      .tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...CARD_IDS) }, { weight: 1, arbitrary: otherId }),
        fc.oneof(
          fc.constantFrom('Your free coffee is waiting ☕', 'Happy birthday!', '  padded  ', long(500), `  ${long(500)}  `),
          text(497).map((s) => `Hi ${s}`),
        ),
        fc.oneof(
          { weight: 2, arbitrary: fc.constant(undefined) },
          { weight: 3, arbitrary: fc.integer({ min: 1, max: 2 ** 20 }) },
          { weight: 1, arbitrary: fc.array(fc.oneof(fc.integer({ min: 5001, max: 5050 }), otherId), { minLength: 1, maxLength: 4 }) },
        ),
        fc.boolean(),
      )
      .map(([card, message, recipients, asNumber]) => {
        const own = HOLDERS_OF.get(Number(card)) ?? [5001];
        const ids = typeof recipients === 'number' ? pick(own, recipients).map((id) => asSent(id, asNumber)) : recipients;
        return { loyalty_card_id: card, message, ...(ids === undefined ? {} : { recipient_user_ids: ids }) };
      }),
    required: ['loyalty_card_id', 'message'],
    bad: {
      loyalty_card_id: BAD_ID,
      message: fc.constantFrom<unknown>('', '   ', '\n\t', '\u00a0\u3000', long(501), long(100_000), ...NOT_A_STRING),
      recipient_user_ids: BAD_NONEMPTY_IDS(1000),
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Cases: valid arguments, valid arguments with one to three mutations, or arbitrary JSON objects.

interface Case {
  args: Record<string, unknown>;
  /** Fields given a hand-written bad value, a required field left out, or an unknown key added. */
  poisoned: string[];
}

type Mutation =
  | { kind: 'bad' | 'any' | 'extra'; field: string; value: unknown }
  | { kind: 'omit'; field: string };

/** The schema the server registers: the tool's own, plus the seam's idempotency_key (mcp/registration.ts). */
function oracleOf(tool: ToolDefinition): z.ZodType {
  return tool.idempotencyKey ? tool.input.extend({ idempotency_key: z.string().min(1).max(128).optional() }) : tool.input;
}

function caseArbitrary(tool: ToolDefinition, spec: Spec): fc.Arbitrary<Case> {
  const fields = [...Object.keys(tool.input.shape), ...(tool.idempotencyKey ? ['idempotency_key'] : [])];
  const extras = EXTRA_KEYS.filter((k) => !fields.includes(k));
  const json = fc.jsonValue({ maxDepth: 2 });
  const mutations: Array<fc.WeightedArbitrary<Mutation>> = [
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...extras), json).map(([field, value]): Mutation => ({ kind: 'extra', field, value })) },
  ];
  const badFields = Object.keys(spec.bad);
  if (badFields.length > 0) {
    const bad = fc.oneof(...badFields.map((field) => (spec.bad[field] as fc.Arbitrary<unknown>).map((value): Mutation => ({ kind: 'bad', field, value }))));
    mutations.push({ weight: 4, arbitrary: bad });
  }
  if (fields.length > 0) {
    mutations.push({ weight: 3, arbitrary: fc.tuple(fc.constantFrom(...fields), json).map(([field, value]): Mutation => ({ kind: 'any', field, value })) });
  }
  if (spec.required.length > 0) {
    mutations.push({ weight: 1, arbitrary: fc.constantFrom(...spec.required).map((field): Mutation => ({ kind: 'omit', field })) });
  }
  const mutated = fc.tuple(spec.valid, fc.array(fc.oneof(...mutations), { minLength: 1, maxLength: 3 })).map(([base, list]): Case => {
    const args: Record<string, unknown> = { ...base };
    const poisoned = new Set<string>();
    for (const m of list) {
      if (m.kind === 'omit') {
        delete args[m.field];
        poisoned.add(m.field);
      } else {
        args[m.field] = m.value;
        if (m.kind === 'any') poisoned.delete(m.field);
        else poisoned.add(m.field);
      }
    }
    return { args, poisoned: [...poisoned] };
  });
  const anyKey = fc.oneof(fc.constantFrom(...fields, ...extras), fc.string({ maxLength: 12 })).filter((k) => k !== '__proto__');
  const chaos = fc.dictionary(anyKey, json, { maxKeys: 5 }).map((args): Case => ({ args, poisoned: [] }));
  return fc.oneof(
    { weight: 11, arbitrary: spec.valid.map((args): Case => ({ args, poisoned: [] })) },
    { weight: 7, arbitrary: mutated },
    { weight: 2, arbitrary: chaos },
  );
}

// ---------------------------------------------------------------------------------------------
// The properties

/** What an argument-validation failure names: the offending key, or the whole-object rule's message. */
function namedByIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : i.path.length > 0 ? [String(i.path[0])] : [i.message]));
}

/** Property 1: a well-formed CallToolResult, no secret, nothing logged as unexpected. */
function expectWellFormed(result: CallToolResult, h: Harness, stderrBefore: number): void {
  expect(Array.isArray(result.content)).toBe(true);
  expect(result.content.length).toBeGreaterThan(0);
  for (const item of result.content) {
    expect(item.type).toBe('text');
    expect(typeof (item as { text?: unknown }).text).toBe('string');
    expect((item as { text: string }).text.length).toBeGreaterThan(0);
  }
  if (result.isError) expect(result.structuredContent).toBeUndefined();
  else expect(result.structuredContent).toBeTypeOf('object');
  expect(JSON.stringify(result)).not.toContain(TEST_SECRET);
  const unexpected = h.stderr.slice(stderrBefore).filter((line) => line.includes('failed unexpectedly'));
  expect(unexpected, `the server logged an unexpected failure: ${textOf(result)}`).toEqual([]);
}

interface Tally {
  valid: number;
  invalid: number;
}

async function checkCase(h: Harness, tool: ToolDefinition, oracle: z.ZodType, c: Case, tally: Tally): Promise<void> {
  // What a client puts on the wire: the server only ever sees JSON.
  const wire = JSON.stringify(c.args);
  const verdict = oracle.safeParse(JSON.parse(wire));
  h.sandbox.clearRequests();
  const stderrBefore = h.stderr.length;
  // The SDK Client rejects (throws) a result whose structuredContent breaks the declared outputSchema.
  const result = (await h.client.callTool({ name: tool.name, arguments: JSON.parse(wire) as Record<string, unknown> })) as CallToolResult;
  expectWellFormed(result, h, stderrBefore);
  const message = textOf(result);

  if (c.poisoned.length > 0) expect(verdict.success, `hand-written bad ${c.poisoned.join(', ')} passed the schema`).toBe(false);

  if (!verdict.success) {
    // Property 2: refused by the input schema, naming a field, before anything is sent.
    tally.invalid++;
    expect(result.isError).toBe(true);
    expect(message.startsWith(`Invalid arguments for ${tool.name}: `), message).toBe(true);
    const named = namedByIssues(verdict.error.issues);
    expect(named.some((n) => message.includes(n)), `message names none of ${JSON.stringify(named)}`).toBe(true);
    if (c.poisoned.length > 0) expect(c.poisoned.some((f) => message.includes(f)), `message names none of ${JSON.stringify(c.poisoned)}`).toBe(true);
    expect(h.sandbox.requests).toHaveLength(0);
    return;
  }

  // Property 3: a success matching the output schema, or a readable API refusal; never an internal error.
  tally.valid++;
  expect(message.startsWith('Internal error'), message).toBe(false);
  if (!result.isError) {
    const structured = result.structuredContent as Record<string, unknown>;
    const parsed = tool.output.safeParse(structured);
    expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
    expect(message).toBe(JSON.stringify(structured));
    if (structured.replayed !== true) expect(h.sandbox.requests.length).toBeGreaterThan(0);
    return;
  }
  const apiRefusal = /^Coupontools API error — HTTP 4\d\d\b[^:]*: \S/.test(message);
  const keyAnswer = tool.idempotencyKey === true && /^(idempotency_key "|Replay: )/.test(message);
  expect(apiRefusal || keyAnswer, message).toBe(true);
  if (apiRefusal) expect(h.sandbox.requests.length).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------------------------

const tallies = new Map<string, Tally>();

afterAll(() => {
  if (tallies.size !== allTools.length) return;
  const all = [...tallies.values()];
  const valid = all.reduce((n, t) => n + t.valid, 0);
  const invalid = all.reduce((n, t) => n + t.invalid, 0);
  process.stderr.write(`fuzz: ${RUNS} cases per tool × ${allTools.length} tools = ${valid + invalid} cases (${valid} valid, ${invalid} invalid), seed ${SEED}\n`);
});

describe('fuzzing every tool', () => {
  it('has a generator for every tool', () => {
    expect(Object.keys(SPECS).sort()).toEqual(allTools.map((t) => t.name).sort());
  });

  it.each(allTools.map((t) => [t.name, t] as const))('%s: never crashes, refuses bad arguments offline, answers good ones', async (name, tool) => {
    const spec = SPECS[name];
    if (!spec) throw new Error(`no generator for ${name}`);
    const h = await startHarness({ env: { COUPONTOOLS_CONFIRM: 'off' } });
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    const tally: Tally = { valid: 0, invalid: 0 };
    try {
      // Listing the tools makes the Client validate every structuredContent against its outputSchema.
      await h.client.listTools();
      const oracle = oracleOf(tool);
      await fc.assert(
        fc.asyncProperty(caseArbitrary(tool, spec), (c) => checkCase(h, tool, oracle, c, tally)),
        { seed: SEED, numRuns: RUNS },
      );
      expect(rejections).toEqual([]);
      expect(tally.valid + tally.invalid).toBe(RUNS);
      // Both branches get real coverage for every tool.
      expect(tally.valid).toBeGreaterThanOrEqual(RUNS / 5);
      expect(tally.invalid).toBeGreaterThanOrEqual(RUNS / 5);
      tallies.set(name, tally);
    } finally {
      process.off('unhandledRejection', onRejection);
      // Not h.close(): its audit-log check looks for every string argument inside the log, and arbitrary
      // fuzzed strings (say "add") occur inside tool and field names. The secret checks are kept.
      await h.client.close();
      await h.app.close();
      await h.sandbox.close();
    }
    for (const line of h.stderr) expect(line).not.toContain(TEST_SECRET);
    expect(existsSync(h.auditPath) ? readFileSync(h.auditPath, 'utf8') : '').not.toContain(TEST_SECRET);
  }, 120_000);
});
