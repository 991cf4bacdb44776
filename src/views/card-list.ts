// The card list view (list_loyalty_cards): each card with its type and reward thresholds; a card opens its holders through the host (list_users).
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { cardRule, el, list, message, renderHolders, sandboxBadge, startView, str, structured, type View } from './render.js';

function renderCards(view: View, result: CallToolResult): void {
  const data = structured(result);
  if (!data) return void view.show(message(result));
  const cards = list(data.cards);
  const items = cards.map((card) => {
    const rule = cardRule(card);
    const open = view.offers('list_users') && card.id !== undefined;
    const item = el(
      'li',
      { class: open ? 'loyalty-card openable' : 'loyalty-card', 'data-card': str(card.id) },
      el('div', { class: 'row' }, el('strong', { class: 'card-title' }, rule.name || `Card ${str(card.id)}`), el('span', { class: 'badge' }, rule.type || 'card')),
      el('p', { class: 'muted' }, [`id ${str(card.id)}`, str(card.code) && `code ${str(card.code)}`, rule.target !== undefined && rule.unit ? `full at ${rule.target} ${rule.unit}` : ''].filter(Boolean).join(' \u00B7 ')),
      rule.thresholds.length > 0 ? el('ul', { class: 'thresholds' }, ...rule.thresholds.map((t) => el('li', {}, `${t.name} at ${t.at}`))) : null,
    );
    if (open) {
      item.tabIndex = 0;
      const openHolders = async (): Promise<void> => {
        const args = { loyalty_card_id: card.id };
        renderHolders(view, await view.call('list_users', args), args, () => renderCards(view, result));
      };
      item.addEventListener('click', () => void openHolders());
      item.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') void openHolders();
      });
    }
    return item;
  });
  view.show(
    el(
      'section',
      { class: 'card', 'data-view': 'card-list' },
      el('header', {}, el('h1', {}, 'Loyalty cards'), sandboxBadge(data)),
      items.length > 0 ? el('ul', { class: 'cards' }, ...items) : el('p', { class: 'muted' }, 'No loyalty cards on this account.'),
      data.truncated === true ? el('p', { class: 'notice' }, 'Only the first cards fit in one result.') : null,
    ),
  );
}

startView('card-list', { result: (view, result) => renderCards(view, result) });
