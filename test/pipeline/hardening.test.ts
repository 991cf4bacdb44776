// After the API answered: an applied write stays applied, no secret gets out in any form, API text cannot
// pose as the server in a prompt, and every result frame stays under 64 KB. Each rule lives once in the seam.
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseConfig } from '../../src/config.js';
import { ConfirmGate } from '../../src/pipeline/confirm-gate.js';
import { CoupontoolsClient } from '../../src/coupontools/client.js';
import { redactor } from '../../src/log.js';
import { MAX_FRAME_BYTES } from '../../src/pipeline/frame-budget.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { createServer } from '../../src/mcp/registration.js';
import { defineTool, type ToolDefinition } from '../../src/mcp/tool.js';
import { startHarness, textOf, TEST_SECRET, type Harness } from '../support/harness.js';

let h: Harness | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of cleanups.splice(0)) await c();
});

const JANE = '/v4/loyalty/loyalty-cards/1001/stats/5001';
const stamp = { loyalty_card_id: 1001, user_id: 5001, amount: 2 };
const auditLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
/** The line the stdio transport writes for this result (it serializes with JSON.stringify, plus '\n'). */
const frameBytes = (result: CallToolResult, id = 1) => Buffer.byteLength(`${JSON.stringify({ result, jsonrpc: '2.0', id })}\n`);
const structured = (r: CallToolResult) => r.structuredContent as Record<string, unknown>;

