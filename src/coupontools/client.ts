// The one Coupontools request layer: keep-alive pool, auth, timeouts, in-flight cap, retries, tolerant parsing.
import type { Agent, Dispatcher } from 'undici';
import { CoupontoolsError, type Outcome } from './errors.js';
import { redactor } from '../log.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  /** Path segments after the base URL; each one is percent-encoded here. */
  path: readonly (string | number)[];
  /** Query pairs, already flattened (e.g. ['filter[email]', 'a@b.c']); encoded here. */
  query?: readonly (readonly [string, string])[];
  body?: unknown;
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON, or null for an empty body. */
  data: unknown;
  /** Response headers, lower-case names (doctor reads the rate-limit ones). */
  headers?: Record<string, string | string[] | undefined>;
}

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  userAgent: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxInFlight: number;
  maxRetries: number;
  /** First backoff step; doubles each retry, with jitter. */
  retryBaseMs?: number;
  /** Longest wait we accept between attempts (a longer Retry-After is returned to the model instead). */
  maxRetryWaitMs?: number;
  random?: () => number;
  /** Starts an attempt's deadline (default: a real timer); tests pass one that expires on cue, so no verdict races the clock. */
  armDeadline?: ArmDeadline;
  /** Told about each failed attempt in one line without personal values (method, path template, status or code, duration). */
  onFailure?: (line: string) => void;
}

/** Calls `expire` once the attempt to `url` has had `ms`; the returned function disarms it. */
export type ArmDeadline = (ms: number, expire: () => void, url: string) => () => void;

const realDeadline: ArmDeadline = (ms, expire) => {
  const timer = setTimeout(expire, ms);
  return () => clearTimeout(timer);
};

/** The most response body we read; anything larger is not a Coupontools answer we can use. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** The deepest nesting of arrays and objects we accept; deeper cannot be a Coupontools answer, and would overflow the stack later. */
export const MAX_JSON_DEPTH = 64;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** Error codes proving the request never reached the server, so even a write may be sent again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/** Resource names of the v4 paths; any other segment is an id and is logged as {id}. */
const PATH_WORDS = new Set(['loyalty', 'loyalty-cards', 'stats', 'bulk', 'copy', 'rewards', 'void', 'push-notifications']);

/** The path with ids replaced, for log lines: `/loyalty/loyalty-cards/{id}/stats/{id}`. */
export function pathTemplate(path: readonly (string | number)[]): string {
  return `/${path.map((s) => (PATH_WORDS.has(String(s)) ? String(s) : '{id}')).join('/')}`;
}

/** Counting semaphore for the in-flight cap; waiters are served first come, first served. */
class Slots {
  private free: number;
  private readonly waiters: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  /** Takes a slot: at once when one is free (undefined: nothing to wait for), else when one is released. */
  acquire(signal: AbortSignal | undefined): Promise<void> | undefined {
    if (this.free > 0) {
      this.free--;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        forget();
        resolve();
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(grant);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(abortedError());
      };
      this.waiters.push(grant);
      const forget = signal ? whenCancelled(signal, onAbort) : () => undefined;
    });
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

/** How one attempt is stopped: by the caller's cancellation or by its deadline, through undici's controller once there is one. */
class Stopper {
  controller: Dispatcher.DispatchController | undefined;
  /** An abort asked for before undici handed over the controller; applied when it does, before anything is written. */
  pending: Error | undefined;
  /** Whether the request went out on a connection: an abort before that leaves even a write not applied. */
  sent = false;
  timedOut = false;
  private abort(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.pending ??= reason;
  }
  readonly cancel = (): void => this.abort(new Error('cancelled'));
  readonly expire = (): void => {
    this.timedOut = true;
    this.abort(new Error('deadline'));
  };
}

/** The attempts in flight for each caller's signal (a tool call's, or an import's). */
const attemptsOf = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `cancel` if `signal` aborts before the returned function is called. One 'abort' listener
 * per signal, however many requests it covers, holding only the set of attempts still in flight:
 * nothing of a finished request (its body, its answer) stays reachable from a long-lived signal.
 */
function whenCancelled(signal: AbortSignal, cancel: () => void): () => void {
  let attempts = attemptsOf.get(signal);
  if (!attempts) {
    const live = new Set<() => void>();
    attempts = live;
    attemptsOf.set(signal, live);
    signal.addEventListener('abort', () => {
      for (const each of [...live]) each();
      live.clear();
    }, { once: true });
  }
  const mine = attempts;
  mine.add(cancel);
  return () => void mine.delete(cancel);
}

