// The sandbox's persistent data model (cards, holders, rewards, notifications) and its shape validation.

export const SANDBOX_STATE_VERSION = 1;

/** The user fields a client may set, in the order the wire object lists them. */
export const PROFILE_FIELDS = [
  'first_name',
  'last_name',
  'email',
  'phone',
  'address',
  'zip',
  'city',
  'custom_1',
  'custom_2',
  'custom_3',
  'custom_4',
  'custom_5',
  'custom_6',
  'custom_7',
  'custom_8',
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type HolderProfile = Record<ProfileField, string>;

export const CARD_TYPES = ['stamp', 'points', 'membership'] as const;
export type CardType = (typeof CARD_TYPES)[number];

export interface StampRewardDefinition {
  id: number;
  name: string;
  stamps_required: number;
}
export interface PointsRewardDefinition {
  id: number;
  name: string;
  points_required: number;
}
export type RewardDefinition = StampRewardDefinition | PointsRewardDefinition;

interface CardBase {
  id: number;
  code: string;
  name: string;
  domain: string;
  created_at: string;
}
export interface StampCard extends CardBase {
  type: 'stamp';
  rewards: StampRewardDefinition[];
}
export interface PointsCard extends CardBase {
  type: 'points';
  rewards: PointsRewardDefinition[];
}
export interface MembershipCard extends CardBase {
  type: 'membership';
  rewards: never[];
}
/** Stored exactly as GET /loyalty/loyalty-cards returns it. */
export type SandboxCard = StampCard | PointsCard | MembershipCard;

export interface RewardInstance {
  /** Unique across the sandbox; the id `use_rewards` takes. */
  id: number;
  /** The card's reward definition this instance was earned from. */
  reward_id: number;
  name: string;
  status: 'available' | 'used';
  earned_at: string;
  used_at: string | null;
}

/**
 * Stored exactly as GET .../stats/{userId} returns it. `stamps` is present only on stamp-card
 * holders and `points` only on points-card holders; membership holders have neither.
 */
export interface SandboxHolder extends HolderProfile {
  id: number;
  loyalty_card_id: number;
  stamps?: number;
  points?: number;
  rewards: RewardInstance[];
  voided: boolean;
  wallet_installed: boolean;
  created_at: string;
  updated_at: string;
}

export interface SandboxNotification {
  id: string;
  loyalty_card_id: number;
  message: string;
  /** Holders the request targeted (explicit list, or every non-voided holder on a broadcast). */
  recipient_ids: number[];
  /** The subset that was actually reached (wallet installed, not voided). */
  sent_ids: number[];
  created_at: string;
}

export interface SandboxNextIds {
  card: number;
  holder: number;
  reward: number;
  reward_definition: number;
  notification: number;
}

export interface SandboxState {
  version: typeof SANDBOX_STATE_VERSION;
  /** Ids are handed out from here, so a deleted holder's id is never reused. */
  next_ids: SandboxNextIds;
  cards: SandboxCard[];
  holders: SandboxHolder[];
  notifications: SandboxNotification[];
}

export interface StampLedgerEntry {
  seq: number;
  loyalty_card_id: number;
  user_id: number;
  amount: number;
  at: string;
}

export class SandboxStateError extends Error {
  override name = 'SandboxStateError';
}

/** The API's timestamp format: `yyyy-MM-dd HH:mm:ss` in UTC. */
export function formatApiTimestamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export function balanceKeyOf(card: SandboxCard): 'stamps' | 'points' | null {
  if (card.type === 'stamp') return 'stamps';
  if (card.type === 'points') return 'points';
  return null;
}

export function thresholdOf(definition: RewardDefinition): number {
  return 'stamps_required' in definition ? definition.stamps_required : definition.points_required;
}

// ---------------------------------------------------------------------------------------------
// Validation. A hand-edited or half-written state file must fail loudly with the offending
// field, because silently reseeding would throw away someone's sandbox data.

class ShapeProblem extends Error {}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, where: string): JsonObject {
  if (!isObject(value)) throw new ShapeProblem(`${where} must be an object`);
  return value;
}

