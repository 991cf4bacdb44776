// A real redis-server for tests: the one .ci/run started (COUPONTOOLS_TEST_REDIS_URL), or one of the test's own on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Set by .ci/run to the redis-server it started; unset, tests start their own. */
export const TEST_REDIS_ENV = 'COUPONTOOLS_TEST_REDIS_URL';

const NOT_INSTALLED =
  'redis-server is not installed, and the shared-state tests need a real Redis: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set COUPONTOOLS_TEST_REDIS_URL to a Redis these tests may write to.';

export interface RedisProcess {
  readonly url: string;
  /** Stops the server (SIGTERM) and waits until it is gone; its data goes with it. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing is answered. */
  freeze(): void;
  thaw(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on `port`; resolves once it accepts connections, rejects with its own words if it cannot. */
function launch(port: number, settings: readonly string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // Nothing is saved unless `settings` say so (later options win): each server starts empty and leaves no file behind.
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice', ...settings], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new Error(NOT_INSTALLED) : err));
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${output.trim().split('\n').slice(-3).join(' | ')}`)));
  });
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGCONT');
    child.kill('SIGTERM');
  });
}

/**
 * A redis-server of this test's own, on a free port (tried again if another process takes the port
 * first); `settings` are redis-server options on top (e.g. '--maxmemory-policy', 'volatile-lru').
 */
export async function startRedis(settings: readonly string[] = []): Promise<RedisProcess> {
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, settings);
    } catch (err) {
      if (attempt >= 5 || (err instanceof Error && err.message === NOT_INSTALLED)) throw err;
    }
  }
  let current: ChildProcess = child;
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopped(current),
    async restart() {
      await stopped(current);
      current = await launch(port, settings);
    },
    freeze: () => void current.kill('SIGSTOP'),
    thaw: () => void current.kill('SIGCONT'),
  };
}

/** The Redis CI started, or one of this test's own; `close` stops only what this test started. */
export async function sharedRedis(): Promise<{ url: string; close: () => Promise<void> }> {
  const given = process.env[TEST_REDIS_ENV];
  if (given) return { url: given, close: async () => undefined };
  const own = await startRedis();
  return { url: own.url, close: own.stop };
}