function abortedError(): CoupontoolsError {
  return new CoupontoolsError({ kind: 'aborted', outcome: 'not_applied', detail: 'The call was cancelled before it was sent.' });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim());
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function errorCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) {
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (Array.isArray(v)) {
      const parts = v.filter((x): x is string => typeof x === 'string' && x.trim() !== '');
      if (parts.length > 0) return parts.join(' ');
    }
  }
  return undefined;
}

function codeOf(value: unknown): string | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && value !== '')) return String(value);
  if (Array.isArray(value) && value.length > 0) return value.map(String).join(',');
  return undefined;
}

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** The API's own message and code, from v3-style envelopes or plain bodies. */
export function extractApiError(data: unknown): { message?: string; code?: string } {
  const body = asObject(data);
  if (!body) return {};
  const status = asObject(body.status);
  const nested = asObject(status?.errors);
  const errors = asObject(body.errors);
  const error = asObject(body.error);
  const headline = firstString(nested?.error_message, errors?.error_message);
  const description = firstString(nested?.error_message_description, errors?.error_message_description);
  const message =
    [headline, description].filter(Boolean).join(' ') ||
    firstString(body.message, body.error, error?.message, body.detail, body.error_description);
  const code = codeOf(nested?.error_code) ?? codeOf(errors?.error_code) ?? codeOf(body.error_code) ?? codeOf(error?.code) ?? codeOf(body.code);
  return { ...(message ? { message } : {}), ...(code ? { code } : {}) };
}

/** A v3-style failure envelope can arrive with HTTP 200. */
function isEnvelopeFailure(data: unknown): boolean {
  const status = asObject(asObject(data)?.status);
  return typeof status?.status === 'string' && status.status.toLowerCase() !== 'ok';
}

/** An HTTP status embedded in a v3 message ("HTTP/1.0 401 Unauthorized"). */
function embeddedStatus(message: string | undefined): number | undefined {
  const m = message?.match(/HTTP\/\d(?:\.\d)?\s+(\d{3})/);
  return m ? Number(m[1]) : undefined;
}

/** A short, tag-free excerpt of a non-JSON body for the model; the secret is removed before the cut. */
function excerpt(text: string, redact: (text: string) => string): string {
  const plain = redact(text)
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 160 ? `${plain.slice(0, 160)}…` : plain;
}

// The CommonJS module object, which both Node and the bundle hand over as the default export. The
// bundle's undici (src/build/bundle.mjs) also hands over the bytes of its HTTP parser.
type Undici = (typeof import('undici'))['default'] & { parserWasm?: () => Uint8Array };
let undici: Promise<Undici> | undefined;
/** Node's WebAssembly global, which this project's TypeScript libraries declare only as types. */
interface WasmModule {
  readonly wasm: unique symbol;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Module: { imports(module: WasmModule): Array<{ module: string; name: string; kind: string }> };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, () => number>>) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
/** undici's HTTP parser, compiled ahead; held, so V8 keeps it in its cache of compiled modules. */
let parser: Promise<unknown> | undefined;

/** A keep-alive JSON answer, as the API sends one: what the first real answer will take the parser through. */
const SAMPLE_ANSWER = 'HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: 11\r\nconnection: keep-alive\r\nkeep-alive: timeout=5\r\n\r\n{"ok":true}';
/** llhttp's parser type for responses, and its "no error" code. */
const LLHTTP_RESPONSE = 2;
const LLHTTP_OK = 0;

/**
 * Takes a compiled parser through one answer in an instance of its own, with callbacks that do
 * nothing. V8 compiles a WebAssembly function at its first call and keeps the code in the module,
 * which every instance shares, undici's too: so undici's first answer is parsed by code already
 * compiled instead of waiting about 9 ms for it. True when the answer parsed cleanly; false (and
 * nothing else) if this parser does not have the functions this expects.
 */
