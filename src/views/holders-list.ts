// The holders list view (list_users): the table with its filter and paging; a row opens that holder's card through the host (get_user).
import { renderHolders, startView } from './render.js';

startView('holders-list', {
  result: (view, result, args) => renderHolders(view, result, args),
});
