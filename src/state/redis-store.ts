// The Redis state store: claims with SET NX PX, results kept with their TTL, tokens spent atomically; shared by every process on one Redis.
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { createClient } from 'redis';
import { ConfigError } from '../config.js';
import type { Logger } from '../log.js';
import { durabilityWarning, readDurability, type Durability } from './redis-durability.js';
import {
  DEFAULT_NAMESPACE,
  IDEMPOTENCY_TTL_MS,
  StoreUnavailableError,
  type ClaimAnswer,
  type KeyRecord,
  type Redemption,
  type StateStore,
  type StoreReadiness,
  type TokenGrant,
} from './store.js';

/** A Redis command that has not answered in this time counts as a store failure (the call is refused). */
export const STORE_TIMEOUT_MS = 2000;
/** Longest pause between reconnection attempts, so the store is back within a second of Redis. */
const MAX_RECONNECT_WAIT_MS = 1000;
/** Every key this server writes starts with this. */
const KEY_PREFIX = 'coupontools-mcp';

/**
 * SET NX PX claims the key; when someone holds it, what they stored comes back instead.
 * One script, so the claim and the read of the holder's record are one step.
 */
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('GET', KEYS[1])`;

/** Only the claim's owner settles it: the result replaces the claim for the TTL it has left, or the key is freed. */
const SETTLE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1`;

/** Single use across every process: checked and deleted in one step; other arguments leave it for the right ones. */
const REDEEM = `
local v = redis.call('GET', KEYS[1])
if not v then return 'unknown' end
local grant = cjson.decode(v)
if tonumber(grant.expiresAt) <= tonumber(ARGV[3]) then redis.call('DEL', KEYS[1]) return 'expired' end
if grant.tool ~= ARGV[1] or grant.argsKey ~= ARGV[2] then return 'mismatch' end
redis.call('DEL', KEYS[1])
return 'ok'`;

/** The pending record as stored; its nonce makes the exact string the owner's ticket. */
interface StoredPending {
  state: 'pending';
  argsKey: string;
  at: number;
  nonce: string;
}

/** The client as this store configures it: commands wait for a reconnection, but no longer than STORE_TIMEOUT_MS. */
function newClient(create: typeof createClient, url: string) {
  return create({
    url,
    socket: { connectTimeout: STORE_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_WAIT_MS) },
    commandOptions: { timeout: STORE_TIMEOUT_MS },
    commandsQueueMaxLength: 10_000,
  });
}

type RedisClient = ReturnType<typeof newClient>;

/** What the store is told to insist on. */
export interface RedisStoreOptions {
  /** COUPONTOOLS_REDIS_REQUIRE_DURABLE: a Redis that may forget a claim (or cannot be checked) stops start-up. */
  requireDurable?: boolean;
}

/** What every scope of one Redis store shares: the connection, whether it answers, and whether it keeps claims. */
class RedisConnection {
  /** undefined until the first connection attempt resolves one way or the other. */
  private up: boolean | undefined;
  /** Read once, at the first connection (start-up, or later if Redis was not there yet). */
  durability: Durability | undefined;

  constructor(
    readonly client: RedisClient,
    readonly where: string,
    private readonly log: Logger,
    readonly now: () => number,
  ) {
    client.on('ready', () => this.mark(true));
    // Emitted on every failed reconnection attempt too: only the change of state is logged.
    client.on('error', (err: unknown) => this.mark(false, err instanceof Error ? err.message : String(err)));
  }

  mark(up: boolean, why = ''): void {
    if (this.up === up) return;
    const wasDown = this.up === false;
    this.up = up;
    if (up) {
      this.log.info(`shared state store: Redis at ${this.where}${wasDown ? ' is reachable again; keyed and confirmed writes run again' : ''}.`);
    } else {
      this.log.warn(
        `shared state store: Redis at ${this.where} is unreachable (${why}). Until it is back, add_stamps with an idempotency_key and calls that need a confirm_token are refused and nothing is sent for them; every other call goes on.`,
      );
    }
  }