export function exerciseParser(module: WasmModule): boolean {
  const imports: Record<string, Record<string, () => number>> = {};
  for (const i of wasmApi.Module.imports(module)) if (i.kind === 'function') (imports[i.module] ??= {})[i.name] = () => 0;
  const { exports: e } = new wasmApi.Instance(module, imports);
  const { llhttp_alloc: alloc, llhttp_execute: execute, llhttp_free: release, malloc, free, memory } = e as Record<string, ((...args: number[]) => number) | undefined> & { memory?: { buffer: ArrayBuffer } };
  if (typeof alloc !== 'function' || typeof execute !== 'function' || typeof malloc !== 'function' || !(memory?.buffer instanceof ArrayBuffer)) return false;
  const bytes = Buffer.from(SAMPLE_ANSWER, 'latin1');
  const state = alloc(LLHTTP_RESPONSE);
  const at = malloc(bytes.length);
  new Uint8Array(memory.buffer, at, bytes.length).set(bytes);
  const code = execute(state, at, bytes.length);
  if (typeof free === 'function') free(at);
  if (typeof release === 'function') release(state);
  return code === LLHTTP_OK;
}

/**
 * Starts compiling undici's HTTP parser (WebAssembly) on V8's background threads: undici's own
 * synchronous compile at the first connection then finds the module in V8's cache of compiled
 * modules instead of taking 2-3 ms of the first call. Once compiled it is taken through one answer
 * (exerciseParser), so the functions that parse an answer are compiled too. (Compiling all of them
 * ahead, eagerly, cost start-up more than it saved: docs/figures.md.)
 */
function compileParser(m: Undici): void {
  const wasm = m.parserWasm?.();
  if (!wasm || parser) return;
  parser = wasmApi
    .compile(wasm)
    .then((module) => {
      exerciseParser(module);
      return module;
    })
    .catch(() => undefined);
}

/**
 * undici is loaded by warmUp (when the server answers its first tools/list) or by the first
 * request, not at start: answering initialize needs no HTTP client.
 */
export function loadUndici(): Promise<Undici> {
  return (undici ??= import('undici').then((m) => m.default));
}

