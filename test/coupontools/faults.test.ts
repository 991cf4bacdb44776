// Fault injection for every tool: each tool × each fault kind → what the model is told and how many requests reached the API.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import type { Fault, Sandbox } from '../../src/sandbox/sandbox.js';
import { startHarness, textOf } from '../support/harness.js';

/**
 * COUPONTOOLS_TIMEOUT_MS for every case. The harness ends a hang on cue (the moment the sandbox
 * holds it), so the clock never decides a verdict and no case waits this long.
 */
const TIMEOUT_MS = 30_000;
/** COUPONTOOLS_MAX_RETRIES left at its default: at most 1 + 2 attempts. */
const MAX_ATTEMPTS = 3;

const CARD = '/v4/loyalty/loyalty-cards';
const COFFEE = `${CARD}/1001`;
const JANE = `${COFFEE}/stats/5001`;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Json = Record<string, unknown>;

interface Target {
  args: Record<string, unknown>;
  /** Raw request path as the sandbox records it. */
  path: string;
}

interface ToolCase {
  name: string;
  method: Method;
  /** Valid arguments against a freshly seeded sandbox, and where the call goes. */
  target(sandbox: Sandbox): Target;
  /** Writes: how many times the change is visible in the sandbox (0 or 1; 2 would be a doubled write). */
  applied?(sandbox: Sandbox, target: Target): number;
  /** A successful result carries the tool's real answer. */
  shows(result: Json): void;
}

const holder = (sandbox: Sandbox, id: number) => sandbox.state.holders.find((h) => h.id === id);
const jane = (sandbox: Sandbox) => holder(sandbox, 5001);
const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const fixed = (path: string, args: Record<string, unknown>) => (): Target => ({ path, args });

const COPY_NAME = 'Fault drill copy';
const NEW_EMAIL = 'fault.drill@example.com';
const BULK_EMAILS = ['bulk.one@example.org', 'bulk.two@example.org'];
const NEW_CITY = 'Faultville';

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`unexpected answer: ${what}`);
}

const TOOLS: readonly ToolCase[] = [
  {
    name: 'list_loyalty_cards',
    method: 'GET',
    target: fixed(CARD, {}),
    shows: (r) => check(Array.isArray(r.cards) && r.cards.length === 3, 'three cards'),
  },
  {
    name: 'copy_loyalty_card',
    method: 'POST',
    target: fixed(`${COFFEE}/copy`, { loyalty_card_id: 1001, name: COPY_NAME }),
    applied: (s) => s.state.cards.filter((c) => c.name === COPY_NAME).length,
    shows: (r) => check(obj(r.card).name === COPY_NAME, 'the copy'),
  },
  {
    name: 'list_users',
    method: 'GET',
    target: fixed(`${COFFEE}/stats`, { loyalty_card_id: 1001, filter: { email: 'jane@example.com' } }),
    shows: (r) => check(Array.isArray(r.users) && obj(r.users[0]).id === 5001, 'Jane listed'),
  },
  {
    name: 'get_user',
    method: 'GET',
    target: fixed(JANE, { loyalty_card_id: 1001, user_id: 5001 }),
    shows: (r) => check(obj(r.user).id === 5001, 'Jane'),
  },
  {
    name: 'create_user',
    method: 'POST',
    target: fixed(`${COFFEE}/stats`, { loyalty_card_id: 1001, first_name: 'Fay', last_name: 'Drill', email: NEW_EMAIL }),
    applied: (s) => s.state.holders.filter((h) => h.email === NEW_EMAIL).length,
    shows: (r) => check(obj(r.user).email === NEW_EMAIL, 'the new holder'),
  },
  {
    name: 'create_users',
    method: 'POST',
    target: fixed(`${COFFEE}/stats/bulk`, { loyalty_card_id: 1001, users: BULK_EMAILS.map((email) => ({ email })) }),
    // Times the batch took effect, counted by its first user.
    applied: (s) => s.state.holders.filter((h) => h.email === BULK_EMAILS[0]).length,
    shows: (r) => check(r.requested === 2 && r.created === 2, 'two created'),
  },
  {
    name: 'update_user',
    method: 'POST',
    target: fixed(JANE, { loyalty_card_id: 1001, user_id: 5001, city: NEW_CITY }),
    applied: (s) => (jane(s)?.city === NEW_CITY ? 1 : 0),
    shows: (r) => check(obj(r.user).city === NEW_CITY, 'the updated holder'),
  },
  {
    name: 'add_stamps',
    method: 'POST',
    target: fixed(JANE, { loyalty_card_id: 1001, user_id: 5001, amount: 2 }),
    applied: (s) => s.ledger.filter((e) => e.user_id === 5001).length,
    shows: (r) => check(r.added === 2 && obj(r.user).stamps === 9, 'Jane at 9 stamps'),
  },
  {
    name: 'use_rewards',
    method: 'PUT',
    target(sandbox) {
      // A seeded coffee-card holder with a reward waiting (the seed always has some).
      const owner = sandbox.state.holders.find((h) => h.loyalty_card_id === 1001 && !h.voided && h.rewards.some((r) => r.status === 'available'));
      const reward = owner?.rewards.find((r) => r.status === 'available');
      if (!owner || !reward) throw new Error('the seed has no coffee-card holder with an available reward');
      return { path: `${COFFEE}/stats/${owner.id}/rewards`, args: { loyalty_card_id: 1001, user_id: owner.id, reward_ids: [reward.id] } };
    },
    applied(sandbox, { args }) {
      const [rewardId] = args.reward_ids as number[];
      const reward = holder(sandbox, args.user_id as number)?.rewards.find((r) => r.id === rewardId);
      return reward?.status === 'used' ? 1 : 0;
    },
    shows: (r) => check(Array.isArray(r.redeemed) && r.redeemed.length === 1, 'one reward redeemed'),
  },
  {
    name: 'void_user',
    method: 'PUT',
    target: fixed(`${JANE}/void`, { loyalty_card_id: 1001, user_id: 5001 }),
    applied: (s) => (jane(s)?.voided ? 1 : 0),
    shows: (r) => check(r.voided === true && obj(r.user).voided === true, 'Jane voided'),
  },
  {
    name: 'delete_user',
    method: 'DELETE',
    target: fixed(JANE, { loyalty_card_id: 1001, user_id: 5001 }),
    applied: (s) => (jane(s) ? 0 : 1),
    shows: (r) => check(r.deleted === true && r.user_id === 5001, 'Jane deleted'),
  },
  {
    name: 'send_push_notification',
    method: 'POST',
    // A broadcast: the gated form, which COUPONTOOLS_CONFIRM=off lets through to the API.
    target: fixed(`${COFFEE}/push-notifications`, { loyalty_card_id: 1001, message: 'Double stamps today' }),
    applied: (s) => s.state.notifications.length,
    shows: (r) => check(r.audience === 'all' && typeof (r.delivery as { sent?: unknown } | null)?.sent === 'number', 'the broadcast'),
  },
];

