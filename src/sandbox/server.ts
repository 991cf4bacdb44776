// The sandbox HTTP server on loopback: auth, request recording, fault injection, in-flight counting.
import { createHash, timingSafeEqual } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { dialectOf, renameHolderFields, type SandboxDialect } from './dialect.js';
import { ERROR_CODE, SandboxHttpError, UNAUTHORIZED, envelopeError, type SandboxResponse } from './api-errors.js';
import { FaultQueue, faultResponse, type Fault } from './faults.js';
import { routeApiRequest, type RouteContext } from './routes.js';
import { seedState } from './seed.js';
import { loadSandboxStateIfPresent, saveSandboxState } from './state-file.js';
import { formatApiTimestamp, validateSandboxState, type SandboxState, type StampLedgerEntry } from './state.js';

export interface SandboxOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Default 'sandbox-key'. */
  apiKey?: string;
  /** Default 'sandbox-secret'. */
  apiSecret?: string;
  /** PRNG seed for the demo data, default 42; the same seed gives byte-identical data. */
  seed?: number;
  /** Start from (a copy of) this state instead of seeding. */
  state?: SandboxState;
  /**
   * Load from this JSON file if it exists (else start from `state` or the seed and create it);
   * saved atomically after every change. A corrupt or unreadable file makes startSandbox reject
   * with SandboxStateError rather than reseed over someone's data.
   */
  statePath?: string;
  /** Clock for created_at and friends; default () => new Date(). */
  now?: () => Date;
  /**
   * Most recorded requests and ledger entries kept, the oldest dropped first. Unbounded by default
   * (tests read them all); the server's sandbox mode keeps a few so a long session stays flat.
   */
  historyLimit?: number;
  /** The wire dialect to speak (default: brackets, wrapped lists, bare-array bulk, paging honoured, our field names). */
  dialect?: Partial<SandboxDialect>;
}

export interface RecordedRequest {
  method: string;
  /** Raw pathname as received, not decoded, incl. the '/v4' prefix. */
  path: string;
  /** Raw query string without '?', '' if none. */
  query: string;
  /** Lower-cased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Raw body text ('' if none, if the request was reset before reading, or if it exceeded the size limit). */
  body: string;
  /** Parsed body if it was valid JSON. */
  json?: unknown;
}

export interface Sandbox {
  /** Base URL incl. '/v4', e.g. 'http://127.0.0.1:40123/v4'. */
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Every request that reached the server, in arrival order (faulted ones too). */
  readonly requests: RecordedRequest[];
  clearRequests(): void;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Every stamp/points grant actually applied (add-stamps), in order, since start. */
  readonly ledger: StampLedgerEntry[];
  /** Requests currently being handled (a hanging request counts until the sandbox closes). */
  readonly inFlight: number;
  /** High-water mark of inFlight since start or resetStats(). */
  readonly maxInFlight: number;
  resetStats(): void;
  /**
   * Calls `listener` whenever a hang fault starts holding a request (after the change was made,
   * with `apply`); tests end the client's wait there instead of racing a timer. Returns the unsubscribe.
   */
  onHang(listener: (request: RecordedRequest) => void): () => void;
  /** Requests a hold fault is holding now. */
  readonly held: number;
  /** Lets every held request go on to be handled (and to meet the rest of its fault). */
  release(): void;
  /** Live state (tests read it to find seeded ids). */
  readonly state: SandboxState;
  readonly dialect: SandboxDialect;
  /** Stops listening and destroys all open sockets (hanging ones too). */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
// Past the limit the rest of the body is read and dropped so the client gets a clean 413; a client
// that keeps sending far beyond that is cut off instead.
const MAX_DRAINED_BYTES = 64 * MAX_BODY_BYTES;

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

interface ReceivedBody {
  text: string;
  tooLarge: boolean;
}

/** Resolves null if the client goes away before the body is complete. */
function readBody(request: IncomingMessage): Promise<ReceivedBody | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DRAINED_BYTES) request.socket.destroy();
      else if (size > MAX_BODY_BYTES) chunks.length = 0;
      else chunks.push(chunk);
    });
    request.on('end', () => {
      const tooLarge = size > MAX_BODY_BYTES;
      resolve({ text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge });
    });
    request.on('error', () => resolve(null));
    request.on('close', () => resolve(null)); // no-op after 'end' has resolved
  });
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (response.destroyed || response.headersSent) return;
  response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}

