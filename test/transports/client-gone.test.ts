// The stdio edges of a session: a client that stops reading stdout ends the process quietly; an overlong stdin line is dropped, not fatal.
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
  ])('%s is discarded and reported; the session goes on', async (_what, size) => {
    const s = await startRawSession([], live());
    const huge = JSON.stringify(call(1, { loyalty_card_id: 1001, message: 'x'.repeat(size) }));
    // Sent in pieces, as a pipe delivers it.
    for (let at = 0; at < huge.length; at += 64 * 1024) s.raw(huge.slice(at, at + 64 * 1024));
    s.raw('\n');
    s.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_loyalty_cards', arguments: {} } });
    const after = (await s.answer(2)) as { result: { structuredContent: { cards: unknown[] } } };
    expect(after.result.structuredContent.cards.length).toBeGreaterThan(0);
    expect(s.err()).toMatch(new RegExp(`discarded a ${huge.length}-byte line on stdin: over the ${MAX_FRAME_BYTES}-byte frame cap`));
    expect(s.messages().some((m) => m.id === 1)).toBe(false);
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