function arrayAt(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new ShapeProblem(`${where} must be an array`);
  return value;
}

function stringAt(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new ShapeProblem(`${where} must be a string`);
  return value;
}

function timestampAt(value: unknown, where: string): string {
  const text = stringAt(value, where);
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) {
    throw new ShapeProblem(`${where} must be a "yyyy-MM-dd HH:mm:ss" timestamp, got ${JSON.stringify(text)}`);
  }
  return text;
}

function booleanAt(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new ShapeProblem(`${where} must be true or false`);
  return value;
}

function positiveIntegerAt(value: unknown, where: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new ShapeProblem(`${where} must be a positive integer`);
  }
  return value as number;
}

function nonNegativeIntegerAt(value: unknown, where: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new ShapeProblem(`${where} must be a non-negative integer`);
  }
  return value as number;
}

function checkRewardDefinitions(card: JsonObject, where: string, thresholdKey: string | null): void {
  const rewards = arrayAt(card.rewards, `${where}.rewards`);
  if (thresholdKey === null) {
    if (rewards.length > 0) throw new ShapeProblem(`${where}.rewards must be empty on a membership card`);
    return;
  }
  rewards.forEach((reward, index) => {
    const at = `${where}.rewards[${index}]`;
    const definition = objectAt(reward, at);
    positiveIntegerAt(definition.id, `${at}.id`);
    stringAt(definition.name, `${at}.name`);
    positiveIntegerAt(definition[thresholdKey], `${at}.${thresholdKey}`);
  });
}

function checkCard(value: unknown, where: string): JsonObject {
  const card = objectAt(value, where);
  positiveIntegerAt(card.id, `${where}.id`);
  stringAt(card.code, `${where}.code`);
  stringAt(card.name, `${where}.name`);
  stringAt(card.domain, `${where}.domain`);
  timestampAt(card.created_at, `${where}.created_at`);
  const type = card.type;
  if (type === 'stamp') checkRewardDefinitions(card, where, 'stamps_required');
  else if (type === 'points') checkRewardDefinitions(card, where, 'points_required');
  else if (type === 'membership') checkRewardDefinitions(card, where, null);
  else throw new ShapeProblem(`${where}.type must be one of ${CARD_TYPES.join(', ')}`);
  return card;
}

function checkRewardInstance(value: unknown, where: string): number {
  const reward = objectAt(value, where);
  const id = positiveIntegerAt(reward.id, `${where}.id`);
  positiveIntegerAt(reward.reward_id, `${where}.reward_id`);
  stringAt(reward.name, `${where}.name`);
  if (reward.status !== 'available' && reward.status !== 'used') {
    throw new ShapeProblem(`${where}.status must be "available" or "used"`);
  }
  timestampAt(reward.earned_at, `${where}.earned_at`);
  if (reward.status === 'used') timestampAt(reward.used_at, `${where}.used_at`);
  else if (reward.used_at !== null) throw new ShapeProblem(`${where}.used_at must be null while the reward is available`);
  return id;
}

function checkHolder(value: unknown, where: string, cardTypes: Map<number, string>): { id: number; rewardIds: number[] } {
  const holder = objectAt(value, where);
  const id = positiveIntegerAt(holder.id, `${where}.id`);
  const cardId = positiveIntegerAt(holder.loyalty_card_id, `${where}.loyalty_card_id`);
  const cardType = cardTypes.get(cardId);
  if (cardType === undefined) throw new ShapeProblem(`${where}.loyalty_card_id ${cardId} is not a card in this state`);
  for (const field of PROFILE_FIELDS) stringAt(holder[field], `${where}.${field}`);
  for (const key of ['stamps', 'points'] as const) {
    const expected = (cardType === 'stamp' && key === 'stamps') || (cardType === 'points' && key === 'points');
    if (expected) nonNegativeIntegerAt(holder[key], `${where}.${key}`);
    else if (key in holder) throw new ShapeProblem(`${where}.${key} must be absent on a ${cardType} card holder`);
  }
  const rewardIds = arrayAt(holder.rewards, `${where}.rewards`).map((reward, index) =>
    checkRewardInstance(reward, `${where}.rewards[${index}]`),
  );
  booleanAt(holder.voided, `${where}.voided`);
  booleanAt(holder.wallet_installed, `${where}.wallet_installed`);
  timestampAt(holder.created_at, `${where}.created_at`);
  timestampAt(holder.updated_at, `${where}.updated_at`);
  return { id, rewardIds };
}

