// Human confirmation of delete_user, void_user and broadcast pushes: token flow, elicitation, elicit-only and off.
import { afterEach, describe, expect, it } from 'vitest';
import type { ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { startHarness, textOf, type Harness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DELETE_PATH = /\/stats\/\d+$/;
const writes = (harness: Harness) => harness.sandbox.requests.filter((r) => r.method !== 'GET');
function activeCoffeeHolder(harness: Harness, n = 0): number {
  return harness.sandbox.state.holders.filter((u) => u.loyalty_card_id === 1001 && !u.voided && u.id !== 5001)[n]!.id;
}

describe('token flow (auto mode, client without elicitation)', () => {
  it('previews, then runs once with the same arguments and the token', async () => {
    h = await startHarness();
    const preview = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(preview.isError).toBeFalsy();
    const sc = preview.structuredContent as Record<string, string>;
    expect(sc.status).toBe('confirmation_required');
    expect(sc.effect).toContain('“Jane Doe”, email “jane@example.com” (user 5001)');
    expect(sc.effect).toContain('“Café Aroma coffee card” (1001)');
    expect(sc.effect).toContain('7 stamps');
    expect(Date.parse(sc.expires_at!) - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(writes(h)).toHaveLength(0);

    const done = await h.call('delete_user', { loyalty_card_id: 1001, user_id: '5001', confirm_token: sc.confirm_token });
    expect(done.isError, textOf(done)).toBeFalsy();
    expect(done.structuredContent).toMatchObject({ deleted: true, user_id: 5001 });
    expect(writes(h).map((r) => [r.method, r.path])).toEqual([['DELETE', '/v4/loyalty/loyalty-cards/1001/stats/5001']]);
  });

  it('refuses a token with other arguments, and does not burn it', async () => {
    h = await startHarness();
    const other = activeCoffeeHolder(h);
    const { confirm_token } = (await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001 })).structuredContent as Record<string, string>;
    const wrong = await h.call('void_user', { loyalty_card_id: 1001, user_id: other, confirm_token });
    expect(wrong.isError).toBe(true);
    expect(textOf(wrong)).toContain('other arguments');
    const wrongTool = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001, confirm_token });
    expect(wrongTool.isError).toBe(true);
    expect(writes(h)).toHaveLength(0);
    const right = await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001, confirm_token });
    expect(right.isError).toBeFalsy();
    expect(writes(h)).toHaveLength(1);
  });

  it('a token works once', async () => {
    h = await startHarness();
    const { confirm_token } = (await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001 })).structuredContent as Record<string, string>;
    expect((await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001, confirm_token })).isError).toBeFalsy();
    const again = await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001, confirm_token });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toContain('already used');
    expect(writes(h)).toHaveLength(1);
  });

  it('a token expires after 5 minutes (injected clock)', async () => {
    let now = Date.parse('2026-01-01T10:00:00Z');
    h = await startHarness({ now: () => now });
    const { confirm_token, expires_at } = (await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001 })).structuredContent as Record<string, string>;
    expect(expires_at).toBe('2026-01-01T10:05:00.000Z');
    now += 5 * 60_000;
    const late = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001, confirm_token });
    expect(late.isError).toBe(true);
    expect(textOf(late)).toContain('expired');
    expect(writes(h)).toHaveLength(0);
  });

  it('an invented token is refused', async () => {
    h = await startHarness();
    const result = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001, confirm_token: 'made-up' });
    expect(result.isError).toBe(true);
    expect(writes(h)).toHaveLength(0);
  });

  it('gates a broadcast push but not a push to named holders', async () => {
    h = await startHarness();
    const broadcast = await h.call('send_push_notification', { loyalty_card_id: 1001, message: 'Closed Monday' });
    const sc = broadcast.structuredContent as Record<string, string>;
    expect(sc.status).toBe('confirmation_required');
    expect(sc.effect).toContain('EVERY holder of card “Café Aroma coffee card” (1001)');
    expect(sc.effect).toContain('Closed Monday');
    expect(writes(h)).toHaveLength(0);
    const targeted = await h.call('send_push_notification', { loyalty_card_id: 1001, message: 'Hi Jane', recipient_user_ids: [5001] });
    expect(targeted.structuredContent).toMatchObject({ audience: 'selected', recipients: 1 });
    expect(writes(h)).toHaveLength(1);
    const confirmed = await h.call('send_push_notification', { loyalty_card_id: 1001, message: 'Closed Monday', confirm_token: sc.confirm_token });
    expect(confirmed.structuredContent).toMatchObject({ audience: 'all' });
    expect(writes(h)).toHaveLength(2);
  });

  it('a preview of an unknown holder is an error, not a question', async () => {
    h = await startHarness();
    const result = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 424242 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('HTTP 404');
  });
});

