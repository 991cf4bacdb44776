// The import journal beside the input (one JSON line per chunk sent and per chunk settled) and the per-row result CSV.
import { closeSync, constants, lstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../coupontools/errors.js';

/** What the journal knows about one row from earlier runs. */
export type RowRecord = { state: 'created'; id: string | number | null } | { state: 'failed' } | { state: 'unknown' };

export interface JournalState {
  fingerprint: string;
  rows: Map<number, RowRecord>;
  unknown: number;
  lastChunk: number;
}

interface JournalLine {
  journal?: number;
  card?: string;
  fingerprint?: string;
  chunk?: number;
  rows?: number[];
  state?: 'sending';
  outcome?: ChunkOutcome;
  ids?: Array<string | number | null>;
  rejected?: Record<string, string>;
}

/** applied: the API answered 2xx; failed: it definitely did not apply; unknown: it may have; not_sent: stopped before sending. */
export type ChunkOutcome = 'applied' | 'failed' | 'unknown' | 'not_sent';

/** Journal and result files sit beside the input and name the card, so one file imported into two cards keeps two journals. */
export function sidePaths(input: string, cardId: string): { journal: string; result: string } {
  return { journal: `${input}.card-${cardId}.journal`, result: `${input}.card-${cardId}.result.csv` };
}

/** A file we write must be a regular file or absent: a link planted there could point anywhere. */
function openForWrite(path: string, append: boolean): number {
  try {
    if (!lstatSync(path).isFile()) throw new InputError(`${basename(path)} exists and is not a regular file; remove it.`);
  } catch (err) {
    if (err instanceof InputError) throw err;
  }
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (append ? constants.O_APPEND : constants.O_TRUNC);
  return openSync(path, flags, 0o600);
}

/** Reads an earlier run's journal for this card; undefined when there is none. A torn last line is ignored. */
export function readJournal(path: string): JournalState | undefined {
  let text: string;
  try {
    if (!lstatSync(path).isFile()) throw new InputError(`${basename(path)} exists and is not a regular file; remove it.`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    return undefined;
  }
  const state: JournalState = { fingerprint: '', rows: new Map(), unknown: 0, lastChunk: 0 };
  for (const raw of text.split('\n')) {
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      continue;
    }
    if (line.journal !== undefined) state.fingerprint = line.fingerprint ?? '';
    if (!Array.isArray(line.rows)) continue;
    state.lastChunk = Math.max(state.lastChunk, line.chunk ?? 0);
    line.rows.forEach((row, i) => {
      if (line.state === 'sending') state.rows.set(row, { state: 'unknown' });
      else if (line.outcome === 'applied') {
        state.rows.set(row, line.rejected?.[row] !== undefined ? { state: 'failed' } : { state: 'created', id: line.ids?.[i] ?? null });
      } else if (line.outcome === 'unknown') state.rows.set(row, { state: 'unknown' });
      else state.rows.set(row, { state: 'failed' });
    });
  }
  for (const record of state.rows.values()) if (record.state === 'unknown') state.unknown++;
  return state;
}

/** Appends to the journal; every line is written before the next request goes out. */
export class JournalWriter {
  private constructor(private readonly fd: number) {}

  /** Continues a journal whose fingerprint matches, or starts a new one. */
  static open(path: string, header: { card: string; file: string; fingerprint: string }, fresh: boolean): JournalWriter {
    const writer = new JournalWriter(openForWrite(path, !fresh));
    if (fresh) writer.line({ journal: 1, ...header });
    return writer;
  }

  private line(value: JournalLine): void {
    writeSync(this.fd, `${JSON.stringify(value)}\n`);
  }

  sending(chunk: number, rows: number[]): void {
    this.line({ chunk, rows, state: 'sending' });
  }

  settled(chunk: number, rows: number[], outcome: ChunkOutcome, ids?: Array<string | number | null>, rejected?: Record<string, string>): void {
    this.line({ chunk, rows, outcome, ...(ids ? { ids } : {}), ...(rejected && Object.keys(rejected).length > 0 ? { rejected } : {}) });
  }

  close(): void {
    closeSync(this.fd);
  }
}

export type RowOutcome = 'created' | 'would_create' | 'rejected' | 'unknown' | 'not_sent' | 'invalid' | 'duplicate' | 'existing' | 'already_imported';

/** Quotes a CSV cell when needed, and defuses a leading = + - @ a spreadsheet would run as a formula. */
function cell(value: string): string {
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The per-row result file: row, outcome, holder_id, reason; buffered, rewritten whole on every run. */
export class ResultWriter {
  private buffer = 'row,outcome,holder_id,reason\n';
  private readonly fd: number;

  constructor(path: string) {
    this.fd = openForWrite(path, false);
  }

  add(row: number, outcome: RowOutcome, id?: string | number | null, reason?: string): void {
    this.buffer += `${row},${outcome},${id ?? ''},${reason ? cell(reason) : ''}\n`;
    if (this.buffer.length > 64 * 1024) this.flush();
  }

  private flush(): void {
    writeSync(this.fd, this.buffer);
    this.buffer = '';
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