export class CoupontoolsClient {
  private pool: Agent | undefined;
  private readonly slots: Slots;
  private readonly base: string;
  /** scheme://host:port of the base URL, and the path every request's path starts with. */
  private readonly origin: string;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private readonly random: () => number;
  private readonly redact: (text: string) => string;
  /** host:port of the API, named in connection errors (the base URL never holds credentials). */
  private readonly hostPort: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    const base = new URL(this.base);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.hostPort = `${base.hostname}:${base.port || (base.protocol === 'https:' ? '443' : '80')}`;
    this.slots = new Slots(options.maxInFlight);
    this.random = options.random ?? Math.random;
    this.redact = redactor([options.apiSecret]);
    this.headers = {
      'x-api-key': options.apiKey,
      'x-api-secret': options.apiSecret,
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': options.userAgent,
    };
  }

  /** The keep-alive pool, made on first use. */
  private async connection(): Promise<Agent> {
    const { Agent } = await loadUndici();
    this.pool ??= new Agent({ connect: { timeout: this.options.connectTimeoutMs }, connections: this.options.maxInFlight, keepAliveTimeout: 30_000 });
    return this.pool;
  }

  /** Loads the HTTP client and compiles its parser ahead of the first request, so that request pays for neither. */
  warmUp(): void {
    void loadUndici().then(compileParser);
  }

  /** The URL a request goes to (no credentials in it); also what a dry run would show. */
  url(req: ApiRequest): string {
    const path = req.path.map((s) => encodeURIComponent(String(s))).join('/');
    // Brackets stay literal in keys (filter[email]=…), as the design's wire contract shows; values are fully encoded.
    const key = (k: string): string => encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']');
    const query = (req.query ?? []).map(([k, v]) => `${key(k)}=${encodeURIComponent(v)}`).join('&');
    return `${this.base}/${path}${query ? `?${query}` : ''}`;
  }

  async request(req: ApiRequest, signal?: AbortSignal): Promise<ApiResponse> {
    const isRead = req.method === 'GET';
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const url = this.url(req);
    for (let attempt = 0; ; attempt++) {
      let failure: CoupontoolsError;
      let mayRetry: boolean;
      const waiting = this.slots.acquire(signal);
      if (waiting) await waiting;
      const started = performance.now();
      try {
        return await this.attempt(req.method, url, body, isRead, signal);
      } catch (err) {
        if (!(err instanceof CoupontoolsError)) throw err;
        failure = err;
        this.logFailure(req, failure, performance.now() - started);
        // Reads are safe to repeat; a write only when it provably never arrived or the server said 429.
        const transient = failure.status !== undefined ? RETRYABLE_STATUS.has(failure.status) : failure.kind === 'network';
        mayRetry = isRead ? transient : failure.outcome === 'not_applied' && (failure.status === 429 || failure.kind === 'network');
      } finally {
        this.slots.release();
      }
      if (!mayRetry || attempt >= this.options.maxRetries || signal?.aborted) throw failure;
      const backoff = (this.options.retryBaseMs ?? 250) * 2 ** attempt;
      const jittered = backoff / 2 + this.random() * (backoff / 2);
      const waitMs = failure.retryAfterSeconds !== undefined ? failure.retryAfterSeconds * 1000 : jittered;
      if (waitMs > (this.options.maxRetryWaitMs ?? 30_000)) throw failure;
      await sleep(waitMs, signal);
    }
  }

  private logFailure(req: ApiRequest, failure: CoupontoolsError, ms: number): void {
    if (!this.options.onFailure) return;
    const what = failure.status !== undefined ? `HTTP ${failure.status}${failure.apiCode ? ` (code ${failure.apiCode})` : ''}` : (failure.networkCode ?? failure.kind);
    this.options.onFailure(`API call failed: ${req.method} ${pathTemplate(req.path)} → ${what} after ${Math.round(ms)} ms`);
  }

  /**
   * One HTTP exchange through undici's dispatch API: the body is collected as it arrives, with no
   * stream or abort signal of its own. The deadline and a cancelled call abort it through its controller.
   */
  private attempt(method: HttpMethod, url: string, body: string | undefined, isRead: boolean, signal: AbortSignal | undefined): Promise<ApiResponse> {
    const agent = this.pool;
    if (!agent) return this.connection().then(() => this.attempt(method, url, body, isRead, signal));
    // After the request has left, a failed write may still have been applied.
    const sentOutcome: Outcome = isRead ? 'not_applied' : 'unknown';
    return new Promise<ApiResponse>((resolve, reject) => {
      // What a cancellation or the deadline reaches: this small object, never the answer being read.
      const stop = new Stopper();
      let done = false;
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      const disarm = (this.options.armDeadline ?? realDeadline)(this.options.timeoutMs, stop.expire, url);
      const forget = signal ? whenCancelled(signal, stop.cancel) : () => undefined;
      const settle = (outcome: () => ApiResponse): void => {
        if (done) return;
        done = true;
        disarm();
        forget();
        stop.controller = undefined;
        try {
          resolve(outcome());
        } catch (err) {
          reject(err);
        }
      };
      if (signal?.aborted) stop.cancel();
      agent.dispatch(
        {
          origin: this.origin,
          path: `${this.basePath}${url.slice(this.base.length)}`,
          method,
          headers: this.headers,
          body: body ?? null,
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
        },
        {
          onRequestStart: (ctl) => {
            stop.controller = ctl;
            if (stop.pending) ctl.abort(stop.pending);
            else stop.sent = true;
          },
          onResponseStart: (_ctl, statusCode, responseHeaders) => {
            // 1xx answers are informational: the real one follows.
            if (statusCode < 200) return;
            status = statusCode;
            headers = responseHeaders;
          },
          onResponseData: (ctl, chunk) => {
            size += chunk.length;
            if (size <= MAX_BODY_BYTES) chunks.push(chunk);
            else if (!tooLarge) {
              // Not read on: the status alone says whether a write was taken.
              tooLarge = true;
              ctl.abort(new Error('body too large'));
            }
          },
          onResponseEnd: () =>
            settle(() => {
              const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
              return { ...interpret(status, headers, text, isRead, this.redact), headers };
            }),
          onResponseError: (_ctl, err) =>
            settle(() => {
              if (tooLarge) throw unusable(status, isRead, `The API answered ${status} with a body over ${MAX_BODY_BYTES} bytes; it was not read.`);
              throw this.transportError(err, stop.timedOut, signal?.aborted === true, stop.sent ? sentOutcome : 'not_applied');
            }),
        },
      );
    });
  }

  private transportError(err: unknown, timedOut: boolean, cancelled: boolean, sentOutcome: Outcome): CoupontoolsError {
    if (err instanceof CoupontoolsError) return err;
    const code = errorCode(err);
    // A code proving the request never left beats our own timer, which may have fired meanwhile.
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the host name did not resolve' : code === 'ECONNREFUSED' ? 'nothing accepted the connection' : 'the connection was not opened in time';
      return new CoupontoolsError({ kind: 'network', outcome: 'not_applied', networkCode: code, detail: `Could not connect to the API at ${this.hostPort} (${code}): ${why}.` });
    }
    if (timedOut) {
      return new CoupontoolsError({ kind: 'timeout', outcome: sentOutcome, detail: `No complete answer within ${this.options.timeoutMs} ms.` });
    }
    if (cancelled) {
      return new CoupontoolsError({ kind: 'aborted', outcome: sentOutcome, detail: 'The call was cancelled by the client.' });
    }
    const reason = code ?? (err instanceof Error ? err.message : 'connection failed');
    return new CoupontoolsError({
      kind: 'network',
      outcome: sentOutcome,
      ...(code !== undefined ? { networkCode: code } : {}),
      detail: `The connection failed before a complete answer from ${this.hostPort} (${reason}).`,
    });
  }

  /** Closes the pool; requests still in flight are cut off (the shutdown path has recorded them). */
  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}

