// The import view (import_users): the plan's counts (create, skip, invalid) and first problems with their rows, progress while a run goes, then the result.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { button, el, list, message, num, obj, sandboxBadge, startView, str, structured, type Args, type View } from './render.js';

const count = (label: string, value: number | undefined, key: string): HTMLElement =>
  el('div', { class: 'count', 'data-count': key }, el('span', { class: 'count-value' }, value === undefined ? '\u2013' : String(value)), el('span', { class: 'count-label' }, label));

function running(view: View, args: Args, progress?: { done: number; total: number }): void {
  const planning = args.dry_run === true;
  const bar = el('progress', { max: String(progress?.total || 1), value: String(progress?.done ?? 0) });
  if (!progress) bar.removeAttribute('value');
  view.show(
    el(
      'section',
      { class: 'card', 'data-view': 'import-report', 'data-status': 'running' },
      el('header', {}, el('h1', {}, planning ? 'Planning the import' : 'Importing')),
      el('p', { class: 'muted' }, `${str(args.file)} \u2192 card ${str(args.loyalty_card_id)}`),
      bar,
      el('p', { class: 'progress-text', role: 'status' }, progress ? `${progress.done} of ${progress.total} rows` : planning ? 'Reading the file\u2026' : 'Sending\u2026'),
    ),
  );
}

function renderReport(view: View, result: CallToolResult, args: Args): void {
  const data = structured(result);
  const rows = obj(data?.rows);
  if (!data || !rows) return void view.show(message(result));
  const status = str(data.status);
  const skipped = (num(rows.duplicate) ?? 0) + (num(rows.existing) ?? 0) + (num(rows.already_imported) ?? 0);
  const planned = status === 'planned';
  const problems = list(data.problems);
  const toCreate = num(rows.to_create) ?? 0;
  const run = async (): Promise<void> => {
    const runArgs = { ...args, dry_run: false };
    running(view, runArgs);
    const answer = await view.call('import_users', runArgs, (done, total) => running(view, runArgs, { done, total }));
    renderReport(view, answer, runArgs);
  };
  const title = planned ? 'Import plan' : status === 'done' ? 'Import done' : status === 'cancelled' ? 'Import cancelled' : 'Import stopped';
  view.show(
    el(
      'section',
      { class: 'card', 'data-view': 'import-report', 'data-status': status },
      el('header', {}, el('h1', {}, title), sandboxBadge(data)),
      el('p', { class: 'muted' }, `${str(data.file)} \u00B7 ${num(rows.total) ?? 0} rows \u00B7 card ${str(data.loyalty_card_id)}`),
      el(
        'div',
        { class: 'counts' },
        planned ? count('to create', toCreate, 'create') : count('created', num(data.created), 'created'),
        count('skipped', skipped, 'skip'),
        count('invalid', num(rows.invalid), 'invalid'),
        !planned && (num(data.rejected) ?? 0) > 0 ? count('rejected', num(data.rejected), 'rejected') : null,
        !planned && (num(data.unknown) ?? 0) > 0 ? count('unknown', num(data.unknown), 'unknown') : null,
        !planned && (num(data.not_sent) ?? 0) > 0 ? count('not sent', num(data.not_sent), 'not-sent') : null,
      ),
      problems.length > 0
        ? el(
            'div',
            { class: 'scroll' },
            el('h2', {}, 'First problems'),
            el(
              'table',
              { class: 'problems' },
              el('thead', {}, el('tr', {}, el('th', { class: 'num' }, 'Row'), el('th', {}, 'Problem'))),
              el('tbody', {}, ...problems.map((p) => el('tr', { 'data-row': str(p.row) }, el('td', { class: 'num' }, str(p.row)), el('td', {}, str(p.reason))))),
            ),
          )
        : null,
      el('p', { class: 'next' }, str(data.next)),
      str(data.result_file) ? el('p', { class: 'muted' }, `Per-row results: ${str(data.result_file)}`) : null,
      planned && toCreate > 0 && view.offers('import_users')
        ? el('div', { class: 'actions' }, button(`Import ${toCreate} holder${toCreate === 1 ? '' : 's'}`, run, { class: 'primary', 'data-action': 'run-import' }))
        : null,
    ),
  );
}

startView('import-report', {
  input: (view, args) => running(view, args),
  result: (view, result, args) => renderReport(view, result, args),
});
