// Assembles a server from settings: an account (sandbox or live API, request layer, gate, keys, audit) and its server.
import { createHash, randomBytes } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { allTools, importUsers, instructions } from '../../tools/index.js';
import { AuditLog, type AuditWrite } from '../state/audit-log.js';
import { ConfigError, type Config, usesSandbox, wireProfileOf } from '../config.js';
import { connectApi } from '../coupontools/connect.js';
import { ConfirmGate } from '../pipeline/confirm-gate.js';
import type { ClientOptions, CoupontoolsClient } from '../coupontools/client.js';
import { alsoToClient, redactor, stderrLogger, type Logger } from '../log.js';
import { packageInfo } from '../package-info.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { IdempotencyStore } from '../state/idempotency-store.js';
import { createServer, selectTools, WritesInFlight } from './registration.js';
import { openStore, type StateStore } from '../state/open-store.js';
import type { ToolDefinition } from './tool.js';

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
  store: StateStore;
  /** The request layer, for terminal verbs that talk to the API without an MCP session (import). */
  api: CoupontoolsClient;
  /** Waits up to graceMs for writes in flight (the rest are audited as unknown), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Everything one account's calls share, built once: its tool selection, request layer (own
 * connection pool), confirmation gate (own tokens), idempotency keys, audit view and the writes
 * in flight. Servers made from it are cheap, so the HTTP service makes one per request.
 */
export interface Account {
  /** Named in audit lines and service logs (undefined for stdio's single account). */
  id: string | undefined;
  config: Config;
  sandbox: Sandbox | undefined;
  /** This account's scope of the state store (idempotency keys, confirm tokens). */
  store: StateStore;
  /** The account's request layer. */
  api: CoupontoolsClient;
  /** The tools this account offers (its read-only and allowlist settings applied). */
  offered: readonly ToolDefinition[];
  /** Scrubs this account's secret. */
  redact: (text: string) => string;
  /** A server for this account; `only` narrows the tools further (a caller's scopes). */
  newServer(log: Logger, only?: (tool: ToolDefinition) => boolean): McpServer;
  /** Waits up to graceMs for writes in flight; the rest are audited as unknown. Returns how many. */
  drain(graceMs: number): Promise<number>;
  close(): Promise<void>;
}

export interface AccountOptions extends AppOverrides {
  id?: string;
  /** An audit log opened by the caller (one file for many accounts); otherwise config.auditLog is opened here. */
  audit?: AuditLog;
  /** Where the account's own lines go (failed API calls, store outages); stderr when absent. */
  log?: Logger;
}

/** Scrubs what an account's settings hold that must never be shown: the API secret and a Redis password. */
export function accountRedactor(config: Config): (text: string) => string {
  return redactor([config.apiSecret, ...redisPassword(config.redisUrl)]);
}

