// The state store's contract, held by both backends: the in-memory default and a real redis-server.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../../src/state/idempotency-store.js';
import type { Logger } from '../../src/log.js';
import { MemoryStore } from '../../src/state/memory-store.js';
import { RedisStore } from '../../src/state/redis-store.js';
import type { StateStore } from '../../src/state/store.js';
import { sharedRedis } from '../support/redis.js';

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const result = (text: string) => ({ content: [{ type: 'text' as const, text }] });

let redis: { url: string; close: () => Promise<void> } | undefined;
afterAll(async () => {
  await redis?.close();
});

type Opened = { store: StateStore; close: () => Promise<void> };
/** Each suite gets its own namespace, so a Redis shared with other test files (CI's) is no problem. */
const backends: Array<[string, (now: () => number) => Promise<Opened>]> = [
  ['memory', async (now) => ({ store: new MemoryStore(now).scope(randomUUID()), close: async () => undefined })],
  [
    'redis',
    async (now) => {
      redis ??= await sharedRedis();
      const root = await RedisStore.open(redis.url, quiet, now);
      return { store: root.scope(randomUUID()), close: () => root.close() };
    },
  ],
];

describe.each(backends)('%s store', (_name, open) => {
  let now = Date.parse('2026-05-01T12:00:00Z');
  const clock = () => now;
  let store: StateStore;
  let close: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    ({ store, close } = await open(clock));
  });
  afterAll(() => close());

  it('a key is claimed once; its settled result is what everyone else gets; a freed key can be claimed again', async () => {
    const first = await store.claim('add_stamps:r1', '{"amount":1}');
    expect(first.claimed).toBe(true);
    expect(await store.claim('add_stamps:r1', '{"amount":1}')).toEqual({ claimed: false, record: { state: 'pending', argsKey: '{"amount":1}', at: now } });
    if (!first.claimed) throw new Error('unreachable');
    await store.settle('add_stamps:r1', first.ticket, result('done'));
    expect(await store.claim('add_stamps:r1', '{"amount":1}')).toEqual({ claimed: false, record: { state: 'settled', argsKey: '{"amount":1}', at: now, result: result('done') } });

    const refused = await store.claim('add_stamps:r2', '{"amount":2}');
    if (!refused.claimed) throw new Error('not claimed');
    await store.settle('add_stamps:r2', refused.ticket, undefined);
    expect((await store.claim('add_stamps:r2', '{"amount":2}')).claimed).toBe(true);
  });

  it('only the claim holder settles it', async () => {
    const mine = await store.claim('add_stamps:r3', '{}');
    if (!mine.claimed) throw new Error('not claimed');
    await store.settle('add_stamps:r3', `${mine.ticket}x`, result('forged'));
    expect(await store.claim('add_stamps:r3', '{}')).toMatchObject({ claimed: false, record: { state: 'pending' } });
  });

  it('namespaces never share a key or a token', async () => {
    const other = store.scope(`other-${randomUUID()}`);
    expect((await store.claim('add_stamps:shared', '{}')).claimed).toBe(true);
    expect((await other.claim('add_stamps:shared', '{}')).claimed).toBe(true);
    await store.issueToken('t-ns', { tool: 'void_user', argsKey: '{}', expiresAt: now + 60_000 });
    expect(await other.redeemToken('t-ns', 'void_user', '{}')).toBe('unknown');
    expect(await store.redeemToken('t-ns', 'void_user', '{}')).toBe('ok');
  });

  it('a token is spent once, survives a try with other arguments, and expires by the clock', async () => {
    await store.issueToken('t1', { tool: 'void_user', argsKey: '{"user_id":1}', expiresAt: now + 300_000 });
    expect(await store.redeemToken('t1', 'void_user', '{"user_id":2}')).toBe('mismatch');
    expect(await store.redeemToken('t1', 'delete_user', '{"user_id":1}')).toBe('mismatch');
    expect(await store.redeemToken('t1', 'void_user', '{"user_id":1}')).toBe('ok');
    expect(await store.redeemToken('t1', 'void_user', '{"user_id":1}')).toBe('unknown');
    expect(await store.redeemToken('never-issued', 'void_user', '{}')).toBe('unknown');

    await store.issueToken('t2', { tool: 'void_user', argsKey: '{}', expiresAt: now + 300_000 });
    now += 300_000;
    expect(await store.redeemToken('t2', 'void_user', '{}')).toBe('expired');
    expect(await store.redeemToken('t2', 'void_user', '{}')).toBe('unknown');
  });

  it('50 concurrent claims of one key through two IdempotencyStores (two processes’ worth) make one first caller', async () => {
    const a = new IdempotencyStore(store, quiet, clock);
    const b = new IdempotencyStore(store, quiet, clock);
    const claims = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const claim = await (i % 2 ? a : b).claim('add_stamps', 'race', { amount: 1 });
      if (claim.kind === 'first') await claim.settle(result('stamped'), true);
      return claim;
    }));
    expect(claims.filter((c) => c.kind === 'first')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'replay')).toHaveLength(49);
    for (const c of claims) if (c.kind === 'replay') expect(c.result).toEqual(result('stamped'));
  });
});