/** What the model is told: a result, a definite error, or an ambiguous write. */
type Verdict = 'ok' | 'error' | 'unknown';

interface Expectation {
  verdict: Verdict;
  /** Requests of the tool's own method and path that reached the API. */
  requests: number;
  /** Words the text must hold. */
  says?: readonly (string | RegExp)[];
}

interface FaultCase {
  name: string;
  /** Built when the case runs (an HTTP date must be near that moment); none: the API's port is closed. */
  fault?(): Omit<Fault, 'method' | 'path'>;
  read: Expectation;
  write: Expectation;
}

const ok = (requests: number): Expectation => ({ verdict: 'ok', requests });
const error = (requests: number, ...says: (string | RegExp)[]): Expectation => ({ verdict: 'error', requests, says });
const unknown = (...says: (string | RegExp)[]): Expectation => ({ verdict: 'unknown', requests: 1, says });

const HTML_500 = '<!DOCTYPE html><html><head><style>h1{color:red}</style></head><body><h1>Internal Server Error</h1><p>upstream crashed</p></body></html>';
const HTML_502 = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';
const httpDate = (offsetMs: number) => new Date(Date.now() + offsetMs).toUTCString();
const slowDown = { message: 'Too many requests, slow down.' };
const TIMED_OUT = `No complete answer within ${TIMEOUT_MS} ms`;

/**
 * The documented policy. Reads (GET) are retried on connection errors, 429, 502, 503 and 504, not
 * on 500, timeouts or non-JSON 200s. Writes are sent again only after a 429; any other failure of
 * a sent write is "Outcome unknown", sent once. `times: 1` then the real answer = 2 requests.
 */
