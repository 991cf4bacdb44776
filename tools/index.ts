// The list of all tools, and the instructions that teach a model how they fit together.
import type { ToolDefinition } from '../src/tool.js';
import { copyLoyaltyCard } from './cards/copy-loyalty-card.js';
import { listLoyaltyCards } from './cards/list-loyalty-cards.js';
import { sendPushNotification } from './notifications/send-push-notification.js';
import { useRewards } from './rewards/use-rewards.js';
import { addStamps } from './stamps/add-stamps.js';
import { createUser } from './users/create-user.js';
import { createUsers } from './users/create-users.js';
import { deleteUser } from './users/delete-user.js';
import { getUser } from './users/get-user.js';
import { listUsers } from './users/list-users.js';
import { updateUser } from './users/update-user.js';
import { voidUser } from './users/void-user.js';

export const allTools: readonly ToolDefinition[] = [
  listLoyaltyCards,
  copyLoyaltyCard,
  listUsers,
  getUser,
  createUser,
  createUsers,
  updateUser,
  addStamps,
  useRewards,
  voidUser,
  deleteUser,
  sendPushNotification,
];

export function instructions(sandbox: boolean): string {
  return [
    'Runs a Coupontools loyalty program (cards, card holders, stamps, rewards, wallet pushes).',
    'Usual flow: list_loyalty_cards for the card id → list_users with filter {"email": …} or {"phone": …} to find the holder → add_stamps once per purchase → get_user to see rewards_available → use_rewards with those reward ids when the reward is handed over.',
    'Writes are not retried after an unclear failure: an "outcome unknown" result means check with get_user before trying again.',
    'delete_user, void_user and a push to all holders need a human\'s yes: the client asks, or the tool returns confirmation_required with a confirm_token to send back after the user agrees.',
    ...(sandbox ? ['SANDBOX: simulated demo data, nothing reaches a real account; results carry "sandbox": true.'] : []),
  ].join('\n');
}
