// The import plan: every row classified (valid, invalid, duplicate, already on the card, already imported) before anything is sent.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import type { ToolApi } from '../mcp/tool.js';
import { holdersPath } from '../../tools/paths.js';
import { hasMore, listItems, totalOf, unpagedList, type JsonObject } from '../../tools/responses.js';
import { userFields } from '../../tools/schemas.js';
import { ColumnMap, FULL_NAME } from './columns.js';
import { readJournal, sidePaths, type JournalState } from './journal.js';
import { openSource, type Layout } from './source.js';
import { CoupontoolsError, InputError } from '../coupontools/errors.js';
import { encodeListQuery, pagingProblem, unpagedNote } from '../coupontools/wire-profile.js';

/** Problems listed in a plan or report; the result file has every row. */
export const MAX_PROBLEMS_SHOWN = 10;
/** Page size when reading the card's holders (the API's maximum). */
const HOLDER_PAGE = 200;
/** Pages of holders read at once once the total is known. */
const HOLDER_PAGES_IN_FLIGHT = 4;

export interface ImportJob {
  cardId: string;
  /** Real path of the input, already checked. */
  path: string;
  skipExisting: boolean;
}

/** How a row is treated; `send` rows are what the run creates. */
export type Verdict =
  | { kind: 'invalid'; row: number; reason: string }
  | { kind: 'duplicate'; row: number; reason: string }
  | { kind: 'existing'; row: number; id: string | number | null }
  | { kind: 'imported'; row: number; id: string | number | null }
  | { kind: 'send'; row: number; user: JsonObject };

/** What the plan learnt that the run needs again: holders on the card and the earlier journal. */
interface Known {
  holders: Map<string, string | number | null> | undefined;
  journal: JournalState | undefined;
}

export type PlanCounts = {
  total: number;
  valid: number;
  invalid: number;
  duplicate: number;
  existing: number;
  already_imported: number;
  to_create: number;
};

export interface Plan {
  job: ImportJob;
  layout: Layout;
  columns: ReturnType<ColumnMap['summary']>;
  counts: PlanCounts;
  problems: Array<{ row: number; reason: string }>;
  /** Rows whose earlier outcome was unknown and that were checked against the card's holders. */
  checked: number;
  fingerprint: string;
  /** The earlier journal is continued (same file, same card) rather than started anew. */
  resume: boolean;
  known: Known;
  files: { journal: string; result: string };
}

const userSchema = z.strictObject(userFields);

/** Email lower-cased; a phone reduced to its digits with a leading + (00 counts as +). */
export function matchKey(user: { email?: unknown; phone?: unknown }): string | undefined {
  if (typeof user.email === 'string' && user.email.trim() !== '') return `e:${user.email.trim().toLowerCase()}`;
  if (typeof user.phone === 'string') {
    const digits = user.phone.trim().replace(/^00/, '+').replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
    if (digits.replace('+', '').length >= 4) return `p:${digits}`;
  }
  return undefined;
}

/** A user object from a row's cells, or why there is none. */
function userOf(cells: Array<[string, string]>, columns: ColumnMap): JsonObject | string {
  const user: Record<string, string> = {};
  let fullName: string | undefined;
  for (const [header, raw] of cells) {
    const target = columns.target(header);
    const value = raw.trim();
    if (!target || value === '') continue;
    if (target === FULL_NAME) fullName ??= value;
    else user[target] ??= value;
  }
  if (fullName !== undefined && user.first_name === undefined && user.last_name === undefined) {
    const space = fullName.indexOf(' ');
    user.first_name = space === -1 ? fullName : fullName.slice(0, space);
    if (space !== -1) user.last_name = fullName.slice(space + 1).trim();
  }
  if (Object.keys(user).length === 0) return 'no value in a known column';
  const parsed = userSchema.safeParse(user);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid'}`;
  }
  return user;
}

/** Classifies every row of one pass over the file; the plan and the run both read the file through this. */
export async function* classify(job: ImportJob, known: Known, onLayout?: (layout: Layout, columns: ColumnMap) => void): AsyncGenerator<Verdict> {
  const { layout, rows } = await openSource(job.path);
  const columns = new ColumnMap();
  for (const header of layout.headers) columns.target(header);
  onLayout?.(layout, columns);
  const firstSeen = new Map<string, number>();
  for await (const { row, cells, problem } of rows) {
    if (cells === null) {
      yield { kind: 'invalid', row, reason: 'empty row' };
      continue;
    }
    if (problem !== undefined) {
      yield { kind: 'invalid', row, reason: problem };
      continue;
    }
    const user = userOf(cells, columns);
    if (typeof user === 'string') {
      yield { kind: 'invalid', row, reason: user };
      continue;
    }
    const key = matchKey(user);
    if (key === undefined) {
      yield { kind: 'invalid', row, reason: 'no email or phone to recognise the customer by' };
      continue;
    }
    const first = firstSeen.get(key);
    if (first !== undefined) {
      yield { kind: 'duplicate', row, reason: `same ${key.startsWith('e:') ? 'email' : 'phone'} as row ${first}` };
      continue;
    }
    firstSeen.set(key, row);
    const before = known.journal?.rows.get(row);
    if (before?.state === 'created') {
      yield { kind: 'imported', row, id: before.id };
      continue;
    }
    // An earlier answer never came: the card's holders say whether it was applied.
    if (before?.state === 'unknown' && known.holders?.has(key)) {
      yield { kind: 'imported', row, id: known.holders.get(key) ?? null };
      continue;
    }
    if (job.skipExisting && known.holders?.has(key)) {
      yield { kind: 'existing', row, id: known.holders.get(key) ?? null };
      continue;
    }
    yield { kind: 'send', row, user };
  }
}