const FAULTS: readonly FaultCase[] = [
  { name: 'added latency (30 ms)', fault: () => ({ latencyMs: 30 }), read: ok(1), write: ok(1) },
  {
    name: '429, Retry-After: 0',
    fault: () => ({ status: 429, headers: { 'retry-after': '0' }, body: slowDown }),
    read: ok(2),
    write: ok(2),
  },
  {
    name: '429, Retry-After: 1 (seconds)',
    fault: () => ({ status: 429, headers: { 'retry-after': '1' }, body: slowDown }),
    read: ok(2),
    write: ok(2),
  },
  {
    name: '429, Retry-After: an HTTP date about 1 s ahead',
    fault: () => ({ status: 429, headers: { 'retry-after': httpDate(1000) }, body: slowDown }),
    read: ok(2),
    write: ok(2),
  },
  {
    name: '429, Retry-After: an HTTP date in the past (retry now)',
    fault: () => ({ status: 429, headers: { 'retry-after': httpDate(-60_000) }, body: slowDown }),
    read: ok(2),
    write: ok(2),
  },
  {
    name: '429, Retry-After: 120 (over the 30 s wait cap: returned to the model)',
    fault: () => ({ status: 429, headers: { 'retry-after': '120' }, body: slowDown }),
    read: error(1, 'HTTP 429 Too Many Requests', 'slow down', 'wait 120 s'),
    write: error(1, 'HTTP 429 Too Many Requests', 'wait 120 s'),
  },
  {
    name: '429 on every attempt',
    fault: () => ({ status: 429, headers: { 'retry-after': '0' }, body: slowDown, times: Infinity }),
    read: error(MAX_ATTEMPTS, 'HTTP 429', 'Rate limited'),
    write: error(MAX_ATTEMPTS, 'HTTP 429', 'Rate limited'),
  },
  {
    name: '500 with a JSON message',
    fault: () => ({ status: 500, body: { message: 'Database unavailable' } }),
    read: error(1, 'HTTP 500 Internal Server Error', 'Database unavailable'),
    write: unknown('HTTP 500 Internal Server Error', 'Database unavailable'),
  },
  {
    name: '502',
    fault: () => ({ status: 502, body: { message: 'Bad gateway' } }),
    read: ok(2),
    write: unknown('HTTP 502 Bad Gateway'),
  },
  {
    name: '503',
    fault: () => ({ status: 503, body: { message: 'Service busy' } }),
    read: ok(2),
    write: unknown('HTTP 503 Service Unavailable', 'Service busy'),
  },
  {
    name: '503 after the change was applied',
    fault: () => ({ status: 503, body: { message: 'Service busy' }, apply: true }),
    read: ok(2),
    write: unknown('HTTP 503 Service Unavailable'),
  },
  {
    name: '503 on every attempt',
    fault: () => ({ status: 503, body: { message: 'Service busy' }, times: Infinity }),
    read: error(MAX_ATTEMPTS, 'HTTP 503 Service Unavailable', 'Service busy'),
    write: unknown('HTTP 503 Service Unavailable'),
  },
  {
    name: '504',
    fault: () => ({ status: 504, body: { message: 'Upstream timed out' } }),
    read: ok(2),
    write: unknown('HTTP 504 Gateway Timeout'),
  },
  {
    name: 'an HTML error page (500)',
    fault: () => ({ status: 500, body: HTML_500 }),
    read: error(1, 'HTTP 500 Internal Server Error', 'non-JSON body', 'Internal Server Error upstream crashed'),
    write: unknown('HTTP 500', 'non-JSON body', 'upstream crashed'),
  },
  {
    name: "a proxy's HTML error page (502)",
    fault: () => ({ status: 502, body: HTML_502 }),
    read: ok(2),
    write: unknown('HTTP 502 Bad Gateway', 'non-JSON body', 'nginx'),
  },
  {
    name: 'an HTML page with status 200',
    fault: () => ({ status: 200, body: '<html><body><p>Scheduled maintenance</p></body></html>', apply: true }),
    read: error(1, 'not JSON', 'text/html', 'Scheduled maintenance'),
    write: unknown('not JSON', 'Scheduled maintenance'),
  },
  {
    name: 'truncated JSON with status 200',
    fault: () => ({ status: 200, body: '{"id": 12', apply: true }),
    read: error(1, 'not JSON', '{"id": 12'),
    write: unknown('not JSON', '{"id": 12'),
  },
  {
    // A write the API took and answered 200 with no body (as a DELETE may): done, not an error.
    name: 'an empty body with status 200',
    fault: () => ({ status: 200, body: '', apply: true }),
    read: error(1, /answered without (a list|the holder)/),
    write: ok(1),
  },
  {
    name: 'an empty body with status 500',
    fault: () => ({ status: 500, body: '' }),
    read: error(1, 'HTTP 500 Internal Server Error', 'empty body'),
    write: unknown('HTTP 500 Internal Server Error', 'empty body'),
  },
  {
    name: 'an empty body with status 503',
    fault: () => ({ status: 503, body: '' }),
    read: ok(2),
    write: unknown('HTTP 503 Service Unavailable', 'empty body'),
  },
  {
    name: 'a connection reset before the request is read',
    fault: () => ({ reset: 'before-read' }),
    read: ok(2),
    write: unknown('connection failed'),
  },
  {
    name: 'a connection reset after the request is read',
    fault: () => ({ reset: 'after-read' }),
    read: ok(2),
    write: unknown('connection failed'),
  },
  {
    name: 'a connection reset after the change was applied',
    fault: () => ({ reset: 'after-read', apply: true }),
    read: ok(2),
    write: unknown('connection failed'),
  },
  {
    name: 'a connection reset on every attempt',
    fault: () => ({ reset: 'before-read', times: Infinity }),
    read: error(MAX_ATTEMPTS, 'Could not reach the Coupontools API', 'connection failed'),
    write: unknown('connection failed'),
  },
  {
    // Provably never arrived, so even a write may be sent again; nothing reaches the API either way.
    name: 'connection refused (nothing listening)',
    read: error(0, 'Could not reach the Coupontools API', 'ECONNREFUSED'),
    write: error(0, 'Could not reach the Coupontools API', 'ECONNREFUSED'),
  },
  {
    name: 'a hang, ended by the timeout',
    fault: () => ({ hang: true }),
    read: error(1, 'Could not reach the Coupontools API', TIMED_OUT),
    write: unknown(TIMED_OUT),
  },
];

