// The holder card view (get_user, add_stamps, use_rewards, create_user): name, stamp grid, rewards, voided state, and the buttons that write through the host.
import { showHolderResult, startView } from './render.js';

startView('holder-card', {
  result: (view, result, args) => void showHolderResult(view, result, args),
});