export async function openAccount(config: Config, options: AccountOptions = {}): Promise<Account> {
  // import_users exists only where the operator named a folder it may read.
  const tools = config.importDir ? [...allTools, importUsers(config.importDir)] : allTools;
  const known = tools.map((t) => t.name);
  const unknown = (config.tools ?? []).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`COUPONTOOLS_TOOLS (--tools) names unknown tool(s) ${unknown.join(', ')}; valid names: ${known.join(', ')}`);
  }
  const allow = config.tools ? new Set(config.tools) : undefined;
  const offered = selectTools(tools, config.readOnly, allow);
  if (offered.length === 0) {
    throw new ConfigError('COUPONTOOLS_TOOLS (--tools) with COUPONTOOLS_READ_ONLY (--read-only) leaves no tool: read-only keeps only list_loyalty_cards, list_users and get_user');
  }
  // Opened before anything else starts, so a bad path stops start-up.
  const ownAudit = options.audit
    ? undefined
    : config.auditLog
      ? AuditLog.open(config.auditLog, { required: config.auditRequired ?? true, ...(options.auditWrite ? { write: options.auditWrite } : {}) })
      : undefined;
  const base = options.audit ?? ownAudit;
  const audit = base && options.id !== undefined ? base.forAccount(options.id) : base;
  const redact = accountRedactor(config);
  const log = options.log ?? stderrLogger(redact, options.stderr);
  const sandboxed = usesSandbox(config);
  const now = options.now ?? Date.now;
  // Before the API connection (and any sandbox) exists, so a Redis refused at start leaves nothing running.
  const ownStore = options.store ? undefined : await openStore(config.redisUrl, log, now, { requireDurable: config.redisRequireDurable });
  const { client, sandbox } = await connectApi(config, { ...options.client, onFailure: (line) => log.warn(line) }, SANDBOX_HISTORY);
  const store = options.store ?? (ownStore as StateStore).scope(accountNamespace(config, sandboxed));
  const writesInFlight = new WritesInFlight();
  const gate = new ConfirmGate(config.confirm, now, store);
  const idempotency = new IdempotencyStore(store, log, now);
  const wire = wireProfileOf(config);
  return {
    id: options.id,
    config,
    sandbox,
    store,
    api: client,
    offered,
    redact,
    newServer(serverLog, only) {
      const served = only ? offered.filter(only) : offered;
      return createServer({
        name: packageInfo.name,
        version: packageInfo.version,
        instructions: instructions(sandboxed, served),
        tools,
        api: client,
        gate,
        log: serverLog,
        redact,
        sandbox: sandboxed,
        readOnly: config.readOnly,
        allow: only ? new Set(served.map((t) => t.name)) : allow,
        dryRun: config.dryRun,
        audit,
        idempotency,
        writesInFlight,
        wire,
      });
    },
    drain: (graceMs) => writesInFlight.drain(graceMs),
    async close() {
      await client.close().catch(() => undefined);
      await sandbox?.close();
      await ownStore?.close();
      ownAudit?.close();
    },
  };
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const redact = accountRedactor(config);
  // Bound once the server exists; until a client has initialized, lines go to stderr only.
  const logTarget: { server?: McpServer } = {};
  const log = alsoToClient(stderrLogger(redact, overrides.stderr), redact, (level, data) => {
    const target = logTarget.server;
    if (target?.isConnected() && target.server.getClientCapabilities() !== undefined) {
      target.server.sendLoggingMessage({ level, logger: 'coupontools-mcp', data }).catch(() => undefined);
    }
  });
  const account = await openAccount(config, { ...overrides, log });
  const server = account.newServer(log);
  logTarget.server = server;
  return {
    server,
    sandbox: account.sandbox,
    log,
    store: account.store,
    api: account.api,
    async close(graceMs = SHUTDOWN_GRACE_MS) {
      const abandoned = await account.drain(graceMs);
      if (abandoned > 0) log.warn(`${abandoned} write(s) still in flight at shutdown: recorded as outcome unknown`);
      await server.close().catch(() => undefined);
      await account.close();
    },
  };
}

/**
 * Whose keys and tokens these are. A live account is named by a hash of its base URL and client
 * id, so two accounts on one Redis never share a key and the id is not spelled out in Redis.
 * Each embedded sandbox is its own simulated account, so a sandboxed process shares with no one.
 */
export function accountNamespace(config: Config, sandboxed: boolean): string {
  if (sandboxed) return `sandbox-${randomBytes(8).toString('hex')}`;
  return `account-${createHash('sha256').update(`${config.baseUrl}\n${config.apiKey ?? ''}`).digest('hex').slice(0, 16)}`;
}

/** A Redis URL's password, as written and decoded, so neither form reaches a log line. */
export function redisPassword(url: string | undefined): string[] {
  const raw = url ? new URL(url).password : '';
  if (raw === '') return [];
  try {
    return [raw, decodeURIComponent(raw)];
  } catch {
    return [raw];
  }
}
