// The model-facing surface: schemas a foreign reader accepts, error texts that say what to do, and no dead ends.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTools } from '../../tools/index.js';
import { USER_FIELD_NAMES } from '../../tools/schemas.js';
import { startHarness, textOf, type Harness } from '../support/harness.js';

let h: Harness;
let tools: Tool[];
beforeAll(async () => {
  h = await startHarness();
  tools = (await h.client.listTools()).tools;
});
afterAll(() => h.close());

const ajv = new Ajv2020({ strict: true, allErrors: true });
const validators = new Map<string, ReturnType<typeof ajv.compile>>();
const validatorOf = (tool: Tool) => {
  let v = validators.get(tool.name);
  if (!v) validators.set(tool.name, (v = ajv.compile(tool.inputSchema)));
  return v;
};
const toolNamed = (name: string): Tool => {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool;
};

/** Arguments each tool accepts, as a model would send them after reading the schema. */
const SAMPLES: Record<string, Record<string, unknown>> = {
  list_loyalty_cards: {},
  copy_loyalty_card: { loyalty_card_id: 1001, name: 'Second shop' },
  list_users: { loyalty_card_id: 1001, filter: { last_name: 'Doe', custom_8: 'x' }, page: 1, limit: 20, include_voided: true },
  get_user: { loyalty_card_id: 1001, user_id: 5001 },
  create_user: { loyalty_card_id: 1001, first_name: 'Ann', email: 'ann@example.com', custom_3: 'vip' },
  create_users: { loyalty_card_id: 1001, users: [{ first_name: 'Bo' }, { email: 'cy@example.com' }] },
  update_user: { loyalty_card_id: 1001, user_id: 5001, city: 'Gent' },
  add_stamps: { loyalty_card_id: 1001, user_id: 5001, amount: 1, idempotency_key: 'R-1' },
  use_rewards: { loyalty_card_id: 1001, user_id: 5001, reward_ids: [70001, 70002] },
  void_user: { loyalty_card_id: 1001, user_id: 5001, confirm_token: 'abc' },
  delete_user: { loyalty_card_id: 1001, user_id: 5001 },
  send_push_notification: { loyalty_card_id: 1001, message: 'Hi', recipient_user_ids: [5001] },
};

describe('input schemas, read by a validator that is not ours', () => {
  it('compile under Ajv 2020-12 strict mode, and follow the Anthropic / OpenAI tool-schema rules', () => {
    for (const tool of tools) {
      expect(() => validatorOf(tool), tool.name).not.toThrow();
      expect(tool.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect((tool.description ?? '').length, tool.name).toBeLessThanOrEqual(1024);
      const schema = tool.inputSchema as Record<string, unknown>;
      expect(schema.type, tool.name).toBe('object');
      for (const key of ['anyOf', 'oneOf', 'allOf', 'not', 'enum', 'const', '$ref', 'if']) expect(schema, `${tool.name}: top-level ${key}`).not.toHaveProperty(key);
      for (const name of Object.keys(tool.inputSchema.properties ?? {})) expect(name, tool.name).toMatch(/^[a-zA-Z0-9_.-]{1,64}$/);
      // additionalProperties, wherever it appears, is a plain false (closed) — never a schema a client must interpret.
      JSON.stringify(schema, (key, value: unknown) => {
        if (key === 'additionalProperties') expect(value, tool.name).toBe(false);
        return value;
      });
    }
  });

  it('accept what the server accepts, and the server accepts what they accept', async () => {
    for (const tool of tools) {
      const sample = SAMPLES[tool.name]!;
      const v = validatorOf(tool);
      expect(v(sample), `${tool.name}: ${JSON.stringify(v.errors)}`).toBe(true);
      const own = allTools.find((t) => t.name === tool.name)!;
      const { confirm_token: _t, idempotency_key: _k, ...args } = sample;
      expect(own.input.safeParse(args).success, tool.name).toBe(true);
      // Ids are listed as integers (the type results carry); the same ids as strings are accepted too.
      const stringIds = Object.entries(args).filter(([key]) => /_ids?$/.test(key));
      if (tool.name !== 'list_loyalty_cards') expect(stringIds.length, tool.name).toBeGreaterThan(0);
      const asStrings = { ...args, ...Object.fromEntries(stringIds.map(([key, v]) => [key, Array.isArray(v) ? v.map(String) : String(v)])) };
      expect(own.input.safeParse(asStrings).success, `${tool.name} with string ids ${JSON.stringify(asStrings)}`).toBe(true);
    }
    // Keys the schema closes off are refused by both.
    const list = validatorOf(toolNamed('list_users'));
    expect(list({ loyalty_card_id: 1001, filter: { name: 'Jane' } })).toBe(false);
    expect(validatorOf(toolNamed('create_users'))({ loyalty_card_id: 1001, users: [{ amount: 3 }] })).toBe(false);
    for (const field of USER_FIELD_NAMES) expect(list({ loyalty_card_id: 1001, filter: { [field]: 'x' } }), field).toBe(true);
  });
});

/** Lower-case snake_case words: tool names, argument names, result keys. */
const SNAKE = /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g;
/** The API's own words are quoted as such; they may name its wire fields, which are not ours to check. */
const withoutApiText = (text: string): string => text.replace(/the API says "(?:[^"\\]|\\.)*"/g, '');

