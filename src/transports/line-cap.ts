// Caps the size of a stdin frame: an overlong line is dropped whole before it reaches the SDK, and the session goes on.
import { Transform, type TransformCallback } from 'node:stream';

/**
 * The longest JSON-RPC line accepted on stdin. The SDK ends the whole session past 10 MiB; a
 * real call is far smaller (500 users with every field is well under 1 MiB), and with calls in
 * progress capped (src/transports/admission.ts) this bounds what the server holds for its client.
 */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * Passes whole lines of at most `maxBytes` (newline excluded) and nothing else: a partial line
 * waits for its end, a longer one is counted and discarded as it streams by, never buffered.
 */
export class LineCap extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onDiscard: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const out: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const tail = chunk.subarray(start, nl + 1);
      const bytes = this.pendingBytes + tail.length - 1;
      if (this.discarding || bytes > this.maxBytes) this.onDiscard(bytes);
      else out.push(...this.pending, tail);
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = false;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pendingBytes += rest.length;
      if (!this.discarding && this.pendingBytes > this.maxBytes) {
        this.discarding = true;
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
    done();
  }
}
