// End to end: the built binary over stdio, as Claude Desktop runs it; then garbage on stdin.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { packageInfo } from '../../src/package-info.js';
import { BIN, cleanEnv, runBuilt, startRawSession } from '../support/binary.js';
import { liveEnv, TEST_KEY, TEST_SECRET } from '../support/harness.js';

const run = (args: string[], env: Record<string, string>) => runBuilt('index.js', args, env);

describe('command line', () => {
  it('--version prints the package version', async () => {
    const r = await run(['--version'], {});
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(packageInfo.version);
  });

  it('--help lists every setting', async () => {
    const r = await run(['--help'], {});
    expect(r.code).toBe(0);
    for (const name of ['COUPONTOOLS_API_KEY', 'COUPONTOOLS_API_SECRET', 'COUPONTOOLS_BASE_URL', 'COUPONTOOLS_TIMEOUT_MS', 'COUPONTOOLS_CONFIRM', '--sandbox']) {
      expect(r.stdout).toContain(name);
    }
  });

  it.each([
    [{ COUPONTOOLS_TIMEOUT_MS: 'abc' }, [], /COUPONTOOLS_TIMEOUT_MS \(--timeout-ms\) must be a whole number/],
    [{ COUPONTOOLS_CONFIRM: 'sometimes' }, [], /COUPONTOOLS_CONFIRM \(--confirm\) must be one of auto, elicit, off/],
    [{}, ['--max-in-flight', '0'], /COUPONTOOLS_MAX_IN_FLIGHT \(--max-in-flight\)/],
    [{ COUPONTOOLS_BASE_URL: 'ftp://x' }, [], /COUPONTOOLS_BASE_URL/],
    [{ COUPONTOOLS_API_SECRET: 'only-the-secret-123' }, [], /go together/],
    [{}, ['--no-such-flag'], /unknown option "--no-such-flag"/],
    [{ COUPONTOOLS_TOOLS: 'get_user,nope' }, [], /unknown tool\(s\) nope; valid names: list_loyalty_cards, copy_loyalty_card/],
    [{}, ['--read-only', '--tools', 'delete_user'], /leaves no tool/],
  ])('an invalid setting stops start-up with one line and exit code 2 (%o %o)', async (env, args, message) => {
    const r = await run(args, env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toContain('only-the-secret-123');
  });
});

describe('over stdio', () => {
  let sandbox: Sandbox;
  let transport: StdioClientTransport;
  let client: Client;
  const stderr: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET });
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN],
      env: cleanEnv(liveEnv(sandbox.url)),
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client.close();
    await sandbox.close();
    expect(stderr.join('')).not.toContain(TEST_SECRET);
  });

  it('identifies itself and teaches the flow', () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'coupontools-mcp', version: packageInfo.version });
    expect(client.getInstructions()).toMatch(/list_users.*add_stamps.*get_user.*use_rewards/s);
  });

  it('runs the store-owner flow: find Jane, add stamps, see the free coffee, redeem it', async () => {
    expect((await client.listTools()).tools).toHaveLength(12);
    const found = (await client.callTool({ name: 'list_users', arguments: { loyalty_card_id: 1001, filter: { email: 'jane@example.com' } } })) as CallToolResult;
    const jane = (found.structuredContent as { users: Array<{ id: number; stamps: number }> }).users[0]!;
    expect(jane).toMatchObject({ id: 5001, stamps: 7 });
    const stamped = (await client.callTool({ name: 'add_stamps', arguments: { loyalty_card_id: 1001, user_id: jane.id, amount: 3 } })) as CallToolResult;
    const rewards = (stamped.structuredContent as { rewards_available: Array<{ id: number; name: string }> }).rewards_available;
    expect(rewards.map((r) => r.name)).toContain('Free coffee');
    const coffee = rewards.find((r) => r.name === 'Free coffee')!;
    const used = (await client.callTool({ name: 'use_rewards', arguments: { loyalty_card_id: 1001, user_id: jane.id, reward_ids: [coffee.id] } })) as CallToolResult;
    expect(used.isError).toBeFalsy();
    expect(sandbox.ledger.filter((e) => e.user_id === 5001)).toHaveLength(1);
    expect(stderr.join('')).toContain('LIVE mode');
  });

  it('survives garbage and half frames on stdin; stdout carries only JSON-RPC', async () => {
    const s = await startRawSession([], liveEnv(sandbox.url));
    s.raw('this is not json\n');
    s.raw('{"jsonrpc":"2.0","id":77,"method":"tools/li'); // half a frame…
    s.raw('\n'); // …cut off by a newline
    s.raw('{"unbalanced": [1, 2\n');
    s.raw('\n\n');
    s.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const listed = (await s.answer(2)) as { result: { tools: unknown[] } };
    expect(listed.result.tools).toHaveLength(12);
    s.send({ jsonrpc: '2.0', id: 3, method: 'no/such/method' });
    expect(await s.answer(3)).toMatchObject({ error: { code: -32601 } });
    s.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'get_user', arguments: { loyalty_card_id: 1001, user_id: 5001 } } });
    expect(JSON.stringify(await s.answer(4))).toContain('jane@example.com');
    s.child.stdin.end();
    expect((await s.whenClosed()).code).toBe(0);
    for (const m of s.messages()) expect(m.jsonrpc).toBe('2.0');
    expect(s.messages().some((m) => m.id === 77)).toBe(false);
    expect(s.err()).not.toContain(TEST_SECRET);
    expect(s.out()).not.toContain(TEST_SECRET);
  });
});

describe('safety controls over stdio', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET });
  });
  afterAll(() => sandbox.close());

  async function connect(args: string[]): Promise<Client> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, ...args],
      env: cleanEnv(liveEnv(sandbox.url)),
      stderr: 'ignore',
    });
    const client = new Client({ name: 'e2e-safety', version: '1.0.0' });
    await client.connect(transport);
    return client;
  }

  it('--read-only offers the three read tools', async () => {
    const client = await connect(['--read-only']);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['get_user', 'list_loyalty_cards', 'list_users']);
    await client.close();
  });

  it('--tools, --dry-run and --audit-log together', async () => {
    const audit = join(mkdtempSync(join(tmpdir(), 'ct-e2e-')), 'audit.jsonl');
    const client = await connect(['--tools', 'list_users,add_stamps', '--dry-run', '--audit-log', audit]);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['add_stamps', 'list_users']);
    sandbox.clearRequests();
    const result = (await client.callTool({ name: 'add_stamps', arguments: { loyalty_card_id: 1001, user_id: 5001, amount: 4 } })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ status: 'dry_run', request: { method: 'POST', body: { amount: 4 } } });
    expect(sandbox.requests).toHaveLength(0);
    await client.close();
    const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ tool: 'add_stamps', outcome: 'dry_run', amount: 4, user_id: '5001' })]);
  });

  it('an idempotency_key makes a repeated add_stamps a replay', async () => {
    const client = await connect([]);
    sandbox.clearRequests();
    const args = { loyalty_card_id: 1001, user_id: 5001, amount: 1, idempotency_key: 'pos-receipt-77' };
    await client.callTool({ name: 'add_stamps', arguments: args });
    const again = (await client.callTool({ name: 'add_stamps', arguments: args })) as CallToolResult;
    expect(again.structuredContent).toMatchObject({ replayed: true, added: 1 });
    expect(sandbox.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    await client.close();
  });
});
