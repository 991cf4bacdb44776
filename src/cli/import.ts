// `coupontools-mcp import FILE --card ID [--dry-run] [--skip-existing]`: the same plan, journal and report from a terminal.
import { basename, dirname, resolve } from 'node:path';
import { createApp, type App } from '../mcp/assemble.js';
import { ConfigError, parseConfig, usesSandbox, wireProfileOf } from '../config.js';
import { CoupontoolsError, InputError } from '../coupontools/errors.js';
import { packageInfo } from '../package-info.js';
import type { ToolApi, ToolContext } from '../mcp/tool.js';
import { applyFieldAliases } from '../coupontools/wire-profile.js';
import { planImport } from '../import/plan.js';
import { planReport, runImport, type ImportReport } from '../import/run.js';
import { resolveImportFile } from '../import/source.js';
import { promptLine, quoted } from '../pipeline/prompt-text.js';

const USAGE = `Usage: ${packageInfo.name} import FILE --card ID [--dry-run] [--skip-existing] [settings…]

Imports customers from a CSV or JSON-lines file into a loyalty card: plans first (invalid rows,
duplicates, and with --skip-existing the customers already on the card), then creates holders in
chunks. Running it again resumes: a journal and a per-row result CSV are written beside FILE.
Settings are those of ${packageInfo.name} --help (credentials, base URL, sandbox, …).
`;

interface ImportArgs {
  file: string;
  card: string;
  dryRun: boolean;
  skipExisting: boolean;
  rest: string[];
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): ImportArgs | 'help' {
  let file: string | undefined;
  let card: string | undefined;
  let dryRun = false;
  let skipExisting = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--dry-run') dryRun = true;
    else if (arg === '--skip-existing') skipExisting = true;
    else if (arg === '--card') card = argv[++i];
    else if (arg.startsWith('--card=')) card = arg.slice('--card='.length);
    else if (!arg.startsWith('-') && file === undefined) file = arg;
    else {
      rest.push(arg);
      // A setting's value travels with it (parseConfig reads the pair).
      if (!arg.includes('=') && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) rest.push(argv[++i] as string);
    }
  }
  if (file === undefined) throw new UsageError('import needs a FILE');
  if (card === undefined || !/^[A-Za-z0-9_-]{1,64}$/.test(card)) throw new UsageError('import needs --card ID (the loyalty card id, see list_loyalty_cards)');
  return { file, card, dryRun, skipExisting, rest };
}

const n = (x: number | undefined): string => (x ?? 0).toLocaleString('en-US');

/** The report as lines for a person; every line inert (the file's headers and the API's reasons may hold anything), headers quoted. */
function describe(report: ImportReport): string {
  const { rows } = report;
  const lines = [
    `${report.file} → card ${report.loyalty_card_id} (${report.format}, ${report.encoding}${report.delimiter ? `, delimiter ${report.delimiter}` : ''})`,
    `columns: ${Object.entries(report.columns.mapped).map(([h, f]) => `${quoted(h)} → ${f}`).join(', ') || '(none)'}`,
    ...(report.columns.unmapped_count > 0 ? [`not imported: ${report.columns.unmapped.map((h) => quoted(h)).join(', ')}${report.columns.unmapped_count > report.columns.unmapped.length ? ', …' : ''}`] : []),
    `rows: ${n(rows.total)} read, ${n(rows.valid)} valid, ${n(rows.invalid)} invalid, ${n(rows.duplicate)} duplicate, ${n(rows.existing)} already on the card, ${n(rows.already_imported)} imported before, ${n(rows.to_create)} to create`,
    ...report.problems.map((p) => `  row ${p.row}: ${p.reason}`),
  ];
  if (report.status !== 'planned') {
    lines.push(`${report.status}: sent ${n(report.sent?.rows)} rows in ${n(report.sent?.chunks)} chunks; ${n(report.created)} created, ${n(report.rejected)} rejected, ${n(report.unknown)} unknown, ${n(report.not_sent)} not sent`);
    lines.push(`result file: ${report.result_file}; journal: ${report.journal_file}`);
  }
  lines.push(report.next);
  // Our indentation is kept; everything after it becomes one inert line.
  return `${lines.map((l) => `${/^ */.exec(l)?.[0] ?? ''}${promptLine(l, Infinity)}`).join('\n')}\n`;
}

/** A bar redrawn in place on a terminal; plain lines at every tenth otherwise (logs, CI). */
function progressPrinter(): ToolContext['progress'] {
  const tty = process.stdout.isTTY === true;
  let lastTenth = -1;
  return (done, total) => {
    if (tty) {
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n(done)}/${n(total)} rows${done >= total ? '\n' : ''}`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      process.stdout.write(`progress: ${n(done)}/${n(total)} rows\n`);
    }
  };
}

export async function main(argv: string[]): Promise<void> {
  let args: ImportArgs | 'help';
  let app: App;
  try {
    args = parseArgs(argv);
    if (args === 'help') {
      process.stdout.write(USAGE);
      return;
    }
    const action = parseConfig(args.rest, process.env);
    if (action.action !== 'run') throw new UsageError('--help and --version go before the verb');
    const path = resolve(args.file);
    // The file named on the command line is the import folder's only file: the same checks as the tool's.
    const config = { ...action.config, importDir: dirname(path) };
    const real = resolveImportFile(config.importDir, basename(path));
    // COUPONTOOLS_DRY_RUN means the same here as --dry-run: plan, send nothing.
    const planOnly = args.dryRun || config.dryRun;
    // Log lines may quote the API (a failed call's message): one inert line each on the terminal.
    app = await createApp(config, { stderr: (line) => process.stderr.write(`${promptLine(line, Infinity)}\n`) });
    if (usesSandbox(config)) process.stderr.write('SANDBOX: simulated data, nothing reaches a real account.\n');
    const wire = wireProfileOf(config);
    // Answers read as the tools read them: the account's field names become ours.
    const api: ToolApi = { wire, request: async (req, signal) => {
      const res = await app.api.request(req, signal);
      return { ...res, data: applyFieldAliases(wire, res.data) };
    } };
    const cancel = new AbortController();
    // First Ctrl-C: stop after the chunks in flight and report; a second one quits at once.
    process.once('SIGINT', () => {
      process.stderr.write('\nstopping after the chunks in flight (Ctrl-C again to quit now)…\n');
      cancel.abort();
      process.once('SIGINT', () => process.exit(130));
    });
    try {
      const plan = await planImport({ cardId: args.card, path: real, skipExisting: args.skipExisting }, api);
      if (planOnly) {
        process.stdout.write(describe(planReport(plan)));
        return;
      }
      const report = await runImport(plan, api, { signal: cancel.signal, progress: progressPrinter() });
      process.stdout.write(describe(report));
      if (report.status === 'cancelled') process.exitCode = 130;
      else if (report.status !== 'done' || (report.unknown ?? 0) + (report.rejected ?? 0) > 0) process.exitCode = 1;
    } finally {
      await app.close();
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof InputError) {
      process.stderr.write(`${packageInfo.name} import: ${promptLine(err.message, Infinity)}\n${err instanceof UsageError ? `\n${USAGE}` : ''}`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof CoupontoolsError) {
      const what = err.apiMessage !== undefined ? `${err.status !== undefined ? `HTTP ${err.status}: ` : ''}${quoted(err.apiMessage, 300)}` : promptLine(err.message, Infinity);
      process.stderr.write(`${packageInfo.name} import: the API call failed: ${what}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