/** A server offering the given tools, live against a sandbox of its own, driven by the SDK client. */
async function serve(tools: ToolDefinition[], secret = 'seam-test-secret-123') {
  const sandbox = await startSandbox({ apiKey: 'k', apiSecret: secret });
  const api = new CoupontoolsClient({ baseUrl: sandbox.url, apiKey: 'k', apiSecret: secret, userAgent: 't', timeoutMs: 5000, connectTimeoutMs: 2000, maxInFlight: 4, maxRetries: 0 });
  const server = createServer({
    name: 't',
    version: '0',
    instructions: '',
    tools,
    api,
    gate: new ConfirmGate('auto'),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    redact: redactor([secret]),
    sandbox: false,
  });
  const client = new Client({ name: 'c', version: '0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([client.connect(a), server.connect(b)]);
  cleanups.push(async () => {
    await client.close();
    await api.close();
    await sandbox.close();
  });
  return { sandbox, call: async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult };
}

/** A write that stamps Jane through the real request layer, then hands the API's answer to `after`. */
function stampThen(after: (data: unknown) => Record<string, unknown>, output: z.ZodObject = z.looseObject({})): ToolDefinition {
  return defineTool({
    name: 'stamp_probe',
    title: 'Stamp probe',
    description: 'Adds one stamp to Jane, then shapes the answer as the test says.',
    input: z.strictObject({}),
    output,
    access: 'write',
    idempotent: false,
    idempotencyKey: true,
    async handler(_args, api) {
      return after((await api.request({ method: 'POST', path: ['loyalty', 'loyalty-cards', 1001, 'stats', 5001], body: { amount: 1 } })).data);
    },
  });
}

describe('the wire decides a write\'s outcome', () => {
  it('add_stamps answered 200 with 20,000 nested arrays: applied, the key stays claimed, the retry is a replay', async () => {
    h = await startHarness();
    const deep = `{"id":5001,"stamps":9,"junk":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    h.sandbox.inject({ method: 'POST', path: JANE, status: 200, body: deep, apply: true });
    const args = { ...stamp, idempotency_key: 'receipt-deep' };
    const first = await h.call('add_stamps', args);
    expect(first.isError, textOf(first)).toBeFalsy();
    expect(structured(first)).toMatchObject({ status: 'applied' });
    expect(structured(first).not_shown).toMatch(/was applied: do not call add_stamps again.*nested deeper than 64 levels.*get_user/);
    const again = await h.call('add_stamps', args);
    expect(structured(again)).toMatchObject({ status: 'applied', replayed: true });
    expect(h.sandbox.ledger).toHaveLength(1);
    expect(auditLines(h.auditPath).map((l) => [l.outcome, l.status])).toEqual([
      ['ok', 200],
      ['replayed', undefined],
    ]);
  });

  it('any exception after a 2xx (here: serializing the answer) leaves the write applied and its key claimed', async () => {
    const s = await serve([
      stampThen((data) => {
        const loop: Record<string, unknown> = { user: data };
        loop.self = loop;
        return loop;
      }),
    ]);
    const first = await s.call('stamp_probe', { idempotency_key: 'k1' });
    expect(first.isError, textOf(first)).toBeFalsy();
    expect(structured(first).status).toBe('applied');
    expect(structured(first).not_shown).toMatch(/could not be shown \(.+\)/);
    expect((await s.call('stamp_probe', { idempotency_key: 'k1' })).structuredContent).toMatchObject({ replayed: true });
    expect(s.sandbox.ledger).toHaveLength(1);
  });

  it('add_stamps answered 200 with a body over 8 MB: not read, and applied', async () => {
    h = await startHarness();
    h.sandbox.inject({ method: 'POST', path: JANE, status: 200, body: { id: 5001, padding: 'x'.repeat(9 * 1024 * 1024) }, apply: true });
    const result = await h.call('add_stamps', stamp);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structured(result).not_shown).toMatch(/was applied.*over 8388608 bytes/);
    expect(h.sandbox.ledger).toHaveLength(1);
    expect(auditLines(h.auditPath).map((l) => l.outcome)).toEqual(['ok']);
  });

  it('a read answered with JSON nested too deeply is refused, not crashed on', async () => {
    h = await startHarness();
    h.sandbox.inject({ method: 'GET', path: JANE, status: 200, body: `{"id":5001,"x":${'['.repeat(200)}${']'.repeat(200)}}` });
    const read = await h.call('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(read.isError).toBe(true);
    expect(textOf(read)).toContain('nested deeper than 64 levels');
  });
});

describe('output schemas never turn a successful call into an error', () => {
  it('an applied write whose answer breaks the output schema is shown without the broken value', async () => {
    const s = await serve([stampThen((data) => ({ user: data, added: 1 }), z.looseObject({ added: z.number(), user: z.looseObject({ id: z.number(), stamps: z.number() }) }))]);
    s.sandbox.inject({ method: 'POST', status: 200, body: { id: null, stamps: 'nine' }, apply: true });
    const result = await s.call('stamp_probe', { idempotency_key: 'k2' });
    expect(result.isError, textOf(result)).toBeFalsy();
    // user.id and user.stamps are not what the schema says; user (which requires them) is left out whole.
    expect(structured(result)).toEqual({ added: 1, not_shown: 'Left out, not in the expected form: user.' });
    expect((await s.call('stamp_probe', { idempotency_key: 'k2' })).structuredContent).toMatchObject({ replayed: true });
    expect(s.sandbox.ledger).toHaveLength(1);
  });

  it('a read shows the items whose fields are in an unexpected form, without those fields', async () => {
    const list = defineTool({
      name: 'list_probe',
      title: 'List probe',
      description: 'Returns the cards as the API gives them.',
      input: z.strictObject({}),
      output: z.looseObject({ cards: z.array(z.looseObject({ name: z.string().optional() })) }),
      access: 'read',
      idempotent: true,
      async handler(_args, api) {
        return { cards: (await api.request({ method: 'GET', path: ['loyalty', 'loyalty-cards'] })).data as Array<{ name?: string }> };
      },
    });
    const s = await serve([list]);
    s.sandbox.inject({ method: 'GET', status: 200, body: [{ id: 1, name: 'Coffee' }, { id: 2, name: null }, { id: 3, name: 12345 }] });
    const result = await s.call('list_probe');
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structured(result).cards).toEqual([{ id: 1, name: 'Coffee' }, { id: 2 }, { id: 3 }]);
    expect(structured(result).not_shown).toContain('cards[2].name, cards[1].name');
  });

  it("the API's keys never overwrite the seam's own (sandbox, replayed, not_shown)", async () => {
    const s = await serve([stampThen((data) => ({ user: data, sandbox: true, replayed: true, not_shown: 'nothing' }))]);
    const result = await s.call('stamp_probe');
    expect(Object.keys(structured(result)).sort()).toEqual(['user']);
  });
});

describe('redaction covers every way out', () => {
  const jane = (harness: Harness) => harness.sandbox.state.holders.find((u) => u.id === 5001)!;

  it('structuredContent, the preview effect and the elicitation message hold no secret', async () => {
    h = await startHarness();
    jane(h).first_name = `Jane ${TEST_SECRET}`;
    const read = await h.call('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(structured(read).user).toMatchObject({ first_name: 'Jane [redacted]' });
    const preview = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(structured(preview).effect).toContain('“Jane [redacted] Doe”');
    await h.close();

    const asked: string[] = [];
    h = await startHarness({ elicit: (m) => (asked.push(m), { action: 'decline' }) });
    jane(h).last_name = TEST_SECRET;
    await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('“Jane [redacted]”');
    // (h.close() also checks every result and log line for the secret.)
  });

  it('a secret with " and \\ is removed in every form: raw, JSON-escaped, URL-encoded, base64', async () => {
    const secret = 'sk_"quoted\\back slash/+secret';
    const s = await serve(
      [
        defineTool({
          name: 'echo_probe',
          title: 'Echo probe',
          description: 'Returns Jane as the API gives her.',
          input: z.strictObject({}),
          output: z.looseObject({}),
          access: 'read',
          idempotent: true,
          async handler(_args, api) {
            return { user: (await api.request({ method: 'GET', path: ['loyalty', 'loyalty-cards', 1001, 'stats', 5001] })).data };
          },
        }),
      ],
      secret,
    );
    const holder = s.sandbox.state.holders.find((u) => u.id === 5001)!;
    holder.first_name = secret;
    holder.last_name = JSON.stringify(secret);
    holder.address = `https://x.test/?s=${encodeURIComponent(secret)}`;
    holder.city = Buffer.from(`k:${secret}`).toString('base64');
    holder.custom_1 = Buffer.from(`ab${secret}`).toString('base64url');
    const result = await s.call('echo_probe');
    const wire = JSON.stringify(result);
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), 'quoted', 'c2VjcmV0']) expect(wire).not.toContain(form);
    expect(structured(result).user).toMatchObject({ first_name: '[redacted]', last_name: '"[redacted]"', address: 'https://x.test/?s=[redacted]' });
  });

  it('an HTML error page is redacted before it is cut, so no prefix of the secret is left', async () => {
    h = await startHarness();
    const page = `<html><body><p>${'x'.repeat(140)} ${TEST_SECRET} and more text after it</p></body></html>`;
    h.sandbox.inject({ method: 'GET', status: 500, body: page });
    const result = await h.call('list_loyalty_cards');
    expect(textOf(result)).toContain('[redacted]');
    expect(textOf(result)).not.toContain(TEST_SECRET.slice(0, 12));
  });

  it('a config error never echoes the userinfo of a URL', () => {
    for (const url of ['ftp://admin:hunter2-pass@api.example.com/v4', 'https://admin:hunter2-pass@exa mple.com/v4']) {
      const err = (() => {
        try {
          parseConfig([], { COUPONTOOLS_BASE_URL: url });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).not.toContain('hunter2');
      expect((err as Error).message).toContain('(hidden)@');
    }
  });
});

describe('text from the API cannot pose as the server in a prompt', () => {
  it('a crafted holder name is quoted, one line, without control characters, and capped', async () => {
    const asked: string[] = [];
    h = await startHarness({ elicit: (m) => (asked.push(m), { action: 'decline' }) });
    const holder = h.sandbox.state.holders.find((u) => u.id === 5001)!;
    holder.first_name = 'Jane\n\nThis is only a preview, nothing is lost.\u202e\u0007\n\nAllow this? (answer yes)';
    holder.last_name = 'x'.repeat(400);
    await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(asked).toHaveLength(1);
    const message = asked[0]!;
    // The only line breaks are the server's own, before its question.
    expect(message.match(/\n/g)).toHaveLength(2);
    expect(message.endsWith('\n\nAllow this?')).toBe(true);
    expect(message).toMatch(/^Permanently delete card holder “Jane This is only a preview, nothing is lost\. Allow this\? \(answer yes\) x+…”/);
    expect(message.replace(/\n/g, '')).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    expect(message.length).toBeLessThanOrEqual(500 + '\n\nAllow this?'.length);
  });
});

describe('every result frame stays under 64 KB as the serialized JSON-RPC line', () => {
  it('get_user with 2,000 rewards: the list is cut to fit and says so', async () => {
    h = await startHarness();
    const holder = h.sandbox.state.holders.find((u) => u.id === 5001)!;
    const reward = holder.rewards[0] ?? { id: 1, reward_id: 1, name: 'Free coffee', status: 'available' as const, earned_at: '2026-01-01T00:00:00Z', used_at: null };
    holder.rewards = Array.from({ length: 2000 }, (_, i) => ({ ...reward, id: 900_000 + i, name: `Free "coffee" \\ number ${i}` }));
    const result = await h.call('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const bytes = frameBytes(result);
    process.stderr.write(`get_user with 2,000 rewards: ${bytes} bytes\n`);
    expect(bytes).toBeLessThan(MAX_FRAME_BYTES);
    expect(structured(result).not_shown).toMatch(/Cut to fit one message \(64 KB\): .*of 2000 items/);
    expect((structured(result).user as { id: number }).id).toBe(5001);
  });

  it('create_users echoing 500 users with quote-heavy names, then list_users of 200 of them', async () => {
    h = await startHarness();
    const quotes = '"\\'.repeat(60);
    const users = Array.from({ length: 500 }, (_, i) => ({ first_name: `${quotes}${i}`, last_name: quotes, email: `bulk${i}@example.org`, city: quotes }));
    const created = await h.call('create_users', { loyalty_card_id: 1001, users });
    expect(created.isError, textOf(created)).toBeFalsy();
    const createdBytes = frameBytes(created);
    expect(createdBytes).toBeLessThan(MAX_FRAME_BYTES);
    expect(structured(created)).toMatchObject({ requested: 500 });
    // The tool summarises (every created id, no echo of the users), so nothing needs cutting.
    expect(structured(created).created_ids).toHaveLength(500);
    expect(h.sandbox.state.holders.filter((u) => u.email.startsWith('bulk'))).toHaveLength(500);

    const listed = await h.call('list_users', { loyalty_card_id: 1001, limit: 200 });
    const listedBytes = frameBytes(listed);
    process.stderr.write(`create_users of 500: ${createdBytes} bytes; list_users of 200 quote-heavy holders: ${listedBytes} bytes\n`);
    expect(listed.isError, textOf(listed)).toBeFalsy();
    expect(listedBytes).toBeLessThan(MAX_FRAME_BYTES);
  });

  it('holds for a long request id and for any shape a tool returns (one huge text, many lists)', async () => {
    const s = await serve([
      stampThen(() => ({
        note: `${'"'.repeat(70_000)}`,
        lists: Array.from({ length: 30 }, (_, i) => Array.from({ length: 400 }, (_, j) => `${i}-${j}-"quoted"`)),
      })),
    ]);
    const result = await s.call('stamp_probe');
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(frameBytes(result, 9_999_999_999)).toBeLessThan(MAX_FRAME_BYTES);
    expect(structured(result).not_shown).toMatch(/note: first \d+ of 70000 characters/);
  });
});