  /**
   * Reads the eviction policy and persistence once. INFO goes through run() (a failure there is
   * an outage); CONFIG GET may be refused on a managed Redis, which is only a fact not read.
   */
  async readDurability(): Promise<Durability> {
    this.durability ??= await readDurability({
      info: (section) => this.run(`answer INFO ${section}`, () => this.client.info(section)),
      configGet: async (name) => {
        const answer = this.client.configGet(name);
        answer.catch(() => undefined);
        const late = delay(STORE_TIMEOUT_MS, 'late' as const);
        const got = await Promise.race([answer, late]);
        if (got === 'late') throw new Error(`no answer within ${STORE_TIMEOUT_MS} ms`);
        return got[name];
      },
    });
    return this.durability;
  }

  /** Runs a command; any failure (down, timed out, refused by Redis) becomes StoreUnavailableError. */
  async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    // The client's own timeout covers only a command still waiting to be written; one Redis has
    // taken but does not answer (a stalled server) is timed out here.
    const sent = command();
    sent.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { name: 'TimeoutError' })), STORE_TIMEOUT_MS);
    });
    try {
      const answer = await Promise.race([sent, late]);
      this.mark(true);
      return answer;
    } catch (err) {
      const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${STORE_TIMEOUT_MS} ms` : err instanceof Error ? err.message : String(err);
      this.mark(false, why);
      throw new StoreUnavailableError(`the shared state store (Redis) could not ${what}: ${why}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

export class RedisStore implements StateStore {
  readonly backend = 'redis';

  private constructor(
    private readonly conn: RedisConnection,
    readonly namespace: string,
  ) {}

  /**
   * Connects to `url` (redis:// or rediss://). Start-up waits at most STORE_TIMEOUT_MS for the
   * first connection; if Redis is not there yet the server starts anyway (reads work, keyed and
   * confirmed writes are refused) and connects by itself once Redis is.
   */
  static async open(url: string, log: Logger, now: () => number = Date.now, options: RedisStoreOptions = {}): Promise<RedisStore> {
    // The Redis package is loaded here, with the first store: it is as large as the rest of the server.
    const client = newClient((await import('redis')).default.createClient, url);
    const conn = new RedisConnection(client, describeUrl(url), log, now);
    const connected = client.connect().then(
      () => true,
      () => false,
    );
    const first = await Promise.race([connected, delay(STORE_TIMEOUT_MS, false)]);
    if (!first) conn.mark(false, `no connection within ${STORE_TIMEOUT_MS} ms`);
    const store = new RedisStore(conn, DEFAULT_NAMESPACE);
    const refuse = async (why: string): Promise<never> => {
      await store.close();
      throw new ConfigError(`COUPONTOOLS_REDIS_REQUIRE_DURABLE (--redis-require-durable) is on and ${why}; not starting`);
    };
    // Whether this Redis can keep a claim for its 24 hours: warned once, or refused when asked.
    const check = async (): Promise<string | undefined> => {
      let durability: Durability;
      try {
        durability = await conn.readDurability();
      } catch (err) {
        durability = { facts: [], risks: [`its settings could not be read (${err instanceof Error ? err.message : String(err)})`] };
      }
      return durability.risks.length > 0 ? durabilityWarning(conn.where, durability) : undefined;
    };
    if (!first) {
      if (options.requireDurable) return refuse(`Redis at ${conn.where} could not be checked (no connection within ${STORE_TIMEOUT_MS} ms)`);
      // Checked once it is there.
      client.once('ready', () => void check().then((warning) => warning && log.warn(warning)));
      return store;
    }
    const warning = await check();
    if (warning !== undefined && options.requireDurable) return refuse(warning.replace(/^shared state store: /, ''));
    if (warning !== undefined) log.warn(`${warning} COUPONTOOLS_REDIS_REQUIRE_DURABLE=1 refuses to start on such a Redis.`);
    return store;
  }

  /** What was read of the eviction policy and persistence (undefined until Redis was first reached). */
  get durability(): Durability | undefined {
    return this.conn.durability;
  }

  private key(kind: 'idem' | 'confirm', id: string): string {
    return `${KEY_PREFIX}:${encodeURIComponent(this.namespace)}:${kind}:${id}`;
  }

  private eval(what: string, script: string, key: string, args: string[]): Promise<unknown> {
    return this.conn.run(what, () => this.conn.client.eval(script, { keys: [key], arguments: args }));
  }

  async claim(id: string, argsKey: string): Promise<ClaimAnswer> {
    const pending: StoredPending = { state: 'pending', argsKey, at: this.conn.now(), nonce: randomBytes(12).toString('base64url') };
    const ticket = JSON.stringify(pending);
    const key = this.key('idem', id);
    let held: unknown;
    try {
      held = await this.eval('claim the idempotency key', CLAIM, key, [ticket, String(IDEMPOTENCY_TTL_MS)]);
    } catch (err) {
      // The claim may have reached Redis even though its answer did not: undo it if it is ours,
      // so the key does not stay "in progress" for a call that was never sent.
      void this.conn.client.eval(SETTLE, { keys: [key], arguments: [ticket, ''] }).catch(() => undefined);
      throw err;
    }
    if (held === null || held === undefined) return { claimed: true, ticket };
    return { claimed: false, record: parseRecord(held) };
  }

  async settle(id: string, ticket: string, result: CallToolResult | undefined): Promise<void> {
    let pending: StoredPending;
    try {
      pending = JSON.parse(ticket) as StoredPending;
    } catch {
      return; // not a ticket this store gave out, so not a claim to settle
    }
    const settled = result === undefined ? '' : JSON.stringify({ state: 'settled', argsKey: pending.argsKey, at: pending.at, result });
    await this.eval('record the call’s result', SETTLE, this.key('idem', id), [ticket, settled]);
  }

  async issueToken(token: string, grant: TokenGrant): Promise<void> {
    // Kept one more lifetime past expiry, so a late redemption is told "expired" rather than "unknown".
    const keepMs = Math.max(1, 2 * (grant.expiresAt - this.conn.now()));
    const value = JSON.stringify({ tool: grant.tool, argsKey: grant.argsKey, expiresAt: grant.expiresAt });
    await this.conn.run('record the confirm token', () => this.conn.client.set(this.key('confirm', token), value, { expiration: { type: 'PX', value: keepMs } }));
  }

  async redeemToken(token: string, tool: string, argsKey: string): Promise<Redemption> {
    const answer = await this.eval('check the confirm token', REDEEM, this.key('confirm', token), [tool, argsKey, String(this.conn.now())]);
    if (answer === 'ok' || answer === 'unknown' || answer === 'expired' || answer === 'mismatch') return answer;
    throw new StoreUnavailableError(`the shared state store (Redis) gave an unexpected answer to a confirm token check: ${String(answer)}`);
  }

  async ready(): Promise<StoreReadiness> {
    try {
      await this.conn.run('answer a PING', () => this.conn.client.ping());
      const durability = this.conn.durability;
      return { ok: true, detail: `state store: Redis at ${this.conn.where}`, ...(durability && durability.risks.length > 0 ? { warning: durabilityWarning(this.conn.where, durability) } : {}) };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  scope(namespace: string): StateStore {
    return new RedisStore(this.conn, namespace);
  }

  async close(): Promise<void> {
    const { client } = this.conn;
    if (!client.isOpen) return;
    // A graceful close waits for answers Redis may never give; past the timeout the socket is dropped.
    const closed = await Promise.race([client.close().then(() => true, () => false), delay(STORE_TIMEOUT_MS, false)]);
    if (!closed && client.isOpen) client.destroy();
  }
}

function parseRecord(raw: unknown): KeyRecord {
  let value: unknown;
  try {
    value = JSON.parse(String(raw));
  } catch {
    throw new StoreUnavailableError('the shared state store (Redis) holds an unreadable idempotency record');
  }
  const rec = value as Partial<KeyRecord> | null;
  if (rec && rec.state === 'pending' && typeof rec.argsKey === 'string' && typeof rec.at === 'number') return { state: 'pending', argsKey: rec.argsKey, at: rec.at };
  if (rec && rec.state === 'settled' && typeof rec.argsKey === 'string' && typeof rec.at === 'number' && rec.result && typeof rec.result === 'object') {
    return { state: 'settled', argsKey: rec.argsKey, at: rec.at, result: rec.result };
  }
  throw new StoreUnavailableError('the shared state store (Redis) holds an unreadable idempotency record');
}

/** host:port (and database) for logs; never the password. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return `${u.hostname}:${u.port || '6379'}${db ? `/${db}` : ''}${u.protocol === 'rediss:' ? ' (TLS)' : ''}`;
}
