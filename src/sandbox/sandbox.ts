// Public entry of the embedded Coupontools v4 loyalty sandbox: an in-process HTTP simulator on loopback.
export { startSandbox, type Sandbox, type SandboxOptions, type RecordedRequest } from './server.js';
export type { Fault } from './faults.js';
export { SandboxStateError, type SandboxState, type StampLedgerEntry } from './state.js';
export { seedState } from './seed.js';
export { loadSandboxState, saveSandboxState } from './state-file.js';
export { DEFAULT_DIALECT, type SandboxDialect } from './dialect.js';
