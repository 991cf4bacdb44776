// One account identity everywhere: two --http services of two shops on one real Redis, stdio and HTTP of one shop, and one service's per-account import folders.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accountId } from '../../src/coupontools/accounts.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { BIN, cleanEnv, connect, runBuilt, startHttpService, type HttpService } from '../support/binary.js';
import { textOf } from '../support/harness.js';
import { sharedRedis } from '../support/redis.js';

const A_TOKEN = 'shop-a-token-0123456789abcdef';
const B_TOKEN = 'shop-b-token-fedcba9876543210';
const A_SECRET = 'sk_live_SHOP-A-secret-1f2e';
const B_SECRET = 'sk_live_SHOP-B-secret-3d4c';

const call = async (c: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> => (await c.callTool({ name, arguments: args })) as CallToolResult;
const writes = (s: Sandbox) => s.requests.filter((r) => r.method !== 'GET');
/** Active holders of the coffee card other than 5001 (every sandbox is seeded alike). */
const others = (s: Sandbox): number[] => s.state.holders.filter((h) => h.loyalty_card_id === 1001 && !h.voided && h.id !== 5001).map((h) => h.id);
const auditLines = (path: string): Array<Record<string, unknown>> =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Everything a test started, stopped in reverse order. */
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function sandboxOf(apiKey: string, apiSecret: string): Promise<Sandbox> {
  const s = await startSandbox({ apiKey, apiSecret });
  cleanups.push(() => s.close());
  return s;
}

async function service(env: Record<string, string>): Promise<HttpService> {
  const s = await startHttpService([], env);
  cleanups.push(() => s.stop());
  return s;
}

async function client(url: string, token: string): Promise<Client> {
  const c = await connect(url, token);
  cleanups.push(() => c.close());
  return c;
}

describe('one account identity on one Redis', { timeout: 60_000 }, () => {
  let redis: { url: string; close: () => Promise<void> };
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it("two shops' services on one Redis: A's confirm_token is refused on B and B's holder stays; A's idempotency_key does not replay on B", async () => {
    const a = await sandboxOf('shop-a-client', A_SECRET);
    const b = await sandboxOf('shop-b-client', B_SECRET);
    const dir = mkdtempSync(join(tmpdir(), 'ct-tenants-'));
    const env = (s: Sandbox, key: string, secret: string, token: string, audit: string) => ({
      COUPONTOOLS_API_KEY: key,
      COUPONTOOLS_API_SECRET: secret,
      COUPONTOOLS_BASE_URL: s.url,
      COUPONTOOLS_REDIS_URL: redis.url,
      COUPONTOOLS_HTTP_TOKENS: token,
      COUPONTOOLS_AUDIT_LOG: join(dir, audit),
    });
    const serviceA = await service(env(a, 'shop-a-client', A_SECRET, A_TOKEN, 'a.jsonl'));
    const serviceB = await service(env(b, 'shop-b-client', B_SECRET, B_TOKEN, 'b.jsonl'));
    const ca = await client(serviceA.url, A_TOKEN);
    const cb = await client(serviceB.url, B_TOKEN);

    // Both sandboxes hold the same seeded holder 5001 on card 1001: equal arguments on two shops.
    const target = { loyalty_card_id: 1001, user_id: 5001 };
    const preview = await call(ca, 'delete_user', target);
    const { status, confirm_token } = preview.structuredContent as { status: string; confirm_token: string };
    expect(status).toBe('confirmation_required');
    const stolen = await call(cb, 'delete_user', { ...target, confirm_token });
    expect(stolen.isError).toBe(true);
    expect(textOf(stolen)).toContain('confirm_token was issued for another Coupontools account');
    expect(textOf(stolen)).toContain('nothing was done');
    // The label is only for the message: relabelled as B's, the token is still not in B's scope.
    const idB = accountId({ baseUrl: b.url, apiKey: 'shop-b-client', sandbox: false, sandboxState: undefined });
    const relabelled = await call(cb, 'delete_user', { ...target, confirm_token: confirm_token.replace(/^[^.]+\./, `${idB}.`) });
    expect(textOf(relabelled)).toContain('unknown or was already used');
    expect(writes(b)).toHaveLength(0);
    expect(b.state.holders.some((h) => h.id === 5001)).toBe(true);
    // A's token still works on A: B's tries did not spend it.
    expect((await call(ca, 'delete_user', { ...target, confirm_token })).isError).toBeFalsy();
    expect(a.state.holders.some((h) => h.id === 5001)).toBe(false);

    const holder = others(a)[0] as number;
    const stamp = { loyalty_card_id: 1001, user_id: holder, amount: 1, idempotency_key: 'receipt-0042' };
    expect((await call(ca, 'add_stamps', stamp)).isError).toBeFalsy();
    const onB = await call(cb, 'add_stamps', stamp);
    expect(onB.isError, textOf(onB)).toBeFalsy();
    expect(onB.structuredContent).not.toHaveProperty('replayed');
    expect(b.ledger.map((e) => [e.user_id, e.amount])).toEqual([[holder, 1]]);
    expect(a.ledger.map((e) => [e.user_id, e.amount])).toEqual([[holder, 1]]);

    // Audit lines carry the identity (never the client id or the secret).
    const idA = accountId({ baseUrl: a.url, apiKey: 'shop-a-client', sandbox: false, sandboxState: undefined });
    expect(idA).toMatch(/^account-[0-9a-f]{16}$/);
    expect(idA).not.toBe(idB);
    expect(new Set(auditLines(join(dir, 'a.jsonl')).map((l) => l.account_id))).toEqual(new Set([idA]));
    expect(new Set(auditLines(join(dir, 'b.jsonl')).map((l) => l.account_id))).toEqual(new Set([idB]));
    for (const file of ['a.jsonl', 'b.jsonl']) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const hidden of ['shop-a-client', 'shop-b-client', A_SECRET, B_SECRET]) expect(text).not.toContain(hidden);
    }
  });

  it('one shop over stdio and over HTTP on one Redis shares its keys: a keyed add_stamps is sent once', async () => {
    const shop = await sandboxOf('shop-c-client', A_SECRET);
    const dir = mkdtempSync(join(tmpdir(), 'ct-tenants-'));
    const env = { COUPONTOOLS_API_KEY: 'shop-c-client', COUPONTOOLS_API_SECRET: A_SECRET, COUPONTOOLS_BASE_URL: shop.url, COUPONTOOLS_REDIS_URL: redis.url };
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN], env: cleanEnv({ ...env, COUPONTOOLS_AUDIT_LOG: join(dir, 'stdio.jsonl') }), stderr: 'pipe' });
    const stdio = new Client({ name: 'tenants-stdio', version: '1.0.0' });
    await stdio.connect(transport);
    cleanups.push(() => stdio.close());
    const http = await client((await service({ ...env, COUPONTOOLS_HTTP_TOKENS: A_TOKEN, COUPONTOOLS_AUDIT_LOG: join(dir, 'http.jsonl') })).url, A_TOKEN);

    const [holder, voided] = others(shop) as [number, number];
    const stamp = { loyalty_card_id: 1001, user_id: holder, amount: 2, idempotency_key: 'till-3-receipt-9' };
    const first = await call(stdio, 'add_stamps', stamp);
    expect(first.isError, textOf(first)).toBeFalsy();
    const again = await call(http, 'add_stamps', stamp);
    expect(again.structuredContent).toEqual({ ...first.structuredContent, replayed: true });
    expect(writes(shop)).toHaveLength(1);
    expect(shop.ledger.map((e) => [e.user_id, e.amount])).toEqual([[holder, 2]]);

    // And a token previewed over HTTP is redeemed over stdio: one account, one scope.
    const { confirm_token } = (await call(http, 'void_user', { loyalty_card_id: 1001, user_id: voided })).structuredContent as { confirm_token: string };
    const confirmed = await call(stdio, 'void_user', { loyalty_card_id: 1001, user_id: voided, confirm_token });
    expect(confirmed.isError, textOf(confirmed)).toBeFalsy();
    const id = accountId({ baseUrl: shop.url, apiKey: 'shop-c-client', sandbox: false, sandboxState: undefined });
    for (const file of ['stdio.jsonl', 'http.jsonl']) expect(new Set(auditLines(join(dir, file)).map((l) => l.account_id))).toEqual(new Set([id]));
  });
});