/**
 * Nothing listens on the discard port, and no sandbox can take it: they bind ephemeral ports.
 * (A port freed by a closed server would not do: a sandbox starting alongside could be given it.)
 */
const REFUSING_URL = 'http://127.0.0.1:9/v4';

const auditDir = mkdtempSync(join(tmpdir(), 'ct-faults-'));
afterAll(() => rmSync(auditDir, { recursive: true, force: true }));

let caseNo = 0;

// Every case gets its own sandbox and server, so cases run side by side and every target is fresh.
describe.concurrent.each(TOOLS.map((tool) => [tool.name, tool] as const))('%s', (_name, tool) => {
  const isRead = tool.method === 'GET';

  it.for(FAULTS.map((faultCase) => [faultCase.name, faultCase] as const))('%s', async ([, faultCase], { expect }) => {
    const auditPath = join(auditDir, `${++caseNo}.jsonl`);
    const env: Record<string, string> = { COUPONTOOLS_CONFIRM: 'off', COUPONTOOLS_TIMEOUT_MS: String(TIMEOUT_MS), COUPONTOOLS_AUDIT_LOG: auditPath };
    if (!faultCase.fault) env.COUPONTOOLS_BASE_URL = REFUSING_URL;
    const h = await startHarness({ env });
    try {
      const target = tool.target(h.sandbox);
      const fault: Omit<Fault, 'method' | 'path'> = faultCase.fault?.() ?? {};
      h.sandbox.clearRequests();
      if (faultCase.fault) h.sandbox.inject({ ...fault, method: tool.method, path: target.path });

      const result = await h.call(tool.name, target.args);
      const text = textOf(result);
      const expected = isRead ? faultCase.read : faultCase.write;
      const verdict: Verdict = !result.isError ? 'ok' : text.startsWith('Outcome unknown') ? 'unknown' : 'error';

      const own = h.sandbox.requests.filter((r) => r.method === tool.method && r.path === target.path);
      expect({ verdict, requests: own.length }, text).toEqual({ verdict: expected.verdict, requests: expected.requests });
      expect(h.sandbox.requests, 'no request but the tool\'s own').toHaveLength(own.length);
      for (const words of expected.says ?? []) expect(text).toMatch(words);
      expect(text, 'no markup reaches the model').not.toMatch(/<[a-z!/]/i);

      if (verdict === 'ok') {
        expect(result.structuredContent).toBeDefined();
        // An empty 200 has no answer to show; every other success carries the real one.
        if (fault.body !== '') tool.shows(obj(result.structuredContent));
      } else {
        expect(result.structuredContent).toBeUndefined();
      }
      if (verdict === 'unknown') {
        expect(text).toContain('may or may not have been applied');
        expect(text).toContain(`before deciding to call ${tool.name} again`);
      }

      if (tool.applied) {
        // Done once when reported done, never when refused, and once exactly when the fault applied it first.
        const times = verdict === 'ok' ? 1 : verdict === 'error' ? 0 : fault.apply ? 1 : 0;
        expect(tool.applied(h.sandbox, target), 'times the change took effect').toBe(times);
        const audit = readFileSync(auditPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Json);
        expect(audit.map((line) => [line.tool, line.outcome])).toEqual([[tool.name, verdict]]);
      }
    } finally {
      await h.close();
    }
  });
});
