// Assembles a server from settings: an account (sandbox or live API, request layer, gate, keys, audit) and its server.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { allTools, instructions } from '../tools/index.js';
import { AuditLog } from './audit.js';
import { ConfigError, type Config, usesSandbox } from './config.js';
import { ConfirmGate } from './confirm.js';
import { CoupontoolsClient, type ClientOptions } from './http.js';
import { alsoToClient, redactor, stderrLogger, type Logger } from './log.js';
import { packageInfo } from './package-info.js';
import type { Sandbox } from './sandbox/index.js';
import { IdempotencyStore } from './idempotency.js';
import { createServer, selectTools, WritesInFlight } from './server.js';
import type { ToolDefinition } from './tool.js';

export interface AppOverrides {
  /** Clock for confirmation tokens (tests). */
  now?: () => number;
  /** Request-layer knobs that are not user settings (tests shorten the backoff). */
  client?: Partial<Pick<ClientOptions, 'retryBaseMs' | 'maxRetryWaitMs' | 'random'>>;
  /** Where stderr lines go (tests capture them); they are scrubbed of the secret either way. */
  stderr?: (line: string) => void;
}

/** Requests and stamp grants the embedded sandbox remembers (for nobody but tests; kept small). */
const SANDBOX_HISTORY = 100;

/** How long shutdown waits for writes in flight before recording them as unknown. */
export const SHUTDOWN_GRACE_MS = 1000;

export interface App {
  server: McpServer;
  sandbox: Sandbox | undefined;
  log: Logger;
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
}

export async function openAccount(config: Config, options: AccountOptions = {}): Promise<Account> {
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
  const ownAudit = options.audit ? undefined : config.auditLog ? AuditLog.open(config.auditLog) : undefined;
  const base = options.audit ?? ownAudit;
  const audit = base && options.id !== undefined ? base.forAccount(options.id) : base;
  const redact = redactor([config.apiSecret]);
  const sandboxed = usesSandbox(config);
  // Loaded only when used: a live server never has the simulator in memory.
  const sandbox = sandboxed
    ? await (await import('./sandbox/index.js')).startSandbox({
        historyLimit: SANDBOX_HISTORY,
        ...(config.sandboxState ? { statePath: config.sandboxState } : {}),
      })
    : undefined;
  const client = new CoupontoolsClient({
    baseUrl: sandbox ? sandbox.url : config.baseUrl,
    apiKey: sandbox ? sandbox.apiKey : (config.apiKey as string),
    apiSecret: sandbox ? sandbox.apiSecret : (config.apiSecret as string),
    userAgent: `${packageInfo.name}/${packageInfo.version} (node ${process.versions.node})`,
    timeoutMs: config.timeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    maxInFlight: config.maxInFlight,
    maxRetries: config.maxRetries,
    ...options.client,
  });
  const writesInFlight = new WritesInFlight();
  const gate = new ConfirmGate(config.confirm, options.now);
  const idempotency = new IdempotencyStore(options.now);
  return {
    id: options.id,
    config,
    sandbox,
    offered,
    redact,
    newServer(log, only) {
      const tools = only ? offered.filter(only) : offered;
      return createServer({
        name: packageInfo.name,
        version: packageInfo.version,
        instructions: instructions(sandboxed, tools),
        tools: allTools,
        api: client,
        gate,
        log,
        redact,
        sandbox: sandboxed,
        readOnly: config.readOnly,
        allow: only ? new Set(tools.map((t) => t.name)) : allow,
        dryRun: config.dryRun,
        audit,
        idempotency,
        writesInFlight,
      });
    },
    drain: (graceMs) => writesInFlight.drain(graceMs),
    async close() {
      await client.close().catch(() => undefined);
      await sandbox?.close();
      ownAudit?.close();
    },
  };
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const account = await openAccount(config, overrides);
  const { redact } = account;
  // Bound once the server exists; until a client has initialized, lines go to stderr only.
  const logTarget: { server?: McpServer } = {};
  const log = alsoToClient(stderrLogger(redact, overrides.stderr), redact, (level, data) => {
    const target = logTarget.server;
    if (target?.isConnected() && target.server.getClientCapabilities() !== undefined) {
      target.server.sendLoggingMessage({ level, logger: 'coupontools-mcp', data }).catch(() => undefined);
    }
  });
  const server = account.newServer(log);
  logTarget.server = server;
  return {
    server,
    sandbox: account.sandbox,
    log,
    async close(graceMs = SHUTDOWN_GRACE_MS) {
      const abandoned = await account.drain(graceMs);
      if (abandoned > 0) log.warn(`${abandoned} write(s) still in flight at shutdown: recorded as outcome unknown`);
      await server.close().catch(() => undefined);
      await account.close();
    },
  };
}