/**
 * Every holder of the card by match key (email and phone), paging once through the list. When the
 * API ignores paging (wire-profile.ts pagingProblem), what it sends for page 1 is every holder it
 * will ever send: taken whole, or refused when holders are out of reach (a guess would create them twice).
 */
export async function holderKeys(api: ToolApi, cardId: string): Promise<Map<string, string | number | null>> {
  const keys = new Map<string, string | number | null>();
  const page = async (n: number): Promise<{ items: JsonObject[]; meta: JsonObject }> => {
    // In the account's list encoding, voided holders included: they exist on the card too.
    const query = encodeListQuery(api.wire, { page: n, limit: HOLDER_PAGE, includeVoided: true });
    return listItems((await api.request({ method: 'GET', path: holdersPath(cardId), query })).data);
  };
  const add = (items: JsonObject[]): void => {
    for (const holder of items) {
      const id = typeof holder.id === 'number' || typeof holder.id === 'string' ? holder.id : null;
      for (const key of [matchKey({ email: holder.email }), matchKey({ phone: holder.phone })]) if (key && !keys.has(key)) keys.set(key, id);
    }
  };
  const first = await page(1);
  const trusted = (n: number, p: { items: JsonObject[] }): boolean => pagingProblem(api.wire, { page: n, limit: HOLDER_PAGE }, p.items, n > 1 ? first.items[0] : undefined) === undefined;
  const unpaged = (): Map<string, string | number | null> => {
    const list = unpagedList(first, HOLDER_PAGE);
    if (!list.complete) {
      const lead = `Cannot read every holder of card ${cardId} (needed to skip those already on it), so nothing was imported`;
      throw new CoupontoolsError({ kind: 'invalid_response', outcome: 'not_applied', detail: unpagedNote(api.wire, list, lead) });
    }
    keys.clear();
    add(list.items);
    return keys;
  };
  if (!trusted(1, first)) return unpaged();
  add(first.items);
  const total = totalOf(first.meta);
  if (total !== undefined) {
    // The total says how many pages follow: read them a few at a time.
    const pages = Math.ceil(total / HOLDER_PAGE);
    for (let n = 2; n <= pages; n += HOLDER_PAGES_IN_FLIGHT) {
      const batch = await Promise.all(Array.from({ length: Math.min(HOLDER_PAGES_IN_FLIGHT, pages - n + 1) }, (_, i) => page(n + i)));
      for (const [i, p] of batch.entries()) {
        if (!trusted(n + i, p)) return unpaged();
        add(p.items);
      }
    }
    return keys;
  }
  for (let n = 1, current = first; hasMore(current.meta, n, HOLDER_PAGE, current.items.length); ) {
    current = await page(++n);
    if (!trusted(n, current)) return unpaged();
    add(current.items);
  }
  return keys;
}

/** Plans an import: one pass over the file (and one over the card's holders when needed); sends nothing. */
export async function planImport(job: ImportJob, api: ToolApi): Promise<Plan> {
  const stat = statSync(job.path);
  const fingerprint = `${stat.size}:${Math.round(stat.mtimeMs)}`;
  const files = sidePaths(job.path, job.cardId);
  let journal = readJournal(files.journal);
  if (journal && journal.fingerprint !== fingerprint) {
    if (!job.skipExisting) {
      throw new InputError(
        `${basename(job.path)} changed since it was last imported into card ${job.cardId} (${basename(files.journal)} no longer matches it). Run again with skip_existing so customers already on the card are skipped.`,
      );
    }
    // skip_existing finds what was created from the card itself: the old journal is not needed.
    journal = undefined;
  }
  const needHolders = job.skipExisting || (journal?.unknown ?? 0) > 0;
  const known: Known = { holders: needHolders ? await holderKeys(api, job.cardId) : undefined, journal };
  const counts: PlanCounts = { total: 0, valid: 0, invalid: 0, duplicate: 0, existing: 0, already_imported: 0, to_create: 0 };
  const problems: Plan['problems'] = [];
  let layout: Layout | undefined;
  let columns: ColumnMap | undefined;
  let checked = 0;
  for await (const verdict of classify(job, known, (l, c) => ((layout = l), (columns = c)))) {
    counts.total++;
    if (verdict.kind === 'invalid' || verdict.kind === 'duplicate') {
      counts[verdict.kind]++;
      if (problems.length < MAX_PROBLEMS_SHOWN) problems.push({ row: verdict.row, reason: verdict.reason.slice(0, 200) });
      continue;
    }
    counts.valid++;
    if (known.journal?.rows.get(verdict.row)?.state === 'unknown') checked++;
    if (verdict.kind === 'existing') counts.existing++;
    else if (verdict.kind === 'imported') counts.already_imported++;
    else counts.to_create++;
  }
  if (!layout || !columns) throw new InputError('The file could not be read.');
  const map = columns as ColumnMap;
  return { job, layout, columns: map.summary(), counts, problems, checked, fingerprint, resume: journal !== undefined, known, files };
}