function sendApiResponse(response: ServerResponse, answer: SandboxResponse): void {
  if (answer.body === undefined) {
    send(response, answer.status, answer.headers ?? {}, '');
    return;
  }
  send(response, answer.status, { 'content-type': 'application/json', ...answer.headers }, JSON.stringify(answer.body));
}

function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy(); // a TCP RST, as a crashed proxy or server would send
  } catch {
    socket.destroy();
  }
}

// Hashing first gives equal-length buffers, which timingSafeEqual requires.
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

class LoopbackSandbox implements Sandbox {
  readonly requests: RecordedRequest[] = [];
  readonly ledger: StampLedgerEntry[] = [];
  private readonly faults = new FaultQueue();
  private readonly hangListeners = new Set<(request: RecordedRequest) => void>();
  private readonly holding = new Set<() => void>();
  private readonly sockets = new Set<Socket>();
  private readonly closing = new AbortController();
  private readonly server = createServer((request, response) => void this.handle(request, response));
  private readonly routeContext: RouteContext;
  private baseUrl = '';
  private active = 0;
  private peak = 0;
  private closed: Promise<void> | undefined;

  constructor(
    readonly state: SandboxState,
    readonly apiKey: string,
    readonly apiSecret: string,
    private readonly statePath: string | undefined,
    private readonly now: () => Date,
    private readonly historyLimit: number,
    readonly dialect: SandboxDialect,
  ) {
    // Every delayed request listens for shutdown on this one signal; many at once is normal here.
    setMaxListeners(0, this.closing.signal);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    let grantSeq = 0;
    this.routeContext = {
      state,
      dialect,
      timestamp: () => formatApiTimestamp(this.now()),
      persist: () => {
        if (this.statePath !== undefined) saveSandboxState(this.statePath, this.state);
      },
      recordGrant: (cardId, userId, amount, at) => {
        this.ledger.push({ seq: ++grantSeq, loyalty_card_id: cardId, user_id: userId, amount, at });
        this.trim(this.ledger);
      },
    };
  }

