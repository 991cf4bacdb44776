// Scripted owner requests, end to end: a rule-following agent (no LLM) that acts only on what the server tells it.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { startHarness, textOf, type Harness, type HarnessOptions } from '../support/harness.js';

type Json = Record<string, unknown>;
interface Reply {
  ok: boolean;
  text: string;
  data: Json;
}

const ajv = new Ajv2020({ strict: true });

/**
 * The agent: it knows the tool list, the server's instructions and every reply, nothing else. A call
 * it makes on purpose with a mistake (as a model would) is marked so; every other call must fit the
 * advertised schema of a listed tool.
 */
class Agent {
  calls = 0;
  private constructor(
    readonly h: Harness,
    readonly tools: Tool[],
  ) {}

  static async start(options: HarnessOptions = {}): Promise<Agent> {
    const h = await startHarness(options);
    return new Agent(h, (await h.client.listTools()).tools);
  }

  async call(name: string, args: Json, mistake = false): Promise<Reply> {
    const tool = this.tools.find((t) => t.name === name);
    expect(tool, `${name} was never offered`).toBeDefined();
    if (!mistake) expect(ajv.validate(tool!.inputSchema, args), `${name} ${JSON.stringify(args)}: ${ajv.errorsText()}`).toBe(true);
    this.calls++;
    const result: CallToolResult = await this.h.call(name, args);
    return { ok: !result.isError, text: textOf(result), data: (result.structuredContent ?? {}) as Json };
  }

  /** The first listed tool a text tells the agent to use. */
  toolIn(text: string): string {
    const named = this.tools.map((t) => ({ name: t.name, at: text.indexOf(t.name) })).filter((t) => t.at >= 0);
    const first = named.sort((a, b) => a.at - b.at)[0];
    expect(first, `no tool named in: ${text}`).toBeDefined();
    return first!.name;
  }

  /** Card id by a word of its name, from list_loyalty_cards. */
  async cardId(word: string): Promise<number> {
    const cards = (await this.call('list_loyalty_cards', {})).data.cards as Json[];
    const card = cards.find((c) => String(c.name).toLowerCase().includes(word));
    expect(card, word).toBeDefined();
    return card!.id as number;
  }

  async findOne(card: number, filter: Record<string, string>): Promise<Json> {
    const reply = await this.call('list_users', { loyalty_card_id: card, filter });
    expect(reply.ok, reply.text).toBe(true);
    const users = reply.data.users as Json[];
    expect(users.length, JSON.stringify(filter)).toBeGreaterThan(0);
    return users[0]!;
  }

  /** A write whose outcome is unknown: read as the message says, compare, and repeat only if nothing changed. */
  async stampOnce(card: number, user: Json, amount: number, receipt: string): Promise<Reply> {
    let key = receipt;
    for (let attempt = 0; attempt < 4; attempt++) {
      const reply = await this.call('add_stamps', { loyalty_card_id: card, user_id: user.id, amount, idempotency_key: key });
      if (reply.ok) return reply;
      if (/new idempotency_key/.test(reply.text)) {
        key = `${receipt}-${attempt + 1}`;
        continue;
      }
      expect(reply.text).toMatch(/Outcome unknown/);
      const check = await this.call(this.toolIn(reply.text.slice(reply.text.indexOf('Do not repeat'))), { loyalty_card_id: card, user_id: user.id });
      const now = (check.data.user as Json).stamps ?? (check.data.user as Json).points;
      const before = user.stamps ?? user.points;
      if (now !== before) return check; // applied: done
    }
    throw new Error('could not stamp');
  }

  close(): Promise<void> {
    return this.h.close();
  }
}

const COFFEE = 1001;
const counts: [string, number][] = [];
afterAll(() => {
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  process.stderr.write(`scenarios: ${counts.length} scenarios, ${total} tool calls in all\n${counts.map(([name, n]) => `  ${n} calls  ${name}`).join('\n')}\n`);
});