/**
 * How deeply arrays and objects nest in a parsed JSON value; once past `stopAt` it stops looking and
 * says stopAt + 1. Recursion goes no deeper than that, and nothing is allocated on the way.
 */
export function jsonDepth(value: unknown, stopAt: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (stopAt <= 0) return 1;
  let deepest = 0;
  if (Array.isArray(value)) {
    for (const child of value) {
      const d = jsonDepth(child, stopAt - 1);
      if (d > deepest && (deepest = d) >= stopAt) break;
    }
  } else {
    for (const key in value) {
      const d = jsonDepth((value as Record<string, unknown>)[key], stopAt - 1);
      if (d > deepest && (deepest = d) >= stopAt) break;
    }
  }
  return deepest + 1;
}

/**
 * A well-formed answer we will not use. After a 2xx the API took a write, so it is applied (the
 * seam says so and keeps its idempotency key); a failure status keeps the usual reading.
 */
function unusable(status: number, isRead: boolean, detail: string): CoupontoolsError {
  const ok = status >= 200 && status < 300;
  const outcome: Outcome = isRead || (status >= 400 && status < 500) ? 'not_applied' : ok ? 'applied' : 'unknown';
  return new CoupontoolsError({ kind: 'invalid_response', status, outcome, detail });
}

function interpret(status: number, headers: Record<string, string | string[] | undefined>, text: string, isRead: boolean, redact: (text: string) => string): ApiResponse {
  const trimmed = text.trim();
  let data: unknown = null;
  let parsed = trimmed === '';
  if (!parsed) {
    try {
      data = JSON.parse(trimmed);
      parsed = true;
    } catch {
      parsed = false;
    }
  }
  if (parsed && jsonDepth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw unusable(status, isRead, `The API answered ${status} with JSON nested deeper than ${MAX_JSON_DEPTH} levels; it was not used.`);
  }
  const ok = status >= 200 && status < 300;
  if (ok && parsed && !isEnvelopeFailure(data)) return { status, data };
  // A write that got a 2xx (or a 5xx) may have been applied; 4xx means the API refused it.
  const outcome: Outcome = isRead || (status >= 400 && status < 500) ? 'not_applied' : 'unknown';
  if (ok && !parsed) {
    const type = String(headers['content-type'] ?? 'unknown type').split(';')[0];
    return fail({ kind: 'invalid_response', status, outcome, detail: `The API answered ${status} with a body that is not JSON (${type}): ${excerpt(trimmed, redact)}` });
  }
  const { message, code } = parsed ? extractApiError(data) : {};
  const effective = ok ? (embeddedStatus(message) ?? 400) : status;
  const retryAfterSeconds = parseRetryAfter(headers['retry-after']);
  return fail({
    kind: 'http',
    status: effective,
    outcome: ok ? 'not_applied' : outcome,
    ...(message ? { apiMessage: message } : {}),
    ...(code ? { apiCode: code } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    detail: parsed ? (trimmed === '' ? 'The API sent an empty body.' : undefined) : `The API sent a non-JSON body: ${excerpt(trimmed, redact) || '(empty)'}`,
  });
}

function fail(init: ConstructorParameters<typeof CoupontoolsError>[0]): never {
  throw new CoupontoolsError(init);
}
