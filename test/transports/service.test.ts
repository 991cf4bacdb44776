// The HTTP service (--http), driven as a remote client would: the built binary on a free port, the SDK's Streamable HTTP client, two accounts against two sandboxes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { connect, raw, runBuilt, startHttpService, type HttpService } from '../support/binary.js';

const NORTH_TOKEN = 'north-token-0123456789abcdef';
const SOUTH_TOKEN = 'south-token-fedcba9876543210';
const NORTH_SECRET = 'sk_live_NORTH-secret-5b2e';
const SOUTH_SECRET = 'sk_live_SOUTH-secret-9c4d';

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const listTools = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

describe('the HTTP service with two accounts', () => {
  let north: Sandbox;
  let south: Sandbox;
  let service: HttpService;
  let auditPath: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    north = await startSandbox({ apiKey: 'north-key', apiSecret: NORTH_SECRET });
    south = await startSandbox({ apiKey: 'south-key', apiSecret: SOUTH_SECRET });
    const dir = mkdtempSync(join(tmpdir(), 'ct-service-'));
    auditPath = join(dir, 'audit.jsonl');
    const accountsFile = join(dir, 'accounts.json');
    writeFileSync(
      accountsFile,
      JSON.stringify({
        accounts: {
          north: { tokens: [NORTH_TOKEN], settings: { COUPONTOOLS_API_KEY: 'north-key', COUPONTOOLS_API_SECRET: NORTH_SECRET, COUPONTOOLS_BASE_URL: north.url } },
          south: {
            tokens: [SOUTH_TOKEN],
            settings: {
              COUPONTOOLS_API_KEY: 'south-key',
              COUPONTOOLS_API_SECRET: SOUTH_SECRET,
              COUPONTOOLS_BASE_URL: south.url,
              COUPONTOOLS_TOOLS: 'list_loyalty_cards,get_user,add_stamps,delete_user',
            },
          },
        },
      }),
    );
    service = await startHttpService(['--max-body-bytes', '4096'], { COUPONTOOLS_ACCOUNTS_FILE: accountsFile, COUPONTOOLS_AUDIT_LOG: auditPath });
  });

  afterAll(async () => {
    for (const client of clients) await client.close();
    const end = await service?.stop();
    await north?.close();
    await south?.close();
    expect(end?.code).toBe(0);
    // Neither account's secret nor any caller token reaches a log or audit line.
    const audit = readFileSync(auditPath, 'utf8');
    for (const secret of [NORTH_SECRET, SOUTH_SECRET, NORTH_TOKEN, SOUTH_TOKEN]) {
      expect(service.err()).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
  });

  const client = async (token: string): Promise<Client> => {
    const c = await connect(service.url, token);
    clients.push(c);
    return c;
  };
  const call = async (c: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> => (await c.callTool({ name, arguments: args })) as CallToolResult;

  it('each token lists its own account\'s tools and calls go to that account\'s upstream, with its credentials', async () => {
    const n = await client(NORTH_TOKEN);
    const s = await client(SOUTH_TOKEN);
    expect((await n.listTools()).tools).toHaveLength(12);
    expect((await s.listTools()).tools.map((t) => t.name).sort()).toEqual(['add_stamps', 'delete_user', 'get_user', 'list_loyalty_cards']);
    north.clearRequests();
    south.clearRequests();
    const cards = await call(n, 'list_loyalty_cards', {});
    expect(cards.isError, JSON.stringify(cards)).toBeFalsy();
    expect(north.requests.map((r) => r.headers['x-api-key'])).toEqual(['north-key']);
    expect(south.requests).toHaveLength(0);
    // Outside its allowlist, a tool does not exist for south.
    const refused = await call(s, 'list_users', { loyalty_card_id: 1001 });
    expect(refused.isError).toBe(true);
    expect(south.requests).toHaveLength(0);
    expect((await call(s, 'get_user', { loyalty_card_id: 1001, user_id: 5001 })).isError).toBeFalsy();
    expect(south.requests.map((r) => r.headers['x-api-key'])).toEqual(['south-key']);
    expect(north.requests).toHaveLength(1);
  });

  it('a confirm token works only for the account that got it', async () => {
    const n = await client(NORTH_TOKEN);
    const s = await client(SOUTH_TOKEN);
    const preview = await call(n, 'delete_user', { loyalty_card_id: 1001, user_id: 5001 });
    const { status, confirm_token } = preview.structuredContent as Record<string, string>;
    expect(status).toBe('confirmation_required');
    const stolen = await call(s, 'delete_user', { loyalty_card_id: 1001, user_id: 5001, confirm_token });
    expect(stolen.isError).toBe(true);
    expect(JSON.stringify(stolen.content)).toContain('unknown or was already used');
    expect(south.state.holders.some((h) => h.id === 5001)).toBe(true);
    const done = await call(n, 'delete_user', { loyalty_card_id: 1001, user_id: 5001, confirm_token });
    expect(done.isError, JSON.stringify(done)).toBeFalsy();
    expect(north.state.holders.some((h) => h.id === 5001)).toBe(false);
    expect(south.state.holders.some((h) => h.id === 5001)).toBe(true);
  });

  it('idempotency keys are per account, and every audit line names its account', async () => {
    const n = await client(NORTH_TOKEN);
    const s = await client(SOUTH_TOKEN);
    const holder = north.state.holders.find((h) => h.loyalty_card_id === 1001 && !h.voided && h.id !== 5001) as { id: number };
    const args = { loyalty_card_id: 1001, user_id: holder.id, amount: 1, idempotency_key: 'receipt-77' };
    const before = [north.ledger.length, south.ledger.length];
    expect((await call(n, 'add_stamps', args)).isError).toBeFalsy();
    const replay = await call(n, 'add_stamps', args);
    expect(replay.structuredContent).toMatchObject({ replayed: true });
    // The same key in the other account is that account's first use: sent to its own upstream.
    const other = await call(s, 'add_stamps', args);
    expect(other.structuredContent).not.toHaveProperty('replayed');
    expect([north.ledger.length, south.ledger.length]).toEqual([(before[0] as number) + 1, (before[1] as number) + 1]);
    const lines = readFileSync(auditPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { account: string; tool: string; outcome: string });
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(['north', 'south']).toContain(line.account);
    expect(lines.filter((l) => l.tool === 'add_stamps').map((l) => [l.account, l.outcome])).toEqual([
      ['north', 'ok'],
      ['north', 'replayed'],
      ['south', 'ok'],
    ]);
  });

  it('logs one JSON line per request on stderr: method, tool, status, duration and account, never arguments', async () => {
    const n = await client(NORTH_TOKEN);
    const jsonLines = (): Array<Record<string, unknown>> =>
      service
        .err()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const seen = jsonLines().filter((l) => l.tool === 'get_user').length;
    await call(n, 'get_user', { loyalty_card_id: 1001, user_id: 5002 });
    // The line is written once the response has gone out, so it may reach us just after it.
    while (jsonLines().filter((l) => l.tool === 'get_user').length === seen) await new Promise((r) => setTimeout(r, 10));
    const lines = jsonLines();
    const line = lines.findLast((l) => l.tool === 'get_user');
    expect(line).toMatchObject({ http: 'POST /mcp', rpc: 'tools/call', tool: 'get_user', status: 200, account: 'north' });
    expect(typeof line?.duration_ms).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('5002');
  });

  it('refuses a caller without a token, or with an unknown one, before reading the body', async () => {
    const none = await raw(service.url, 'POST', MCP_HEADERS, listTools);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm="coupontools-mcp"/);
    const wrong = await raw(service.url, 'POST', { ...MCP_HEADERS, authorization: `Bearer ${NORTH_TOKEN}x` }, listTools);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');
    await expect(connect(service.url, undefined)).rejects.toMatchObject({ code: 401 });
  });

  it('refuses a foreign Origin or Host (DNS rebinding), an oversized body, and GET on /mcp', async () => {
    const auth = { ...MCP_HEADERS, authorization: `Bearer ${NORTH_TOKEN}` };
    expect((await raw(service.url, 'POST', auth, listTools)).status).toBe(200);
    expect((await raw(service.url, 'POST', { ...auth, origin: 'https://evil.example' }, listTools)).status).toBe(403);
    expect((await raw(service.url, 'POST', { ...auth, host: 'evil.example:8808' }, listTools)).status).toBe(403);
    expect((await raw(service.url, 'POST', { ...auth, origin: 'http://localhost:3000' }, listTools)).status).toBe(200);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(5000) } });
    const tooBig = await raw(service.url, 'POST', auth, big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toContain('larger than 4096 bytes');
    // Without a Content-Length (chunked), the limit holds as the bytes arrive.
    const chunked = await raw(service.url, 'POST', auth, Array.from({ length: 6 }, (_, i) => (i === 0 ? big.slice(0, 1000) : 'x'.repeat(1000))));
    expect(chunked.status).toBe(413);
    // Either way the answer is JSON-RPC, for the request's id.
    for (const answer of [tooBig, chunked]) {
      expect(answer.headers['content-type']).toBe('application/json');
      expect(JSON.parse(answer.body)).toMatchObject({ jsonrpc: '2.0', id: 1, error: { code: -32600 } });
    }
    const get = await raw(service.url, 'GET', { ...auth, accept: 'text/event-stream' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
  });

  it('answers the probes without authentication', async () => {
    const base = service.url.replace(/\/mcp$/, '');
    const health = await raw(`${base}/healthz`, 'GET', {});
    expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: 'ok' }]);
    const ready = await raw(`${base}/readyz`, 'GET', {});
    expect([ready.status, JSON.parse(ready.body)]).toEqual([200, { status: 'ready' }]);
    expect((await raw(`${base}/.well-known/oauth-protected-resource`, 'GET', {})).status).toBe(404);
  });
});

