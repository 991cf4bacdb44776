// Caps the size of a frame: an overlong stdin line is dropped as it streams by, never parsed, and answered from its first bytes (the HTTP body cap answers the same way).
import { Transform, type TransformCallback } from 'node:stream';

/**
 * The longest JSON-RPC line accepted on stdin. The SDK ends the whole session past 10 MiB; a
 * real call is far smaller (500 users with every field is well under 1 MiB), and with calls in
 * progress capped (src/transports/admission.ts) this bounds what the server holds for its client.
 */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

/**
 * Bytes of an overlong frame kept to find its id in: a JSON-RPC envelope puts `id` and `method`
 * well within this, ahead of the arguments that made the frame long (when it does not, the id is null).
 */
export const FRAME_HEAD_BYTES = 4096;

const NEWLINE = 0x0a;

/** The first `max` bytes of these buffers, as one new buffer (never more copied than that). */
export function headOf(buffers: readonly Buffer[], max: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  for (const b of buffers) {
    if (size >= max) break;
    const part = b.subarray(0, max - size);
    parts.push(part);
    size += part.length;
  }
  return Buffer.concat(parts);
}

/**
 * Passes whole lines of at most `maxBytes` (newline excluded) and nothing else: a partial line
 * waits for its end, a longer one is counted and discarded as it streams by, never buffered
 * beyond its first FRAME_HEAD_BYTES, which `onDiscard` gets to answer it from.
 */
export class LineCap extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;
  /** The start of the line being discarded. */
  private head: Buffer | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly onDiscard: (bytes: number, head: Buffer) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const out: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const tail = chunk.subarray(start, nl + 1);
      const bytes = this.pendingBytes + tail.length - 1;
      if (this.discarding || bytes > this.maxBytes) this.onDiscard(bytes, this.head ?? headOf([...this.pending, tail], FRAME_HEAD_BYTES));
      else out.push(...this.pending, tail);
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = false;
      this.head = undefined;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pendingBytes += rest.length;
      if (!this.discarding && this.pendingBytes > this.maxBytes) {
        this.discarding = true;
        this.head = headOf([...this.pending, rest], FRAME_HEAD_BYTES);
        this.pending = [];
      }
      if (!this.discarding) this.pending.push(Buffer.from(rest));
    }
    if (out.length > 0) this.push(Buffer.concat(out));
    done();
  }

  /** A last line without its newline is dropped, as the SDK would never have read it either. */
  override _flush(done: TransformCallback): void {
    this.pending = [];
    this.head = undefined;
    done();
  }
}

export type FrameId = string | number | null;

/** What the first bytes of a frame tell without parsing the rest. */
export interface FrameHead {
  /** The top-level `id`, when it is in the head as a string or number; else null. */
  id: FrameId;
  /** The head starts like JSON ({ or [) and has no syntax error as far as it goes. */
  looksJson: boolean;
}

const END = Symbol('end of head');
const BAD = Symbol('not JSON');

/**
 * The top-level `id` of a JSON-RPC message from its first bytes. A scan that follows strings
 * and nesting, so an "id" inside params (or inside a string) never counts, and a value cut off
 * by the end of the head is not taken either; the last top-level id in the head wins, as in JSON.parse.
 */
export function readFrameHead(head: Buffer | string): FrameHead {
  const text = typeof head === 'string' ? head : head.toString('utf8');
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const at = (): string => {
    if (i >= text.length) throw END;
    return text[i] as string;
  };
  const space = (): void => {
    while (i < text.length && /[ \t\r\n]/.test(text[i] as string)) i++;
  };
  const string = (): string => {
    if (at() !== '"') throw BAD;
    const from = i;
    for (i++; at() !== '"'; i++) if (text[i] === '\\') i++;
    i++;
    try {
      return JSON.parse(text.slice(from, i)) as string;
    } catch {
      throw BAD;
    }
  };
  // A scalar other than a string runs to the next delimiter, which must be in the head too.
  const scalar = (): string => {
    const from = i;
    while (!/[,}\]\s]/.test(at())) i++;
    return text.slice(from, i);
  };
  const skip = (): void => {
    const c = at();
    if (c === '"') return void string();
    if (c !== '{' && c !== '[') return void scalar();
    for (let depth = 0; ; ) {
      const d = at();
      if (d === '"') {
        string();
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') depth--;
      i++;
      if (depth === 0) return;
    }
  };
  let id: FrameId = null;
  space();
  if (i >= text.length || (text[i] !== '{' && text[i] !== '[')) return { id: null, looksJson: false };
  // A batch: its members' ids cannot all be answered from a head; one error with id null.
  if (text[i] === '[') return { id: null, looksJson: true };
  i++;
  try {
    for (;;) {
      space();
      if (at() === '}') break;
      const key = string();
      space();
      if (at() !== ':') throw BAD;
      i++;
      space();
      if (key !== 'id') skip();
      else if (at() === '"') id = string();
      else if (at() === '{' || at() === '[') {
        skip();
        id = null;
      } else {
        const raw = scalar();
        const n = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : NaN;
        id = Number.isFinite(n) ? n : null;
      }
      space();
      const next = at();
      if (next === '}') break;
      if (next !== ',') throw BAD;
      i++;
    }
  } catch (err) {
    if (err === BAD) return { id: null, looksJson: false };
    if (err !== END) throw err;
  }
  return { id, looksJson: true };
}

/** JSON-RPC's codes for a message that is not JSON, and for one that is no valid request. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

/**
 * The answer to a frame discarded for its size, from its head: its id when the head shows it,
 * -32600 (or -32700 when it does not even start like JSON), and `why`, which names the cap.
 */
export function tooLargeAnswer(head: Buffer, why: string): { jsonrpc: '2.0'; id: FrameId; error: { code: number; message: string } } {
  const { id, looksJson } = readFrameHead(head);
  return { jsonrpc: '2.0', id, error: { code: looksJson ? INVALID_REQUEST : PARSE_ERROR, message: `${why}: discarded unread, so nothing was done. Split it into smaller requests.` } };
}
