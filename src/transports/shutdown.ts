// How a serving verb ends: SIGINT/SIGTERM drain writes in flight and exit 0 within 2 s; stray errors are logged, not fatal.
import type { Logger } from '../log.js';

/** Past this, the process exits whatever is still running (under the 2 s every client may wait). */
const FORCED_EXIT_MS = 1800;

/**
 * Installs the signal and stray-error handlers of a serving process; returns the shutdown, for
 * the verb's own reasons to stop (stdin closed, stdout gone). `close` drains and closes everything.
 */
export function shutdownOnSignals(log: Logger, close: () => Promise<void>, what: string): (why: string) => void {
  let closing = false;
  const shutdown = (why: string): void => {
    if (closing) return;
    closing = true;
    log.info(`shutting down (${why})`);
    const force = setTimeout(() => process.exit(0), FORCED_EXIT_MS);
    force.unref();
    void close().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('uncaughtException', (err) => log.error(`unexpected error (the ${what} goes on)`, err));
  process.on('unhandledRejection', (err) => log.error(`unhandled rejection (the ${what} goes on)`, err));
  return shutdown;
}
