// The audit log: one JSON line per write attempt, appended and flushed to disk before the tool returns.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';

export type AuditOutcome = 'ok' | 'error' | 'unknown' | 'declined' | 'confirmation_required' | 'dry_run' | 'replayed';

/** What a line may hold: ids, counts and field names, never a personal value or the secret. */
export interface AuditRecord {
  /** The account the call ran for (the HTTP service with many accounts). */
  account?: string;
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

export class AuditLog {
  /** Shared by every account's view of the same file, so the file is opened and closed once. */
  private readonly file: { fd: number | undefined };

  private constructor(file: { fd: number | undefined }, private readonly account?: string) {
    this.file = file;
  }

  /** The same file; each line this view writes names the account first. */
  forAccount(account: string): AuditLog {
    return new AuditLog(this.file, account);
  }

  /** Opens (creating) the file for appending; failure is a start-up error naming the path. */
  static open(path: string): AuditLog {
    try {
      return new AuditLog({ fd: openSync(path, 'a', 0o600) });
    } catch (err) {
      const reason = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
      throw new AuditLogError(`COUPONTOOLS_AUDIT_LOG (--audit-log): cannot open ${JSON.stringify(path)} for appending (${reason})`);
    }
  }

  /**
   * One synchronous append of a whole line, then fdatasync: the line is on disk before the tool
   * answers, and because JS runs one write at a time, concurrent calls never interleave lines.
   */
  write(record: AuditRecord): void {
    const { fd } = this.file;
    if (fd === undefined) return;
    writeSync(fd, `${JSON.stringify(this.account === undefined ? record : { account: this.account, ...record })}\n`);
    fdatasyncSync(fd);
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
