// Creating holders and applying stamp/points grants to them, shared by the seed and the HTTP routes.
import { earn } from './earning.js';
import {
  PROFILE_FIELDS,
  balanceKeyOf,
  type HolderProfile,
  type RewardInstance,
  type SandboxCard,
  type SandboxHolder,
  type SandboxState,
} from './state.js';

export function emptyProfile(): HolderProfile {
  return Object.fromEntries(PROFILE_FIELDS.map((field) => [field, ''])) as HolderProfile;
}

export interface NewHolderDetails {
  profile: Partial<HolderProfile>;
  createdAt: string;
  walletInstalled: boolean;
}

/** Builds a holder in the wire object's key order and adds it to the state. */
export function addHolder(state: SandboxState, card: SandboxCard, details: NewHolderDetails): SandboxHolder {
  const balanceKey = balanceKeyOf(card);
  const holder: SandboxHolder = {
    id: state.next_ids.holder++,
    loyalty_card_id: card.id,
    ...emptyProfile(),
    ...details.profile,
    ...(balanceKey === 'stamps' ? { stamps: 0 } : balanceKey === 'points' ? { points: 0 } : {}),
    rewards: [],
    voided: false,
    wallet_installed: details.walletInstalled,
    created_at: details.createdAt,
    updated_at: details.createdAt,
  };
  state.holders.push(holder);
  return holder;
}

/**
 * Adds `amount` stamps or points (whichever the card counts) and creates an available reward
 * instance for every threshold passed, per the rule in earning.ts. Returns the new instances.
 * The caller has already checked the card type, the amount and that the holder is not voided.
 */
export function grantToHolder(
  state: SandboxState,
  card: SandboxCard,
  holder: SandboxHolder,
  amount: number,
  timestamp: string,
): RewardInstance[] {
  if (card.type === 'membership') throw new Error(`card ${card.id} is a membership card and has no balance`);
  const balanceKey = card.type === 'stamp' ? 'stamps' : 'points';
  const outcome = earn(card, holder[balanceKey] ?? 0, amount);
  holder[balanceKey] = outcome.balance;
  const instances = outcome.unlocked.map(
    (definition): RewardInstance => ({
      id: state.next_ids.reward++,
      reward_id: definition.id,
      name: definition.name,
      status: 'available',
      earned_at: timestamp,
      used_at: null,
    }),
  );
  holder.rewards.push(...instances);
  holder.updated_at = timestamp;
  return instances;
}
