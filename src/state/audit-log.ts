// The audit log: one JSON line per write attempt, appended and flushed to disk before the tool returns.
import { closeSync, constants, existsSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs';

export type AuditOutcome = 'ok' | 'error' | 'unknown' | 'declined' | 'confirmation_required' | 'dry_run' | 'replayed';

/** What a line may hold: ids, counts and field names, never a personal value or the secret. */
export interface AuditRecord {
  time: string;
  tool: string;
  loyalty_card_id?: string;
  user_id?: string;
  amount?: number;
  reward_ids?: string[];
  recipient_count?: number | 'all';
  user_count?: number;
  fields?: string[];
  outcome: AuditOutcome;
  status?: number;
  duration_ms: number;
}

export class AuditLogError extends Error {
  override name = 'AuditLogError';
}

/** The one system call lines go through (fs.writeSync's shape); tests inject one that fills the disk at a chosen byte. */
export type AuditWrite = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

export interface AuditLogOptions {
  /** While a line cannot be written, ensureWritable() refuses (COUPONTOOLS_AUDIT_REQUIRED). Default true. */
  required?: boolean;
  write?: AuditWrite;
}

/** Lines of calls that already ran, kept in memory while the file cannot take them (required mode). */
const MAX_BACKLOG = 10_000;

function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${err.message.replace(/^\w+: /, '').replace(/, \w+$/, '')}` : err.message;
}

/** One open audit file: every account's view of it shares this, so it is opened, repaired and closed once. */
interface AuditFile {
  fd: number | undefined;
  readonly required: boolean;
  readonly writeFn: AuditWrite;
  /** Whole lines not yet on disk, oldest first; written before anything else. */
  readonly backlog: string[];
  /** Where the last whole line ends, when a torn line may follow it; cut (or fenced) before the next append. */
  tornAt: number | undefined;
  /** Why the last attempt failed; undefined while the file takes lines. */
  failure: string | undefined;
}

export class AuditLog {
  private constructor(
    private readonly file: AuditFile,
    private readonly account?: string,
  ) {}

  /** The same file; each line this view writes names the account first. */
  forAccount(account: string): AuditLog {
    return new AuditLog(this.file, account);
  }

  /**
   * Opens (creating) the file for appending. A path that cannot be opened, or that is not a
   * regular file (a FIFO would block or feed a reader that may vanish; a device loses lines), is
   * a start-up error naming the path. A torn last line left by an earlier run is fenced off.
   */
  static open(path: string, options: AuditLogOptions = {}): AuditLog {
    const setting = 'COUPONTOOLS_AUDIT_LOG (--audit-log)';
    const where = `${setting}: ${JSON.stringify(path)}`;
    const notRegular = (): AuditLogError => new AuditLogError(`${where} is not a regular file; the audit log must be a plain file`);
    let fd: number;
    try {
      if (existsSync(path) && !statSync(path).isFile()) throw notRegular();
      // O_NONBLOCK: a FIFO swapped in after the check fails to open instead of blocking start-up.
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o600);
    } catch (err) {
      if (err instanceof AuditLogError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new AuditLogError(`${setting}: cannot open ${JSON.stringify(path)} for appending (${code ?? reasonOf(err)})`);
    }
    try {
      if (!fstatSync(fd).isFile()) throw notRegular();
      const log = new AuditLog({
        fd,
        required: options.required ?? true,
        writeFn: options.write ?? ((fd, buffer, offset, length) => writeSync(fd, buffer, offset, length)),
        backlog: [],
        tornAt: undefined,
        failure: undefined,
      });
      const size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        // The earlier run's partial line stays as evidence, on a line of its own.
        if (last[0] !== 0x0a) log.append('\n');
      }
      return log;
    } catch (err) {
      closeSync(fd);
      if (err instanceof AuditLogError && err.message.startsWith(where)) throw err;
      throw new AuditLogError(`${where} cannot be written (${err instanceof AuditLogError ? err.message : reasonOf(err)})`);
    }
  }

  /**
   * Throws a message for the model while the log cannot take lines (required mode): lines still
   * waiting are tried first, so the call that finds space again is let through.
   */
  ensureWritable(): void {
    if (!this.file.required || this.file.fd === undefined || (this.file.backlog.length === 0 && this.file.failure === undefined)) return;
    try {
      this.flush();
    } catch {
      throw new AuditLogError(
        `Refused: the audit log cannot be written (${this.file.failure ?? 'unknown error'}), and COUPONTOOLS_AUDIT_REQUIRED is on, so write tools are refused until it can be. Nothing was sent. Reads still work; try again once the log has space.`,
      );
    }
  }

  /**
   * Appends one whole line, then fdatasync: the line is on disk before the tool answers, and
   * because JS runs one write at a time, concurrent calls never interleave lines. A line is on
   * disk whole or not at all; one that cannot be written throws (and, in required mode, waits in
   * memory to be written first once the file takes lines again).
   */
  write(record: AuditRecord): void {
    if (this.file.fd === undefined) return;
    const line = `${JSON.stringify(this.account === undefined ? record : { account: this.account, ...record })}\n`;
    if (this.file.required) {
      if (this.file.backlog.length >= MAX_BACKLOG) this.file.backlog.shift();
      this.file.backlog.push(line);
      this.flush();
    } else this.append(line);
  }

  private flush(): void {
    while (this.file.backlog.length > 0) {
      this.append(this.file.backlog[0] as string);
      this.file.backlog.shift();
    }
  }

  /** Writes all of `text` at the end of the file, or leaves the file as it was and throws. */
  private append(text: string): void {
    const fd = this.file.fd as number;
    try {
      let buffer = Buffer.from(text);
      if (this.file.tornAt !== undefined) {
        try {
          ftruncateSync(fd, this.file.tornAt);
        } catch {
          // Cannot cut the torn bytes: fence them off on a line of their own instead.
          buffer = Buffer.concat([Buffer.from('\n'), buffer]);
        }
        this.file.tornAt = undefined;
      }
      const start = fstatSync(fd).size;
      let done = 0;
      try {
        // A short count (a full disk) is not an error by itself: write the rest, or fail trying.
        while (done < buffer.length) {
          const n = this.file.writeFn(fd, buffer, done, buffer.length - done);
          if (n <= 0) throw new Error(`the file took no bytes (${done} of ${buffer.length} written)`);
          done += n;
        }
        fdatasyncSync(fd);
      } catch (err) {
        if (done > 0) {
          this.file.tornAt = start;
          try {
            ftruncateSync(fd, start);
            this.file.tornAt = undefined;
          } catch {
            // left for the next append, which cuts or fences it
          }
        }
        throw err;
      }
      this.file.failure = undefined;
    } catch (err) {
      this.file.failure = reasonOf(err);
      throw new AuditLogError(`audit log write failed (${this.file.failure})`);
    }
  }

  close(): void {
    if (this.file.fd === undefined) return;
    closeSync(this.file.fd);
    this.file.fd = undefined;
  }
}

/** Keys of arguments that carry ids or counts; every other argument is recorded by name only. */
const ID_ARGS = new Set(['loyalty_card_id', 'user_id']);

/** The auditable shape of a call's arguments: ids and counts as they are, everything else by name. */
export function auditFields(args: Record<string, unknown>): Omit<AuditRecord, 'time' | 'tool' | 'outcome' | 'duration_ms'> {
  const out: Omit<AuditRecord, 'time' | 'tool' | 'outcome' | 'duration_ms'> = {};
  const names = new Set<string>();
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (ID_ARGS.has(key)) (out as Record<string, unknown>)[key] = String(value);
    else if (key === 'amount' && typeof value === 'number') out.amount = value;
    else if (key === 'reward_ids' && Array.isArray(value)) out.reward_ids = value.map(String);
    else if (key === 'recipient_user_ids' && Array.isArray(value)) out.recipient_count = value.length;
    else if (key === 'users' && Array.isArray(value)) {
      out.user_count = value.length;
      for (const user of value) if (user && typeof user === 'object') for (const k of Object.keys(user)) names.add(k);
    } else names.add(key);
  }
  if (names.size > 0) out.fields = [...names].sort();
  return out;
}
