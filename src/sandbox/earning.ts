// The stamp/points earning rule: which rewards an add unlocks and how the balance rolls over.
import { thresholdOf, type PointsCard, type RewardDefinition, type StampCard } from './state.js';

export interface EarningOutcome {
  /** The balance after the add (always below the card's highest threshold when the card has rewards). */
  balance: number;
  /** One entry per reward instance to create, in the order they were reached. */
  unlocked: RewardDefinition[];
}

/**
 * The rule, for stamp and points cards alike. Let M be the card's highest reward threshold (the
 * "complete" mark), b the balance before the add (0 <= b < M), a the amount added.
 *
 *   - Think of the holder's lifetime count as running past positions b+1, b+2, ..., b+a.
 *   - A reward with threshold T is unlocked once at every position p = k*M + T (k = 0, 1, 2, ...)
 *     with b < p <= b+a. Rewards unlocked at the same position follow the card's threshold order.
 *   - The new balance is (b + a) mod M: reaching M completes the card and it starts over at 0.
 *
 * So one add of a gives exactly what a separate adds of 1 would give (adds are additive): on a
 * card with rewards at 5 and 10, +25 from 0 passes 5, 10, 15, 20, 25 and unlocks 5-rewards three
 * times (at 5, 15, 25) and the 10-reward twice (at 10, 20), leaving a balance of 5; +3 from 7
 * passes 8, 9, 10 and unlocks the 10-reward once, leaving 0.
 * A card with no rewards never completes: the balance just grows.
 */
export function earn(card: StampCard | PointsCard, balance: number, amount: number): EarningOutcome {
  const ladder = [...card.rewards]
    .map((definition) => ({ definition, threshold: thresholdOf(definition) }))
    .sort((left, right) => left.threshold - right.threshold || left.definition.id - right.definition.id);
  const complete = ladder.at(-1)?.threshold;
  if (complete === undefined) return { balance: balance + amount, unlocked: [] };

  const end = balance + amount;
  const unlocked: RewardDefinition[] = [];
  for (let cycleStart = Math.floor(balance / complete) * complete; cycleStart < end; cycleStart += complete) {
    for (const { definition, threshold } of ladder) {
      const position = cycleStart + threshold;
      if (position > balance && position <= end) unlocked.push(definition);
    }
  }
  return { balance: end % complete, unlocked };
}