describe('elicitation', () => {
  const answering = (answer: ElicitResult, seen: string[]) => (message: string) => {
    seen.push(message);
    return answer;
  };

  it('accept runs the call; the question names the holder and the card', async () => {
    const seen: string[] = [];
    h = await startHarness({ elicit: answering({ action: 'accept', content: { confirm: true } }, seen) });
    const result = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ deleted: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('Permanently delete card holder “Jane Doe”, email “jane@example.com” (user 5001) on card “Café Aroma coffee card” (1001)');
    expect(writes(h).filter((r) => DELETE_PATH.test(r.path))).toHaveLength(1);
  });

  it.each([
    ['decline', { action: 'decline' } as ElicitResult, /declined/],
    ['cancel', { action: 'cancel' } as ElicitResult, /cancelled/],
    ['accept with confirm unticked', { action: 'accept', content: { confirm: false } } as ElicitResult, /declined/],
  ])('%s runs nothing and is an error', async (_label, answer, said) => {
    const seen: string[] = [];
    h = await startHarness({ elicit: answering(answer, seen) });
    const result = await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(said);
    expect(textOf(result)).toContain('nothing was done');
    expect(seen).toHaveLength(1);
    expect(writes(h)).toHaveLength(0);
  });

  it('a client that can elicit is asked even when it sends a token', async () => {
    const seen: string[] = [];
    h = await startHarness({ elicit: answering({ action: 'decline' }, seen) });
    const result = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001, confirm_token: 'whatever' });
    expect(result.isError).toBe(true);
    expect(seen).toHaveLength(1);
    expect(writes(h)).toHaveLength(0);
  });

  it('elicit mode fails closed for a client that cannot ask, and offers no token', async () => {
    h = await startHarness({ env: { COUPONTOOLS_CONFIRM: 'elicit' } });
    const { tools } = await h.client.listTools();
    expect(Object.keys(tools.find((t) => t.name === 'delete_user')!.inputSchema.properties ?? {})).not.toContain('confirm_token');
    const result = await h.call('delete_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('cannot ask');
    expect(writes(h)).toHaveLength(0);
  });

  it('elicit mode asks a client that can', async () => {
    const seen: string[] = [];
    h = await startHarness({ env: { COUPONTOOLS_CONFIRM: 'elicit' }, elicit: answering({ action: 'accept', content: { confirm: true } }, seen) });
    const result = await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.isError).toBeFalsy();
    expect(seen).toHaveLength(1);
    expect(writes(h)).toHaveLength(1);
  });
});

describe('off', () => {
  it('runs gated calls directly and offers no token', async () => {
    h = await startHarness({ env: { COUPONTOOLS_CONFIRM: 'off' } });
    const { tools } = await h.client.listTools();
    expect(Object.keys(tools.find((t) => t.name === 'void_user')!.inputSchema.properties ?? {})).not.toContain('confirm_token');
    const result = await h.call('void_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.structuredContent).toMatchObject({ voided: true });
    expect(writes(h)).toHaveLength(1);
  });
});
