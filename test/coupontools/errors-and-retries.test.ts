// Error mapping (status, the API's own message and code, a hint) and the retry policy, over real loopback HTTP.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, textOf, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { COUPONTOOLS_TIMEOUT_MS: '20000', COUPONTOOLS_CONFIRM: 'off' } });
});
afterAll(() => h.close());
afterEach(() => {
  h.sandbox.clearFaults();
  h.sandbox.clearRequests();
});

const JANE = '/v4/loyalty/loyalty-cards/1001/stats/5001';
/** Stamp grants the sandbox actually applied to Jane (its ledger, not the rolling-over balance). */
const janeGrants = () => h.sandbox.ledger.filter((e) => e.user_id === 5001).length;

async function failure(name: string, args: Record<string, unknown>): Promise<string> {
  const result = await h.call(name, args);
  expect(result.isError, JSON.stringify(result)).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  return textOf(result);
}

describe('error mapping', () => {
  it('401 from the real auth check: status, the API message and code, a credentials hint', async () => {
    const bad = await startHarness({ env: { COUPONTOOLS_API_SECRET: 'wrong-secret-abcdef' } });
    try {
      const result = await bad.call('list_loyalty_cards', {});
      expect(result.isError).toBe(true);
      const text = textOf(result);
      expect(text).toContain('HTTP 401 Unauthorized');
      expect(text).toContain('code 1000');
      expect(text).toContain('Client ID or Secret not correct');
      expect(text).toContain('COUPONTOOLS_API_KEY');
      expect(text).not.toContain('wrong-secret-abcdef');
    } finally {
      await bad.close();
    }
  });

  it('404 in the v3 envelope: the description, the code and where to find ids', async () => {
    const text = await failure('get_user', { loyalty_card_id: 999, user_id: 5001 });
    expect(text).toContain('HTTP 404 Not Found');
    expect(text).toContain('code 507');
    expect(text).toContain('Loyalty card 999 not found');
    expect(text).toContain('list_loyalty_cards');
  });

  it('422: the field the API names, and that the model should correct it', async () => {
    h.sandbox.inject({
      path: JANE,
      status: 422,
      body: { status: { status: 'failed' }, errors: { error_message: 'HTTP/1.0 422 Unprocessable entity.', error_message_description: ['phone must be in E.164 form.'], error_code: [303] } },
    });
    const text = await failure('update_user', { loyalty_card_id: 1001, user_id: 5001, phone: '0470' });
    expect(text).toContain('HTTP 422');
    expect(text).toContain('phone must be in E.164 form.');
    expect(text).toContain('code 303');
    expect(text).toMatch(/correct the field/);
  });

  it('a 200 carrying a v3 failure envelope is an error, with the embedded status', async () => {
    h.sandbox.inject({ path: '/v4/loyalty/loyalty-cards', status: 200, body: { status: { status: 'failed', errors: { error_code: 1000, error_message: 'HTTP/1.0 401 Unauthorized. Client ID or Secret not correct.' } } } });
    const text = await failure('list_loyalty_cards', {});
    expect(text).toContain('HTTP 401');
  });

  it('500 with an HTML page on a read: an error with a tag-free excerpt, not a crash', async () => {
    h.sandbox.inject({ path: JANE, status: 500, body: '<html><head><style>p{}</style></head><body><h1>Internal Server Error</h1><p>upstream failed</p></body></html>' });
    const text = await failure('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(text).toContain('HTTP 500');
    expect(text).toContain('Internal Server Error upstream failed');
    expect(text).not.toContain('<h1>');
    expect(h.sandbox.requests).toHaveLength(1);
  });

  it('an error status with an empty body', async () => {
    h.sandbox.inject({ path: JANE, status: 404, body: '' });
    const text = await failure('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(text).toContain('HTTP 404');
    expect(text).toContain('empty body');
  });

  it('a 200 with an HTML body is an error, not data', async () => {
    h.sandbox.inject({ path: '/v4/loyalty/loyalty-cards', status: 200, body: '<html><body>Maintenance</body></html>' });
    const text = await failure('list_loyalty_cards', {});
    expect(text).toContain('not JSON');
    expect(text).toContain('Maintenance');
  });

  it('a read that hangs ends at the configured timeout', async () => {
    h.sandbox.inject({ path: JANE, hang: true });
    const text = await failure('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(text).toContain('No complete answer within 20000 ms');
    expect(h.sandbox.requests).toHaveLength(1);
  });

  it('a connection refused says the API could not be reached', async () => {
    const down = await startHarness({ env: { COUPONTOOLS_BASE_URL: 'http://127.0.0.1:9/v4', COUPONTOOLS_MAX_RETRIES: '1' } });
    try {
      const result = await down.call('list_loyalty_cards', {});
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/Could not reach the Coupontools API.*ECONNREFUSED/);
      // Host and port named, and a setting to check rather than a moment to wait.
      expect(textOf(result)).toContain('Could not connect to the API at 127.0.0.1:9 (ECONNREFUSED): nothing accepted the connection');
      expect(textOf(result)).toContain('Check COUPONTOOLS_BASE_URL');
      expect(textOf(result)).toContain('coupontools-mcp doctor');
      expect(textOf(result)).not.toContain('Try again in a moment');
      // Each failed attempt (the first and its one retry) is one stderr line without values.
      const failed = down.stderr.filter((l) => l.includes('API call failed'));
      expect(failed).toHaveLength(2);
      for (const line of failed) expect(line).toMatch(/^\[coupontools-mcp\] warning: API call failed: GET \/loyalty\/loyalty-cards → ECONNREFUSED after \d+ ms\n$/);
    } finally {
      await down.close();
    }
  });

  it('a failed call is logged with its path template, never its ids or filter values', async () => {
    h.sandbox.inject({ path: `${JANE}`, status: 404, body: { message: 'nope' } });
    h.sandbox.inject({ path: '/v4/loyalty/loyalty-cards/1001/stats', status: 422, body: { message: 'bad filter', error_code: 302 } });
    const before = h.stderr.length;
    await failure('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    await failure('list_users', { loyalty_card_id: 1001, filter: { email: 'jane@example.com' } });
    const lines = h.stderr.slice(before);
    expect(lines).toEqual([
      expect.stringMatching(/API call failed: GET \/loyalty\/loyalty-cards\/\{id\}\/stats\/\{id\} → HTTP 404 after \d+ ms\n$/),
      expect.stringMatching(/API call failed: GET \/loyalty\/loyalty-cards\/\{id\}\/stats → HTTP 422 \(code 302\) after \d+ ms\n$/),
    ]);
    for (const line of lines) for (const value of ['5001', '1001', 'jane']) expect(line).not.toContain(value);
  });
});

describe('retries', () => {
  it('a GET succeeds after one 503', async () => {
    h.sandbox.inject({ method: 'GET', path: JANE, status: 503, body: { message: 'busy' } });
    const result = await h.call('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.isError).toBeFalsy();
    expect(h.sandbox.requests.map((r) => r.path)).toEqual([JANE, JANE]);
  });

  it('a GET succeeds after a 429 with Retry-After, waiting as told', async () => {
    h.sandbox.inject({ method: 'GET', path: JANE, status: 429, headers: { 'retry-after': '1' }, body: { message: 'slow down' } });
    const started = Date.now();
    const result = await h.call('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.isError).toBeFalsy();
    expect(h.sandbox.requests).toHaveLength(2);
    // Behaviour, not speed: the second attempt did not come before the server's Retry-After.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('a GET gives up after max retries and says so', async () => {
    h.sandbox.inject({ method: 'GET', path: JANE, status: 503, body: { message: 'busy' }, times: 5 });
    const text = await failure('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(text).toContain('HTTP 503');
    expect(h.sandbox.requests).toHaveLength(3); // 1 + COUPONTOOLS_MAX_RETRIES (2)
  });

  it('add_stamps after a 503 was sent exactly once and the outcome is unknown', async () => {
    const before = janeGrants();
    h.sandbox.inject({ method: 'POST', path: JANE, status: 503, body: { message: 'busy' }, apply: true });
    const text = await failure('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 1 });
    expect(text).toMatch(/^Outcome unknown/);
    expect(text).toContain('get_user');
    expect(h.sandbox.requests).toHaveLength(1);
    expect(janeGrants()).toBe(before + 1);
  });

  it('add_stamps after a connection reset was sent exactly once and the outcome is unknown', async () => {
    h.sandbox.inject({ method: 'POST', path: JANE, reset: 'after-read' });
    const text = await failure('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 2 });
    expect(text).toMatch(/^Outcome unknown/);
    expect(h.sandbox.requests).toHaveLength(1);
  });

  it('add_stamps that times out is not retried and is reported unknown', async () => {
    h.sandbox.inject({ method: 'POST', path: JANE, hang: true, apply: true });
    const text = await failure('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 1 });
    expect(text).toMatch(/^Outcome unknown/);
    expect(h.sandbox.requests).toHaveLength(1);
  });

  it('a write refused with 429 is retried: the server said it did not take it', async () => {
    h.sandbox.inject({ method: 'POST', path: JANE, status: 429, headers: { 'retry-after': '0' }, body: { message: 'slow down' } });
    const before = janeGrants();
    const result = await h.call('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 1 });
    expect(result.isError).toBeFalsy();
    expect(h.sandbox.requests).toHaveLength(2);
    expect(janeGrants()).toBe(before + 1);
  });

  it('a write answered 422 is a definite refusal, sent once', async () => {
    const text = await failure('use_rewards', { loyalty_card_id: 1001, user_id: 5001, reward_ids: [987654] });
    expect(text).toContain('HTTP 422');
    expect(text).not.toContain('Outcome unknown');
    expect(h.sandbox.requests).toHaveLength(1);
  });
});
