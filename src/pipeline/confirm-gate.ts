// Human confirmation for gated calls: elicitation when the client can ask, otherwise preview + single-use token.
import { randomBytes } from 'node:crypto';
import type { ConfirmMode } from '../config.js';
import { MemoryStore } from '../state/memory-store.js';
import { canonical, type StateStore } from '../state/store.js';

export type ElicitAnswer = 'accept' | 'decline' | 'cancel' | 'timeout';

export interface GateRequest {
  tool: string;
  /** The call's arguments without confirm_token. */
  args: Record<string, unknown>;
  token: string | undefined;
  /** One sentence naming the target and what is lost. */
  describe: () => Promise<string>;
  /** Present only when the client declared elicitation. */
  elicit: ((message: string) => Promise<ElicitAnswer>) | undefined;
}

export interface ConfirmationPreview {
  status: 'confirmation_required';
  confirm_token: string;
  effect: string;
  expires_at: string;
}

/** `declined`: a human said no (or nothing); otherwise the call was refused by a rule. */
export type GateDecision =
  | { kind: 'proceed' }
  | { kind: 'preview'; preview: ConfirmationPreview }
  | { kind: 'refuse'; message: string; declined: boolean };

/** Tokens live this long; the design's contract. */
export const CONFIRM_TOKEN_TTL_MS = 5 * 60 * 1000;

export class ConfirmGate {
  /** Tokens live in the state store, so one issued by a process is redeemed once on any process sharing it. */
  constructor(
    readonly mode: ConfirmMode,
    private readonly now: () => number = Date.now,
    private readonly tokens: StateStore = new MemoryStore(now),
  ) {}

  /** Whether gated tools take a confirm_token argument. */
  get usesTokens(): boolean {
    return this.mode === 'auto';
  }

  async check(req: GateRequest): Promise<GateDecision> {
    if (this.mode === 'off') return { kind: 'proceed' };
    if (req.elicit) {
      const effect = await req.describe();
      const answer = await req.elicit(`${effect}\n\nAllow this?`);
      if (answer === 'accept') return { kind: 'proceed' };
      const why = answer === 'timeout' ? 'did not answer in time' : answer === 'cancel' ? 'cancelled the request' : 'declined';
      return { kind: 'refuse', declined: true, message: `The user ${why}; nothing was done. Do not retry unless the user asks again.` };
    }
    if (this.mode === 'elicit') {
      return {
        kind: 'refuse',
        declined: false,
        message: `${req.tool} needs a human's confirmation and this client cannot ask for one (no elicitation support); nothing was done. The operator can set COUPONTOOLS_CONFIRM=auto to confirm with a token instead.`,
      };
    }
    return req.token === undefined ? this.preview(req) : this.redeem(req, req.token);
  }

  private async preview(req: GateRequest): Promise<GateDecision> {
    const effect = await req.describe();
    const token = randomBytes(16).toString('base64url');
    const expiresAt = this.now() + CONFIRM_TOKEN_TTL_MS;
    try {
      await this.tokens.issueToken(token, { tool: req.tool, argsKey: canonical(req.args), expiresAt });
    } catch (err) {
      return { kind: 'refuse', declined: false, message: `${storeDown(err)} so no confirm_token could be issued; nothing was done. Try again shortly.` };
    }
    return {
      kind: 'preview',
      preview: { status: 'confirmation_required', confirm_token: token, effect, expires_at: new Date(expiresAt).toISOString() },
    };
  }

  private async redeem(req: GateRequest, token: string): Promise<GateDecision> {
    let redemption;
    try {
      redemption = await this.tokens.redeemToken(token, req.tool, canonical(req.args));
    } catch (err) {
      return { kind: 'refuse', declined: false, message: `${storeDown(err)} so the confirm_token could not be checked; nothing was done. Try again with the same token shortly.` };
    }
    switch (redemption) {
      case 'ok':
        return { kind: 'proceed' };
      case 'unknown':
        return { kind: 'refuse', declined: false, message: 'confirm_token is unknown or was already used; nothing was done. Call again without confirm_token for a new preview.' };
      case 'expired':
        return { kind: 'refuse', declined: false, message: 'confirm_token has expired (tokens last 5 minutes); nothing was done. Call again without confirm_token for a new preview.' };
      case 'mismatch':
        return { kind: 'refuse', declined: false, message: 'confirm_token was issued for other arguments; nothing was done. Use exactly the arguments of the preview, or ask for a new one.' };
    }
  }
}

/** The first words of a refusal because the state store failed. */
function storeDown(err: unknown): string {
  const why = err instanceof Error ? err.message : String(err);
  return `Not done: ${why},`;
}
