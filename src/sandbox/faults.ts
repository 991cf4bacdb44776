// Programmatic fault injection for tests: which request fails, and how.

export interface Fault {
  /** Match method (default any). */
  method?: string;
  /** String: exact match of the raw pathname (incl. '/v4'); RegExp: tested on the raw pathname. Default any. */
  path?: string | RegExp;
  /** How many matching requests it affects, default 1 (Infinity allowed); faults are consumed in the order injected. */
  times?: number;
  /**
   * Delay before handling/responding. The body is read first and the handler still runs after the
   * delay even if the client gave up meanwhile, as a slow real server would (so a client timeout
   * on a write leaves the outcome unknown, not undone).
   */
  latencyMs?: number;
  /**
   * Like latency, but for as long as the test likes: the request is held (body read, nothing
   * handled) until `sandbox.release()`, so a test decides the order of events, not the clock.
   */
  hold?: boolean;
  /** Respond with this status instead of the normal answer. */
  status?: number;
  /** With status: body (object => JSON). A string starting with '<' is sent as text/html, other strings as application/json unless headers say otherwise. */
  body?: string | object;
  /** With status: extra response headers (e.g. {'retry-after': '1'}). */
  headers?: Record<string, string>;
  /** Destroy the socket: before reading the body (never applied), or after reading the body. */
  reset?: 'before-read' | 'after-read';
  /** Never respond (socket stays open until the client gives up or the sandbox closes). */
  hang?: boolean;
  /** For status / reset 'after-read' / hang: run the real handler first (state changes happen) and THEN fail. */
  apply?: boolean;
}

interface PendingFault {
  fault: Fault;
  remaining: number;
}

function checkFault(fault: Fault): void {
  const times = fault.times ?? 1;
  if (times !== Infinity && !(Number.isInteger(times) && times >= 1)) {
    throw new TypeError(`Fault.times must be a positive integer or Infinity, got ${String(fault.times)}`);
  }
  if (fault.latencyMs !== undefined && !(Number.isFinite(fault.latencyMs) && fault.latencyMs >= 0)) {
    throw new TypeError(`Fault.latencyMs must be a non-negative number, got ${String(fault.latencyMs)}`);
  }
  if (fault.status !== undefined && !(Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599)) {
    throw new TypeError(`Fault.status must be an HTTP status from 200 to 599, got ${String(fault.status)}`);
  }
  const failures = [fault.status !== undefined, fault.reset !== undefined, fault.hang === true].filter(Boolean).length;
  if (failures > 1) throw new TypeError('A fault takes at most one of status, reset and hang');
  if (failures === 0 && fault.latencyMs === undefined && fault.hold !== true) {
    throw new TypeError('A fault needs at least one of latencyMs, hold, status, reset and hang');
  }
  if ((fault.body !== undefined || fault.headers !== undefined) && fault.status === undefined) {
    throw new TypeError('Fault.body and Fault.headers only apply together with Fault.status');
  }
  if (fault.reset !== undefined && fault.reset !== 'before-read' && fault.reset !== 'after-read') {
    throw new TypeError(`Fault.reset must be 'before-read' or 'after-read', got ${String(fault.reset)}`);
  }
  if (fault.apply === true && fault.reset === 'before-read') {
    throw new TypeError("Fault.apply cannot be combined with reset 'before-read': the body is never read, so nothing is applied");
  }
}

/** Faults waiting for matching requests; each request takes at most one, the earliest injected. */
export class FaultQueue {
  private pending: PendingFault[] = [];

  inject(fault: Fault): void {
    checkFault(fault);
    // Copied so a caller reusing or mutating its object cannot change a fault already queued.
    this.pending.push({ fault: { ...fault, headers: fault.headers && { ...fault.headers } }, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.pending = [];
  }

  take(method: string, rawPath: string): Fault | undefined {
    const index = this.pending.findIndex(({ fault }) => matches(fault, method, rawPath));
    const entry = this.pending[index];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.pending.splice(index, 1);
    return entry.fault;
  }
}

function matches(fault: Fault, method: string, rawPath: string): boolean {
  if (fault.method !== undefined && fault.method.toUpperCase() !== method.toUpperCase()) return false;
  if (fault.path === undefined) return true;
  if (typeof fault.path === 'string') return fault.path === rawPath;
  fault.path.lastIndex = 0; // a /g or /y RegExp would otherwise remember where the last test stopped
  return fault.path.test(rawPath);
}

/** The response a status fault sends. */
export function faultResponse(fault: Fault & { status: number }): { status: number; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {};
  let body = '';
  if (typeof fault.body === 'string') {
    body = fault.body;
    headers['content-type'] = body.startsWith('<') ? 'text/html' : 'application/json';
  } else if (fault.body !== undefined) {
    body = JSON.stringify(fault.body);
    headers['content-type'] = 'application/json';
  }
  for (const [name, value] of Object.entries(fault.headers ?? {})) headers[name.toLowerCase()] = value;
  return { status: fault.status, headers, body };
}
