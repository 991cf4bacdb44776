// Reading a customer file safely and as a stream: path checks, encoding, delimiter and header detection, CSV or JSON lines.
import { closeSync, constants, createReadStream, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { InputError } from '../coupontools/errors.js';
import { fieldForHeader } from './columns.js';

/** Bytes looked at to choose the encoding, the format and the delimiter. */
const SNIFF_BYTES = 64 * 1024;
/** Records before the header row we accept (a title line or an export date above the table). */
const MAX_PREAMBLE_ROWS = 10;
/** A record larger than this is not a customer row: the file is refused rather than held in memory. */
const MAX_RECORD_BYTES = 8 * 1024 * 1024;
const DELIMITERS = [',', ';', '\t', '|'] as const;

export type FileFormat = 'csv' | 'jsonl';

/** How the file was read; the plan shows it so a wrong guess is visible. */
export interface Layout {
  format: FileFormat;
  encoding: string;
  delimiter?: string;
  /** CSV: the header row's cells; JSON lines: every key seen so far (grows while reading). */
  headers: string[];
  /** Row number of the header (CSV); rows above it were a preamble. */
  headerRow: number;
}

/** One data row: its number in the file (1-based, as a spreadsheet counts records) and its cells by header. */
export interface SourceRow {
  row: number;
  /** null for an empty row. */
  cells: Array<[string, string]> | null;
  /** Set when the row cannot be read at all (a JSON line that is not an object of text). */
  problem?: string;
}

export interface OpenedSource {
  layout: Layout;
  rows: AsyncIterable<SourceRow>;
}

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
};

/**
 * The real path of `file` inside `dir`, or an InputError: no escape with `..` or an absolute path,
 * no symlink (anywhere on the way) that leads out, nothing but a regular file.
 */
export function resolveImportFile(dir: string, file: string): string {
  if (file.includes('\0')) throw new InputError('file must be a plain path.');
  let root: string;
  try {
    root = realpathSync(dir);
  } catch {
    throw new InputError('The import folder (COUPONTOOLS_IMPORT_DIR) does not exist.');
  }
  const candidate = resolve(root, file);
  if (!inside(root, candidate)) throw new InputError(`file ${JSON.stringify(file)} is outside the import folder: give a path inside it.`);
  let real: string;
  try {
    lstatSync(candidate);
    real = realpathSync(candidate);
  } catch {
    throw new InputError(`There is no file ${JSON.stringify(file)} in the import folder.`);
  }
  if (!inside(root, real)) throw new InputError(`file ${JSON.stringify(file)} is a link that leads outside the import folder; copy the file into the folder instead.`);
  if (!lstatSync(real).isFile()) throw new InputError(`file ${JSON.stringify(file)} is not a regular file.`);
  return real;
}

/** Opens a checked path without following a link swapped in since the check, and only if it is still a regular file. */
function openRegular(path: string): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new InputError('The import file is not a regular file.');
  }
  return fd;
}

