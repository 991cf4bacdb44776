// A Redis that may forget a claim (issue 25), against real redis-server processes of this test's own: warned at start, refused when asked, named by doctor and /readyz, never with its password.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, runBuilt, startHttpService } from '../support/binary.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

const PASSWORD = 'hunter2-redis-pass-77';
const TOKEN = 'durability-token-0123456789';

interface Check {
  name: string;
  verdict: string;
  detail: string;
  fix?: string;
}

const aofDir = (): string => mkdtempSync(join(tmpdir(), 'ct-redis-aof-'));

/** The Redis set-ups under test, each its own redis-server; not one depends on CI's Redis or its settings. */
const setups = {
  evicting: { settings: () => ['--maxmemory-policy', 'volatile-lru', '--maxmemory', '64mb', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', aofDir(), '--requirepass', PASSWORD] },
  forgetful: { settings: () => ['--save', '', '--appendonly', 'no'] },
  durable: { settings: () => ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', aofDir()] },
  lazyFsync: { settings: () => ['--appendonly', 'yes', '--appendfsync', 'no', '--dir', aofDir()] },
  // A managed Redis that hides CONFIG: AOF off is visible, whether RDB snapshots are on is not.
  noConfig: { settings: () => ['--save', '', '--appendonly', 'no', '--rename-command', 'CONFIG', ''] },
} as const;
type Setup = keyof typeof setups;

const redis = new Map<Setup, RedisProcess>();
/** The URL a server is given: the password in it for the Redis that has one. */
const urlOf = (setup: Setup): string => {
  const url = (redis.get(setup) as RedisProcess).url;
  return setup === 'evicting' ? url.replace('redis://', `redis://:${PASSWORD}@`) : url;
};

beforeAll(async () => {
  for (const [name, setup] of Object.entries(setups)) redis.set(name as Setup, await startRedis(setup.settings()));
});
afterAll(async () => {
  for (const r of redis.values()) await r.stop();
});

/** A stdio server that starts, finds stdin closed, and exits: what it said on the way. */
const stdio = (setup: Setup, env: Record<string, string> = {}) => runBuilt('index.js', [], { COUPONTOOLS_REDIS_URL: urlOf(setup), ...env });
const warnings = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes('may forget idempotency claims'));
const doctor = async (setup: Setup, env: Record<string, string> = {}): Promise<{ code: number | null; checks: Check[]; text: string }> => {
  const r = await runBuilt('index.js', ['doctor', '--json'], { COUPONTOOLS_REDIS_URL: urlOf(setup), ...env });
  expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  return { code: r.code, checks: (JSON.parse(r.stdout) as { checks: Check[] }).checks, text: r.stdout };
};
const check = (checks: Check[], name: string) => checks.find((c) => c.name === name);

describe('a Redis that may forget a claim, at start-up (stdio)', { timeout: 60_000 }, () => {
  it('volatile-lru: one warning naming the policy, the risk and the fix; never the password', async () => {
    const r = await stdio('evicting');
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toHaveLength(1);
    const line = warnings(r.stderr)[0] as string;
    expect(line).toMatch(/^\[coupontools-mcp\] warning: shared state store: Redis at 127\.0\.0\.1:\d+ may forget idempotency claims, and a retried keyed add_stamps would then stamp twice: /);
    expect(line).toContain('maxmemory-policy is volatile-lru (set noeviction');
    expect(line).not.toContain('AOF');
    expect(line).toContain('COUPONTOOLS_REDIS_REQUIRE_DURABLE=1 refuses to start');
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it('no AOF, no RDB: warned, with the fix', async () => {
    const r = await stdio('forgetful');
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toHaveLength(1);
    expect(warnings(r.stderr)[0]).toContain('neither AOF nor RDB is on (a restart forgets every claim; set appendonly yes with appendfsync everysec or always)');
    expect(warnings(r.stderr)[0]).not.toContain('maxmemory-policy');
  });

  it('AOF with appendfsync no: warned', async () => {
    const r = await stdio('lazyFsync');
    expect(warnings(r.stderr)).toHaveLength(1);
    expect(warnings(r.stderr)[0]).toContain('AOF has appendfsync no (set everysec or always');
  });

  it('CONFIG disabled: says what could not be read', async () => {
    const r = await stdio('noConfig');
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toHaveLength(1);
    expect(warnings(r.stderr)[0]).toMatch(/AOF is off and whether RDB snapshots are on could not be read \(CONFIG GET is refused: ERR unknown command 'CONFIG'.*'save'\)\./);
  });

  it('noeviction with AOF (appendfsync always): no warning at all', async () => {
    const r = await stdio('durable');
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([]);
    expect(r.stderr).not.toContain('warning:');
  });

  it('COUPONTOOLS_REDIS_REQUIRE_DURABLE (or --redis-require-durable) refuses to start: exit 2, one line', async () => {
    for (const [setup, args, env] of [
      ['evicting', [], { COUPONTOOLS_REDIS_REQUIRE_DURABLE: '1' }],
      ['forgetful', ['--redis-require-durable'], {}],
      ['noConfig', ['--redis-require-durable'], {}],
    ] as const) {
      const r = await runBuilt('index.js', [...args], { COUPONTOOLS_REDIS_URL: urlOf(setup), ...env });
      expect(r.code, `${setup}: ${r.stderr}`).toBe(2);
      const refusals = r.stderr.split('\n').filter((l) => l.includes('REQUIRE_DURABLE'));
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatch(/^coupontools-mcp: COUPONTOOLS_REDIS_REQUIRE_DURABLE \(--redis-require-durable\) is on and Redis at 127\.0\.0\.1:\d+ may forget idempotency claims, .*; not starting$/);
      expect(warnings(r.stderr).filter((l) => l.includes('warning:'))).toEqual([]);
      expect(r.stderr).not.toContain(PASSWORD);
    }
    const fine = await runBuilt('index.js', ['--redis-require-durable'], { COUPONTOOLS_REDIS_URL: urlOf('durable') });
    expect(fine.code, fine.stderr).toBe(0);
  });

  it('a Redis that is not there cannot be checked: refused when required', async () => {
    const gone = await startRedis();
    await gone.stop();
    const r = await runBuilt('index.js', ['--redis-require-durable'], { COUPONTOOLS_REDIS_URL: gone.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/COUPONTOOLS_REDIS_REQUIRE_DURABLE \(--redis-require-durable\) is on and Redis at 127\.0\.0\.1:\d+ could not be checked \(no connection within 2000 ms\); not starting/);
  });
});

describe('a Redis that may forget a claim, in the HTTP service', { timeout: 60_000 }, () => {
  it('warns at start and /readyz stays 200 but names the Redis and the risk, never the password', async () => {
    const service = await startHttpService([], { COUPONTOOLS_HTTP_TOKENS: TOKEN, COUPONTOOLS_REDIS_URL: urlOf('evicting') });
    try {
      expect(warnings(service.err())).toHaveLength(1);
      const ready = await raw(`${service.url.replace(/\/mcp$/, '')}/readyz`, 'GET', {});
      expect(ready.status).toBe(200);
      const body = JSON.parse(ready.body) as { status: string; warning?: string };
      expect(body.status).toBe('ready');
      expect(body.warning).toMatch(/^shared state store: Redis at 127\.0\.0\.1:\d+ may forget idempotency claims, .*maxmemory-policy is volatile-lru/);
      expect(ready.body + service.err()).not.toContain(PASSWORD);
    } finally {
      expect((await service.stop()).code).toBe(0);
    }
  });

  it('a durable Redis: /readyz has no warning', async () => {
    const service = await startHttpService([], { COUPONTOOLS_HTTP_TOKENS: TOKEN, COUPONTOOLS_REDIS_URL: urlOf('durable') });
    try {
      const ready = await raw(`${service.url.replace(/\/mcp$/, '')}/readyz`, 'GET', {});
      expect([ready.status, JSON.parse(ready.body)]).toEqual([200, { status: 'ready' }]);
      expect(warnings(service.err())).toEqual([]);
    } finally {
      await service.stop();
    }
  });

  it('with the refusal setting, the service does not start: exit 2, one line', async () => {
    const r = await runBuilt('index.js', ['--http', '--port', '0', '--redis-require-durable'], { COUPONTOOLS_HTTP_TOKENS: TOKEN, COUPONTOOLS_REDIS_URL: urlOf('forgetful') });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.includes('REQUIRE_DURABLE'))).toEqual([expect.stringMatching(/^coupontools-mcp: .*neither AOF nor RDB is on.*; not starting$/)]);
    expect(r.stderr).not.toContain('serving MCP');
  });
});

describe('doctor checks the Redis it is given', { timeout: 60_000 }, () => {
  it('volatile-lru: the live policy on its own line, a warning (exit 0); with the refusal setting a failure (exit 1)', async () => {
    const { code, checks } = await doctor('evicting');
    expect(code).toBe(0);
    expect(check(checks, 'state store')).toMatchObject({ verdict: 'ok', detail: expect.stringMatching(/^Redis at 127\.0\.0\.1:\d+ answers\.$/) });
    expect(check(checks, 'eviction')).toMatchObject({ verdict: 'warn', detail: expect.stringContaining('maxmemory-policy volatile-lru, maxmemory 67108864 bytes'), fix: expect.stringContaining('noeviction') });
    expect(check(checks, 'persistence')).toMatchObject({ verdict: 'ok', detail: expect.stringContaining('AOF on, appendfsync everysec') });
    const strict = await doctor('evicting', { COUPONTOOLS_REDIS_REQUIRE_DURABLE: '1' });
    expect(strict.code).toBe(1);
    expect(check(strict.checks, 'eviction')).toMatchObject({ verdict: 'fail', fix: expect.stringContaining('the server refuses to start on this Redis') });
  });

  it('no persistence, CONFIG hidden, and a durable Redis: each fact as it is', async () => {
    expect(check((await doctor('forgetful')).checks, 'persistence')).toMatchObject({ verdict: 'warn', detail: expect.stringContaining('Neither AOF (appendonly no) nor RDB (save "") is on') });
    expect(check((await doctor('noConfig')).checks, 'persistence')).toMatchObject({ verdict: 'warn', detail: expect.stringMatching(/^AOF is off, and whether RDB snapshots are on could not be read \(CONFIG GET save: ERR unknown command/) });
    const durable = await doctor('durable');
    expect(durable.code).toBe(0);
    expect(['state store', 'eviction', 'persistence'].map((n) => check(durable.checks, n)?.verdict)).toEqual(['ok', 'ok', 'ok']);
    expect(check(durable.checks, 'persistence')?.detail).toContain('appendfsync always: every claim is on disk before Redis answers');
  });

  it('a Redis that does not answer is a failure', async () => {
    const gone = await startRedis();
    await gone.stop();
    const r = await runBuilt('index.js', ['doctor', '--json'], { COUPONTOOLS_REDIS_URL: gone.url });
    expect(r.code).toBe(1);
    const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
    expect(check(checks, 'state store')).toMatchObject({ verdict: 'fail', fix: expect.stringContaining('COUPONTOOLS_REDIS_URL') });
  });
});
