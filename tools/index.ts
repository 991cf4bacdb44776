// The list of all tools, and the instructions that teach a model how they fit together.
import type { ToolDefinition } from '../src/mcp/tool.js';
import { copyLoyaltyCard } from './cards/copy-loyalty-card.js';
import { listLoyaltyCards } from './cards/list-loyalty-cards.js';
import { sendPushNotification } from './notifications/send-push-notification.js';
import { useRewards } from './rewards/use-rewards.js';
import { addStamps } from './stamps/add-stamps.js';
import { createUser } from './users/create-user.js';
import { createUsers } from './users/create-users.js';
import { deleteUser } from './users/delete-user.js';
import { getUser } from './users/get-user.js';
import { importUsers } from './users/import-users.js';
import { listUsers } from './users/list-users.js';
import { updateUser } from './users/update-user.js';
import { voidUser } from './users/void-user.js';

/** Offered only with an import folder (COUPONTOOLS_IMPORT_DIR), so it is built for that folder rather than listed. */
export { importUsers };

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

/** What a model should know before its first call, for the tools this server actually offers. */
export function instructions(sandbox: boolean, offered: readonly ToolDefinition[] = allTools): string {
  const has = (name: string): boolean => offered.some((t) => t.name === name);
  const writes = offered.some((t) => t.access !== 'read');
  return [
    'Runs a Coupontools loyalty program (cards, card holders, stamps, rewards, wallet pushes).',
    writes
      ? 'Usual flow: list_loyalty_cards for the card id → list_users with filter {"email": …} or {"last_name": …} to find the holder → add_stamps once per purchase (its result says rewards_unlocked and card_completed; a completed card starts over, no stamp is lost) → rewards_available (in that result, or get_user) → use_rewards with those ids when the reward is handed over.'
      : 'Read-only: look holders up with list_users (filter {"email": …} or {"last_name": …}) and get_user; nothing can be changed through this server.',
    ...(writes ? ['Writes are not retried after an unclear failure: an "outcome unknown" result means check with get_user before trying again.'] : []),
    ...(has('delete_user') || has('void_user') || has('send_push_notification')
      ? ["delete_user, void_user and a push to all holders need a human's yes: the client asks, or the tool returns confirmation_required with a confirm_token to send back after the user agrees."]
      : []),
    ...(has('import_users') ? ['import_users: show the user the dry_run plan first; if a run is cut short, the same call resumes it without duplicates.'] : []),
    ...(sandbox ? ['SANDBOX: simulated demo data, nothing reaches a real account; results carry "sandbox": true.'] : []),
  ].join('\n');
}
