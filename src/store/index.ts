// Opens the configured state store: Redis when COUPONTOOLS_REDIS_URL is set, else this process's memory.
import type { Logger } from '../log.js';
import { MemoryStore } from './memory.js';
import type { StateStore } from './store.js';

export { DEFAULT_NAMESPACE, StoreUnavailableError, type StateStore, type StoreReadiness } from './store.js';
export { MemoryStore } from './memory.js';

/** The Redis client is loaded only when Redis is configured. */
export async function openStore(redisUrl: string | undefined, log: Logger, now: () => number = Date.now): Promise<StateStore> {
  if (redisUrl === undefined) return new MemoryStore(now);
  const { RedisStore } = await import('./redis.js');
  return RedisStore.open(redisUrl, log, now);
}
