// Many calls at once are all answered correctly, the in-flight cap holds, and a tool bug never ends the session.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { LoggingMessageNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfirmGate } from '../../src/pipeline/confirm-gate.js';
import { createServer } from '../../src/mcp/registration.js';
import { defineTool } from '../../src/mcp/tool.js';
import { startHarness, textOf, TEST_SECRET, type Harness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('concurrency', () => {
  it('64 concurrent calls are all answered correctly and never more than the cap are in flight', async () => {
    h = await startHarness({ env: { COUPONTOOLS_MAX_IN_FLIGHT: '4' } });
    h.sandbox.inject({ latencyMs: 15, times: Infinity });
    h.sandbox.resetStats();
    const holders = h.sandbox.state.holders.filter((u) => u.loyalty_card_id === 1001 && !u.voided).map((u) => u.id);
    const calls = Array.from({ length: 64 }, (_, i) => {
      const user = holders[i % holders.length]!;
      return i % 2 === 0
        ? h!.call('get_user', { loyalty_card_id: 1001, user_id: user }).then((r) => ({ r, user, kind: 'read' as const }))
        : h!.call('add_stamps', { loyalty_card_id: 1001, user_id: user, amount: 1 }).then((r) => ({ r, user, kind: 'write' as const }));
    });
    const results = await Promise.all(calls);
    for (const { r, user } of results) {
      expect(r.isError, textOf(r)).toBeFalsy();
      expect((r.structuredContent as { user: { id: number } }).user.id).toBe(user);
    }
    expect(h.sandbox.requests).toHaveLength(64);
    expect(h.sandbox.ledger).toHaveLength(32);
    expect(h.sandbox.maxInFlight).toBeGreaterThan(1);
    expect(h.sandbox.maxInFlight).toBeLessThanOrEqual(4);
  });
});

describe('a bug inside a tool', () => {
  it('is logged to stderr, answered as an error, and the session goes on', async () => {
    const logged: string[] = [];
    const buggy = defineTool({
      name: 'buggy',
      title: 'Buggy',
      description: 'A tool whose handler throws a TypeError, standing in for a programming mistake.',
      input: z.strictObject({ n: z.number().describe('Any number') }),
      output: z.looseObject({ n: z.number() }),
      access: 'read',
      idempotent: true,
      async handler(args) {
        if (args.n === 0) throw new TypeError('cannot read properties of undefined');
        return { n: args.n };
      },
    });
    const server = createServer({
      name: 't',
      version: '0',
      instructions: '',
      tools: [buggy],
      api: { request: () => Promise.reject(new Error('no network here')), url: () => 'http://127.0.0.1/' },
      gate: new ConfirmGate('auto'),
      log: { info: () => undefined, warn: () => undefined, error: (m, err) => logged.push(`${m} ${String(err)}`) },
      redact: (t) => t,
      sandbox: false,
    });
    const client = new Client({ name: 'c', version: '0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([client.connect(a), server.connect(b)]);
    const bad = (await client.callTool({ name: 'buggy', arguments: { n: 0 } })) as CallToolResult;
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toBe('Internal error in buggy: cannot read properties of undefined');
    expect(logged).toEqual([expect.stringContaining('buggy failed unexpectedly TypeError')]);
    const good = (await client.callTool({ name: 'buggy', arguments: { n: 2 } })) as CallToolResult;
    expect(good.structuredContent).toEqual({ n: 2 });
    await client.close();
  });
});

describe('logging', () => {
  it('log lines reach the client as MCP log messages, scrubbed of the secret, and stderr', async () => {
    h = await startHarness();
    const received: Array<{ level: string; data: unknown }> = [];
    h.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      received.push({ level: n.params.level, data: n.params.data });
    });
    h.app.log.error('upstream said', new Error(`bad key ${TEST_SECRET}`));
    h.app.log.warn('careful');
    await h.client.ping();
    expect(received).toEqual([
      { level: 'error', data: 'upstream said: bad key [redacted]' },
      { level: 'warning', data: 'careful' },
    ]);
    expect(h.stderr.some((l) => l.includes('error: upstream said: Error: bad key [redacted]'))).toBe(true);
  });
});
