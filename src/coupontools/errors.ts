// The one error type of the request layer; the registration seam turns it into an isError tool result.

/**
 * Whether a failed write may have taken effect. Reads are always 'not_applied'. 'applied': the API
 * accepted the write (2xx, JSON) but its answer cannot be used (too large or too deeply nested).
 */
export type Outcome = 'not_applied' | 'unknown' | 'applied';

export type ErrorKind = 'http' | 'network' | 'timeout' | 'invalid_response' | 'aborted';

export interface CoupontoolsErrorInit {
  kind: ErrorKind;
  status?: number;
  apiMessage?: string;
  apiCode?: string;
  outcome: Outcome;
  retryAfterSeconds?: number;
  detail?: string;
  /** The system's code for a failed connection (ECONNREFUSED, ENOTFOUND, a TLS code, …). */
  networkCode?: string;
}

/** Connection failures that waiting will not cure: the setting is wrong, or nothing runs there. */
const MISCONFIGURED_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED']);

export class CoupontoolsError extends Error {
  override name = 'CoupontoolsError';
  readonly kind: ErrorKind;
  readonly status: number | undefined;
  readonly apiMessage: string | undefined;
  readonly apiCode: string | undefined;
  readonly outcome: Outcome;
  readonly retryAfterSeconds: number | undefined;
  readonly detail: string | undefined;
  readonly networkCode: string | undefined;

  constructor(init: CoupontoolsErrorInit) {
    super(init.apiMessage ?? init.detail ?? init.kind);
    this.kind = init.kind;
    this.status = init.status;
    this.apiMessage = init.apiMessage;
    this.apiCode = init.apiCode;
    this.outcome = init.outcome;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.detail = init.detail;
    this.networkCode = init.networkCode;
  }

  /** A hint the model can act on, by status. */
  hint(): string {
    if (this.outcome !== 'not_applied') return '';
    switch (this.status) {
      case 401:
      case 403:
        return 'The API rejected the credentials; retrying will not help: ask the human to check COUPONTOOLS_API_KEY and COUPONTOOLS_API_SECRET.';
      case 404:
        return 'Look the ids up again: list_loyalty_cards for card ids, list_users with filter {"email": …} or {"last_name": …} for user ids.';
      case 400:
      case 422:
        return 'The API refused the values: correct the field named in the message and call again.';
      case 429:
        return this.retryAfterSeconds !== undefined
          ? `Rate limited: wait ${this.retryAfterSeconds} s before calling again.`
          : 'Rate limited: wait a little before calling again.';
      default:
        break;
    }
    if (this.networkCode !== undefined && MISCONFIGURED_CODES.has(this.networkCode)) {
      return 'Nothing was changed. Check COUPONTOOLS_BASE_URL (the human must fix the setting or the network; waiting will not help), or run `coupontools-mcp doctor`.';
    }
    if (this.kind === 'timeout' || this.kind === 'network' || (this.status ?? 0) >= 500) {
      return 'The API or the network failed; nothing was changed. Try again in a moment.';
    }
    return '';
  }
}

/** Input a tool cannot use (a file outside the import folder, an unreadable CSV): said plainly, nothing was sent. */
export class InputError extends Error {
  override name = 'InputError';
}
