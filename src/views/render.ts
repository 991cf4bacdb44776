// The shared view runtime: the App connection, the host's theme, text-only DOM building, calls through the host, and the holder card and holders table every view can open.
import { App, applyDocumentTheme, applyHostFonts, applyHostStyleVariables, type McpUiHostContext } from '@modelcontextprotocol/ext-apps';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import './views.css';

export type Json = Record<string, unknown>;
export type Args = Record<string, unknown>;

export const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
export const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj).filter((o): o is Json => o !== undefined) : []);
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
/** API text as a string for a text node (never markup); objects and absent values give ''. */
export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

type Child = Node | string | false | null | undefined;

/**
 * The only way a view makes DOM: strings become text nodes, so a holder named
 * `<img src=x onerror=…>` shows as those characters. No view sets innerHTML.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) if (child !== false && child !== null && child !== undefined) node.append(child);
  return node;
}

/** The tools this server offers, written into the view by the server when the host read it (src/mcp/views.ts). */
function offeredTools(): ReadonlySet<string> {
  const text = document.getElementById('offered-tools')?.textContent ?? '[]';
  try {
    const names = JSON.parse(text) as unknown;
    return new Set(Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : []);
  } catch {
    return new Set();
  }
}

/** What a view's code gets: the host connection and what it may call. */
export interface View {
  app: App;
  root: HTMLElement;
  /** Whether the server offers a tool: a view offers no button for a tool the model could not call either. */
  offers(tool: string): boolean;
  /** Calls a tool through the host, so the call passes the server's whole pipeline; a failure comes back as an error result. */
  call(name: string, args: Args, onProgress?: (done: number, total: number) => void): Promise<CallToolResult>;
  /** Replaces the view's content. */
  show(...nodes: Child[]): void;
}

function applyContext(ctx: McpUiHostContext | undefined): void {
  if (!ctx) return;
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
}

export interface ViewHandlers {
  /** The arguments of the call the host is showing (sent before its result). */
  input?(view: View, args: Args): void;
  /** The call's result: render it. */
  result(view: View, result: CallToolResult, args: Args): void;
}

/** Connects to the host and routes its notifications to the view; handlers are set before connecting, as the extension asks. */
export function startView(name: string, handlers: ViewHandlers): View {
  const app = new App({ name: `coupontools-${name}`, version: '1' }, {}, { autoResize: true });
  const root = document.getElementById('view') as HTMLElement;
  const offered = offeredTools();
  let args: Args = {};
  const view: View = {
    app,
    root,
    offers: (tool) => offered.has(tool),
    async call(tool, callArgs, onProgress) {
      try {
        // Progress reaches the view only where the host passes the server's progress on.
        const options = onProgress ? { onprogress: (p: { progress: number; total?: number }) => onProgress(p.progress, p.total ?? 0) } : {};
        return await app.callServerTool({ name: tool, arguments: callArgs }, options);
      } catch (err) {
        return { isError: true, content: [{ type: 'text', text: err instanceof Error ? err.message : String(err) }] };
      }
    },
    show(...nodes) {
      root.replaceChildren(...nodes.filter((n): n is Node | string => n !== false && n !== null && n !== undefined));
    },
  };
  app.ontoolinput = (params) => {
    args = params.arguments ?? {};
    handlers.input?.(view, args);
  };
  app.ontoolresult = (params) => handlers.result(view, params as CallToolResult, args);
  app.ontoolcancelled = () => view.show(el('p', { class: 'muted' }, 'The call was cancelled.'));
  app.onhostcontextchanged = (ctx) => applyContext(ctx);
  view.show(el('p', { class: 'muted' }, 'Waiting for the result…'));
  void app.connect().then(
    () => applyContext(app.getHostContext()),
    (err: unknown) => view.show(el('p', { class: 'error' }, `Could not reach the host: ${err instanceof Error ? err.message : String(err)}`)),
  );
  return view;
}

/** The text of a result (an error's message, a confirmation's question). */
export const textOf = (result: CallToolResult): string => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** The structured answer, or undefined when the call failed or said something else (a confirmation, an unknown outcome). */
export function structured(result: CallToolResult): Json | undefined {
  if (result.isError) return undefined;
  return obj(result.structuredContent);
}