const resultKeys = new Set<string>();
function collectKeys(value: unknown): void {
  // A short snake_case string value (a status such as confirmation_required) is something a result says too.
  if (typeof value === 'string' && /^[a-z]+(_[a-z]+)+$/.test(value)) resultKeys.add(value);
  if (Array.isArray(value)) value.forEach(collectKeys);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      resultKeys.add(k);
      collectKeys(v);
    }
  }
}

describe('error texts and hints', () => {
  const texts: string[] = [];
  const fail = async (tool: string, args: Record<string, unknown>): Promise<string> => {
    const result = await h.call(tool, args);
    expect(result.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
    const text = textOf(result);
    texts.push(text);
    return text;
  };
  const ok = async (tool: string, args: Record<string, unknown>): Promise<CallToolResult> => {
    const result = await h.call(tool, args);
    expect(result.isError, `${tool}: ${textOf(result)}`).toBeFalsy();
    collectKeys(result.structuredContent);
    for (const key of ['next', 'note', 'effect']) {
      const v = (result.structuredContent as Record<string, unknown>)[key];
      if (typeof v === 'string') texts.push(v);
    }
    return result;
  };

  it('a missing required argument says it is missing and where to get it', async () => {
    for (const tool of tools) {
      for (const name of tool.inputSchema.required ?? []) {
        const { [name]: _drop, ...args } = SAMPLES[tool.name]!;
        const text = await fail(tool.name, args);
        expect(text, `${tool.name} without ${name}`).toContain(`${name} is missing`);
        expect(text).not.toMatch(/must be a positive integer/);
      }
    }
  });

  it('an unknown key lists every valid one', async () => {
    for (const tool of tools) {
      const text = await fail(tool.name, { ...SAMPLES[tool.name], colour: 7 });
      expect(text, tool.name).toMatch(/unknown key colour/);
      // The eight custom fields are named as one range.
      const named = text.replace('custom_1…custom_8', Array.from({ length: 8 }, (_, i) => `custom_${i + 1}`).join(', '));
      for (const name of Object.keys(tool.inputSchema.properties ?? {})) expect(named, tool.name).toContain(name);
    }
    const filter = await fail('list_users', { loyalty_card_id: 1001, filter: { name: 'Jane' } });
    expect(filter).toMatch(/^Invalid arguments for list_users: filter: unknown key name: use only first_name, last_name, email/);
  });

  it("labels the API's own code as the API's, apart from the HTTP status", async () => {
    const text = await fail('get_user', { loyalty_card_id: 1001, user_id: 999999 });
    expect(text).toMatch(/HTTP 404 Not Found: the API says ".*" \(Coupontools error code 505\)/);
    expect(text).not.toMatch(/HTTP 404[^:]*, code/);
  });

  it('every error ends in one action the model can take', async () => {
    h.sandbox.inject({ method: 'POST', status: 503, apply: true, body: { message: 'busy' } });
    await fail('add_stamps', { loyalty_card_id: 1001, user_id: 5002, amount: 1 });
    h.sandbox.inject({ status: 429, headers: { 'retry-after': '120' } });
    await fail('list_loyalty_cards', {});
    await fail('use_rewards', { loyalty_card_id: 1001, user_id: 5001, reward_ids: [1] });
    await fail('update_user', { loyalty_card_id: 1001, user_id: 5001, amount: 3 });
    await fail('update_user', { loyalty_card_id: 1001, user_id: 5001 });
    const ACTION = /\b(call|use|give|look|check|wait|try|ask|correct|omit|split|read|list)\b[^.]*\.?$/i;
    for (const text of texts) {
      const last = withoutApiText(text).trim().split(/(?<=\.)\s+(?=[A-Z])/).at(-1) ?? '';
      expect(last, text).toMatch(ACTION);
    }
  });

  it('has no dead ends: every tool, argument and result key any text names exists, and every suggested filter is accepted', async () => {
    // Results the texts talk about, so their keys are known.
    await ok('list_users', { loyalty_card_id: 1001, filter: { first_name: 'Jane' } });
    await ok('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    await ok('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 3, idempotency_key: 'dead-end-1' });
    await ok('create_users', { loyalty_card_id: 1001, users: [{ first_name: 'Di' }] });
    await ok('use_rewards', { loyalty_card_id: 1001, user_id: 5001, reward_ids: [((await ok('get_user', { loyalty_card_id: 1001, user_id: 5001 })).structuredContent as { rewards_available: { id: number }[] }).rewards_available[0]!.id] });
    await ok('void_user', { loyalty_card_id: 1001, user_id: h.sandbox.state.holders.find((u) => u.loyalty_card_id === 1001 && u.id !== 5001)!.id });
    await ok('send_push_notification', { loyalty_card_id: 1001, message: 'All of you' });
    const instructions = h.client.getInstructions() ?? '';
    const all = [instructions, ...tools.map((t) => t.description ?? ''), ...texts, ...allTools.map((t) => t.verifyHint ?? '')];
    const toolNames = new Set(tools.map((t) => t.name));
    const argNames = new Set([...tools.flatMap((t) => Object.keys(t.inputSchema.properties ?? {})), ...USER_FIELD_NAMES]);
    const named = new Set<string>();
    for (const text of all) for (const word of withoutApiText(text).match(SNAKE) ?? []) named.add(word);
    for (const word of named) {
      expect(toolNames.has(word) || argNames.has(word) || resultKeys.has(word), `"${word}" is named to the model but is no tool, argument or result key`).toBe(true);
    }
    // Every filter suggested ({"key": …} after "filter") is a key list_users accepts, and it finds someone.
    const suggested = new Set<string>();
    for (const text of all) for (const m of withoutApiText(text).matchAll(/filter[^{]{0,12}\{"(\w+)"/g)) suggested.add(m[1]!);
    for (const m of (instructions + tools.map((t) => t.description).join(' ')).matchAll(/\{"(\w+)":/g)) suggested.add(m[1]!);
    expect(suggested.size).toBeGreaterThanOrEqual(2);
    for (const key of suggested) {
      const result = await h.call('list_users', { loyalty_card_id: 1001, filter: { [key]: key === 'email' ? 'jane@example.com' : 'Doe' } });
      expect(result.isError, `filter ${key}: ${textOf(result)}`).toBeFalsy();
    }
    process.stderr.write(`no dead ends: ${named.size} names checked in ${all.length} texts; filters suggested: ${[...suggested].join(', ')}\n`);
  });
});