function checkNotification(value: unknown, where: string): void {
  const notification = objectAt(value, where);
  stringAt(notification.id, `${where}.id`);
  positiveIntegerAt(notification.loyalty_card_id, `${where}.loyalty_card_id`);
  stringAt(notification.message, `${where}.message`);
  for (const key of ['recipient_ids', 'sent_ids'] as const) {
    arrayAt(notification[key], `${where}.${key}`).forEach((id, index) => positiveIntegerAt(id, `${where}.${key}[${index}]`));
  }
  timestampAt(notification.created_at, `${where}.created_at`);
}

function checkUniqueAndBelow(ids: number[], kind: string, nextId: number, nextKey: string): void {
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) throw new ShapeProblem(`${kind} id ${id} appears more than once`);
    seen.add(id);
    if (id >= nextId) throw new ShapeProblem(`next_ids.${nextKey} (${nextId}) must be greater than every ${kind} id, but ${id} exists`);
  }
}

function checkState(value: unknown): SandboxState {
  const state = objectAt(value, 'the state');
  if (state.version !== SANDBOX_STATE_VERSION) {
    throw new ShapeProblem(`unsupported version ${JSON.stringify(state.version)} (expected ${SANDBOX_STATE_VERSION})`);
  }
  const next = objectAt(state.next_ids, 'next_ids');
  const nextIds: SandboxNextIds = {
    card: positiveIntegerAt(next.card, 'next_ids.card'),
    holder: positiveIntegerAt(next.holder, 'next_ids.holder'),
    reward: positiveIntegerAt(next.reward, 'next_ids.reward'),
    reward_definition: positiveIntegerAt(next.reward_definition, 'next_ids.reward_definition'),
    notification: positiveIntegerAt(next.notification, 'next_ids.notification'),
  };

  const cards = arrayAt(state.cards, 'cards').map((card, index) => checkCard(card, `cards[${index}]`));
  const cardTypes = new Map(cards.map((card) => [card.id as number, card.type as string]));
  checkUniqueAndBelow(cards.map((card) => card.id as number), 'card', nextIds.card, 'card');
  const definitionIds = cards.flatMap((card) => (card.rewards as JsonObject[]).map((reward) => reward.id as number));
  checkUniqueAndBelow(definitionIds, 'reward definition', nextIds.reward_definition, 'reward_definition');

  const holders = arrayAt(state.holders, 'holders').map((holder, index) => checkHolder(holder, `holders[${index}]`, cardTypes));
  checkUniqueAndBelow(holders.map((holder) => holder.id), 'holder', nextIds.holder, 'holder');
  checkUniqueAndBelow(holders.flatMap((holder) => holder.rewardIds), 'reward', nextIds.reward, 'reward');

  arrayAt(state.notifications, 'notifications').forEach((notification, index) =>
    checkNotification(notification, `notifications[${index}]`),
  );
  return value as SandboxState;
}

/**
 * Checks that `value` has the SandboxState shape and returns it unchanged; `source` names where it
 * came from (a file path, "options.state") so the error tells the user what to fix.
 */
export function validateSandboxState(value: unknown, source: string): SandboxState {
  try {
    return checkState(value);
  } catch (error) {
    if (error instanceof ShapeProblem) throw new SandboxStateError(`Invalid sandbox state in ${source}: ${error.message}`);
    throw error;
  }
}
