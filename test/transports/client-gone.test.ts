// The stdio edges of a session: a client that stops reading stdout ends the process quietly; an overlong stdin line is dropped unread and answered, not fatal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../src/transports/line-cap.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { EXIT_DEADLINE_MS, startRawSession } from '../support/binary.js';
import { liveEnv, TEST_KEY, TEST_SECRET } from '../support/harness.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET });
});
afterAll(() => sandbox.close());

const live = () => liveEnv(sandbox.url);
const call = (id: number, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'send_push_notification', arguments: args } });

describe('a client that is gone', () => {
  it('stdout closed (EPIPE) while stdin stays open: exit 0 in time, a few lines on stderr, no storm', async () => {
    const s = await startRawSession([], live());
    // The reading end of the server's stdout goes away; its next answer meets EPIPE.
    s.child.stdout.destroy();
    for (let id = 1; id <= 20; id++) s.send({ jsonrpc: '2.0', id, method: 'ping' });
    const { code, ms } = await s.whenClosed();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_DEADLINE_MS);
    expect(s.err()).toContain('shutting down (stdout closed)');
    expect(s.err().length, s.err().slice(0, 2000)).toBeLessThan(4096);
    expect(s.err()).not.toContain('unexpected error');
  });
});

describe('an overlong stdin line', () => {
  it.each([
    ['over our cap', MAX_FRAME_BYTES + 1024],
    ["over the SDK's 10 MiB cap", 11 * 1024 * 1024],
  ])('%s is discarded unread and answered with an error for its id; the session goes on', async (_what, size) => {
    const s = await startRawSession([], live());
    const huge = JSON.stringify(call(1, { loyalty_card_id: 1001, message: 'x'.repeat(size) }));
    // Sent in pieces, as a pipe delivers it.
    for (let at = 0; at < huge.length; at += 64 * 1024) s.raw(huge.slice(at, at + 64 * 1024));
    s.raw('\n');
    expect(await s.answer(1)).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32600, message: `Request line of ${huge.length} bytes is larger than this server's ${MAX_FRAME_BYTES}-byte frame cap: discarded unread, so nothing was done. Split it into smaller requests.` },
    });
    s.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_loyalty_cards', arguments: {} } });
    const after = (await s.answer(2)) as { result: { structuredContent: { cards: unknown[] } } };
    expect(after.result.structuredContent.cards.length).toBeGreaterThan(0);
    expect(s.err()).toMatch(new RegExp(`discarded a ${huge.length}-byte line on stdin: over the ${MAX_FRAME_BYTES}-byte frame cap; answered with error -32600 for id 1`));
    expect(sandbox.requests.filter((r) => r.method === 'POST')).toEqual([]);
    s.child.stdin.end();
    expect((await s.whenClosed()).code).toBe(0);
  });

  it('a 9 MB create_users line with a string id gets its error (the id read from the head), then the next request is answered', async () => {
    const s = await startRawSession([], live());
    const users = Array.from({ length: 90_000 }, (_, i) => ({ first_name: 'Customer', email: `customer-${i}@example.com`, custom_1: 'x'.repeat(40) }));
    // params hold ids of their own ("id" keys nested in the arguments): only the top-level one counts.
    const line = `${JSON.stringify({ jsonrpc: '2.0', method: 'tools/call', id: 'import-9mb', params: { name: 'create_users', arguments: { loyalty_card_id: 1001, users: users.map((u, i) => ({ ...u, id: i })) } } })}\n`;
    expect(line.length).toBeGreaterThan(9_000_000);
    s.raw(line);
    expect(await s.answer('import-9mb')).toMatchObject({ id: 'import-9mb', error: { code: -32600, message: expect.stringContaining(`${MAX_FRAME_BYTES}-byte frame cap`) } });
    s.send({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect(((await s.answer(3)) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(0);
    s.child.stdin.end();
    expect((await s.whenClosed()).code).toBe(0);
  });

  it('a line that is not JSON at all gets a parse error with id null', async () => {
    const s = await startRawSession([], live());
    s.raw(`${'not json '.repeat(Math.ceil((MAX_FRAME_BYTES + 10) / 9))}\n`);
    s.send({ jsonrpc: '2.0', id: 4, method: 'ping' });
    await s.answer(4);
    expect(s.messages()).toContainEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.stringContaining(`${MAX_FRAME_BYTES}-byte frame cap`) } });
    s.child.stdin.end();
    expect((await s.whenClosed()).code).toBe(0);
  });

  it('a line just under the cap still reaches the server', async () => {
    const s = await startRawSession([], live());
    const envelope = JSON.stringify(call(1, { loyalty_card_id: 1001, message: '' }));
    s.send(call(1, { loyalty_card_id: 1001, message: 'y'.repeat(MAX_FRAME_BYTES - envelope.length) }));
    const answer = (await s.answer(1)) as { result: { isError: boolean; content: Array<{ text: string }> } };
    // Refused by validation (too long a message), which proves it arrived.
    expect(answer.result.isError).toBe(true);
    expect(answer.result.content[0]!.text).toContain('message');
    expect(s.err()).not.toContain('discarded');
    s.child.stdin.end();
    expect((await s.whenClosed()).code).toBe(0);
  });
});
