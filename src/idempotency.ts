// Replay protection for tools that take an idempotency_key: one request per key, bounded memory.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { canonical } from './confirm.js';

/** Keys remembered at most, and for how long; the oldest go first. */
export const MAX_IDEMPOTENCY_KEYS = 10_000;
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

interface Entry {
  argsKey: string;
  at: number;
  result: Promise<CallToolResult>;
}

export type Claim =
  | { kind: 'first'; settle: (result: CallToolResult, keep: boolean) => void }
  | { kind: 'replay'; result: Promise<CallToolResult> }
  | { kind: 'conflict' };

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The first caller of a key gets to run the call and must settle it; later and concurrent
   * callers with the same arguments share its result; other arguments are a conflict.
   */
  claim(tool: string, key: string, args: Record<string, unknown>): Claim {
    this.evict();
    const id = `${tool}\u0000${key}`;
    const argsKey = canonical(args);
    const existing = this.entries.get(id);
    if (existing) return existing.argsKey === argsKey ? { kind: 'replay', result: existing.result } : { kind: 'conflict' };
    let resolve!: (r: CallToolResult) => void;
    const result = new Promise<CallToolResult>((r) => (resolve = r));
    this.entries.set(id, { argsKey, at: this.now(), result });
    return {
      kind: 'first',
      settle: (value, keep) => {
        // A call that provably changed nothing frees its key, so a later retry can send.
        if (!keep) this.entries.delete(id);
        resolve(value);
      },
    };
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    const cutoff = this.now() - IDEMPOTENCY_TTL_MS;
    for (const [id, entry] of this.entries) {
      if (entry.at > cutoff && this.entries.size < MAX_IDEMPOTENCY_KEYS) break;
      this.entries.delete(id);
    }
  }
}
