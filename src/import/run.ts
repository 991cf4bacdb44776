// Running a planned import: chunks through the bulk endpoint, a few in flight, journaled, with progress and a per-row result file.
import { basename } from 'node:path';
import { CoupontoolsError } from '../coupontools/errors.js';
import type { ToolApi, ToolContext } from '../mcp/tool.js';
import { quoted } from '../pipeline/prompt-text.js';
import type { JsonObject } from '../../tools/responses.js';
import { bulkOutcomes, bulkRequest } from './bulk.js';
import { JournalWriter, ResultWriter, type ChunkOutcome, type RowOutcome } from './journal.js';
import { MAX_PROBLEMS_SHOWN, classify, type Plan, type PlanCounts } from './plan.js';

/** Users per bulk request: well under the API's 500 and, at 255 characters a field, under its 1 MB body limit. */
export const CHUNK_ROWS = 200;
/** Bytes of users per bulk request, so long fields in many columns stay well under the API's 1 MB body limit. */
export const CHUNK_BYTES = 512 * 1024;
/** Bulk requests in flight at once; the request layer's own cap still applies on top. */
export const CHUNKS_IN_FLIGHT = 4;
/** Statuses after which no further chunk can succeed (credentials, card gone): the run stops sending. */
const FATAL_STATUS = new Set([401, 403, 404]);

export type ImportStatus = 'planned' | 'done' | 'cancelled' | 'stopped';

/** The small summary a tool result or the terminal shows; the result file has every row. */
export interface ImportReport {
  status: ImportStatus;
  file: string;
  loyalty_card_id: string;
  format: string;
  encoding: string;
  delimiter?: string;
  columns: Plan['columns'];
  rows: PlanCounts;
  problems: Array<{ row: number; reason: string }>;
  /** After a run: what was sent and what came of it. */
  sent?: { rows: number; chunks: number };
  created?: number;
  rejected?: number;
  unknown?: number;
  not_sent?: number;
  checked_unknown?: number;
  result_file?: string;
  journal_file?: string;
  next: string;
}

/** The plan as a report: what the real run will do. */
export function planReport(plan: Plan): ImportReport {
  const { counts } = plan;
  const skipped = [
    counts.invalid && `${counts.invalid} invalid`,
    counts.duplicate && `${counts.duplicate} duplicate`,
    counts.existing && `${counts.existing} already on the card`,
    counts.already_imported && `${counts.already_imported} imported by an earlier run`,
  ].filter(Boolean);
  return {
    status: 'planned',
    file: basename(plan.job.path),
    loyalty_card_id: plan.job.cardId,
    format: plan.layout.format,
    encoding: plan.layout.encoding,
    ...(plan.layout.delimiter ? { delimiter: plan.layout.delimiter === '\t' ? 'tab' : plan.layout.delimiter } : {}),
    columns: plan.columns,
    rows: counts,
    problems: plan.problems,
    ...(plan.checked > 0 ? { checked_unknown: plan.checked } : {}),
    next: `The run will create ${counts.to_create} card holder(s)${skipped.length ? ` and skip ${skipped.join(', ')} row(s)` : ''}.`,
  };
}

/** Why a chunk failed; the API's own words are quoted data (they reach a terminal, a result file and the model). */
const reasonOf = (err: CoupontoolsError): string =>
  `${err.status !== undefined ? `HTTP ${err.status}: ` : ''}${err.apiMessage !== undefined ? quoted(err.apiMessage, 280) : (err.detail ?? err.kind)}`.slice(0, 300);

interface Chunk {
  number: number;
  rows: number[];
  users: JsonObject[];
  bytes: number;
}

/**
 * Sends what the plan said, reading the file again (the plan holds counts, not rows). Cancellation
 * stops before the next chunk; chunks already sent are waited for, since their answer is what the
 * journal needs. Errors that are not API answers (a bug, a dry-run stop) end the run after the
 * chunks in flight and are rethrown.
 */
