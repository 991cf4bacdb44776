// The state store: what several server processes must share (idempotency claims, confirm tokens), one interface, two backends.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** How long an idempotency key is remembered, counted from its claim. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** A key someone has claimed: its call is running (or was cut off before it answered). */
export interface PendingKey {
  state: 'pending';
  argsKey: string;
  /** When the claim was made (ms since the epoch, by the store's clock). */
  at: number;
}

/** A key whose call answered; the answer is replayed to every later caller. */
export interface SettledKey {
  state: 'settled';
  argsKey: string;
  at: number;
  result: CallToolResult;
}

export type KeyRecord = PendingKey | SettledKey;

/**
 * `claimed`: the caller owns the key and must settle it with `ticket`; otherwise the record
 * already there (someone else's claim, running or settled).
 */
export type ClaimAnswer = { claimed: true; ticket: string } | { claimed: false; record: KeyRecord };

/** What a confirm token was issued for. */
export interface TokenGrant {
  tool: string;
  argsKey: string;
  /** ms since the epoch, by the store's clock. */
  expiresAt: number;
}

/** `ok` spends the token; a token for other arguments is left for the right ones. */
export type Redemption = 'ok' | 'unknown' | 'expired' | 'mismatch';

export interface StoreReadiness {
  ok: boolean;
  /** One line for /readyz and logs; never holds a password. */
  detail: string;
  /** Ready, but a claim may be forgotten (a Redis that can evict or has no persistence): one line, named in /readyz. */
  warning?: string;
}

/**
 * Shared state, scoped to one namespace (an account): idempotency keys are claimed, settled
 * and replayed; confirm tokens are issued and redeemed once. Every method either does its
 * job or rejects with StoreUnavailableError — it never guesses.
 */
export interface StateStore {
  readonly backend: 'memory' | 'redis';
  readonly namespace: string;
  /** Claims `id` for a call whose canonical arguments are `argsKey`, atomically across processes. */
  claim(id: string, argsKey: string): Promise<ClaimAnswer>;
  /**
   * Ends a claim made with `ticket`: stores `result` for replay (kept until the claim's TTL ends),
   * or, with `result` undefined, frees the key so a retry may send.
   */
  settle(id: string, ticket: string, result: CallToolResult | undefined): Promise<void>;
  issueToken(token: string, grant: TokenGrant): Promise<void>;
  /** Spends the token if it was issued for exactly this tool and these arguments and has not expired. */
  redeemToken(token: string, tool: string, argsKey: string): Promise<Redemption>;
  /** Whether writes that need the store can run now (the HTTP service's /readyz). */
  ready(): Promise<StoreReadiness>;
  /** The same backing store under another namespace (one per account; one connection for all). */
  scope(namespace: string): StateStore;
  /** Closes the backing store (every scope of it). */
  close(): Promise<void>;
}

/** The store did not answer (or not in time): a write that needs it is refused, never sent unguarded. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** The namespace used when nothing else is said (a single-account stdio server). */
export const DEFAULT_NAMESPACE = 'default';

/** JSON with sorted keys, so the same arguments always give the same argsKey (idempotency claims and confirm tokens alike). */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
