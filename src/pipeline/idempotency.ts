// Idempotency stage: a call with an idempotency_key runs once; a repeat is answered from memory, never sent.
import { z } from 'zod';
import type { IdempotencyStore } from '../state/idempotency-store.js';
import type { Call, Shaper, Step } from './stage-types.js';

/** The argument tools with `idempotencyKey` take. */
// Bounds checked but not shown: the tool's description says what the key is.
export const idempotencyKeyInput = z
  .string()
  .refine((s) => s.length >= 1 && s.length <= 128, { error: 'idempotency_key: 1-128 characters, e.g. the receipt number' })
  .optional();

/** Either the answer is already known (replay or conflict), or the call runs and must settle its key. */
export type KeyClaim = { kind: 'answered'; step: Step } | { kind: 'run'; settle: (step: Step) => Promise<void> };

const unkeyed: KeyClaim = { kind: 'run', settle: async () => undefined };

export async function claimKey(call: Call, store: IdempotencyStore, dryRun: boolean, shape: Shaper): Promise<KeyClaim> {
  const { key } = call;
  if (typeof key !== 'string' || dryRun) return unkeyed;
  const claim = await store.claim(call.tool.name, key, call.args);
  if (claim.kind === 'conflict') {
    const message = `idempotency_key ${JSON.stringify(key)} was already used with other arguments; nothing was sent. Use a new key for a different purchase.`;
    return { kind: 'answered', step: { result: shape.failure(message), outcome: 'error' } };
  }
  // The state store is down, or the key's first call (perhaps in another process) has not answered yet: nothing is sent.
  if (claim.kind === 'refuse') return { kind: 'answered', step: { result: shape.failure(claim.message), outcome: 'error' } };
  if (claim.kind === 'replay') return { kind: 'answered', step: { result: shape.replay(claim.result), outcome: 'replayed' } };
  return {
    kind: 'run',
    // Remember what was (or may have been) applied; a definite failure frees the key for a retry.
    // Stored before the answer goes back, so a retry after it (on any process) finds it.
    settle: ({ result, outcome }) => claim.settle(result, outcome === 'ok' || outcome === 'unknown'),
  };
}