  get url(): string {
    return this.baseUrl;
  }
  get inFlight(): number {
    return this.active;
  }
  get maxInFlight(): number {
    return this.peak;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = address.address.includes(':') ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${shownHost}:${address.port}/v4`;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }
  inject(fault: Fault): void {
    this.faults.inject(fault);
  }
  clearFaults(): void {
    this.faults.clear();
  }
  resetStats(): void {
    this.peak = this.active;
  }
  get held(): number {
    return this.holding.size;
  }
  release(): void {
    const waiting = [...this.holding];
    this.holding.clear();
    for (const go of waiting) go();
  }
  onHang(listener: (request: RecordedRequest) => void): () => void {
    this.hangListeners.add(listener);
    return () => this.hangListeners.delete(listener);
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.closing.abort();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closed;
  }

  private trim(history: unknown[]): void {
    if (history.length > this.historyLimit) history.splice(0, history.length - this.historyLimit);
  }

  /** Resolves false if the sandbox closed before release(). */
  private heldUntilReleased(): Promise<boolean> {
    if (this.closing.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onClose = (): void => {
        this.holding.delete(go);
        resolve(false);
      };
      const go = (): void => {
        this.closing.signal.removeEventListener('abort', onClose);
        resolve(true);
      };
      this.holding.add(go);
      this.closing.signal.addEventListener('abort', onClose, { once: true });
    });
  }

  /** Resolves false if the sandbox closed while waiting. */
  private async pause(ms: number): Promise<boolean> {
    try {
      await delay(ms, undefined, { signal: this.closing.signal });
      return true;
    } catch {
      return false;
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.url ?? '';
    const queryStart = target.indexOf('?');
    const record: RecordedRequest = {
      method: request.method ?? '',
      path: queryStart < 0 ? target : target.slice(0, queryStart),
      query: queryStart < 0 ? '' : target.slice(queryStart + 1),
      headers: flattenHeaders(request.headers),
      body: '',
    };
    this.requests.push(record);
    this.trim(this.requests);
    this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    // 'close' fires once the response is finished or the connection is gone, whichever comes first.
    response.once('close', () => {
      this.active -= 1;
    });

    const fault = this.faults.take(record.method, record.path);
    if (fault?.reset === 'before-read') {
      if (fault.latencyMs !== undefined && !(await this.pause(fault.latencyMs))) return;
      resetSocket(request.socket);
      return;
    }

    const body = await readBody(request);
    if (body === null) return;
    record.body = body.text;
    if (body.text !== '') {
      try {
        record.json = JSON.parse(body.text) as unknown;
      } catch {
        // not JSON: the raw text is recorded all the same
      }
    }
    if (fault?.latencyMs !== undefined && !(await this.pause(fault.latencyMs))) return;
    if (fault?.hold === true && !(await this.heldUntilReleased())) return;

    if (fault !== undefined && fault.apply !== true && this.failed(fault, record, request, response)) return;
    const answer = this.answer(record, body.tooLarge);
    if (fault !== undefined && fault.apply === true && this.failed(fault, record, request, response)) return;
    sendApiResponse(response, answer);
  }

  /** Carries out the fault's failure, if it has one; false for a latency-only fault. */
  private failed(fault: Fault, record: RecordedRequest, request: IncomingMessage, response: ServerResponse): boolean {
    if (fault.reset === 'after-read') {
      resetSocket(request.socket);
      return true;
    }
    if (fault.hang === true) {
      // No answer; close() destroys the socket.
      for (const listener of this.hangListeners) listener(record);
      return true;
    }
    if (fault.status !== undefined) {
      const { status, headers, body } = faultResponse({ ...fault, status: fault.status });
      send(response, status, headers, body);
      return true;
    }
    return false;
  }

  private answer(record: RecordedRequest, tooLarge: boolean): SandboxResponse {
    if (tooLarge) {
      return envelopeError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`, ERROR_CODE.invalidValue).response;
    }
    if (!sameSecret(record.headers['x-api-key'], this.apiKey) || !sameSecret(record.headers['x-api-secret'], this.apiSecret)) {
      return UNAUTHORIZED;
    }
    try {
      const answer = routeApiRequest(this.routeContext, record);
      return { ...answer, body: renameHolderFields(answer.body, this.dialect.fieldNames) };
    } catch (error) {
      if (error instanceof SandboxHttpError) return error.response;
      const reason = error instanceof Error ? error.message : String(error);
      return { status: 500, body: { message: `Sandbox internal error: ${reason}` } };
    }
  }
}

function initialState(options: SandboxOptions): SandboxState {
  const fromFile = options.statePath === undefined ? undefined : loadSandboxStateIfPresent(options.statePath);
  if (fromFile !== undefined) return fromFile;
  // Copied so the sandbox never changes an object the caller still holds (or hands to a second sandbox).
  const state =
    options.state === undefined
      ? seedState(options.seed ?? 42)
      : structuredClone(validateSandboxState(options.state, 'options.state'));
  if (options.statePath !== undefined) saveSandboxState(options.statePath, state);
  return state;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const state = initialState(options);
  const sandbox = new LoopbackSandbox(
    state,
    options.apiKey ?? 'sandbox-key',
    options.apiSecret ?? 'sandbox-secret',
    options.statePath,
    options.now ?? (() => new Date()),
    options.historyLimit ?? Infinity,
    dialectOf(options.dialect),
  );
  await sandbox.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return sandbox;
}
