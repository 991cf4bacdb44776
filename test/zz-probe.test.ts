import { it } from 'vitest';
import { startHarness, textOf } from './harness.js';
it('probe', async () => {
  const h = await startHarness();
  for (const [t, a] of [['list_users', {}], ['list_users', { loyalty_card_id: 1001, filter: { name: 'Jane' } }], ['get_user', { loyalty_card_id: 1001, user_id: 999 }], ['add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 1, foo: 2 }], ['add_stamps', { loyalty_card_id: 1001, user_id: 5001 }], ['create_users', { loyalty_card_id: 1001, users: [{ first_name: 'A' }, { amount: 3 }] }], ['delete_user', { loyalty_card_id: 1001, user_id: 5001, x: 1 }], ['use_rewards', { loyalty_card_id: 1001, user_id: 5001, reward_ids: [99] }], ['add_stamps', { loyalty_card_id: 1001, user_id: 5001, amount: 3 }], ['create_users', { loyalty_card_id: 1001, users: [{ first_name: 'A' }, { email: 'b@c.d' }] }], ['list_users', { loyalty_card_id: 1003 }]] as const) {
    const r = await h.call(t, a as Record<string, unknown>);
    console.log(t, r.isError ? 'ERR' : 'OK', textOf(r).slice(0, 900));
  }
  await h.close();
});
