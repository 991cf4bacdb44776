// Idempotency stage: a call with an idempotency_key runs once; a repeat is answered from memory, never sent.
import { z } from 'zod';
import type { IdempotencyStore } from '../idempotency.js';
import type { Call, Step } from './call.js';
import type { Shaper } from './result-shaping.js';

/** The argument tools with `idempotencyKey` take. */
export const idempotencyKeyInput = z.string().min(1).max(128).optional().describe('Receipt or order number; a repeat is not sent');

/** Either the answer is already known (replay or conflict), or the call runs and must settle its key. */
export type KeyClaim = { kind: 'answered'; step: Step } | { kind: 'run'; settle: (step: Step) => void };

const unkeyed: KeyClaim = { kind: 'run', settle: () => undefined };

export async function claimKey(call: Call, store: IdempotencyStore, dryRun: boolean, shape: Shaper): Promise<KeyClaim> {
  const { key } = call;
  if (typeof key !== 'string' || dryRun) return unkeyed;
  const claim = store.claim(call.tool.name, key, call.args);
  if (claim.kind === 'conflict') {
    const message = `idempotency_key ${JSON.stringify(key)} was already used with other arguments; nothing was sent. Use a new key for a different purchase.`;
    return { kind: 'answered', step: { result: shape.failure(message), outcome: 'error' } };
  }
  if (claim.kind === 'replay') return { kind: 'answered', step: { result: shape.replay(await claim.result), outcome: 'replayed' } };
  return {
    kind: 'run',
    // Remember what was (or may have been) applied; a definite failure frees the key for a retry.
    settle: ({ result, outcome }) => claim.settle(result, outcome === 'ok' || outcome === 'unknown'),
  };
}
