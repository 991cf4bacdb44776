// Two server processes on one real Redis against one sandbox: exactly-once stamps, single-use tokens, restarts, and a Redis outage.
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addHolder } from '../../src/sandbox/holder-records.js';
import { seedState, startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import type { StampCard } from '../../src/sandbox/state.js';
import { BIN, cleanEnv, runBuilt } from '../support/binary.js';
import { startHarness, textOf, type Harness } from '../support/harness.js';
import { sharedRedis, startRedis, type RedisProcess } from '../support/redis.js';

const HOLDERS = 40;
const SECRET = 'fleet-secret-93c1e0aa';

interface ServerProcess {
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  pid: number;
  stderr: () => string;
  close(): Promise<void>;
}

/** The built binary over stdio, as a client launches it. */
async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN], env: cleanEnv(env), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'fleet-test', version: '1.0.0' });
  await client.connect(transport);
  return {
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    pid: transport.pid as number,
    stderr: () => stderr,
    close: () => client.close(),
  };
}

interface Fleet {
  sandbox: Sandbox;
  cardId: number;
  holders: number[];
  env: Record<string, string>;
  servers: ServerProcess[];
  close(): Promise<void>;
}

/**
 * One sandbox in this process (a stamp card without rewards, one holder per key) and `count`
 * server processes pointed at it as a live API, all on the Redis at `redisUrl`. A fresh client id
 * per fleet is a fresh account, so the fleet's keys are its own even on a Redis other tests use.
 */
async function startFleet(redisUrl: string, count: number): Promise<Fleet> {
  const state = seedState();
  const createdAt = '2025-06-01 09:00:00';
  const card: StampCard = { id: state.next_ids.card++, code: 'fl33t', name: 'Fleet drill card', domain: 'loyalty.coupontools.com', type: 'stamp', rewards: [], created_at: createdAt };
  state.cards.push(card);
  const holders = Array.from({ length: HOLDERS }, () => addHolder(state, card, { profile: {}, createdAt, walletInstalled: false }).id);
  const apiKey = `fleet-${randomUUID()}`;
  const sandbox = await startSandbox({ state, apiKey, apiSecret: SECRET });
  const env = {
    COUPONTOOLS_API_KEY: apiKey,
    COUPONTOOLS_API_SECRET: SECRET,
    COUPONTOOLS_BASE_URL: sandbox.url,
    COUPONTOOLS_REDIS_URL: redisUrl,
    COUPONTOOLS_MAX_IN_FLIGHT: '16',
  };
  const servers = await Promise.all(Array.from({ length: count }, () => startServer(env)));
  return {
    sandbox,
    cardId: card.id,
    holders,
    env,
    servers,
    async close() {
      await Promise.all(servers.map((s) => s.close()));
      await sandbox.close();
      for (const s of servers) expect(s.stderr()).not.toContain(SECRET);
    },
  };
}

const isReplay = (r: CallToolResult): boolean => (r.structuredContent as { replayed?: unknown } | undefined)?.replayed === true || textOf(r).startsWith('Replay:');
const posts = (sandbox: Sandbox, path?: string) => sandbox.requests.filter((r) => r.method !== 'GET' && (path === undefined || r.path === path));

