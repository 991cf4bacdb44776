// Opens the configured state store: Redis when COUPONTOOLS_REDIS_URL is set, else this process's memory.
import type { Logger } from '../log.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import type { StateStore } from './store.js';

export { DEFAULT_NAMESPACE, StoreUnavailableError, type StateStore, type StoreReadiness } from './store.js';
export { MemoryStore } from './memory-store.js';

/** The Redis package is loaded only when Redis is configured (RedisStore.open loads it). */
export async function openStore(redisUrl: string | undefined, log: Logger, now: () => number = Date.now, options: RedisStoreOptions = {}): Promise<StateStore> {
  if (redisUrl === undefined) return new MemoryStore(now);
  return RedisStore.open(redisUrl, log, now, options);
}