function scenario(name: string, run: (agent: Agent) => Promise<void>, options: HarnessOptions = {}): void {
  it(name, async () => {
    const agent = await Agent.start(options);
    try {
      await run(agent);
      counts.push([name, agent.calls]);
      process.stderr.write(`scenario: ${name} — ${agent.calls} tool calls\n`);
    } finally {
      await agent.close();
    }
  });
}

const grantsOf = (a: Agent, user: unknown) => a.h.sandbox.ledger.filter((e) => e.user_id === user);
const holderOf = (a: Agent, id: unknown) => a.h.sandbox.state.holders.find((u) => u.id === id);

describe('owner requests, end to end', () => {
  scenario('find a customer by partial name and stamp a purchase once, though the answer is lost after it was applied', async (a) => {
    const card = await a.cardId('coffee');
    const jane = await a.findOne(card, { first_name: 'jan' });
    a.h.sandbox.inject({ method: 'POST', path: `/v4/loyalty/loyalty-cards/${card}/stats/${String(jane.id)}`, status: 503, apply: true });
    await a.stampOnce(card, jane, 1, 'R-1001');
    expect(grantsOf(a, jane.id)).toHaveLength(1);
    expect(holderOf(a, jane.id)?.stamps).toBe(8);
  });

  scenario('find a customer by partial email and stamp once, though the first attempt was lost before it was applied', async (a) => {
    const target = a.h.sandbox.state.holders.find((u) => u.loyalty_card_id === COFFEE && !u.voided && u.email && u.id !== 5001)!;
    const card = await a.cardId('coffee');
    const user = await a.findOne(card, { email: target.email.slice(0, 8) });
    a.h.sandbox.inject({ method: 'POST', path: `/v4/loyalty/loyalty-cards/${card}/stats/${String(user.id)}`, reset: 'after-read' });
    await a.stampOnce(card, user, 1, 'R-1002');
    expect(grantsOf(a, user.id)).toHaveLength(1);
  });

  scenario('redeem the free coffee as soon as it unlocks', async (a) => {
    const card = await a.cardId('coffee');
    const jane = await a.findOne(card, { email: 'jane@example.com' });
    const stamped = await a.call('add_stamps', { loyalty_card_id: card, user_id: jane.id, amount: 3, idempotency_key: 'R-1003' });
    expect(stamped.data).toMatchObject({ card_completed: true, balance: 0 });
    const unlocked = stamped.data.rewards_unlocked as Json[];
    expect(unlocked.map((r) => r.name)).toEqual(['Free coffee']);
    const used = await a.call('use_rewards', { loyalty_card_id: card, user_id: jane.id, reward_ids: unlocked.map((r) => r.id) });
    expect(used.ok, used.text).toBe(true);
    expect(holderOf(a, jane.id)?.rewards.filter((r) => r.status === 'available')).toEqual([]);
    expect(holderOf(a, jane.id)?.rewards.find((r) => r.id === unlocked[0]!.id)?.status).toBe('used');
  });

  scenario('enrol three customers, skipping the one who is already a holder', async (a) => {
    const card = await a.cardId('coffee');
    const emails = ['new.one@example.com', 'jane@example.com', 'new.two@example.com'];
    const fresh: string[] = [];
    for (const email of emails) {
      const found = await a.call('list_users', { loyalty_card_id: card, filter: { email } });
      if ((found.data.users as Json[]).length === 0) fresh.push(email);
    }
    const made = await a.call('create_users', { loyalty_card_id: card, users: fresh.map((email) => ({ email })) });
    expect(made.data).toMatchObject({ requested: 2, created: 2, failed: 0 });
    for (const email of emails) expect(a.h.sandbox.state.holders.filter((u) => u.loyalty_card_id === card && u.email === email), email).toHaveLength(1);
  });

  scenario('void a fraudulent holder once the owner confirms', async (a) => {
    const victim = a.h.sandbox.state.holders.find((u) => u.loyalty_card_id === COFFEE && !u.voided && u.email && u.id !== 5001)!;
    const card = await a.cardId('coffee');
    const user = await a.findOne(card, { email: victim.email });
    const preview = await a.call('void_user', { loyalty_card_id: card, user_id: user.id });
    expect(preview.data.status).toBe('confirmation_required');
    expect(String(preview.data.next)).toContain('confirm_token');
    expect(holderOf(a, user.id)?.voided).toBe(false);
    // The owner reads preview.data.effect and says yes.
    const done = await a.call('void_user', { loyalty_card_id: card, user_id: user.id, confirm_token: preview.data.confirm_token });
    expect(done.data).toMatchObject({ voided: true, user_id: user.id });
    expect(holderOf(a, user.id)?.voided).toBe(true);
  });

  scenario('push a reminder to the holders who have rewards waiting', async (a) => {
    const card = await a.cardId('coffee');
    const listed = await a.call('list_users', { loyalty_card_id: card, limit: 200 });
    expect(listed.data.has_more).toBe(false);
    const waiting = (listed.data.users as Json[]).filter((u) => (u.rewards_available as number) > 0).map((u) => u.id as number);
    expect(waiting.length).toBeGreaterThan(0);
    const sent = await a.call('send_push_notification', { loyalty_card_id: card, message: 'A reward is waiting for you!', recipient_user_ids: waiting });
    expect(sent.data).toMatchObject({ audience: 'selected', recipients: waiting.length });
    const expected = a.h.sandbox.state.holders.filter((u) => u.loyalty_card_id === card && !u.voided && u.rewards.some((r) => r.status === 'available')).map((u) => u.id);
    expect(a.h.sandbox.state.notifications.at(-1)?.recipient_ids.sort()).toEqual(expected.sort());
  });

  scenario('recover from a wrong card id by listing the cards', async (a) => {
    const wrong = await a.call('list_users', { loyalty_card_id: 9999, filter: { email: 'jane@example.com' } });
    expect(wrong.ok).toBe(false);
    expect(a.toolIn(wrong.text.slice(wrong.text.indexOf('Look')))).toBe('list_loyalty_cards');
    const jane = await a.findOne(await a.cardId('coffee'), { email: 'jane@example.com' });
    expect(jane.id).toBe(5001);
    expect(a.h.sandbox.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  scenario('recover from a missing card id: the error names the tool that gives it', async (a) => {
    const missing = await a.call('get_user', { user_id: 5001 }, true);
    expect(missing.text).toContain('loyalty_card_id is missing');
    const next = a.toolIn(missing.text.slice(missing.text.indexOf('is missing')));
    expect(next).toBe('list_loyalty_cards');
    const card = await a.cardId('coffee');
    const got = await a.call('get_user', { loyalty_card_id: card, user_id: 5001 });
    expect((got.data.user as Json).first_name).toBe('Jane');
  });

  scenario('recover from a wrong filter key: the error lists the valid ones', async (a) => {
    const card = await a.cardId('coffee');
    const wrong = await a.call('list_users', { loyalty_card_id: card, filter: { name: 'Jane' } }, true);
    const valid = /use only ([^\n]*)/.exec(wrong.text)?.[1]?.split(', ') ?? [];
    const key = valid.find((k) => k.includes('name'));
    expect(key).toBe('first_name');
    expect((await a.findOne(card, { [key!]: 'Jane' })).id).toBe(5001);
  });

  scenario('earn a voucher on the points card and hand it over', async (a) => {
    const card = await a.cardId('points');
    const pick = a.h.sandbox.state.holders.find((u) => u.loyalty_card_id === card && !u.voided && u.email && (u.points ?? 0) < 100 && !u.rewards.some((r) => r.status === 'available'))!;
    const user = await a.findOne(card, { email: pick.email });
    const added = await a.call('add_stamps', { loyalty_card_id: card, user_id: user.id, amount: 100 - (user.points as number), idempotency_key: 'R-1010' });
    const unlocked = added.data.rewards_unlocked as Json[];
    expect(unlocked.map((r) => r.name)).toEqual(['€5 voucher']);
    await a.call('use_rewards', { loyalty_card_id: card, user_id: user.id, reward_ids: [unlocked[0]!.id] });
    expect(holderOf(a, user.id)?.rewards.find((r) => r.id === unlocked[0]!.id)?.status).toBe('used');
    expect(holderOf(a, user.id)?.points).toBe(100);
  });

  scenario("change a customer's phone number and check it", async (a) => {
    const card = await a.cardId('coffee');
    const jane = await a.findOne(card, { email: 'jane@example.com' });
    const updated = await a.call('update_user', { loyalty_card_id: card, user_id: jane.id, phone: '+32470999999' });
    expect(updated.ok, updated.text).toBe(true);
    expect(((await a.call('get_user', { loyalty_card_id: card, user_id: jane.id })).data.user as Json).phone).toBe('+32470999999');
    expect(holderOf(a, jane.id)?.phone).toBe('+32470999999');
  });

  scenario('delete a customer on request, after the human says yes in the client', async (a) => {
    const card = await a.cardId('coffee');
    const jane = await a.findOne(card, { email: 'jane@example.com' });
    const deleted = await a.call('delete_user', { loyalty_card_id: card, user_id: jane.id });
    expect(deleted.data).toEqual({ deleted: true, user_id: 5001 });
    expect(holderOf(a, 5001)).toBeUndefined();
  }, { elicit: () => ({ action: 'accept', content: { confirm: true } }) });

  scenario('enrol a batch, fix the one address the API refused, and send only that one again', async (a) => {
    const card = await a.cardId('coffee');
    const users = [{ email: 'ann@example.com' }, { email: 'bob@nodot' }, { email: 'cy@example.com' }];
    const first = await a.call('create_users', { loyalty_card_id: card, users });
    expect(first.data).toMatchObject({ created: 2, failed: 1 });
    const failures = first.data.failures as { index: number }[];
    // The owner corrects the address the failure points at.
    const retry = failures.map((f) => ({ ...users[f.index], email: 'bob@example.org' }));
    const second = await a.call('create_users', { loyalty_card_id: card, users: retry });
    expect(second.data).toMatchObject({ created: 1, failed: 0 });
    for (const email of ['ann@example.com', 'bob@example.org', 'cy@example.com']) expect(a.h.sandbox.state.holders.filter((u) => u.email === email)).toHaveLength(1);
    expect(a.h.sandbox.state.holders.filter((u) => u.email === 'bob@nodot')).toHaveLength(0);
  });

  scenario('open a second shop: copy the coffee card under a new name', async (a) => {
    const card = await a.cardId('coffee');
    const copied = await a.call('copy_loyalty_card', { loyalty_card_id: card, name: 'Café Aroma Station' });
    const id = (copied.data.card as Json).id;
    expect(await a.cardId('station')).toBe(id);
    const made = a.h.sandbox.state.cards.find((c) => c.id === id)!;
    expect(made.rewards.map((r) => r.name)).toEqual(['Free pastry', 'Free coffee']);
    expect(a.h.sandbox.state.holders.filter((u) => u.loyalty_card_id === id)).toEqual([]);
  });

  it('docs/figures.md lists every scenario with its measured count, and the total', () => {
    const figures = readFileSync(new URL('../../docs/figures.md', import.meta.url), 'utf8');
    expect(counts.length).toBeGreaterThanOrEqual(12);
    for (const [name, n] of counts) expect(figures, name).toContain(`| ${name} | ${n} |`);
    expect(figures).toContain(`${counts.length} scenarios, **${counts.reduce((sum, [, n]) => sum + n, 0)} tool calls** in all`);
  });
});
