// Assembles a server from settings: sandbox or live API, request layer, confirmation gate.
import { createHash, randomBytes } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { allTools, instructions } from '../tools/index.js';
import { AuditLog, type AuditWrite } from './audit.js';
import { ConfigError, type Config, usesSandbox, wireProfileOf } from './config.js';
import { connectApi } from './connect.js';
import { ConfirmGate } from './confirm.js';
import type { ClientOptions } from './http.js';
import { alsoToClient, redactor, stderrLogger, type Logger } from './log.js';
import { packageInfo } from './package-info.js';
import type { Sandbox } from './sandbox/index.js';
import { IdempotencyStore } from './idempotency.js';
import { createServer, selectTools, WritesInFlight } from './server.js';
import { openStore, type StateStore } from './store/index.js';

export interface AppOverrides {
  /** Clock for confirmation tokens (tests). */
  now?: () => number;
  /** Request-layer knobs that are not user settings (tests shorten the backoff). */
  client?: Partial<Pick<ClientOptions, 'retryBaseMs' | 'maxRetryWaitMs' | 'random' | 'armDeadline'>>;
  /** Where stderr lines go (tests capture them); they are scrubbed of the secret either way. */
  stderr?: (line: string) => void;
  /** The write system call of the audit log (tests fill the disk on cue). */
  auditWrite?: AuditWrite;
  /**
   * The state store, already scoped to this account (the HTTP service opens one store and
   * scopes it per account). Its owner closes it; without it the app opens its own from config.
   */
  store?: StateStore;
}

/** Requests and stamp grants the embedded sandbox remembers (for nobody but tests; kept small). */
const SANDBOX_HISTORY = 100;

/** How long shutdown waits for writes in flight before recording them as unknown. */
export const SHUTDOWN_GRACE_MS = 1000;

export interface App {
  server: McpServer;
  sandbox: Sandbox | undefined;
  log: Logger;
  /** Idempotency keys and confirm tokens; `store.ready()` says whether keyed and confirmed writes can run. */
  store: StateStore;
  /** Waits up to graceMs for writes in flight (the rest are audited as unknown), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const known = allTools.map((t) => t.name);
  const unknown = (config.tools ?? []).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`COUPONTOOLS_TOOLS (--tools) names unknown tool(s) ${unknown.join(', ')}; valid names: ${known.join(', ')}`);
  }
  const allow = config.tools ? new Set(config.tools) : undefined;
  const offered = selectTools(allTools, config.readOnly, allow);
  if (offered.length === 0) {
    throw new ConfigError('COUPONTOOLS_TOOLS (--tools) with COUPONTOOLS_READ_ONLY (--read-only) leaves no tool: read-only keeps only list_loyalty_cards, list_users and get_user');
  }
  // Opened before anything else starts, so a bad path stops start-up.
  const audit = config.auditLog
    ? AuditLog.open(config.auditLog, { required: config.auditRequired ?? true, ...(overrides.auditWrite ? { write: overrides.auditWrite } : {}) })
    : undefined;
  const redact = redactor([config.apiSecret, ...redisPassword(config.redisUrl)]);
  // Bound once the server exists; until a client has initialized, lines go to stderr only.
  const logTarget: { server?: McpServer } = {};
  const log = alsoToClient(stderrLogger(redact, overrides.stderr), redact, (level, data) => {
    const target = logTarget.server;
    if (target?.isConnected() && target.server.getClientCapabilities() !== undefined) {
      target.server.sendLoggingMessage({ level, logger: 'coupontools-mcp', data }).catch(() => undefined);
    }
  });
  const sandboxed = usesSandbox(config);
  const { client, sandbox } = await connectApi(config, { ...overrides.client, onFailure: (line) => log.warn(line) }, SANDBOX_HISTORY);
  const now = overrides.now ?? Date.now;
  const store = overrides.store ?? (await openStore(config.redisUrl, log, now)).scope(accountNamespace(config, sandboxed));
  const writesInFlight = new WritesInFlight();
  const server = createServer({
    name: packageInfo.name,
    version: packageInfo.version,
    instructions: instructions(sandboxed, offered),
    tools: allTools,
    api: client,
    gate: new ConfirmGate(config.confirm, now, store),
    log,
    redact,
    sandbox: sandboxed,
    readOnly: config.readOnly,
    allow,
    dryRun: config.dryRun,
    audit,
    idempotency: new IdempotencyStore(store, log, now),
    writesInFlight,
    wire: wireProfileOf(config),
  });
  logTarget.server = server;
  return {
    server,
    sandbox,
    log,
    store,
    async close(graceMs = SHUTDOWN_GRACE_MS) {
      const abandoned = await writesInFlight.drain(graceMs);
      if (abandoned > 0) log.warn(`${abandoned} write(s) still in flight at shutdown: recorded as outcome unknown`);
      await server.close().catch(() => undefined);
      await client.close().catch(() => undefined);
      await sandbox?.close();
      if (!overrides.store) await store.close();
      audit?.close();
    },
  };
}

/**
 * Whose keys and tokens these are. A live account is named by a hash of its base URL and client
 * id, so two accounts on one Redis never share a key and the id is not spelled out in Redis.
 * Each embedded sandbox is its own simulated account, so a sandboxed process shares with no one.
 */
function accountNamespace(config: Config, sandboxed: boolean): string {
  if (sandboxed) return `sandbox-${randomBytes(8).toString('hex')}`;
  return `account-${createHash('sha256').update(`${config.baseUrl}\n${config.apiKey ?? ''}`).digest('hex').slice(0, 16)}`;
}

/** A Redis URL's password, as written and decoded, so neither form reaches a log line. */
function redisPassword(url: string | undefined): string[] {
  const raw = url ? new URL(url).password : '';
  if (raw === '') return [];
  try {
    return [raw, decodeURIComponent(raw)];
  } catch {
    return [raw];
  }
}
