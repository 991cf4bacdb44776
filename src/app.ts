// Assembles a server from settings: sandbox or live API, request layer, confirmation gate.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { allTools, importUsers, instructions } from '../tools/index.js';
import { AuditLog } from './audit.js';
import { ConfigError, type Config, usesSandbox } from './config.js';
import { ConfirmGate } from './confirm.js';
import { CoupontoolsClient, type ClientOptions } from './http.js';
import { alsoToClient, redactor, stderrLogger, type Logger } from './log.js';
import { packageInfo } from './package-info.js';
import type { Sandbox } from './sandbox/index.js';
import { IdempotencyStore } from './idempotency.js';
import { createServer, selectTools, WritesInFlight } from './server.js';

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
  /** The request layer, for terminal verbs that talk to the API without an MCP session (import). */
  api: CoupontoolsClient;
  /** Waits up to graceMs for writes in flight (the rest are audited as unknown), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
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
  const audit = config.auditLog ? AuditLog.open(config.auditLog) : undefined;
  const redact = redactor([config.apiSecret]);
  // Bound once the server exists; until a client has initialized, lines go to stderr only.
  const logTarget: { server?: McpServer } = {};
  const log = alsoToClient(stderrLogger(redact, overrides.stderr), redact, (level, data) => {
    const target = logTarget.server;
    if (target?.isConnected() && target.server.getClientCapabilities() !== undefined) {
      target.server.sendLoggingMessage({ level, logger: 'coupontools-mcp', data }).catch(() => undefined);
    }
  });
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
    ...overrides.client,
  });
  const writesInFlight = new WritesInFlight();
  const server = createServer({
    name: packageInfo.name,
    version: packageInfo.version,
    instructions: instructions(sandboxed, offered),
    tools,
    api: client,
    gate: new ConfirmGate(config.confirm, overrides.now),
    log,
    redact,
    sandbox: sandboxed,
    readOnly: config.readOnly,
    allow,
    dryRun: config.dryRun,
    audit,
    idempotency: new IdempotencyStore(overrides.now),
    writesInFlight,
  });
  logTarget.server = server;
  return {
    server,
    sandbox,
    log,
    api: client,
    async close(graceMs = SHUTDOWN_GRACE_MS) {
      const abandoned = await writesInFlight.drain(graceMs);
      if (abandoned > 0) log.warn(`${abandoned} write(s) still in flight at shutdown: recorded as outcome unknown`);
      await server.close().catch(() => undefined);
      await client.close().catch(() => undefined);
      await sandbox?.close();
      audit?.close();
    },
  };
}
