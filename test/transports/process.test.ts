// Process hygiene and stdio robustness of the built binary: signals, EOF, writes in flight, hostile input.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { EXIT_DEADLINE_MS, startRawSession, type RawSession } from '../support/binary.js';
import { TEST_KEY, TEST_SECRET } from '../support/harness.js';


let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.clearFaults();
  sandbox.clearRequests();
});

interface Server extends RawSession {
  audit: string;
}

async function startServer(): Promise<Server> {
  const audit = join(mkdtempSync(join(tmpdir(), 'ct-proc-')), 'audit.jsonl');
  const session = await startRawSession(['--audit-log', audit, '--timeout-ms', '20000'], {
    COUPONTOOLS_API_KEY: TEST_KEY,
    COUPONTOOLS_API_SECRET: TEST_SECRET,
    COUPONTOOLS_BASE_URL: sandbox.url,
  });
  return { ...session, audit };
}

const stamp = (id: number, user = 5001) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'add_stamps', arguments: { loyalty_card_id: 1001, user_id: user, amount: 1 } } });
const auditOf = (s: Server) =>
  existsSync(s.audit)
    ? readFileSync(s.audit, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];
async function untilRequest(method: string): Promise<void> {
  // Bounded only by the test's own timeout: a busy machine is slow, not wrong.
  while (!sandbox.requests.some((r) => r.method === method)) await new Promise((r) => setTimeout(r, 10));
}
function stdoutIsJsonRpc(s: Server): void {
  for (const message of s.messages()) expect(message.jsonrpc).toBe('2.0');
}

describe('shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: exit 0 in time; a hung write is recorded as unknown', async (signal) => {
    const s = await startServer();
    sandbox.inject({ method: 'POST', hang: true });
    s.send(stamp(1));
    await untilRequest('POST');
    s.child.kill(signal);
    const { code, ms } = await s.whenClosed();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_DEADLINE_MS);
    expect(auditOf(s)).toEqual([expect.objectContaining({ tool: 'add_stamps', outcome: 'unknown', user_id: '5001' })]);
    expect(s.err()).toContain('recorded as outcome unknown');
    stdoutIsJsonRpc(s);
  });

  it('a slow write in flight at SIGTERM is allowed to finish, and is recorded as ok', async () => {
    const s = await startServer();
    // Held at the API until shutdown has begun, then let go: the order is the test's, not the clock's.
    sandbox.inject({ method: 'POST', hold: true });
    const before = sandbox.ledger.length;
    s.send(stamp(1));
    while (sandbox.held === 0) await new Promise((r) => setTimeout(r, 10));
    s.child.kill('SIGTERM');
    while (!s.err().includes('shutting down (SIGTERM)')) await new Promise((r) => setTimeout(r, 10));
    sandbox.release();
    const { code, ms } = await s.whenClosed();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_DEADLINE_MS);
    expect(sandbox.ledger.length).toBe(before + 1);
    expect(auditOf(s)).toEqual([expect.objectContaining({ tool: 'add_stamps', outcome: 'ok', status: 200 })]);
  });

  it('stdin EOF mid-call: exit 0 in time, the write recorded', async () => {
    const s = await startServer();
    sandbox.inject({ method: 'POST', hang: true });
    s.send(stamp(1));
    await untilRequest('POST');
    s.child.stdin.end();
    const { code, ms } = await s.whenClosed();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_DEADLINE_MS);
    expect(auditOf(s).map((l) => l.outcome)).toEqual(['unknown']);
  });
});

describe('hostile stdin', () => {
  it('a 1 MB frame, a batch array, a notification with an id, a cancelled call: still answering, stdout only JSON-RPC', async () => {
    const s = await startServer();
    // 1 MB of arguments: refused by validation, not by a crash.
    s.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'send_push_notification', arguments: { loyalty_card_id: 1001, message: 'x'.repeat(1024 * 1024) } } });
    const big = (await s.answer(1)) as { result: { isError: boolean; content: Array<{ text: string }> } };
    expect(big.result.isError).toBe(true);
    expect(big.result.content[0]!.text).toContain('message');
    // A JSON-RPC batch (not part of this protocol version) is ignored without harm.
    s.raw(`${JSON.stringify([{ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { jsonrpc: '2.0', id: 3, method: 'ping' }])}\n`);
    // A notification method sent with an id.
    s.send({ jsonrpc: '2.0', id: 4, method: 'notifications/initialized' });
    // A call cancelled while the API hangs: no answer is owed, and the server goes on.
    sandbox.inject({ method: 'GET', hang: true });
    s.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'get_user', arguments: { loyalty_card_id: 1001, user_id: 5001 } } });
    await untilRequest('GET');
    s.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5, reason: 'user pressed stop' } });
    s.send({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'list_loyalty_cards', arguments: {} } });
    const after = (await s.answer(6)) as { result: { structuredContent: { cards: unknown[] } } };
    expect(after.result.structuredContent.cards.length).toBeGreaterThan(0);
    s.send({ jsonrpc: '2.0', id: 7, method: 'ping' });
    expect(await s.answer(7)).toMatchObject({ result: {} });
    s.child.stdin.end();
    expect((await s.whenClosed()).code).toBe(0);
    stdoutIsJsonRpc(s);
    expect(s.out()).not.toContain('"id":5,');
    expect(s.err()).not.toContain(TEST_SECRET);
  });
});
