// The sandbox's error answers, in the Coupontools v3 envelope shapes and error-code taxonomy.

/** Coupontools error codes (v3 taxonomy, see coupontools-api-v4.md §5.3). */
export const ERROR_CODE = {
  credentials: 1000,
  missingParameter: 200,
  invalidValue: 300,
  invalidNumber: 301,
  notAllowed: 302,
  invalidEmail: 305,
  holderNotFound: 505,
  cardNotFound: 507,
} as const;

export interface SandboxResponse {
  status: number;
  /** JSON-serialised with content-type application/json; omitted for an empty body (204). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown by route handlers to answer with an error; the server turns it into the response. */
export class SandboxHttpError extends Error {
  readonly response: SandboxResponse;
  constructor(response: SandboxResponse, summary: string) {
    super(summary);
    this.name = 'SandboxHttpError';
    this.response = response;
  }
}

const STATUS_LINE: Record<number, string> = {
  400: 'HTTP/1.0 400 Bad Request.',
  404: 'HTTP/1.0 404 Not Found.',
  413: 'HTTP/1.0 413 Payload Too Large.',
  422: 'HTTP/1.0 422 Unprocessable entity.',
  500: 'HTTP/1.0 500 Internal Server Error.',
};

/** The second v3 envelope: `{"status":{"status":"failed"},"errors":{...}}`. */
export function envelopeError(status: number, description: string, code: number): SandboxHttpError {
  const body = {
    status: { status: 'failed' },
    errors: {
      error_message: STATUS_LINE[status] ?? `HTTP/1.0 ${status}.`,
      error_message_description: [description],
      error_code: [code],
    },
  };
  return new SandboxHttpError({ status, body }, `${status} ${description}`);
}

/** 422 naming the field and what is allowed. */
export function unprocessable(description: string, code: number = ERROR_CODE.invalidValue): SandboxHttpError {
  return envelopeError(422, description, code);
}

// Path segments come from the client; keep error messages readable if someone sends a novel.
function shown(segment: string): string {
  return segment.length > 64 ? `${segment.slice(0, 61)}...` : segment;
}

export function cardNotFound(cardSegment: string): SandboxHttpError {
  return envelopeError(404, `Loyalty card ${shown(cardSegment)} not found.`, ERROR_CODE.cardNotFound);
}

export function holderNotFound(userSegment: string, cardId: number): SandboxHttpError {
  return envelopeError(404, `User ${shown(userSegment)} not found on loyalty card ${cardId}.`, ERROR_CODE.holderNotFound);
}

/** The first v3 envelope, which Coupontools uses for bad credentials. */
export const UNAUTHORIZED: SandboxResponse = {
  status: 401,
  body: {
    status: {
      status: 'failed',
      errors: { error_code: ERROR_CODE.credentials, error_message: 'HTTP/1.0 401 Unauthorized. Client ID or Secret not correct.' },
    },
  },
};

export function routeNotFound(): SandboxHttpError {
  return new SandboxHttpError({ status: 404, body: { message: 'Route not found' } }, 'route not found');
}

export function methodNotAllowed(allowed: readonly string[]): SandboxHttpError {
  return new SandboxHttpError(
    { status: 405, body: { message: 'Method not allowed' }, headers: { allow: allowed.join(', ') } },
    'method not allowed',
  );
}
