// The bench's API: the project's loopback sandbox, run in a worker thread so its CPU time and heap
// stay apart from the client and server being measured (two cores: the "API" gets its own).
import { setMaxListeners } from 'node:events';
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { seedState, startSandbox, type SandboxState } from '../../src/sandbox/sandbox.js';
import { BENCH_API_KEY, BENCH_API_SECRET, type MainMessage, type SandboxReady, type SandboxStats, type WorkerMessage } from './shared.js';

/** Every timestamp the sandbox writes is this instant, so answers are byte-identical from run to run. */
const FIXED_NOW = new Date('2026-01-15T09:00:00Z');
const JANE = { card: 1001, user: 5001 };

/** The demo seed plus one card without rewards and a twin of Jane on it (stamping it never adds reward entries). */
function benchState(): { state: SandboxState; write: { card: number; user: number } } {
  const state = seedState(42);
  const coffee = state.cards.find((c) => c.id === JANE.card);
  const jane = state.holders.find((h) => h.id === JANE.user);
  if (!coffee || !jane) throw new Error('the demo seed no longer has Jane on the coffee card');
  const card = state.next_ids.card++;
  state.cards.push({ id: card, code: 'b3nch0', name: 'Bench stamp card (no rewards)', domain: coffee.domain, type: 'stamp', rewards: [], created_at: coffee.created_at });
  const user = state.next_ids.holder++;
  state.holders.push({ ...structuredClone(jane), id: user, loyalty_card_id: card, stamps: 0, rewards: [] });
  return { state, write: { card, user } };
}

const port = parentPort;
if (!port) throw new Error('sandbox-worker.ts runs as a worker thread');
const gc = (globalThis as { gc?: () => void }).gc;

// The sandbox's latency fault waits on one shared shutdown signal, one abort listener per delayed
// request (removed when the delay ends): 64 at once trip Node's leak warning (at 10) in this worker.
// Raised here only; the main thread, where the server runs, keeps the default.
setMaxListeners(256);

const { state, write } = benchState();
const sandbox = await startSandbox({ apiKey: BENCH_API_KEY, apiSecret: BENCH_API_SECRET, state, now: () => FIXED_NOW });

function stats(collect: boolean): SandboxStats {
  if (collect) gc?.();
  return { requests: sandbox.requests.length, ledger: sandbox.ledger.length, peakInFlight: sandbox.maxInFlight, heapUsed: getHeapStatistics().used_heap_size };
}

port.on('message', (message: MainMessage) => {
  const { id, command } = message;
  const reply = (value: SandboxStats | null): void => port.postMessage({ kind: 'reply', id, value } satisfies WorkerMessage);
  try {
    switch (command.op) {
      case 'inject':
        sandbox.inject(command.fault);
        return reply(null);
      case 'clearFaults':
        sandbox.clearFaults();
        return reply(null);
      case 'resetStats':
        sandbox.resetStats();
        return reply(null);
      case 'stats':
        return reply(stats(command.gc));
      case 'close':
        void sandbox.close().then(() => {
          reply(null);
          port.close();
        });
        return;
    }
  } catch (err) {
    port.postMessage({ kind: 'failed', id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerMessage);
  }
});

const ready: SandboxReady = { url: sandbox.url, read: JANE, write };
port.postMessage({ kind: 'ready', ready } satisfies WorkerMessage);