/** A result that is not the data a view draws: its words, as text, marked as a problem when it is one. */
export function message(result: CallToolResult): HTMLElement {
  const data = obj(result.structuredContent);
  const words = str(data?.message) || str(data?.not_shown) || str(data?.next) || textOf(result);
  return el('p', { class: result.isError ? 'error' : 'notice', role: result.isError ? 'alert' : 'status' }, words);
}

export const sandboxBadge = (data: Json | undefined): Child => (data?.sandbox === true ? el('span', { class: 'badge', title: 'Simulated demo data' }, 'sandbox') : null);

/** A fresh key per click: a repeat of one click is answered from memory, two clicks are two purchases. */
export const clickKey = (): string => `view-${crypto.randomUUID()}`;

export function button(label: string, onClick: (b: HTMLButtonElement) => Promise<void>, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = el('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', () => {
    if (b.disabled) return;
    b.disabled = true;
    void onClick(b).finally(() => (b.disabled = false));
  });
  return b;
}

// ---- The holder card (get_user, add_stamps, use_rewards, create_user; opened from the holders list) ----

export const fullName = (user: Json): string => [str(user.first_name), str(user.last_name)].filter(Boolean).join(' ');

/** A card's balance target: its largest reward threshold, as list_loyalty_cards lists the card. */
export interface CardRule {
  name: string;
  type: string;
  unit: 'stamps' | 'points' | undefined;
  target: number | undefined;
  thresholds: Array<{ at: number; name: string }>;
}

export function cardRule(card: Json): CardRule {
  const type = str(card.type);
  const unit = type === 'stamp' ? 'stamps' : type === 'points' ? 'points' : undefined;
  const thresholds = list(card.rewards)
    .map((r) => ({ at: num(r.stamps_required) ?? num(r.points_required) ?? 0, name: str(r.name) }))
    .filter((t) => t.at > 0)
    .sort((a, b) => a.at - b.at);
  const target = thresholds.length > 0 ? Math.max(...thresholds.map((t) => t.at)) : undefined;
  return { name: str(card.name), type, unit, target, thresholds };
}

/** The card's rule, read through the host with list_loyalty_cards (the holder's record does not carry it); undefined when not offered or not found. */
export async function lookUpCard(view: View, cardId: unknown): Promise<CardRule | undefined> {
  if (!view.offers('list_loyalty_cards') || cardId === undefined) return undefined;
  const data = structured(await view.call('list_loyalty_cards', {}));
  const card = list(data?.cards).find((c) => String(c.id) === String(cardId));
  return card ? cardRule(card) : undefined;
}

export interface HolderState {
  cardId: string;
  user: Json;
  /** The rewards use_rewards takes now ({id, name}). */
  available: Json[];
  /** Ids of rewards this very call unlocked (add_stamps). */
  unlocked: Set<string>;
  /** How many stamps this call added, drawn as new. */
  added: number;
  completed: boolean;
  note: string;
  sandbox: boolean;
  rule: CardRule | undefined;
}

/** The holder card's state from any of its tools' results; undefined when the result holds no holder. */
export function holderState(result: CallToolResult, args: Args, rule: CardRule | undefined): HolderState | undefined {
  const data = structured(result);
  const user = obj(data?.user);
  if (!data || !user || Object.keys(user).length === 0) return undefined;
  const available = list(data.rewards_available);
  return {
    cardId: str(args.loyalty_card_id) || str(user.loyalty_card_id),
    user,
    available,
    unlocked: new Set(list(data.rewards_unlocked).map((r) => String(r.id))),
    added: num(data.added) ?? 0,
    completed: data.card_completed === true,
    note: str(data.note),
    sandbox: data.sandbox === true,
    rule,
  };
}

/** The stamp grid: N cells when the card's target is known, the stamps just added marked new. */
function stampGrid(balance: number, state: HolderState): HTMLElement | null {
  const target = state.rule?.target;
  if (state.rule?.unit !== 'stamps' || target === undefined || target > 60) return null;
  // A completed card starts over: the stamps it now holds are all from this add.
  const firstNew = state.added > 0 ? (state.completed ? 0 : Math.max(0, balance - state.added)) : balance;
  const rewardAt = new Map(state.rule.thresholds.map((t) => [t.at, t.name]));
  const cells = Array.from({ length: target }, (_, i) => {
    const filled = i < balance;
    const cls = ['stamp', filled ? 'filled' : 'empty', filled && i >= firstNew ? 'new' : ''].filter(Boolean).join(' ');
    const reward = rewardAt.get(i + 1);
    return el('span', { class: reward ? `${cls} reward` : cls, 'data-stamp': String(i + 1), ...(reward ? { title: reward } : {}) }, filled ? '\u2713' : reward ? '\u2605' : '');
  });
  // Ten to a row at most, so a 10-stamp card is one row in a narrow column.
  return el('div', { class: 'grid', role: 'img', 'aria-label': `${balance} of ${target} stamps`, style: `--cols:${Math.min(target, 10)}` }, ...cells);
}