function sniffBytes(path: string): Buffer {
  const fd = openRegular(path);
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const n = readSync(fd, buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 (with or without BOM), UTF-16 by its BOM, and otherwise Windows-1252, what spreadsheets export as "CSV". */
export function detectEncoding(sample: Buffer): string {
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  try {
    // stream: true tolerates a character cut in two at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/** The delimiter that splits the first lines into the same number of cells, most cells winning a tie. */
export function detectDelimiter(text: string): string {
  const lines: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if ((ch === '\n' || ch === '\r') && !quoted) {
      if (current.trim() !== '') lines.push(current);
      current = '';
      if (lines.length >= 20) break;
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '' && lines.length < 20) lines.push(current);
  let best: string = ',';
  let bestScore = [-1, -1];
  for (const d of DELIMITERS) {
    const counts = lines.map((line) => countOutsideQuotes(line, d));
    const first = counts.find((c) => c > 0) ?? 0;
    const consistent = counts.filter((c) => c === first && c > 0).length;
    const score = [consistent, first];
    if (score[0]! > bestScore[0]! || (score[0] === bestScore[0] && score[1]! > bestScore[1]!)) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

function countOutsideQuotes(line: string, d: string): number {
  let n = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === d && !quoted) n++;
  }
  return n;
}

/** The file as text chunks in its own encoding (a BOM is dropped by the decoder). */
async function* textOf(path: string, encoding: string): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding);
  const stream = createReadStream('', { fd: openRegular(path), highWaterMark: 64 * 1024 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

const blank = (cells: readonly string[]): boolean => cells.every((c) => c.trim() === '');

/** Opens the file for one pass: detects everything, finds the header row, and streams the data rows after it. */
export async function openSource(path: string): Promise<OpenedSource> {
  const sample = sniffBytes(path);
  const encoding = detectEncoding(sample);
  const head = new TextDecoder(encoding).decode(sample).replace(/^\uFEFF/, '');
  if (head.trimStart().startsWith('{')) return openJsonLines(path, encoding);
  const delimiter = detectDelimiter(head);
  // The CSV parser loads with the first CSV file, not with the server.
  const { parse } = await import('csv-parse');
  const parser = parse({ delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: false, max_record_size: MAX_RECORD_BYTES });
  Readable.from(textOf(path, encoding)).on('error', (err) => parser.destroy(err)).pipe(parser);
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  const next = async (): Promise<IteratorResult<string[]>> => {
    try {
      return await records.next();
    } catch (err) {
      throw new InputError(`The file could not be read as CSV: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}.`);
    }
  };

  let headerRow = 0;
  let headers: string[] | undefined;
  for (let row = 1; row <= MAX_PREAMBLE_ROWS; row++) {
    const record = await next();
    if (record.done) break;
    const cells = record.value;
    // A header names at least one known column and holds no email address (that would be data).
    if (!blank(cells) && cells.some((c) => fieldForHeader(c) !== undefined) && !cells.some((c) => c.includes('@'))) {
      headers = cells.map((c) => c.trim());
      headerRow = row;
      break;
    }
  }
  if (!headers) {
    parser.destroy();
    throw new InputError('No header row found: the first row should name the columns, e.g. email, first_name, last_name, phone.');
  }
  const names = headers;
  async function* rows(): AsyncGenerator<SourceRow> {
    let row = headerRow;
    try {
      for (let record = await next(); !record.done; record = await next()) {
        row++;
        const cells = record.value;
        if (blank(cells)) {
          yield { row, cells: null };
          continue;
        }
        // Only cells with a value and a header: a wide export with sparse rows stays cheap.
        const pairs: Array<[string, string]> = [];
        const width = Math.min(cells.length, names.length);
        for (let i = 0; i < width; i++) if (cells[i] !== '') pairs.push([names[i] as string, cells[i] as string]);
        yield { row, cells: pairs };
      }
    } finally {
      parser.destroy();
    }
  }
  return { layout: { format: 'csv', encoding, delimiter, headers: names, headerRow }, rows: rows() };
}

/** JSON lines: one object per line; keys are the column names and values must be text or numbers. */
function openJsonLines(path: string, encoding: string): OpenedSource {
  const layout: Layout = { format: 'jsonl', encoding, headers: [], headerRow: 0 };
  const seen = new Set<string>();
  async function* lines(): AsyncGenerator<string> {
    let carry = '';
    for await (const text of textOf(path, encoding)) {
      const parts = (carry + text).split('\n');
      carry = parts.pop() ?? '';
      if (carry.length > MAX_RECORD_BYTES) throw new InputError(`A line is longer than ${MAX_RECORD_BYTES} bytes: this is not a JSON-lines customer file.`);
      yield* parts;
    }
    if (carry !== '') yield carry;
  }
  async function* rows(): AsyncGenerator<SourceRow> {
    let row = 0;
    for await (const line of lines()) {
      row++;
      if (line.trim() === '') {
        yield { row, cells: null };
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        yield { row, cells: [], problem: 'not valid JSON' };
        continue;
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        yield { row, cells: [], problem: 'not a JSON object' };
        continue;
      }
      const cells: Array<[string, string]> = [];
      let problem: string | undefined;
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (!seen.has(key)) {
          seen.add(key);
          layout.headers.push(key);
        }
        if (v === null || v === undefined) continue;
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') cells.push([key, String(v)]);
        else problem ??= `${key.slice(0, 40)}: not text`;
      }
      yield problem ? { row, cells, problem } : { row, cells };
    }
  }
  return { layout, rows: rows() };
}