describe('a request body over the cap', () => {
  let sandbox: Sandbox;
  let service: HttpService;
  beforeAll(async () => {
    sandbox = await startSandbox({ apiKey: 'cap-key', apiSecret: 'sk_live_CAP-secret-77aa' });
    service = await startHttpService([], { COUPONTOOLS_API_KEY: 'cap-key', COUPONTOOLS_API_SECRET: 'sk_live_CAP-secret-77aa', COUPONTOOLS_BASE_URL: sandbox.url });
  });
  afterAll(async () => {
    expect((await service?.stop())?.code).toBe(0);
    await sandbox?.close();
  });

  it.each(['with a Content-Length', 'chunked'])('create_users with 100,000 users (%s): 413 with a JSON-RPC error for its id, nothing sent, and the service goes on', async (how) => {
    const users = Array.from({ length: 100_000 }, (_, i) => ({ first_name: 'Customer', last_name: `Number ${i}`, email: `customer-${i}@example.com` }));
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'bulk-7', method: 'tools/call', params: { name: 'create_users', arguments: { loyalty_card_id: 1001, users } } });
    expect(body.length).toBeGreaterThan(8 * 1024 * 1024);
    sandbox.clearRequests();
    const answer = await raw(service.url, 'POST', MCP_HEADERS, how === 'chunked' ? Array.from({ length: Math.ceil(body.length / 65_536) }, (_, i) => body.slice(i * 65_536, (i + 1) * 65_536)) : body);
    expect(answer.status).toBe(413);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({
      jsonrpc: '2.0',
      id: 'bulk-7',
      error: { code: -32600, message: 'Request body larger than 1048576 bytes (COUPONTOOLS_HTTP_MAX_BODY_BYTES): discarded unread, so nothing was done. Split it into smaller requests.' },
    });
    expect(sandbox.requests).toEqual([]);
    const next = await raw(service.url, 'POST', MCP_HEADERS, listTools);
    expect([next.status, (JSON.parse(next.body) as { id: number }).id]).toEqual([200, 1]);
  });
});