// Process start-ups and a 5 s bounded wait: generous limits, so a loaded machine is slow rather than failing.
describe('two server processes on one Redis', { timeout: 60_000 }, () => {
  let redis: { url: string; close: () => Promise<void> };
  let fleet: Fleet | undefined;
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('200 concurrent add_stamps over 40 keys, spread across both: each key sent and applied exactly once', async () => {
    fleet = await startFleet(redis.url, 2);
    const { sandbox, cardId, holders, servers } = fleet;
    // Each request takes a while, so calls with one key overlap within and across processes.
    sandbox.inject({ method: 'POST', latencyMs: 30, times: Infinity });
    const CALLS = 200;
    const plan = Array.from({ length: CALLS }, (_, j) => {
      const k = j % HOLDERS;
      // Key k's five calls go to servers 0, 1, 0, 1, 0.
      return { k, server: Math.floor(j / HOLDERS) % 2, args: { loyalty_card_id: cardId, user_id: holders[k], amount: (k % 5) + 1, idempotency_key: `order-${k}` } };
    });
    const results = await Promise.all(plan.map((p) => (servers[p.server] as ServerProcess).call('add_stamps', p.args)));

    let acrossProcesses = 0;
    for (let k = 0; k < HOLDERS; k++) {
      const mine = plan.map((p, j) => ({ ...p, result: results[j] as CallToolResult })).filter((p) => p.k === k);
      const sent = mine.filter((p) => !isReplay(p.result));
      expect(sent, `key order-${k}: ${mine.map((p) => textOf(p.result)).join(' / ')}`).toHaveLength(1);
      const first = sent[0] as (typeof mine)[number];
      expect(first.result.isError, textOf(first.result)).toBeFalsy();
      for (const p of mine.filter((q) => q !== first)) {
        expect(p.result.structuredContent).toEqual({ ...first.result.structuredContent, replayed: true });
        if (p.server !== first.server) acrossProcesses += 1;
      }
    }
    const grants = new Map<number, number[]>();
    for (const e of sandbox.ledger) grants.set(e.user_id, [...(grants.get(e.user_id) ?? []), e.amount]);
    for (const [k, holder] of holders.entries()) expect(grants.get(holder), `holder of key order-${k}`).toEqual([(k % 5) + 1]);
    expect(sandbox.ledger).toHaveLength(HOLDERS);
    expect(posts(sandbox)).toHaveLength(HOLDERS);
    // Every key had calls on both processes and only one process sent it: at least two replays a key came from the other one.
    expect(acrossProcesses).toBeGreaterThanOrEqual(2 * HOLDERS);
    process.stderr.write(
      `shared state: ${CALLS} add_stamps over ${HOLDERS} keys on 2 processes → ${posts(sandbox).length} sent, ${sandbox.ledger.length} applied, ${CALLS - HOLDERS} replayed (${acrossProcesses} by the other process), 0 doubled\n`,
    );
  });

  it('a confirm token issued by process A is redeemed on B once, and refused the second time on either', async () => {
    fleet = await startFleet(redis.url, 2);
    const [a, b] = fleet.servers as [ServerProcess, ServerProcess];
    const args = { loyalty_card_id: fleet.cardId, user_id: fleet.holders[0] };
    const preview = await a.call('void_user', args);
    const { status, confirm_token } = preview.structuredContent as { status: string; confirm_token: string };
    expect(status).toBe('confirmation_required');
    expect(posts(fleet.sandbox)).toHaveLength(0);

    const done = await b.call('void_user', { ...args, confirm_token });
    expect(done.isError, textOf(done)).toBeFalsy();
    for (const again of [await b.call('void_user', { ...args, confirm_token }), await a.call('void_user', { ...args, confirm_token })]) {
      expect(again.isError).toBe(true);
      expect(textOf(again)).toContain('unknown or was already used');
    }
    expect(posts(fleet.sandbox).map((r) => r.method)).toEqual(['PUT']);
  });

  it('a server restarted between an outcome-unknown call and the retry with its key replays instead of stamping again', async () => {
    fleet = await startFleet(redis.url, 1);
    const path = `/v4/loyalty/loyalty-cards/${fleet.cardId}/stats/${fleet.holders[3]}`;
    const args = { loyalty_card_id: fleet.cardId, user_id: fleet.holders[3], amount: 2, idempotency_key: 'till-7-receipt-0042' };
    // Applied, but the connection drops before the answer: the agent is told the outcome is unknown.
    fleet.sandbox.inject({ method: 'POST', path, reset: 'after-read', apply: true });
    const first = await (fleet.servers[0] as ServerProcess).call('add_stamps', args);
    expect(textOf(first)).toMatch(/^Outcome unknown/);

    await (fleet.servers[0] as ServerProcess).close();
    fleet.servers[0] = await startServer(fleet.env);
    const retry = await (fleet.servers[0] as ServerProcess).call('add_stamps', args);
    expect(retry.isError).toBe(true);
    expect(textOf(retry)).toMatch(/^Replay: this idempotency_key was already used with these arguments, and nothing was sent now/);
    expect(textOf(retry)).toContain(textOf(first));
    expect(posts(fleet.sandbox, path)).toHaveLength(1);
    expect(fleet.sandbox.ledger.map((e) => [e.user_id, e.amount])).toEqual([[fleet.holders[3], 2]]);
  });

  it('a process killed mid-call leaves its key held: the retry on the other process sends nothing and says so', async () => {
    fleet = await startFleet(redis.url, 2);
    const [a, b] = fleet.servers as [ServerProcess, ServerProcess];
    const path = `/v4/loyalty/loyalty-cards/${fleet.cardId}/stats/${fleet.holders[5]}`;
    const args = { loyalty_card_id: fleet.cardId, user_id: fleet.holders[5], amount: 1, idempotency_key: 'receipt-killed' };
    fleet.sandbox.inject({ method: 'POST', path, hang: true, apply: true });
    void a.call('add_stamps', args).catch(() => undefined);
    while (posts(fleet.sandbox, path).length === 0) await new Promise((r) => setTimeout(r, 10));
    process.kill(a.pid, 'SIGKILL');

    const retry = await b.call('add_stamps', args);
    expect(retry.isError).toBe(true);
    expect(textOf(retry)).toMatch(/^Not sent: a call with this idempotency_key and these arguments started \d+ s ago and has not answered yet/);
    expect(posts(fleet.sandbox, path)).toHaveLength(1);
  });
});

