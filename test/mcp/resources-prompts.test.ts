// Resources, prompts, completions and the server icon, driven by the SDK Client against the sandbox over loopback.
import type { ReadResourceResult, TextResourceContents } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_TEMPLATE, HOLDER_TEMPLATE } from '../../src/mcp/resources.js';
import { startHarness, type Harness } from '../support/harness.js';

const body = (r: ReadResourceResult): Record<string, unknown> => JSON.parse((r.contents[0] as TextResourceContents).text) as Record<string, unknown>;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** What the sandbox itself holds for a card: visible (not voided) holders and their available rewards. */
function truth(cardId: number): { holders: number; withRewards: number; rewards: number } {
  const holders = h.sandbox.state.holders.filter((x) => x.loyalty_card_id === cardId && !x.voided);
  const waiting = holders.map((x) => x.rewards.filter((r) => r.status === 'available').length);
  return { holders: holders.length, withRewards: waiting.filter((n) => n > 0).length, rewards: waiting.reduce((a, b) => a + b, 0) };
}

describe('server icon', () => {
  it('is one small inline SVG in serverInfo, and no tool carries an icon (tools/list pays nothing)', async () => {
    const icons = h.client.getServerVersion()?.icons ?? [];
    expect(icons).toHaveLength(1);
    const [icon] = icons;
    expect(icon?.mimeType).toBe('image/svg+xml');
    const svg = Buffer.from(String(icon?.src).replace(/^data:image\/svg\+xml;base64,/, ''), 'base64').toString('utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(Buffer.byteLength(String(icon?.src))).toBeLessThan(1024);
    for (const tool of (await h.client.listTools()).tools) expect(tool, tool.name).not.toHaveProperty('icons');
  });
});

describe('resources', () => {
  it('declares resources, prompts and completions', () => {
    const caps = h.client.getServerCapabilities();
    expect(caps?.resources).toBeDefined();
    expect(caps?.prompts).toBeDefined();
    expect(caps?.completions).toBeDefined();
  });

  it('lists the card list and each card, attachable by name, and the two templates', async () => {
    const { resources } = await h.client.listResources();
    expect(resources.find((r) => r.uri === 'coupontools://cards')?.name).toBe('loyalty-cards');
    const cards = h.sandbox.state.cards;
    for (const card of cards) expect(resources).toContainEqual(expect.objectContaining({ uri: `coupontools://cards/${card.id}`, name: card.name }));
    const { resourceTemplates } = await h.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([CARD_TEMPLATE, HOLDER_TEMPLATE].sort());
  });

  it('reads the card list', async () => {
    const cards = body(await h.client.readResource({ uri: 'coupontools://cards' })).cards as Array<{ id: number; name: string }>;
    expect(cards.map((c) => c.id)).toEqual(h.sandbox.state.cards.map((c) => c.id));
  });

  it('reads one card with its holder count and rewards waiting, as the sandbox holds them', async () => {
    const summary = body(await h.client.readResource({ uri: 'coupontools://cards/1001' }));
    const t = truth(1001);
    expect(t.holders).toBeGreaterThan(0);
    expect(t.rewards).toBeGreaterThan(0);
    expect(summary).toMatchObject({ card: { id: 1001, name: 'Café Aroma coffee card' }, holders: t.holders, holders_with_rewards_waiting: t.withRewards, rewards_waiting: t.rewards });
    expect(summary).not.toHaveProperty('note');
  });

  it('reads one holder', async () => {
    const record = body(await h.client.readResource({ uri: 'coupontools://cards/1001/holders/5001' }));
    expect(record.user).toMatchObject({ id: 5001, email: 'jane@example.com', stamps: 7 });
  });

  it('an unknown card or a bad id is a clear error; a bad id sends nothing', async () => {
    await expect(h.client.readResource({ uri: 'coupontools://cards/9999' })).rejects.toThrow(/No loyalty card 9999; coupontools:\/\/cards lists them/);
    h.sandbox.clearRequests();
    await expect(h.client.readResource({ uri: 'coupontools://cards/1001/holders/a.b' })).rejects.toThrow(/user_id must be a positive integer/);
    expect(h.sandbox.requests).toEqual([]);
  });

  it('completes card_id by id prefix and by name, and user_id from the chosen card\'s holders', async () => {
    const complete = async (uri: string, name: string, value: string, context?: Record<string, string>): Promise<string[]> =>
      (await h.client.complete({ ref: { type: 'ref/resource', uri }, argument: { name, value }, ...(context ? { context: { arguments: context } } : {}) })).completion.values;
    expect(await complete(CARD_TEMPLATE, 'card_id', '100')).toEqual(h.sandbox.state.cards.map((c) => String(c.id)).filter((id) => id.startsWith('100')));
    expect(await complete(CARD_TEMPLATE, 'card_id', 'bloom')).toEqual(['1002']);
    expect(await complete(HOLDER_TEMPLATE, 'card_id', 'café')).toEqual(['1001']);
    expect(await complete(HOLDER_TEMPLATE, 'user_id', 'jane', { card_id: '1001' })).toContain('5001');
    expect(await complete(HOLDER_TEMPLATE, 'user_id', 'jane')).toEqual([]);
  });
});

describe('prompts', () => {
  it('offers the three prompts with their arguments', async () => {
    const { prompts } = await h.client.listPrompts();
    expect(Object.fromEntries(prompts.map((p) => [p.name, (p.arguments ?? []).map((a) => `${a.name}${a.required ? '' : '?'}`)]))).toEqual({
      stamp_purchase: ['card_id', 'customer', 'stamps?', 'receipt?'],
      look_up_customer: ['card_id', 'customer'],
      card_summary: ['card_id'],
    });
    for (const p of prompts) expect(p.title, p.name).toBeTruthy();
  });

  it('completes card_id by name and the customer from that card\'s holders', async () => {
    const complete = async (name: string, value: string, context?: Record<string, string>): Promise<string[]> =>
      (await h.client.complete({ ref: { type: 'ref/prompt', name: 'stamp_purchase' }, argument: { name, value }, ...(context ? { context: { arguments: context } } : {}) })).completion.values;
    expect(await complete('card_id', 'aroma')).toEqual(['1001']);
    expect(await complete('customer', 'jane@', { card_id: '1001' })).toContain('jane@example.com');
  });

  it('stamp_purchase asks for one add_stamps with the receipt as idempotency key', async () => {
    const { messages } = await h.client.getPrompt({ name: 'stamp_purchase', arguments: { card_id: '1001', customer: 'jane@example.com', stamps: '2', receipt: 'R-77' } });
    const text = messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');
    expect(text).toContain('On loyalty card 1001, give the customer "jane@example.com" 2 stamp(s)');
    expect(text).toContain('add_stamps once with amount 2 and idempotency_key "R-77"');
  });

  it('look_up_customer names the read tools and changes nothing', async () => {
    const { messages } = await h.client.getPrompt({ name: 'look_up_customer', arguments: { card_id: '1001', customer: 'Jane Doe' } });
    expect(messages[0]?.content).toMatchObject({ type: 'text', text: expect.stringContaining('look up the customer "Jane Doe"') });
  });

  it('card_summary attaches the card\'s figures as a resource', async () => {
    const { messages } = await h.client.getPrompt({ name: 'card_summary', arguments: { card_id: '1002' } });
    const first = messages[0]?.content;
    if (first?.type !== 'resource' || !('text' in first.resource)) throw new Error('expected an embedded resource');
    expect(first.resource.uri).toBe('coupontools://cards/1002');
    const t = truth(1002);
    expect(JSON.parse(first.resource.text)).toMatchObject({ holders: t.holders, rewards_waiting: t.rewards });
  });

  it('a bad argument is refused with a message naming it, and sends nothing', async () => {
    h.sandbox.clearRequests();
    await expect(h.client.getPrompt({ name: 'card_summary', arguments: { card_id: '../1' } })).rejects.toThrow(/card_id must be 1-64 characters/);
    await expect(h.client.getPrompt({ name: 'stamp_purchase', arguments: { card_id: '1001', customer: 'x', stamps: '0' } })).rejects.toThrow(/stamps must be a whole number/);
    expect(h.sandbox.requests).toEqual([]);
  });
});

describe('read-only mode and the allowlist decide what is offered', () => {
  it('read-only: resources stay, stamp_purchase goes', async () => {
    const ro = await startHarness({ env: { COUPONTOOLS_READ_ONLY: '1' } });
    try {
      expect((await ro.client.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(['card_summary', 'look_up_customer']);
      expect((await ro.client.listResourceTemplates()).resourceTemplates).toHaveLength(2);
    } finally {
      await ro.close();
    }
  });

  it('an allowlist of get_user: only the holder template, no completion, no prompts', async () => {
    const one = await startHarness({ env: { COUPONTOOLS_TOOLS: 'get_user' } });
    try {
      expect((await one.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual([HOLDER_TEMPLATE]);
      expect((await one.client.listResources()).resources).toEqual([]);
      expect(one.client.getServerCapabilities()?.prompts).toBeUndefined();
      // Nothing to complete from: list_loyalty_cards and list_users are not offered.
      expect(one.client.getServerCapabilities()?.completions).toBeUndefined();
      expect(body(await one.client.readResource({ uri: 'coupontools://cards/1001/holders/5001' })).user).toMatchObject({ id: 5001 });
    } finally {
      await one.close();
    }
  });

  it('sandbox mode labels what resources return', async () => {
    const sb = await startHarness({ sandboxMode: true });
    try {
      expect(body(await sb.client.readResource({ uri: 'coupontools://cards' }))).toMatchObject({ sandbox: true });
    } finally {
      await sb.close();
    }
  });
});