describe('HTTP service start-up and shutdown', () => {
  it('refuses a non-loopback bind without authentication', async () => {
    const r = await runBuilt('index.js', ['--http', '--host', '0.0.0.0', '--port', '0'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a loopback address, and no authentication is configured');
  });

  it('refuses short tokens', async () => {
    const short = await runBuilt('index.js', ['--http', '--port', '0'], { COUPONTOOLS_HTTP_TOKENS: 'short' });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('at least 16 characters');
  });

  it('refuses an accounts file naming a setting that is not per account', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ct-accounts-')), 'accounts.json');
    writeFileSync(file, JSON.stringify({ accounts: { a: { tokens: [NORTH_TOKEN], settings: { COUPONTOOLS_HTTP_PORT: '1' } } } }));
    const bad = await runBuilt('index.js', ['--http', '--port', '0', '--accounts-file', file], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('account a: "COUPONTOOLS_HTTP_PORT" is not a per-account setting');
  });

  it('on SIGTERM, finishes a write in flight, answers it, and exits 0', async () => {
    const sandbox = await startSandbox({ apiKey: 'k', apiSecret: NORTH_SECRET });
    const service = await startHttpService([], {
      COUPONTOOLS_HTTP_TOKENS: NORTH_TOKEN,
      COUPONTOOLS_API_KEY: 'k',
      COUPONTOOLS_API_SECRET: NORTH_SECRET,
      COUPONTOOLS_BASE_URL: sandbox.url,
    });
    try {
      const c = await connect(service.url, NORTH_TOKEN);
      sandbox.inject({ latencyMs: 400, times: 1 });
      const pending = c.callTool({ name: 'add_stamps', arguments: { loyalty_card_id: 1001, user_id: 5001, amount: 2 } });
      while (sandbox.inFlight === 0) await new Promise((r) => setTimeout(r, 5));
      const ended = service.stop('SIGTERM');
      const result = (await pending) as CallToolResult;
      expect(result.isError, JSON.stringify(result)).toBeFalsy();
      expect(sandbox.ledger.map((e) => e.amount)).toEqual([2]);
      const end = await ended;
      // How fast it exits is bounded inside the process (as on stdio); a wall-clock check here would test the machine.
      expect(end.code).toBe(0);
    } finally {
      await service.stop();
      await sandbox.close();
    }
  });
});

// Issue 20 item 7: the drain is visible to a load balancer, not a refused connection.
describe('HTTP service draining after SIGTERM', () => {
  it('keeps answering: /readyz 503, /healthz 200, new /mcp calls 503 with Connection: close; the call in flight finishes; exit 0', async () => {
    const sandbox = await startSandbox({ apiKey: 'k', apiSecret: NORTH_SECRET });
    const service = await startHttpService([], { COUPONTOOLS_HTTP_TOKENS: NORTH_TOKEN, COUPONTOOLS_API_KEY: 'k', COUPONTOOLS_API_SECRET: NORTH_SECRET, COUPONTOOLS_BASE_URL: sandbox.url });
    const base = service.url.replace(/\/mcp$/, '');
    try {
      const c = await connect(service.url, NORTH_TOKEN);
      // The write is held by the sandbox until the test releases it: the drain lasts exactly that long.
      sandbox.inject({ method: 'POST', hold: true, times: 1 });
      const pending = c.callTool({ name: 'add_stamps', arguments: { loyalty_card_id: 1001, user_id: 5001, amount: 3 } });
      while (sandbox.held === 0) await new Promise((r) => setTimeout(r, 5));
      expect((await raw(`${base}/readyz`, 'GET', {})).status).toBe(200);
      const ended = service.stop('SIGTERM');
      // The signal is handled when the process gets to it; until then /readyz still says ready.
      let ready = await raw(`${base}/readyz`, 'GET', {});
      while (ready.status === 200) ready = await raw(`${base}/readyz`, 'GET', {});
      expect([ready.status, JSON.parse(ready.body)]).toEqual([503, { status: 'not ready', reason: 'shutting down' }]);
      expect(ready.headers.connection).toBe('close');
      const health = await raw(`${base}/healthz`, 'GET', {});
      expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: 'ok' }]);
      const late = await raw(service.url, 'POST', { ...MCP_HEADERS, authorization: `Bearer ${NORTH_TOKEN}` }, listTools);
      expect(late.status).toBe(503);
      expect(late.headers.connection).toBe('close');
      expect(JSON.parse(late.body)).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Server is shutting down; retry on another replica' }, id: null });
      sandbox.release();
      const result = (await pending) as CallToolResult;
      expect(result.isError, JSON.stringify(result)).toBeFalsy();
      expect(sandbox.ledger.map((e) => e.amount)).toEqual([3]);
      expect((await ended).code).toBe(0);
    } finally {
      sandbox.release();
      await service.stop();
      await sandbox.close();
    }
  });
});