describe('Redis stops mid-run (a redis-server of this test’s own)', { timeout: 60_000 }, () => {
  let redis: RedisProcess | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    await redis?.stop();
    h = undefined;
    redis = undefined;
  });

  it('keyed and confirmed writes are refused and nothing is sent, reads are served, and it recovers by itself', async () => {
    redis = await startRedis();
    h = await startHarness({ env: { COUPONTOOLS_REDIS_URL: redis.url } });
    const stamp = (key?: string) => ({ loyalty_card_id: 1001, user_id: 5001, amount: 1, ...(key ? { idempotency_key: key } : {}) });
    const writes = () => posts((h as Harness).sandbox).length;
    expect((await h.call('add_stamps', stamp('before'))).isError).toBeFalsy();
    expect(await h.app.store.ready()).toMatchObject({ ok: true });
    expect(writes()).toBe(1);

    await redis.stop();
    const keyed = await h.call('add_stamps', stamp('during'));
    expect(keyed.isError).toBe(true);
    expect(textOf(keyed)).toMatch(/^Not sent: the shared state store \(Redis\) could not claim the idempotency key: .*nothing was sent/);
    const gated = await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(gated.isError).toBe(true);
    expect(textOf(gated)).toContain('no confirm_token could be issued; nothing was done');
    expect(writes()).toBe(1);
    // Reads need no store; neither does a write without a key.
    expect((await h.call('get_user', { loyalty_card_id: 1001, user_id: 5001 })).isError).toBeFalsy();
    expect((await h.call('add_stamps', stamp())).isError).toBeFalsy();
    expect(writes()).toBe(2);
    expect(await h.app.store.ready()).toMatchObject({ ok: false });
    expect(h.stderr.join('')).toMatch(/warning: shared state store: Redis at 127\.0\.0\.1:\d+ is unreachable .*refused and nothing is sent for them; every other call goes on/);

    await redis.restart();
    // Reconnection runs on its own; readiness says when (each look waits at most the store timeout).
    for (let i = 0; i < 20 && !(await h.app.store.ready()).ok; i++) await new Promise((r) => setTimeout(r, 250));
    expect(await h.app.store.ready()).toMatchObject({ ok: true });
    const after = await h.call('add_stamps', stamp('during'));
    expect(after.isError, textOf(after)).toBeFalsy();
    expect(writes()).toBe(3);
    expect(h.stderr.join('')).toMatch(/Redis at 127\.0\.0\.1:\d+ is reachable again/);
  });

  it('a server starts without its Redis, serves reads, refuses keyed writes, and runs them once Redis is there', async () => {
    redis = await startRedis();
    await redis.stop();
    h = await startHarness({ env: { COUPONTOOLS_REDIS_URL: redis.url } });
    const args = { loyalty_card_id: 1001, user_id: 5001, amount: 1, idempotency_key: 'early' };
    expect((await h.call('get_user', { loyalty_card_id: 1001, user_id: 5001 })).isError).toBeFalsy();
    expect(textOf(await h.call('add_stamps', args))).toMatch(/^Not sent: the shared state store \(Redis\)/);
    expect(posts(h.sandbox)).toHaveLength(0);
    await redis.restart();
    for (let i = 0; i < 20 && !(await h.app.store.ready()).ok; i++) await new Promise((r) => setTimeout(r, 250));
    const later = await h.call('add_stamps', args);
    expect(later.isError, textOf(later)).toBeFalsy();
    expect(posts(h.sandbox)).toHaveLength(1);
  });

  it('a Redis that stops answering (SIGSTOP) refuses keyed writes after the store timeout; the claim it never answered is undone', async () => {
    redis = await startRedis();
    h = await startHarness({ env: { COUPONTOOLS_REDIS_URL: redis.url } });
    const args = { loyalty_card_id: 1001, user_id: 5001, amount: 1, idempotency_key: 'frozen' };
    redis.freeze();
    const refused = await h.call('add_stamps', args);
    expect(textOf(refused)).toMatch(/^Not sent: the shared state store \(Redis\) could not claim the idempotency key: no answer within 2000 ms/);
    expect(posts(h.sandbox)).toHaveLength(0);
    redis.thaw();
    // The claim did reach Redis and is applied once it runs again; it was never sent, so it must not hold the key.
    const retry = await h.call('add_stamps', args);
    expect(retry.isError, textOf(retry)).toBeFalsy();
    expect(isReplay(retry)).toBe(false);
    expect(posts(h.sandbox)).toHaveLength(1);
  });
});

describe('COUPONTOOLS_REDIS_URL', () => {
  it('anything but a redis:// or rediss:// URL stops start-up, without echoing it (it may hold a password)', async () => {
    const { code, stderr } = await runBuilt('index.js', ['--redis-url', 'http://user:hunter2@cache:6379']);
    expect(code).toBe(2);
    expect(stderr).toContain('COUPONTOOLS_REDIS_URL (--redis-url) must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379');
    expect(stderr).not.toContain('hunter2');
  });
});
