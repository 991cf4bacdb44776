// Error mapping stage: every failure of a call becomes a result the model can act on, never a crash.
import { CoupontoolsError, InputError } from '../coupontools/errors.js';
import type { Logger } from '../log.js';
import type { ToolDefinition } from '../mcp/tool.js';
import type { Call, Shaper, Step } from './stage-types.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function describeFailure(err: CoupontoolsError): string {
  const head = err.status !== undefined ? `HTTP ${err.status}${STATUS_TEXT[err.status] ? ` ${STATUS_TEXT[err.status]}` : ''}: ` : '';
  // The API's own words and code are quoted as the API's, so "505" never reads as an HTTP status.
  const code = err.apiCode !== undefined ? ` (Coupontools error code ${err.apiCode})` : '';
  if (err.apiMessage !== undefined) return `${head}the API says ${JSON.stringify(err.apiMessage)}${code}`;
  // Sentences are joined with ". " by the callers, so a message's own full stop goes.
  return `${head}${err.detail ?? 'no message'}${code}`.replace(/\.\s*$/, '');
}

/** The text the model reads for a failed call. */
export function errorText(err: unknown, tool: ToolDefinition): string {
  // Bad input found by the tool itself (a file that cannot be imported): said plainly, nothing sent.
  if (err instanceof InputError) return `${err.message} Nothing was sent.`;
  if (!(err instanceof CoupontoolsError)) return `Internal error in ${tool.name}: ${err instanceof Error ? err.message : String(err)}`;
  if (err.outcome === 'unknown') {
    const check = tool.verifyHint ?? 'check the current state with the read tools';
    return `Outcome unknown — ${describeFailure(err)}. The request reached the Coupontools API but no clear answer came back, so it may or may not have been applied. Do not repeat it blindly: ${check} before deciding to call ${tool.name} again.`;
  }
  const lead = err.kind === 'http' || err.kind === 'invalid_response' ? 'Coupontools API error' : err.kind === 'aborted' ? 'Cancelled' : 'Could not reach the Coupontools API';
  const hint = err.hint();
  return `${lead} — ${describeFailure(err)}.${hint ? ` ${hint}` : ''}`;
}

/**
 * Runs the rest of the call; whatever it throws is answered as an error (or an unknown outcome).
 * The wire decides a write's outcome: once the API accepted it, any later failure (reading,
 * shaping, serializing, checking the answer) leaves it applied, and the model is told so.
 */
export async function mapErrors(call: Call, log: Logger, shape: Shaper, next: () => Promise<Step>): Promise<Step> {
  try {
    return await next();
  } catch (err) {
    if (!(err instanceof CoupontoolsError || err instanceof InputError)) log.error(`${call.tool.name} failed unexpectedly`, err);
    if (call.wire.applied) {
      const reason = err instanceof CoupontoolsError ? (err.detail ?? err.message) : err instanceof Error ? err.message : String(err);
      return { result: shape.applied(reason), outcome: 'ok' };
    }
    const outcome = err instanceof CoupontoolsError && err.outcome === 'unknown' ? 'unknown' : 'error';
    return { result: shape.failure(errorText(err, call.tool)), outcome };
  }
}
