// What the bench's main thread and its sandbox worker agree on: credentials, targets, messages.
import type { Fault } from '../../src/sandbox/sandbox.js';

export const BENCH_API_KEY = 'bench-client-id';
export const BENCH_API_SECRET = 'bench-client-secret';

/** A card holder a tool call addresses. */
export interface Target {
  card: number;
  user: number;
}

/** Sent once by the worker when its sandbox listens. */
export interface SandboxReady {
  /** e.g. http://127.0.0.1:40123/v4 */
  url: string;
  /** Read by get_user: Jane Doe (5001) on the coffee card; never written, so every answer is the same. */
  read: Target;
  /** Written by add_stamps: a twin of Jane on a stamp card without rewards, so answers never grow. */
  write: Target;
}

export type SandboxCommand =
  | { op: 'inject'; fault: Fault }
  | { op: 'clearFaults' }
  | { op: 'resetStats' }
  | { op: 'stats'; gc: boolean }
  | { op: 'close' };

export interface SandboxStats {
  /** Length of the sandbox's request log (every request since start). */
  requests: number;
  /** Length of the sandbox's stamp ledger (every grant since start). */
  ledger: number;
  /** Peak requests in flight at the sandbox since the last resetStats. */
  peakInFlight: number;
  /** The worker's V8 heap in use (after a full GC when asked and --expose-gc is on). */
  heapUsed: number;
}

export type WorkerMessage =
  | { kind: 'ready'; ready: SandboxReady }
  | { kind: 'reply'; id: number; value: SandboxStats | null }
  | { kind: 'failed'; id: number; message: string };

export type MainMessage = { id: number; command: SandboxCommand };