/** "7 of 10 stamps", "140 points (next: €5 voucher at 100)", or just the balance when the card's target is unknown. */
function balanceLine(user: Json, state: HolderState): string | null {
  const stamps = num(user.stamps);
  const points = num(user.points);
  const rule = state.rule;
  if (stamps !== undefined) return rule?.target !== undefined && rule.unit === 'stamps' ? `${stamps} of ${rule.target} stamps` : `${stamps} stamps`;
  if (points !== undefined) {
    const next = rule?.thresholds.find((t) => t.at > points);
    return next ? `${points} points (${next.name} at ${next.at})` : `${points} points`;
  }
  return null;
}

export function renderHolder(view: View, state: HolderState, back?: () => void): void {
  const { user } = state;
  const name = fullName(user);
  const voided = user.voided === true || user.voided === 1 || user.voided === '1';
  const stamps = num(user.stamps) ?? num(user.points);
  const userId = str(user.id);
  const canWrite = !voided && userId !== '' && state.cardId !== '';
  const canEarn = canWrite && view.offers('add_stamps') && (num(user.stamps) !== undefined || num(user.points) !== undefined);
  const status = el('p', { class: 'notice', role: 'status', hidden: '' });

  const reload = async (result: CallToolResult): Promise<void> => {
    const next = holderState(result, { loyalty_card_id: state.cardId }, state.rule);
    if (next) renderHolder(view, next, back);
    else {
      status.replaceWith(message(result));
    }
  };

  const rewards = state.available.map((r) => {
    const id = str(r.id);
    const isNew = state.unlocked.has(id);
    return el(
      'li',
      { class: isNew ? 'reward-item new' : 'reward-item', 'data-reward': id },
      el('span', { class: 'reward-name' }, str(r.name) || `Reward ${id}`),
      isNew ? el('span', { class: 'badge new' }, 'just unlocked') : null,
      canWrite && view.offers('use_rewards')
        ? button('Redeem', async () => reload(await view.call('use_rewards', { loyalty_card_id: state.cardId, user_id: userId, reward_ids: [r.id] })), {
            'data-action': 'redeem',
          })
        : null,
    );
  });

  view.show(
    el(
      'section',
      { class: voided ? 'card holder voided' : 'card holder', 'data-view': 'holder-card' },
      el(
        'header',
        {},
        back ? button('\u2190 Holders', async () => back(), { class: 'link', 'data-action': 'back' }) : null,
        el('h1', { class: 'holder-name' }, name || '(no name)'),
        sandboxBadge({ sandbox: state.sandbox }),
      ),
      el('p', { class: 'muted card-name' }, [state.rule?.name, userId && `holder ${userId}`, str(user.email)].filter(Boolean).join(' \u00B7 ')),
      voided ? el('p', { class: 'error voided-note', role: 'status' }, 'Voided: this holder cannot earn or redeem.') : null,
      stamps !== undefined ? el('p', { class: 'balance' }, balanceLine(user, state) ?? '') : null,
      stamps !== undefined ? stampGrid(num(user.stamps) ?? 0, state) : null,
      state.added > 0 ? el('p', { class: 'added' }, `+${state.added} just added${state.completed ? ' \u2014 the card was completed and starts over' : ''}`) : null,
      el('h2', {}, 'Rewards available'),
      rewards.length > 0 ? el('ul', { class: 'rewards' }, ...rewards) : el('p', { class: 'muted no-rewards' }, 'None yet.'),
      canEarn
        ? el(
            'div',
            { class: 'actions' },
            button(
              num(user.stamps) !== undefined ? 'Add a stamp' : 'Add a point',
              async () => reload(await view.call('add_stamps', { loyalty_card_id: state.cardId, user_id: userId, amount: 1, idempotency_key: clickKey() })),
              { 'data-action': 'add-stamp', class: 'primary' },
            ),
          )
        : null,
      status,
    ),
  );
}

