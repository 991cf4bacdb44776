// Admission: a cap on calls in progress (past it, an immediate "busy, retry" answer) and input paused while output backs up.

/**
 * Requests accepted and not yet answered, at most. Beyond the request layer's in-flight cap
 * (COUPONTOOLS_MAX_IN_FLIGHT) calls wait their turn; beyond this they are not taken at all, so
 * what a flooding client costs is bounded (with stdin frames capped, see src/transports/line-cap.ts).
 */
export const MAX_CALLS_IN_PROGRESS = 128;

/** Answers waiting to be written at which reading stops until all are out (a few: one read chunk's worth is handled whole). */
const PAUSE_AT_UNSENT = 8;

/** JSON-RPC's "server error" range; MCP defines no code for an overloaded server. */
export const BUSY_ERROR_CODE = -32000;

type Id = string | number;

/** A JSON-RPC message as it crosses the wire (the fields admission looks at). */
interface Message {
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

const isId = (id: unknown): id is Id => typeof id === 'string' || typeof id === 'number';
/** 1 and "1" are different requests. */
const keyOf = (id: Id): string => `${typeof id}:${id}`;

/** Counts requests in progress; transport-neutral, so stdio and HTTP can share one. */
export class Admission {
  private readonly open = new Map<string, number>();
  private count = 0;

  constructor(readonly limit: number = MAX_CALLS_IN_PROGRESS) {}

  get inProgress(): number {
    return this.count;
  }

  /** A message from the client: undefined lets it through; otherwise the answer to send at once instead. */
  admit(message: Message): object | undefined {
    if (typeof message.method === 'string' && isId(message.id)) {
      if (this.count >= this.limit) {
        return {
          jsonrpc: '2.0',
          id: message.id,
          error: {
            code: BUSY_ERROR_CODE,
            message: `Server busy: ${this.limit} calls are already in progress. Nothing was done; retry once earlier calls have answered.`,
          },
        };
      }
      this.add(keyOf(message.id), 1);
    } else if (message.method === 'notifications/cancelled') {
      // A cancelled request is never answered, so its slot is freed here.
      const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (isId(requestId)) this.add(keyOf(requestId), -1);
    }
    return undefined;
  }

  /** A message to the client: an answer ends its request. */
  settle(message: Message): void {
    if (message.method === undefined && isId(message.id) && ('result' in message || 'error' in message)) this.add(keyOf(message.id), -1);
  }

  private add(key: string, delta: 1 | -1): void {
    const now = (this.open.get(key) ?? 0) + delta;
    if (now < 0) return; // an answer or a cancel for a request never counted
    this.count += delta;
    if (now === 0) this.open.delete(key);
    else this.open.set(key, now);
  }
}

/** The shape of an MCP transport (the SDK's Transport), restated so this file needs no SDK import. */
export interface MessageTransport<M extends object, Extra, SendOptions> {
  start(): Promise<void>;
  send(message: M, options?: SendOptions): Promise<void>;
  close(): Promise<void>;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: M, extra?: Extra) => void) | undefined;
  sessionId?: string | undefined;
  setProtocolVersion?: ((version: string) => void) | undefined;
}

/** Where messages come from, when it can be paused (stdio's stdin); HTTP pushes back per request instead. */
export interface PausableInput {
  pause(): void;
  resume(): void;
}

/**
 * Wraps a transport with admission. While answers wait to be written (a client not reading
 * them), the input is paused, so neither queued answers nor unread requests pile up in memory.
 */
export class AdmittedTransport<M extends object, Extra, SendOptions> implements MessageTransport<M, Extra, SendOptions> {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: M, extra?: Extra) => void) | undefined;
  /** Answers handed to the transport and not yet written out. */
  private unsent = 0;
  private paused = false;

  constructor(
    private readonly inner: MessageTransport<M, Extra, SendOptions>,
    private readonly admission: Admission,
    private readonly input?: PausableInput,
  ) {
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => {
      const busy = this.admission.admit(message as Message);
      if (busy === undefined) this.onmessage?.(message, extra);
      else void this.reply(busy as M);
    };
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion = (version: string): void => this.inner.setProtocolVersion?.(version);

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  send(message: M, options?: SendOptions): Promise<void> {
    this.admission.settle(message as Message);
    return this.write(message, options);
  }

  /** An answer to a message the server never took (busy, or a frame over the cap): written like any other, never counted as a call. */
  reply(message: M): Promise<void> {
    return this.write(message);
  }

  private async write(message: M, options?: SendOptions): Promise<void> {
    if (++this.unsent >= PAUSE_AT_UNSENT && !this.paused) {
      this.paused = true;
      this.input?.pause();
    }
    try {
      await this.inner.send(message, options);
    } finally {
      if (--this.unsent === 0 && this.paused) {
        this.paused = false;
        this.input?.resume();
      }
    }
  }
}