describe('import folders belong to an account (one service, an accounts file, two tokens)', { timeout: 60_000 }, () => {
  const customers = (tag: string, n: number): string => `email,first_name\n${Array.from({ length: n }, (_, i) => `${tag}-${i + 1}@example.com,F${i + 1}`).join('\n')}\n`;
  const accountsFile = (dir: string, accounts: Record<string, unknown>): string => {
    const path = join(dir, 'accounts.json');
    writeFileSync(path, JSON.stringify({ accounts }));
    return path;
  };
  const bulk = (s: Sandbox) => s.requests.filter((r) => r.path.endsWith('/stats/bulk'));

  it("each account imports from its own folder only: B cannot name A's file, nothing is sent, and each journal is named by its account", async () => {
    const north = await sandboxOf('north-client', A_SECRET);
    const south = await sandboxOf('south-client', B_SECRET);
    const root = mkdtempSync(join(tmpdir(), 'ct-tenants-'));
    const northDir = join(root, 'north');
    const southDir = join(root, 'south');
    mkdirSync(northDir);
    mkdirSync(southDir);
    writeFileSync(join(northDir, 'customers.csv'), customers('north', 5));
    const file = accountsFile(root, {
      north: { tokens: [A_TOKEN], settings: { COUPONTOOLS_API_KEY: 'north-client', COUPONTOOLS_API_SECRET: A_SECRET, COUPONTOOLS_BASE_URL: north.url, COUPONTOOLS_IMPORT_DIR: northDir, COUPONTOOLS_CONFIRM: 'off' } },
      south: { tokens: [B_TOKEN], settings: { COUPONTOOLS_API_KEY: 'south-client', COUPONTOOLS_API_SECRET: B_SECRET, COUPONTOOLS_BASE_URL: south.url, COUPONTOOLS_IMPORT_DIR: southDir, COUPONTOOLS_CONFIRM: 'off' } },
      east: { tokens: ['east-token-00112233445566778899'] },
    });
    const svc = await service({ COUPONTOOLS_ACCOUNTS_FILE: file });
    const n = await client(svc.url, A_TOKEN);
    const s = await client(svc.url, B_TOKEN);
    const e = await client(svc.url, 'east-token-00112233445566778899');
    expect((await e.listTools()).tools.map((t) => t.name)).not.toContain('import_users');

    for (const [name, message] of [
      ['../north/customers.csv', 'outside the import folder'],
      [join(northDir, 'customers.csv'), 'outside the import folder'],
      ['customers.csv', 'There is no file "customers.csv" in the import folder'],
    ] as const) {
      const refused = await call(s, 'import_users', { loyalty_card_id: 1001, file: name });
      expect(refused.isError, name).toBe(true);
      expect(textOf(refused), name).toContain(message);
      expect(textOf(refused), name).toContain('Nothing was sent');
    }
    expect(bulk(south)).toHaveLength(0);
    expect(south.state.holders.filter((h) => h.email.startsWith('north-'))).toHaveLength(0);

    const done = await call(n, 'import_users', { loyalty_card_id: 1001, file: 'customers.csv' });
    expect(done.isError, textOf(done)).toBeFalsy();
    const idNorth = accountId({ baseUrl: north.url, apiKey: 'north-client', sandbox: false, sandboxState: undefined });
    expect(done.structuredContent).toMatchObject({ created: 5, journal_file: `customers.csv.${idNorth}.card-1001.journal`, result_file: `customers.csv.${idNorth}.card-1001.result.csv` });
    expect(readdirSync(southDir)).toEqual([]);
  });

  it('two accounts may not share an import folder (nor nest one in the other), and the service-wide setting is refused with an accounts file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ct-tenants-'));
    mkdirSync(join(root, 'shared', 'inner'), { recursive: true });
    const two = (dirA: string, dirB: string) =>
      accountsFile(root, {
        alpha: { tokens: [A_TOKEN], settings: { COUPONTOOLS_IMPORT_DIR: dirA } },
        beta: { tokens: [B_TOKEN], settings: { COUPONTOOLS_IMPORT_DIR: dirB } },
      });
    for (const [dirA, dirB] of [
      [join(root, 'shared'), join(root, 'shared')],
      [join(root, 'shared'), join(root, 'shared', 'inner')],
      [join(root, 'shared', 'inner', '..'), join(root, 'shared')],
    ] as const) {
      const r = await runBuilt('index.js', ['--http', '--port', '0'], { COUPONTOOLS_ACCOUNTS_FILE: two(dirA, dirB) });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('accounts alpha and beta share an import folder');
    }
    const wide = await runBuilt('index.js', ['--http', '--port', '0'], { COUPONTOOLS_ACCOUNTS_FILE: two(join(root, 'shared'), join(root, 'other')), COUPONTOOLS_IMPORT_DIR: root });
    expect(wide.code).toBe(2);
    expect(wide.stderr).toContain('an import folder belongs to one account; put COUPONTOOLS_IMPORT_DIR in the settings of the account it is for');
  });
});