/** Shows the holder card for a result, looking the card's rule up first. */
export async function showHolderResult(view: View, result: CallToolResult, args: Args, back?: () => void): Promise<void> {
  const user = obj(structured(result)?.user);
  if (!user) return void view.show(message(result));
  const rule = await lookUpCard(view, str(args.loyalty_card_id) || str(user.loyalty_card_id));
  const state = holderState(result, args, rule);
  if (!state) return void view.show(message(result));
  renderHolder(view, state, back);
}

// ---- The holders table (list_users; opened from the card list) ----

function describeFilter(filter: unknown): string {
  const f = obj(filter);
  const parts = f ? Object.entries(f).map(([k, v]) => `${k} = ${str(v)}`) : [];
  return parts.length > 0 ? `Filter: ${parts.join(', ')}` : 'No filter';
}

export function renderHolders(view: View, result: CallToolResult, args: Args, back?: () => void): void {
  const data = structured(result);
  if (!data) return void view.show(message(result));
  const users = list(data.users);
  const page = num(data.page) ?? 1;
  const limit = num(data.limit) ?? users.length;
  const total = num(data.total);
  const cardId = str(args.loyalty_card_id);
  const again = (nextPage: number) => async (): Promise<void> => {
    const nextArgs = { ...args, page: nextPage };
    renderHolders(view, await view.call('list_users', nextArgs), nextArgs, back);
  };
  const rows = users.map((u) => {
    const balance = num(u.stamps) !== undefined ? `${str(u.stamps)} stamps` : num(u.points) !== undefined ? `${str(u.points)} points` : '';
    const voided = u.voided === true || u.voided === 1 || u.voided === '1';
    const open = view.offers('get_user') && u.id !== undefined && cardId !== '';
    const row = el(
      'tr',
      { 'data-user': str(u.id), class: [open ? 'openable' : '', voided ? 'voided' : ''].filter(Boolean).join(' ') },
      el('td', { class: 'name' }, fullName(u) || '(no name)', voided ? el('span', { class: 'badge' }, 'voided') : null),
      el('td', { class: 'email' }, str(u.email)),
      el('td', { class: 'num' }, balance),
      el('td', { class: 'num' }, num(u.rewards_available) !== undefined ? str(u.rewards_available) : ''),
    );
    if (open) {
      row.tabIndex = 0;
      const openCard = async (): Promise<void> => {
        const holderArgs = { loyalty_card_id: cardId, user_id: u.id };
        await showHolderResult(view, await view.call('get_user', holderArgs), holderArgs, () => renderHolders(view, result, args, back));
      };
      row.addEventListener('click', () => void openCard());
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') void openCard();
      });
    }
    return row;
  });
  const paging = [
    `Page ${page}`,
    `${limit} per page`,
    total !== undefined ? `${total} in all` : '',
    data.has_more === true ? 'more on the next page' : 'last page',
  ].filter(Boolean);
  view.show(
    el(
      'section',
      { class: 'card', 'data-view': 'holders-list' },
      el('header', {}, back ? button('\u2190 Cards', async () => back(), { class: 'link', 'data-action': 'back' }) : null, el('h1', {}, 'Card holders'), sandboxBadge(data)),
      el('p', { class: 'muted filter' }, `${cardId ? `Card ${cardId} \u00B7 ` : ''}${describeFilter(args.filter)}${args.include_voided === true ? ' \u00B7 voided included' : ''}`),
      users.length > 0
        ? el(
            'div',
            { class: 'scroll' },
            el(
              'table',
              {},
              el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'Email'), el('th', { class: 'num' }, 'Balance'), el('th', { class: 'num' }, 'Rewards'))),
              el('tbody', {}, ...rows),
            ),
          )
        : el('p', { class: 'muted' }, 'No holders match.'),
      el(
        'footer',
        { class: 'paging' },
        el('span', { class: 'page-info' }, paging.join(' \u00B7 ')),
        page > 1 && view.offers('list_users') ? button('Previous', again(page - 1), { 'data-action': 'previous' }) : null,
        data.has_more === true && data.truncated !== true && view.offers('list_users') ? button('Next', again(page + 1), { 'data-action': 'next' }) : null,
      ),
      str(data.note) ? el('p', { class: 'notice' }, str(data.note)) : null,
    ),
  );
}