// Issue 20 item 7: a browser page on an allowed origin can call the service and read its answers; no other origin can.
describe('HTTP service CORS', () => {
  const ALLOWED = 'https://app.example.com';
  let service: HttpService;
  beforeAll(async () => {
    service = await startHttpService(['--allowed-origins', `${ALLOWED},https://other.example.com:8443`], { COUPONTOOLS_HTTP_TOKENS: NORTH_TOKEN });
  });
  afterAll(async () => {
    expect((await service?.stop())?.code).toBe(0);
  });
  const preflight = (origin: string) =>
    raw(service.url, 'OPTIONS', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,mcp-protocol-version' });
  const cors = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('access-control-')));

  it('answers a preflight from an allowed origin with what Streamable HTTP needs', async () => {
    const res = await preflight(ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.vary).toBe('Origin');
    expect(cors(res.headers)).toEqual({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-methods': 'POST, GET, DELETE, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type, mcp-protocol-version, mcp-session-id, last-event-id',
      'access-control-expose-headers': 'mcp-session-id, www-authenticate',
      'access-control-max-age': '600',
    });
  });

  it('names the allowed origin on real answers, a 401 among them (so the page can read WWW-Authenticate)', async () => {
    const denied = await raw(service.url, 'POST', { ...MCP_HEADERS, origin: ALLOWED }, listTools);
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(cors(denied.headers)).toEqual({ 'access-control-allow-origin': ALLOWED, 'access-control-expose-headers': 'mcp-session-id, www-authenticate' });
    const ok = await raw(service.url, 'POST', { ...MCP_HEADERS, origin: 'https://other.example.com:8443', authorization: `Bearer ${NORTH_TOKEN}` }, listTools);
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://other.example.com:8443');
    expect(ok.headers.vary).toBe('Origin');
  });

  it('gives an origin that is not allowed, or no origin, no CORS header at all', async () => {
    for (const res of [await preflight('https://evil.example'), await raw(service.url, 'POST', { ...MCP_HEADERS, origin: 'https://evil.example', authorization: `Bearer ${NORTH_TOKEN}` }, listTools)]) {
      expect(res.status).toBe(403);
      expect(cors(res.headers)).toEqual({});
    }
    const plain = await raw(service.url, 'POST', { ...MCP_HEADERS, authorization: `Bearer ${NORTH_TOKEN}` }, listTools);
    expect(plain.status).toBe(200);
    expect(cors(plain.headers)).toEqual({});
  });
});
