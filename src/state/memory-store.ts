// The in-memory state store (the default): one process's idempotency keys and confirm tokens, bounded.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_NAMESPACE, IDEMPOTENCY_TTL_MS, type ClaimAnswer, type KeyRecord, type Redemption, type StateStore, type StoreReadiness, type TokenGrant } from './store.js';

/** Keys remembered at most; past it (or past their TTL) the oldest go first. */
export const MAX_IDEMPOTENCY_KEYS = 10_000;
/** Outstanding confirm tokens kept at most; the oldest go first. */
export const MAX_CONFIRM_TOKENS = 1000;

interface KeyEntry {
  ticket: string;
  record: KeyRecord;
}

/** What every scope of one memory store shares; Map order is claim order, so eviction takes the oldest. */
class MemoryBacking {
  readonly keys = new Map<string, KeyEntry>();
  readonly tokens = new Map<string, TokenGrant>();
  tickets = 0;

  constructor(readonly now: () => number) {}

  evictKeys(): void {
    const cutoff = this.now() - IDEMPOTENCY_TTL_MS;
    for (const [id, entry] of this.keys) {
      if (entry.record.at > cutoff && this.keys.size < MAX_IDEMPOTENCY_KEYS) break;
      this.keys.delete(id);
    }
  }

  pruneTokens(): void {
    const now = this.now();
    for (const [token, grant] of this.tokens) if (grant.expiresAt <= now) this.tokens.delete(token);
    while (this.tokens.size >= MAX_CONFIRM_TOKENS) {
      const oldest = this.tokens.keys().next().value;
      if (oldest === undefined) break;
      this.tokens.delete(oldest);
    }
  }
}

export class MemoryStore implements StateStore {
  readonly backend = 'memory';
  private readonly backing: MemoryBacking;

  constructor(
    now: () => number = Date.now,
    readonly namespace: string = DEFAULT_NAMESPACE,
    backing?: MemoryBacking,
  ) {
    this.backing = backing ?? new MemoryBacking(now);
  }

  /** Idempotency keys held now, over every namespace. */
  get size(): number {
    return this.backing.keys.size;
  }

  private full(id: string): string {
    return `${this.namespace}\u0000${id}`;
  }

  async claim(id: string, argsKey: string): Promise<ClaimAnswer> {
    const b = this.backing;
    b.evictKeys();
    const existing = b.keys.get(this.full(id));
    if (existing) return { claimed: false, record: existing.record };
    const ticket = String(++b.tickets);
    b.keys.set(this.full(id), { ticket, record: { state: 'pending', argsKey, at: b.now() } });
    return { claimed: true, ticket };
  }

  async settle(id: string, ticket: string, result: CallToolResult | undefined): Promise<void> {
    const entry = this.backing.keys.get(this.full(id));
    // A claim that was evicted meanwhile is not resurrected, and never someone else's.
    if (!entry || entry.ticket !== ticket) return;
    if (result === undefined) this.backing.keys.delete(this.full(id));
    else entry.record = { state: 'settled', argsKey: entry.record.argsKey, at: entry.record.at, result };
  }

  async issueToken(token: string, grant: TokenGrant): Promise<void> {
    this.backing.pruneTokens();
    this.backing.tokens.set(this.full(token), grant);
  }

  async redeemToken(token: string, tool: string, argsKey: string): Promise<Redemption> {
    const grant = this.backing.tokens.get(this.full(token));
    if (!grant) return 'unknown';
    if (grant.expiresAt <= this.backing.now()) {
      this.backing.tokens.delete(this.full(token));
      return 'expired';
    }
    if (grant.tool !== tool || grant.argsKey !== argsKey) return 'mismatch';
    this.backing.tokens.delete(this.full(token));
    return 'ok';
  }

  async ready(): Promise<StoreReadiness> {
    return { ok: true, detail: 'state store: memory (this process only)' };
  }

  scope(namespace: string): StateStore {
    return new MemoryStore(this.backing.now, namespace, this.backing);
  }

  async close(): Promise<void> {}
}
