// MCP over Streamable HTTP (--http): stateless /mcp, caller auth, one context per account, Host/Origin checks, body cap, probes, JSON request logs, draining shutdown.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { DEFAULT_ACCOUNT, loadAccounts, type AccountSpec } from '../../coupontools/accounts.js';
import { openAccount, redisPassword, SHUTDOWN_GRACE_MS, type Account, type AppOverrides } from '../../mcp/assemble.js';
import { AuditLog } from '../../state/audit-log.js';
import { ConfigError, parseConfig, usesSandbox, type Config, plainHttpWarning } from '../../config.js';
import { redactor, stderrLogger, type Logger } from '../../log.js';
import { FRAME_HEAD_BYTES, headOf, tooLargeAnswer } from '../line-cap.js';
import { shutdownOnSignals } from '../shutdown.js';
import { openStore } from '../../state/open-store.js';
import { packageInfo } from '../../package-info.js';
import { Authenticator, type Caller } from './caller-auth.js';
import type { Access, ToolDefinition } from '../../mcp/tool.js';

export const MCP_PATH = '/mcp';
const METADATA_PATH = '/.well-known/oauth-protected-resource';

/**
 * CORS for allowed origins only: what a browser client may send (Streamable HTTP's headers), and
 * may read back (the session id, and the challenge of a 401 that points at the authorization server).
 */
const CORS_METHODS = 'POST, GET, DELETE, OPTIONS';
const CORS_REQUEST_HEADERS = 'authorization, content-type, mcp-protocol-version, mcp-session-id, last-event-id';
const CORS_EXPOSED_HEADERS = 'mcp-session-id, www-authenticate';
/** How long a browser may reuse a preflight's answer, in seconds (short, so a changed allowlist is seen soon). */
const CORS_MAX_AGE_S = '600';

export interface Service {
  /** The /mcp URL the service listens on (the real port when 0 was asked for). */
  url: string;
  /** Stops taking requests, drains writes in flight (as stdio does), closes every account. */
  close(graceMs?: number): Promise<void>;
}

/** A readiness dependency: resolves to a reason when not ready. The shared state store adds itself here. */
export type ReadinessCheck = () => Promise<string | undefined>;

export interface ServiceOverrides extends AppOverrides {
  readiness?: ReadinessCheck[];
}