export async function runImport(plan: Plan, api: ToolApi, context: ToolContext): Promise<ImportReport> {
  const { job, files } = plan;
  const total = plan.counts.to_create;
  const journal = JournalWriter.open(files.journal, { card: job.cardId, file: basename(job.path), fingerprint: plan.fingerprint }, !plan.resume);
  const results = new ResultWriter(files.result);
  // Chunks already sent finish whatever the caller's signal does: their answer is what the journal needs.
  const untilAnswered = new AbortController().signal;
  const tally = { created: 0, rejected: 0, unknown: 0, not_sent: 0, sentRows: 0, sentChunks: 0, done: 0 };
  const problems: ImportReport['problems'] = [];
  const problem = (row: number, reason: string): void => void (problems.length < MAX_PROBLEMS_SHOWN && problems.push({ row, reason: reason.slice(0, 200) }));
  const inFlight = new Set<Promise<void>>();
  let stopped: string | undefined;
  let thrown: { error: unknown } | undefined;
  let nextChunk = (plan.known.journal?.lastChunk ?? 0) + 1;

  const record = (row: number, outcome: RowOutcome, id?: string | number | null, reason?: string): void => results.add(row, outcome, id, reason);

  const settle = (chunk: Chunk, outcome: ChunkOutcome, reason: string, ids?: Array<string | number | null>, rejected?: Record<string, string>): void => {
    journal.settled(chunk.number, chunk.rows, outcome, ids, rejected);
    chunk.rows.forEach((row, i) => {
      if (outcome === 'applied') {
        const refused = rejected?.[row];
        if (refused !== undefined) {
          tally.rejected++;
          problem(row, refused);
          record(row, 'rejected', null, refused);
        } else {
          tally.created++;
          record(row, 'created', ids?.[i] ?? null);
        }
      } else if (outcome === 'unknown') {
        tally.unknown++;
        record(row, 'unknown', null, reason);
      } else if (outcome === 'failed') {
        tally.rejected++;
        record(row, 'rejected', null, reason);
      } else {
        tally.not_sent++;
        record(row, 'not_sent', null, reason);
      }
    });
    if (outcome === 'failed') problem(chunk.rows[0] ?? 0, `rows ${chunk.rows[0]}–${chunk.rows.at(-1)}: ${reason}`);
    if (outcome !== 'not_sent') {
      tally.done += chunk.rows.length;
      context.progress(tally.done, total);
    }
  };

  const send = async (chunk: Chunk): Promise<void> => {
    journal.sending(chunk.number, chunk.rows);
    tally.sentRows += chunk.rows.length;
    tally.sentChunks++;
    try {
      const res = await api.request(bulkRequest(job.cardId, chunk.users, api.wire), untilAnswered);
      const outcomes = bulkOutcomes(res.data, chunk.users.length);
      const rejected: Record<string, string> = {};
      const ids = outcomes.map((o, i) => {
        if ('error' in o) rejected[chunk.rows[i] as number] = o.error;
        return 'id' in o ? o.id : null;
      });
      settle(chunk, 'applied', '', ids, rejected);
    } catch (err) {
      if (!(err instanceof CoupontoolsError)) {
        // Not an answer from the API (a dry-run stop, a bug): nothing can be said about later chunks.
        tally.sentRows -= chunk.rows.length;
        tally.sentChunks--;
        settle(chunk, 'not_sent', 'not sent');
        thrown ??= { error: err };
        stopped ??= 'error';
        return;
      }
      if (err.outcome === 'unknown') settle(chunk, 'unknown', `${reasonOf(err)}; checked against the card on the next run`);
      else {
        settle(chunk, 'failed', reasonOf(err));
        if (err.status !== undefined && FATAL_STATUS.has(err.status)) stopped ??= reasonOf(err);
      }
    }
  };

  const dispatch = async (chunk: Chunk): Promise<void> => {
    while (inFlight.size >= CHUNKS_IN_FLIGHT) await Promise.race(inFlight);
    if (context.signal.aborted) stopped ??= 'cancelled';
    if (stopped !== undefined) {
      for (const row of chunk.rows) {
        tally.not_sent++;
        record(row, 'not_sent', null, stopped === 'cancelled' ? 'cancelled before it was sent' : `not sent: ${stopped}`);
      }
      return;
    }
    const p = send(chunk).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  context.progress(0, total);
  let chunk: Chunk = { number: nextChunk, rows: [], users: [], bytes: 0 };
  try {
    for await (const verdict of classify(job, plan.known)) {
      switch (verdict.kind) {
        case 'invalid':
        case 'duplicate':
          record(verdict.row, verdict.kind, null, verdict.reason);
          break;
        case 'existing':
          record(verdict.row, 'existing', verdict.id);
          break;
        case 'imported':
          record(verdict.row, 'already_imported', verdict.id);
          break;
        case 'send':
          chunk.rows.push(verdict.row);
          chunk.users.push(verdict.user);
          // An upper bound without serialising twice: each value at 4 bytes a character, plus its key and quotes.
          for (const [key, value] of Object.entries(verdict.user)) chunk.bytes += key.length + 6 + 4 * String(value).length;
          if (chunk.rows.length >= CHUNK_ROWS || chunk.bytes >= CHUNK_BYTES) {
            await dispatch(chunk);
            chunk = { number: ++nextChunk, rows: [], users: [], bytes: 0 };
          }
      }
    }
    if (chunk.rows.length > 0) await dispatch(chunk);
    await Promise.all(inFlight);
  } finally {
    await Promise.allSettled(inFlight);
    journal.close();
    results.close();
  }
  if (thrown) throw thrown.error;

  const base = planReport(plan);
  const status: ImportStatus = stopped === 'cancelled' ? 'cancelled' : stopped !== undefined ? 'stopped' : 'done';
  const next =
    status === 'cancelled'
      ? `Cancelled: ${tally.sentRows} row(s) were sent, ${tally.not_sent} were not. Run the same import again to continue where it stopped.`
      : tally.unknown > 0 || tally.rejected > 0 || tally.not_sent > 0
        ? `Run the same import again: rows that failed are retried and rows whose outcome is unknown are checked against the card first, so nobody is created twice.${stopped && stopped !== 'cancelled' ? ` Stopped after: ${stopped}.` : ''}`
        : 'Import complete.';
  return {
    ...base,
    status,
    problems: [...base.problems, ...problems].slice(0, MAX_PROBLEMS_SHOWN),
    sent: { rows: tally.sentRows, chunks: tally.sentChunks },
    created: tally.created,
    rejected: tally.rejected,
    unknown: tally.unknown,
    not_sent: tally.not_sent,
    result_file: basename(files.result),
    journal_file: basename(files.journal),
    next,
  };
}
