// Operator safety controls: read-only, allowlist, dry run, audit log and idempotent stamping, all from the seam.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/mcp/assemble.js';
import { ConfigError, parseConfig, type Config } from '../../src/config.js';
import { MAX_IDEMPOTENCY_KEYS, MemoryStore } from '../../src/state/memory-store.js';
import { runBuilt } from '../support/binary.js';
import { startHarness, textOf, TEST_SECRET, type Harness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const READS = ['get_user', 'list_loyalty_cards', 'list_users'];
const names = async (harness: Harness) => (await harness.client.listTools()).tools.map((t) => t.name).sort();
const writes = (harness: Harness) => harness.sandbox.requests.filter((r) => r.method !== 'GET');
const auditLines = (harness: Harness) =>
  readFileSync(harness.auditPath, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function config(env: Record<string, string>): Config {
  const action = parseConfig([], env);
  if (action.action !== 'run') throw new Error('unexpected');
  return action.config;
}

describe('read-only', () => {
  it('registers only the three read tools', async () => {
    h = await startHarness({ env: { COUPONTOOLS_READ_ONLY: '1' } });
    expect(await names(h)).toEqual(READS);
    // The instructions speak only of what is offered.
    expect(h.client.getInstructions()).toContain('Read-only');
    expect(h.client.getInstructions()).not.toMatch(/add_stamps|delete_user/);
    const result = await h.call('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 1 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('not found');
    expect(writes(h)).toHaveLength(0);
  });

  it('beats the allowlist: a write tool stays out even when listed', async () => {
    h = await startHarness({ env: { COUPONTOOLS_READ_ONLY: 'true', COUPONTOOLS_TOOLS: 'get_user,add_stamps,delete_user' } });
    expect(await names(h)).toEqual(['get_user']);
  });

  it('an allowlist of only write tools in read-only mode is a start-up error', async () => {
    await expect(createApp(config({ COUPONTOOLS_READ_ONLY: '1', COUPONTOOLS_TOOLS: 'add_stamps' }))).rejects.toThrow(/leaves no tool/);
  });
});

describe('allowlist', () => {
  it('registers only the named tools', async () => {
    h = await startHarness({ env: { COUPONTOOLS_TOOLS: ' list_users , add_stamps,get_user ' } });
    expect(await names(h)).toEqual(['add_stamps', 'get_user', 'list_users']);
  });

  it('an unknown name stops start-up and lists the valid names', async () => {
    const err = await createApp(config({ COUPONTOOLS_TOOLS: 'get_user,add_stamp' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('unknown tool(s) add_stamp');
    for (const name of ['add_stamps', 'send_push_notification', 'list_loyalty_cards']) expect((err as Error).message).toContain(name);
  });
});

describe('dry run', () => {
  it('reads run; a write sends nothing and returns the request it would send', async () => {
    h = await startHarness({ env: { COUPONTOOLS_DRY_RUN: '1' } });
    const read = await h.call('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(read.structuredContent).toMatchObject({ user: { id: 5001 } });
    const result = await h.call('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 2 });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({
      status: 'dry_run',
      request: { method: 'POST', path: '/v4/loyalty/loyalty-cards/1001/stats/5001', query: {}, body: { amount: 2 } },
    });
    expect(textOf(result)).not.toMatch(/x-api|secret/i);
    expect(writes(h)).toHaveLength(0);
    expect(h.sandbox.ledger).toHaveLength(0);
  });

  it('asks no confirmation for a gated call, because nothing would happen', async () => {
    const asked: string[] = [];
    h = await startHarness({ env: { COUPONTOOLS_DRY_RUN: '1' }, elicit: (m) => (asked.push(m), { action: 'decline' }) });
    const result = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.structuredContent).toMatchObject({ status: 'dry_run', request: { method: 'DELETE', path: '/v4/loyalty/loyalty-cards/1001/stats/5001', body: null } });
    const push = await h.call('send_push_notification', { loyalty_card_id: 1001, message: 'Closed Monday' });
    expect(push.structuredContent).toMatchObject({ status: 'dry_run', request: { body: { message: 'Closed Monday' } } });
    expect(asked).toHaveLength(0);
    expect(h.sandbox.requests).toHaveLength(0);
    expect(auditLines(h).map((l) => l.outcome)).toEqual(['dry_run', 'dry_run']);
  });
});

describe('audit log', () => {
  it('one line per write attempt with ids, counts, field names and outcome; reads are not logged', async () => {
    h = await startHarness({ env: { COUPONTOOLS_CONFIRM: 'auto' } });
    await h.call('list_users', { loyalty_card_id: 1001, filter: { email: 'jane@example.com' } });
    await h.call('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 2 });
    await h.call('update_user', { loyalty_card_id: 1001, user_id: 5001, email: 'jane.new@example.com', phone: '+32470999999', first_name: 'Janet' });
    await h.call('create_users', { loyalty_card_id: 1001, users: [{ email: 'x1@example.org', custom_2: 'gold' }, { last_name: 'Yilmaz' }] });
    const other = h.sandbox.state.holders.find((u) => u.loyalty_card_id === 1001 && u.id !== 5001)!.id;
    await h.call('send_push_notification', { loyalty_card_id: 1001, message: 'Secret sale for Jane', recipient_user_ids: [5001, other] });
    await h.call('use_rewards', { loyalty_card_id: 1001, user_id: 5001, reward_ids: [999999] });
    await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001 });
    h.sandbox.inject({ method: 'POST', path: '/v4/loyalty/loyalty-cards/1001/stats/5001', status: 503, apply: true, body: { message: 'busy' } });
    await h.call('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 1 });

    const lines = auditLines(h);
    expect(lines.map((l) => [l.tool, l.outcome, l.status])).toEqual([
      ['add_stamps', 'ok', 200],
      ['update_user', 'ok', 200],
      ['create_users', 'ok', 200],
      ['send_push_notification', 'ok', 200],
      ['use_rewards', 'error', 422],
      ['delete_user', 'confirmation_required', undefined],
      ['add_stamps', 'unknown', 503],
    ]);
    expect(lines[0]).toMatchObject({ loyalty_card_id: '1001', user_id: '5001', amount: 2 });
    expect(lines[1]).toMatchObject({ fields: ['email', 'first_name', 'phone'] });
    expect(lines[2]).toMatchObject({ user_count: 2, fields: ['custom_2', 'email', 'last_name'] });
    expect(lines[3]).toMatchObject({ recipient_count: 2, fields: ['message'] });
    expect(lines[4]).toMatchObject({ reward_ids: ['999999'] });
    for (const line of lines) {
      expect(Date.parse(line.time as string)).not.toBeNaN();
      expect(typeof line.duration_ms).toBe('number');
    }
    const raw = readFileSync(h.auditPath, 'utf8');
    for (const value of ['jane.new@example.com', '+32470999999', 'Janet', 'x1@example.org', 'gold', 'Yilmaz', 'Secret sale', 'jane@example.com', TEST_SECRET]) {
      expect(raw).not.toContain(value);
    }
  });

  it('records a human decline', async () => {
    h = await startHarness({ elicit: () => ({ action: 'decline' }) });
    await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(auditLines(h)).toEqual([expect.objectContaining({ tool: 'void_user', outcome: 'declined', user_id: '5001' })]);
  });

  it('lines never interleave under 60 concurrent writes', async () => {
    h = await startHarness({ env: { COUPONTOOLS_MAX_IN_FLIGHT: '8' } });
    const holders = h.sandbox.state.holders.filter((u) => u.loyalty_card_id === 1001 && !u.voided).map((u) => u.id);
    await Promise.all(Array.from({ length: 60 }, (_, i) => h!.call('add_stamps', { loyalty_card_id: 1001, user_id: holders[i % holders.length]!, amount: 1 })));
    const lines = auditLines(h);
    expect(lines).toHaveLength(60);
    expect(lines.every((l) => l.tool === 'add_stamps' && l.outcome === 'ok')).toBe(true);
    expect(h.sandbox.ledger).toHaveLength(60);
  });

  it('a path that cannot be opened stops start-up with a clear message and exit code 2', async () => {
    const { code, stderr } = await runBuilt('index.js', ['--audit-log', '/nonexistent-dir/x/audit.jsonl']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/COUPONTOOLS_AUDIT_LOG \(--audit-log\): cannot open "\/nonexistent-dir\/x\/audit.jsonl" for appending \(ENOENT\)/);
  });
});

describe('idempotent stamping', () => {
  it('a repeat with the same key and arguments is a replay and sends nothing', async () => {
    h = await startHarness();
    const args = { loyalty_card_id: 1001, user_id: 5001, amount: 2, idempotency_key: 'receipt-1001' };
    const first = await h.call('add_stamps', args);
    const again = await h.call('add_stamps', args);
    expect(again.isError).toBeFalsy();
    expect(again.structuredContent).toEqual({ ...(first.structuredContent as object), replayed: true });
    expect(writes(h)).toHaveLength(1);
    expect(auditLines(h).map((l) => l.outcome)).toEqual(['ok', 'replayed']);
  });

  it('the same key with other arguments is a conflict and sends nothing', async () => {
    h = await startHarness();
    await h.call('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 2, idempotency_key: 'r-2' });
    const clash = await h.call('add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 3, idempotency_key: 'r-2' });
    expect(clash.isError).toBe(true);
    expect(textOf(clash)).toContain('already used with other arguments');
    expect(writes(h)).toHaveLength(1);
  });

  it('two concurrent calls with one key send one request', async () => {
    h = await startHarness();
    h.sandbox.inject({ method: 'POST', latencyMs: 100 });
    const args = { loyalty_card_id: 1001, user_id: 5001, amount: 1, idempotency_key: 'r-3' };
    const [a, b] = await Promise.all([h.call('add_stamps', args), h.call('add_stamps', args)]);
    expect(writes(h)).toHaveLength(1);
    expect([a, b].filter((r) => (r.structuredContent as { replayed?: boolean }).replayed)).toHaveLength(1);
  });

  it('an unknown outcome is replayed, never re-sent; a definite refusal frees the key', async () => {
    h = await startHarness();
    h.sandbox.inject({ method: 'POST', reset: 'after-read' });
    const args = { loyalty_card_id: 1001, user_id: 5001, amount: 1, idempotency_key: 'r-4' };
    expect(textOf(await h.call('add_stamps', args))).toMatch(/^Outcome unknown/);
    const replay = await h.call('add_stamps', args);
    expect(replay.isError).toBe(true);
    expect(textOf(replay)).toMatch(/^Replay: .*Outcome unknown/);
    expect(writes(h)).toHaveLength(1);

    h.sandbox.inject({ method: 'POST', status: 422, body: { message: 'try later' } });
    const refused = { loyalty_card_id: 1001, user_id: 5001, amount: 1, idempotency_key: 'r-5' };
    expect(textOf(await h.call('add_stamps', refused))).toContain('HTTP 422');
    expect((await h.call('add_stamps', refused)).isError).toBeFalsy();
    expect(writes(h)).toHaveLength(3);
  });

  it('keys are forgotten after 24 hours (injected clock)', async () => {
    let now = Date.parse('2026-03-01T08:00:00Z');
    h = await startHarness({ now: () => now });
    const args = { loyalty_card_id: 1001, user_id: 5001, amount: 1, idempotency_key: 'r-6' };
    await h.call('add_stamps', args);
    now += 24 * 60 * 60 * 1000 + 1;
    const later = await h.call('add_stamps', args);
    expect((later.structuredContent as { replayed?: boolean }).replayed).toBeUndefined();
    expect(writes(h)).toHaveLength(2);
  });

  it(`memory is bounded: past ${MAX_IDEMPOTENCY_KEYS} keys the oldest goes`, async () => {
    const store = new MemoryStore(() => 0);
    for (let i = 0; i <= MAX_IDEMPOTENCY_KEYS; i++) {
      const claim = await store.claim(`add_stamps:k${i}`, '{"amount":1}');
      if (claim.claimed) await store.settle(`add_stamps:k${i}`, claim.ticket, { content: [] });
    }
    expect(store.size).toBe(MAX_IDEMPOTENCY_KEYS);
    expect((await store.claim('add_stamps:k0', '{"amount":1}')).claimed).toBe(true);
    expect(await store.claim(`add_stamps:k${MAX_IDEMPOTENCY_KEYS}`, '{"amount":1}')).toMatchObject({ claimed: false, record: { state: 'settled' } });
  });
});