/** The worst a call of this tool can do; a token needs that level's scope to see the tool. */
function worstAccess(tool: ToolDefinition): Access {
  return tool.accessFor ? 'destructive' : tool.access;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The host name of a Host header or URL authority, lower-cased ('[::1]' for IPv6), or undefined. */
function hostnameOf(authority: string | undefined): string | undefined {
  if (authority === undefined || authority === '') return undefined;
  try {
    return new URL(`http://${authority}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

interface RequestLine {
  time: string;
  http: string;
  rpc?: string;
  tool?: string;
  status?: number;
  duration_ms?: number;
  account?: string;
  error?: string;
}

/** JSON-RPC method(s) and tool name of a parsed body, for the request log (never arguments). */
function describeRpc(body: unknown): Pick<RequestLine, 'rpc' | 'tool'> {
  const messages = (Array.isArray(body) ? body : [body]).filter((m): m is Record<string, unknown> => m !== null && typeof m === 'object');
  const methods = messages.map((m) => (typeof m.method === 'string' ? m.method : 'response'));
  const tools = messages
    .filter((m) => m.method === 'tools/call')
    .map((m) => (m.params as { name?: unknown } | undefined)?.name)
    .filter((n): n is string => typeof n === 'string' && /^[a-z_]{1,64}$/.test(n));
  return { ...(methods.length ? { rpc: methods.join(',') } : {}), ...(tools.length ? { tool: tools.join(',') } : {}) };
}

class BodyTooLarge extends Error {
  constructor(readonly head: Buffer) {
    super('body too large');
  }
}

/**
 * Reads the body up to `max` bytes. A larger one, by its Content-Length or as it arrives, is not
 * kept: only its first FRAME_HEAD_BYTES, to answer it from (see line-cap.ts), then BodyTooLarge.
 */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  const over = Number.isFinite(declared) && declared > max;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const refuse = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.pause();
      reject(new BodyTooLarge(headOf(chunks, FRAME_HEAD_BYTES)));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      chunks.push(chunk);
      if (over ? size >= FRAME_HEAD_BYTES : size > max) refuse();
    };
    const onEnd = (): void => (over ? refuse() : resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

/** How much of a refused body is read and dropped before the connection is cut instead. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Reads the rest of a refused body and drops it, so a client still sending reads our answer
 * rather than a reset (EPIPE); past DISCARD_LIMIT_BYTES the socket is cut.
 */
function discardRest(req: IncomingMessage): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_LIMIT_BYTES) req.socket.destroy();
  });
  req.resume();
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

/** Checks the service settings that only make sense together; throws ConfigError. */
function checkServiceConfig(config: Config, accounts: readonly AccountSpec[]): void {
  const hasTokens = accounts.some((a) => a.tokens.length > 0);
  if (config.oauthIssuer !== undefined && config.oauthJwksUrl === undefined) {
    throw new ConfigError('COUPONTOOLS_OAUTH_ISSUER needs COUPONTOOLS_OAUTH_JWKS_URL (the issuer\'s signing keys)');
  }
  if (config.oauthIssuer === undefined && accounts.some((a) => a.subjects.length > 0)) {
    throw new ConfigError('COUPONTOOLS_ACCOUNTS_FILE names JWT subjects but COUPONTOOLS_OAUTH_ISSUER is not set');
  }
  if (!isLoopback(config.httpHost) && !hasTokens && config.oauthIssuer === undefined) {
    throw new ConfigError(
      `COUPONTOOLS_HTTP_HOST (--host) ${config.httpHost} is not a loopback address, and no authentication is configured: set COUPONTOOLS_HTTP_TOKENS, COUPONTOOLS_OAUTH_ISSUER or an accounts file with tokens`,
    );
  }
}

export async function startService(config: Config, overrides: ServiceOverrides = {}): Promise<Service> {
  const specs = loadAccounts(config);
  checkServiceConfig(config, specs);
  const write = overrides.stderr ?? ((line: string) => void process.stderr.write(line));
  // One scrubber for every account's secret and every static token: the service's lines may mention any account.
  const redact = redactor([...specs.map((s) => s.config.apiSecret), ...specs.flatMap((s) => s.tokens), ...redisPassword(config.redisUrl)]);
  const log = stderrLogger(redact, write);

  // One handle per audit file, shared by the accounts writing to it; each line names its account.
  const auditFiles = new Map<string, AuditLog>();
  const accounts = new Map<string, Account>();
  // One state store (one Redis connection) for the service; each account gets its own scope of it.
  const store = await openStore(config.redisUrl, log, Date.now, { requireDurable: config.redisRequireDurable });
  const closeAll = async (): Promise<void> => {
    for (const account of accounts.values()) await account.close();
    for (const file of auditFiles.values()) file.close();
    await store.close();
  };
  try {
    for (const spec of specs) {
      const path = spec.config.auditLog;
      if (path !== undefined && !auditFiles.has(path)) auditFiles.set(path, AuditLog.open(path));
      const audit = path === undefined ? undefined : auditFiles.get(path);
      accounts.set(spec.id, await openAccount(spec.config, { ...overrides, id: spec.id, log, store, ...(audit ? { audit } : {}) }));
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  for (const [id, account] of accounts) {
    // Stateless HTTP has no channel for the server to ask the client, so only the token flow can confirm.
    if (account.config.confirm === 'elicit') log.warn(`account ${id}: COUPONTOOLS_CONFIRM=elicit refuses every gated call over HTTP (no elicitation in stateless mode); use auto for the token flow`);
    if (account.config.confirm === 'off') log.warn(`account ${id}: COUPONTOOLS_CONFIRM=off: delete_user, void_user and broadcast pushes run without asking a human.`);
    const clearText = plainHttpWarning(account.config);
    if (clearText) log.warn(`account ${id}: ${clearText}`);
  }

  const httpServer = createHttpServer();
  // Longer than the idle timeout of common load balancers (60 s), so the proxy, not us, closes idle
  // connections: otherwise a request can race our close and get a reset.
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.httpPort, config.httpHost, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const authority = address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
  const url = `http://${authority}${MCP_PATH}`;
  const resource = config.httpPublicUrl ?? url;
  const resourceUrl = new URL(resource);
  const metadataUrl = `${resourceUrl.origin}${METADATA_PATH}${resourceUrl.pathname === '/' ? '' : resourceUrl.pathname}`;

  const subjects = config.accountsFile === undefined ? undefined : new Map(specs.flatMap((s) => s.subjects.map((sub) => [sub, s.id] as const)));
  const auth = new Authenticator(
    specs,
    config.oauthIssuer !== undefined && config.oauthJwksUrl !== undefined
      ? { issuer: config.oauthIssuer, jwksUrl: config.oauthJwksUrl, audience: config.oauthAudience ?? resource, subjects, defaultAccount: DEFAULT_ACCOUNT, metadataUrl, resource }
      : undefined,
  );

  // DNS-rebinding protection: the Host must name this service, and a browser's Origin must be allowed.
  const loopbackBind = isLoopback(config.httpHost);
  const allowedHosts = new Set<string>([...(config.httpAllowedHosts ?? []).map((h) => hostnameOf(h) ?? h.toLowerCase())]);
  if (loopbackBind) for (const h of ['localhost', '127.0.0.1', '[::1]']) allowedHosts.add(h);
  if (!['0.0.0.0', '::'].includes(config.httpHost)) allowedHosts.add(hostnameOf(config.httpHost.includes(':') && !config.httpHost.startsWith('[') ? `[${config.httpHost}]` : config.httpHost) ?? config.httpHost);
  allowedHosts.add(resourceUrl.hostname.toLowerCase());
  const allowedOrigins = new Set((config.httpAllowedOrigins ?? []).map((o) => {
    try {
      return new URL(o).origin;
    } catch {
      throw new ConfigError(`COUPONTOOLS_HTTP_ALLOWED_ORIGINS (--allowed-origins): ${JSON.stringify(o)} is not an origin like https://app.example.com`);
    }
  }));
  const originAllowed = (origin: string): boolean => {
    if (allowedOrigins.has(origin)) return true;
    // A page on this machine may call a loopback-only service; a rebinding page's origin names its own domain.
    try {
      return loopbackBind && isLoopback(new URL(origin).hostname);
    } catch {
      return false;
    }
  };

  let draining = false;
  // /readyz asks each in turn; the first reason given makes it 503. A store that is up but may
  // forget a claim (see the shared-state docs) keeps the service ready and is named in the answer.
  let storeWarning: string | undefined;
  const readiness: ReadinessCheck[] = [
    async () => (draining ? 'shutting down' : undefined),
    async () => {
      const state = await store.ready();
      storeWarning = state.warning;
      return state.ok ? undefined : state.detail;
    },
    ...(overrides.readiness ?? []),
  ];
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const logLine = (line: RequestLine): void => write(`${redact(JSON.stringify(line))}\n`);

  const serveMcp = async (req: IncomingMessage, res: ServerResponse, line: RequestLine): Promise<void> => {
    if (req.method !== 'POST') {
      // Stateless: no session to stream to (GET) or end (DELETE).
      return rpcError(res, 405, -32000, 'Method not allowed: this server is stateless; send JSON-RPC with POST', { allow: 'POST' });
    }
    if (draining) return rpcError(res, 503, -32000, 'Server is shutting down; retry on another replica', { 'retry-after': '1', connection: 'close' });
    const verdict = await auth.authenticate(req.headers.authorization, DEFAULT_ACCOUNT);
    if (!verdict.ok) {
      line.error = verdict.error ?? 'unauthenticated';
      req.resume();
      return sendJson(res, verdict.status, { error: verdict.error ?? 'invalid_token', error_description: verdict.description }, { 'www-authenticate': auth.challenge(verdict) });
    }
    const caller: Caller = verdict.caller;
    line.account = caller.account;
    const account = accounts.get(caller.account);
    if (!account) return rpcError(res, 500, -32603, 'account not loaded');
    let text: string;
    try {
      text = await readBody(req, config.httpMaxBodyBytes);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      line.error = 'body_too_large';
      // The rest is read and dropped (never kept): closing now would cut off a client still sending.
      discardRest(req);
      // A JSON-RPC answer with the request's id when its head shows it, so the client's call ends now rather than at its own timeout.
      return sendJson(res, 413, tooLargeAnswer(err.head, `Request body larger than ${config.httpMaxBodyBytes} bytes (COUPONTOOLS_HTTP_MAX_BODY_BYTES)`));
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      line.error = 'parse_error';
      return rpcError(res, 400, -32700, 'Parse error: the body is not JSON');
    }
    Object.assign(line, describeRpc(body));
    const accountLog: Logger = {
      info: (m) => log.info(`account ${caller.account}: ${m}`),
      warn: (m) => log.warn(`account ${caller.account}: ${m}`),
      error: (m, err) => log.error(`account ${caller.account}: ${m}`, err),
    };
    // A fresh server and transport per request: any replica can answer any request.
    const server = account.newServer(accountLog, (tool) => caller.access.has(worstAccess(tool)));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0] as string;
    const line: RequestLine = { time: new Date().toISOString(), http: `${req.method} ${path.slice(0, 100)}` };
    inFlight++;
    res.on('close', () => {
      line.status = res.statusCode;
      line.duration_ms = Math.round((performance.now() - started) * 10) / 10;
      // Probes that pass are not news; everything else is one JSON line.
      if (!((path === '/healthz' || path === '/readyz') && res.statusCode === 200)) logLine(line);
      if (--inFlight === 0) idle?.();
    });
    const host = hostnameOf(req.headers.host);
    if (host === undefined || !allowedHosts.has(host)) {
      line.error = 'host_not_allowed';
      req.resume();
      return sendJson(res, 403, { error: 'forbidden', error_description: 'Host header not allowed' });
    }
    // While draining, every answer ends its connection, so a client's next request finds another replica.
    if (draining) res.setHeader('connection', 'close');
    const origin = req.headers.origin;
    res.setHeader('vary', 'Origin');
    if (origin !== undefined && !originAllowed(origin)) {
      line.error = 'origin_not_allowed';
      req.resume();
      return sendJson(res, 403, { error: 'forbidden', error_description: 'Origin not allowed' });
    }
    if (origin !== undefined) {
      // Every answer to an allowed origin, a 401 among them, is readable by its page; no other origin gets one.
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', CORS_EXPOSED_HEADERS);
    }
    if (req.method === 'OPTIONS') {
      // A preflight carries no token; it is answered for allowed origins before any authentication.
      req.resume();
      if (origin !== undefined) {
        res.setHeader('access-control-allow-methods', CORS_METHODS);
        res.setHeader('access-control-allow-headers', CORS_REQUEST_HEADERS);
        res.setHeader('access-control-max-age', CORS_MAX_AGE_S);
      }
      res.writeHead(204, { allow: CORS_METHODS });
      return void res.end();
    }
    const route = async (): Promise<void> => {
      if (path === MCP_PATH) return serveMcp(req, res, line);
      req.resume();
      if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === '/readyz') {
        for (const check of readiness) {
          const reason = await check().catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
          if (reason !== undefined) return sendJson(res, 503, { status: 'not ready', reason });
        }
        return sendJson(res, 200, { status: 'ready', ...(storeWarning !== undefined ? { warning: storeWarning } : {}) });
      }
      const metadata = auth.metadata();
      if (req.method === 'GET' && metadata && (path === METADATA_PATH || path === `${METADATA_PATH}${resourceUrl.pathname}`)) return sendJson(res, 200, metadata);
      return sendJson(res, 404, { error: 'not_found' });
    };
    route().catch((err: unknown) => {
      log.error('request failed', err);
      line.error = 'internal';
      if (!res.headersSent) rpcError(res, 500, -32603, 'Internal server error');
      else res.destroy();
    });
  });

  log.info(
    `${packageInfo.version}: serving MCP at ${url} for ${accounts.size} account(s) (${[...accounts.values()].map((a) => `${a.id}: ${usesSandbox(a.config) ? 'SANDBOX' : 'live'}`).join(', ')}); auth: ${
      auth.required ? [specs.some((s) => s.tokens.length > 0) ? 'bearer tokens' : '', config.oauthIssuer ? `OAuth (${config.oauthIssuer})` : ''].filter(Boolean).join(' + ') : 'none (loopback only)'
    }`,
  );

  let closed: Promise<void> | undefined;
  return {
    url,
    close(graceMs = SHUTDOWN_GRACE_MS) {
      closed ??= (async () => {
        // The listener stays open through the drain: /readyz answers 503 and new /mcp calls 503
        // (Connection: close) until the process exits, so a load balancer sees the drain, not a refusal.
        draining = true;
        // Writes in flight finish within the grace (or are audited as unknown), then their answers go out.
        const abandoned = (await Promise.all([...accounts.values()].map((a) => a.drain(graceMs)))).reduce((a, b) => a + b, 0);
        if (abandoned > 0) log.warn(`${abandoned} write(s) still in flight at shutdown: recorded as outcome unknown`);
        if (inFlight > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([new Promise<void>((r) => (idle = r)), new Promise<void>((r) => (timer = setTimeout(r, 200)))]);
          clearTimeout(timer);
        }
        httpServer.close();
        httpServer.closeAllConnections();
        await closeAll();
      })();
      return closed;
    },
  };
}

/** `coupontools-mcp --http`: parse settings, serve until SIGINT/SIGTERM, then drain and exit 0. */
export async function main(argv: string[]): Promise<void> {
  let config: Config;
  try {
    const action = parseConfig(argv, process.env);
    if (action.action !== 'run') {
      // --help and --version: the same text as stdio, for a terminal.
      const stdio = await import('../stdio.js');
      return stdio.main(argv);
    }
    config = action.config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${packageInfo.name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (!config.http) return (await import('../stdio.js')).main(argv);
  let service: Service;
  try {
    service = await startService(config);
  } catch (err) {
    if (err instanceof Error && ['ConfigError', 'AuditLogError', 'SandboxStateError'].includes(err.name)) {
      process.stderr.write(`${packageInfo.name}: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof Error && 'code' in err && (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL')) {
      process.stderr.write(`${packageInfo.name}: cannot listen on ${config.httpHost}:${config.httpPort} (${err.code})\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = stderrLogger((t) => t);
  // The same bound as stdio: writes get SHUTDOWN_GRACE_MS, the process is gone within 2 s.
  shutdownOnSignals(log, () => service.close(), 'service');
}
