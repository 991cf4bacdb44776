// Bad input gets a clear message naming the field, and never reaches the network.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, textOf, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { COUPONTOOLS_CONFIRM: 'off' } });
});
afterAll(() => h.close());
beforeEach(() => h.sandbox.clearRequests());

const long = (n: number) => 'x'.repeat(n);

const CASES: Array<[string, string, Record<string, unknown>, RegExp]> = [
  ['path traversal in a card id', 'get_user', { loyalty_card_id: '1/../2', user_id: 5001 }, /loyalty_card_id/],
  ['encoded dots in a user id', 'get_user', { loyalty_card_id: 1001, user_id: '%2e%2e' }, /user_id/],
  ['a query smuggled into an id', 'delete_user', { loyalty_card_id: 1001, user_id: '5001?x=' }, /user_id/],
  ['a slash in a user id', 'add_stamps', { loyalty_card_id: 1001, user_id: '5001/void', amount: 1 }, /user_id/],
  ['an empty id', 'get_user', { loyalty_card_id: '', user_id: 5001 }, /loyalty_card_id/],
  ['a negative id', 'get_user', { loyalty_card_id: -4, user_id: 5001 }, /loyalty_card_id/],
  ['a fractional id', 'get_user', { loyalty_card_id: 1001.5, user_id: 5001 }, /loyalty_card_id/],
  ['a 65-character id', 'get_user', { loyalty_card_id: long(65), user_id: 5001 }, /loyalty_card_id/],
  ['zero stamps', 'add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 0 }, /amount/],
  ['fractional stamps', 'add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 1.5 }, /amount/],
  ['stamps as a string', 'add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: '3' }, /amount/],
  ['a missing amount', 'add_stamps', { loyalty_card_id: 1001, user_id: 5001 }, /amount/],
  ['an extra key on add_stamps', 'add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 1, email: 'a@b.c' }, /email/],
  ['amount on update_user', 'update_user', { loyalty_card_id: 1001, user_id: 5001, amount: 5 }, /add_stamps/],
  ['amount beside a field on update_user', 'update_user', { loyalty_card_id: 1001, user_id: 5001, city: 'Ghent', amount: 5 }, /add_stamps/],
  ['update_user with nothing to change', 'update_user', { loyalty_card_id: 1001, user_id: 5001 }, /at least one field/],
  ['a card name over 50 characters', 'copy_loyalty_card', { loyalty_card_id: 1001, name: long(51) }, /name/],
  ['empty reward_ids', 'use_rewards', { loyalty_card_id: 1001, user_id: 5001, reward_ids: [] }, /reward_ids/],
  ['an unsafe reward id', 'use_rewards', { loyalty_card_id: 1001, user_id: 5001, reward_ids: ['1;DROP'] }, /reward_ids/],
  ['empty users', 'create_users', { loyalty_card_id: 1001, users: [] }, /users/],
  ['an unknown field in a bulk user', 'create_users', { loyalty_card_id: 1001, users: [{ first_name: 'A' }, { amount: 3 }] }, /users/],
  ['an empty push message', 'send_push_notification', { loyalty_card_id: 1001, message: '' }, /message/],
  ['a blank push message', 'send_push_notification', { loyalty_card_id: 1001, message: '   ' }, /message/],
  ['empty recipient_user_ids', 'send_push_notification', { loyalty_card_id: 1001, message: 'Hi', recipient_user_ids: [] }, /recipient_user_ids/],
  ['page 0', 'list_users', { loyalty_card_id: 1001, page: 0 }, /page/],
  ['limit 201', 'list_users', { loyalty_card_id: 1001, limit: 201 }, /limit/],
  ['limit 0', 'list_users', { loyalty_card_id: 1001, limit: 0 }, /limit/],
  ['an unknown filter field', 'list_users', { loyalty_card_id: 1001, filter: { password: 'x' } }, /filter/],
  ['an invalid email', 'create_user', { loyalty_card_id: 1001, email: 'not-an-email' }, /email/],
  ['an over-long first name', 'create_user', { loyalty_card_id: 1001, first_name: long(256) }, /first_name/],
  ['an unknown tool argument', 'list_loyalty_cards', { limit: 5 }, /limit/],
  ['a lone surrogate in a filter value', 'list_users', { loyalty_card_id: 1001, filter: { first_name: '\ud800' } }, /filter/],
  ['amount and another unknown key on update_user', 'update_user', { loyalty_card_id: 1001, user_id: 5001, amount: 1, colour: 'red' }, /add stamps; unknown keys: colour/],
];

describe('bad input', () => {
  it.each(CASES)('%s is refused before the network', async (_label, tool, args, field) => {
    const result = await h.call(tool, args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(field);
    expect(h.sandbox.requests).toHaveLength(0);
  });

  it(`covers at least 15 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(15);
  });
});
