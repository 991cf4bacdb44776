// Replay protection for tools that take an idempotency_key: one request per key, across every process sharing the state store.
import { setTimeout as delay } from 'node:timers/promises';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';
import { MemoryStore } from './memory-store.js';
import { canonical, StoreUnavailableError, type StateStore } from './store.js';

/** How long a call waits for another process's call with its key to answer before saying "in progress". */
export const PENDING_WAIT_MS = 5000;
/** First and longest pause between looks at a key another process holds. */
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 250;

export type Claim =
  | { kind: 'first'; settle: (result: CallToolResult, keep: boolean) => Promise<void> }
  | { kind: 'replay'; result: CallToolResult }
  | { kind: 'conflict' }
  /** Nothing may be sent: the store is unreachable, or the key's first call has not answered yet. */
  | { kind: 'refuse'; message: string };

/** What a call that waited on a call of this process with the same key is told. */
type Follow = Exclude<Claim, { kind: 'first' }>;

export class IdempotencyStore {
  /** Calls of this process holding a key, so a concurrent call with it waits here instead of polling the store. */
  private readonly local = new Map<string, { argsKey: string; outcome: Promise<Follow> }>();

  constructor(
    private readonly store: StateStore = new MemoryStore(),
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The first caller of a key gets to run the call and must settle it; later and concurrent
   * callers with the same arguments get its result; other arguments are a conflict. When the
   * store cannot be reached the call is refused: it is never sent without its claim.
   */
  async claim(tool: string, key: string, args: Record<string, unknown>): Promise<Claim> {
    const id = `${tool}:${key}`;
    const argsKey = canonical(args);
    const leader = this.local.get(id);
    if (leader) return leader.argsKey === argsKey ? leader.outcome : { kind: 'conflict' };

    let resolve!: (follow: Follow) => void;
    this.local.set(id, { argsKey, outcome: new Promise<Follow>((r) => (resolve = r)) });
    const done = (follow: Follow): Follow => {
      this.local.delete(id);
      resolve(follow);
      return follow;
    };
    let ticket: string;
    try {
      const shared = await this.claimShared(id, argsKey);
      if (typeof shared !== 'string') return done(shared);
      ticket = shared;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) this.log?.error(`idempotency claim for ${tool} failed unexpectedly`, err);
      const why = err instanceof Error ? err.message : String(err);
      return done({
        kind: 'refuse',
        message: `Not sent: ${why}. A call with an idempotency_key is sent only once its key is claimed, so nothing was sent. Try again with the same key shortly.`,
      });
    }
    return {
      kind: 'first',
      settle: async (result, keep) => {
        try {
          // A call that provably changed nothing frees its key, so a later retry can send.
          await this.store.settle(id, ticket, keep ? result : undefined);
        } catch (err) {
          this.log?.error(
            `${tool}: the result for idempotency_key ${JSON.stringify(key)} could not be stored (${err instanceof Error ? err.message : String(err)}); a retry with that key will be told it is in progress, and nothing will be sent for it`,
          );
        }
        done({ kind: 'replay', result });
      },
    };
  }

  /** The claim's ticket, or what the caller is told instead; waits (bounded) while another process holds the key. */
  private async claimShared(id: string, argsKey: string): Promise<string | Follow> {
    let waited = 0;
    for (let pause = FIRST_POLL_MS; ; pause = Math.min(2 * pause, MAX_POLL_MS)) {
      const answer = await this.store.claim(id, argsKey);
      if (answer.claimed) return answer.ticket;
      const { record } = answer;
      if (record.argsKey !== argsKey) return { kind: 'conflict' };
      if (record.state === 'settled') return { kind: 'replay', result: record.result };
      if (waited >= PENDING_WAIT_MS) {
        const ago = Math.max(0, Math.round((this.now() - record.at) / 1000));
        return {
          kind: 'refuse',
          message: `Not sent: a call with this idempotency_key and these arguments started ${ago} s ago and has not answered yet (on this or another server process), or was cut off before it answered. Nothing was sent now. Call again with the same key shortly to get its answer; if it keeps saying this, its outcome is unknown — check the current state with the read tools before using a new key.`,
        };
      }
      // The holder is usually another process mid-request: look again shortly (bounded, so the caller gets an answer).
      await delay(pause);
      waited += pause;
    }
  }
}
