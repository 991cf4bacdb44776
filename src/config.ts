// Settings from environment variables and matching command-line flags; flags win.
import { ALIASABLE_FIELDS, BULK_BODIES, DEFAULT_WIRE_PROFILE, LIST_ENCODINGS, PAGE_SIZE_KEYS, type AliasableField, type WireProfile } from './coupontools/wire-profile.js';

export type ConfirmMode = 'auto' | 'elicit' | 'off';

export interface Config {
  apiKey: string | undefined;
  apiSecret: string | undefined;
  baseUrl: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxInFlight: number;
  maxRetries: number;
  confirm: ConfirmMode;
  sandbox: boolean;
  sandboxState: string | undefined;
  readOnly: boolean;
  tools: string[] | undefined;
  dryRun: boolean;
  auditLog: string | undefined;
  /** Unset: on whenever auditLog is set. */
  auditRequired: boolean | undefined;
  listEncoding: WireProfile['listEncoding'];
  pageSizeKey: WireProfile['pageSizeKey'];
  bulkBody: WireProfile['bulkBody'];
  bulkKey: string;
  fieldAliases: WireProfile['fieldAliases'];
  redisUrl: string | undefined;
  redisRequireDurable: boolean;
  http: boolean;
  httpHost: string;
  httpPort: number;
  httpTokens: string | undefined;
  httpAllowedHosts: string[] | undefined;
  httpAllowedOrigins: string[] | undefined;
  httpMaxBodyBytes: number;
  httpPublicUrl: string | undefined;
  oauthIssuer: string | undefined;
  oauthJwksUrl: string | undefined;
  oauthAudience: string | undefined;
  accountsFile: string | undefined;
  importDir: string | undefined;
  /** Read by the dispatcher (src/index.ts, src/cli/code-cache.ts) before anything else; here for --help and validation. */
  codeCache: string | undefined;
}

export const DEFAULT_BASE_URL = 'https://api.coupontools.com/v4';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind =
  | { type: 'string'; secret?: boolean }
  | { type: 'url' }
  | { type: 'redis-url' }
  | { type: 'int'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'list' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'aliases' };

interface Setting {
  key: keyof Config;
  env: string;
  flag: string;
  kind: Kind;
  help: string;
  defaultText: string;
}

/** The one table of settings: parsing, --help and the settings table in docs/configuration.md come from it. */
export const SETTINGS: readonly Setting[] = [
  { key: 'apiKey', env: 'COUPONTOOLS_API_KEY', flag: '--api-key', kind: { type: 'string' }, help: 'API client id (sent as x-api-key). With the secret set, the server is live.', defaultText: '(none: sandbox)' },
  { key: 'apiSecret', env: 'COUPONTOOLS_API_SECRET', flag: '--api-secret', kind: { type: 'string', secret: true }, help: 'API client secret (sent as x-api-secret). Prefer the env variable: flags show in process lists.', defaultText: '(none: sandbox)' },
  { key: 'baseUrl', env: 'COUPONTOOLS_BASE_URL', flag: '--base-url', kind: { type: 'url' }, help: 'API base URL.', defaultText: DEFAULT_BASE_URL },
  { key: 'timeoutMs', env: 'COUPONTOOLS_TIMEOUT_MS', flag: '--timeout-ms', kind: { type: 'int', min: 100, max: 600_000 }, help: 'Total time for one HTTP attempt, in ms.', defaultText: '30000' },
  { key: 'connectTimeoutMs', env: 'COUPONTOOLS_CONNECT_TIMEOUT_MS', flag: '--connect-timeout-ms', kind: { type: 'int', min: 100, max: 120_000 }, help: 'Time to open a connection, in ms.', defaultText: '10000' },
  { key: 'maxInFlight', env: 'COUPONTOOLS_MAX_IN_FLIGHT', flag: '--max-in-flight', kind: { type: 'int', min: 1, max: 64 }, help: 'Most API requests in flight at once; more wait their turn.', defaultText: '4' },
  { key: 'maxRetries', env: 'COUPONTOOLS_MAX_RETRIES', flag: '--max-retries', kind: { type: 'int', min: 0, max: 10 }, help: 'Retries of a read (or of a write that provably never arrived) after a transient failure.', defaultText: '2' },
  { key: 'confirm', env: 'COUPONTOOLS_CONFIRM', flag: '--confirm', kind: { type: 'enum', values: ['auto', 'elicit', 'off'] }, help: 'Human confirmation of delete_user, void_user and broadcast pushes: auto | elicit | off.', defaultText: 'auto' },
  { key: 'readOnly', env: 'COUPONTOOLS_READ_ONLY', flag: '--read-only', kind: { type: 'bool' }, help: 'Register only list_loyalty_cards, list_users and get_user; beats --tools.', defaultText: 'off' },
  { key: 'tools', env: 'COUPONTOOLS_TOOLS', flag: '--tools', kind: { type: 'list' }, help: 'Comma-separated allowlist of tool names; only these are registered.', defaultText: '(all)' },
  { key: 'dryRun', env: 'COUPONTOOLS_DRY_RUN', flag: '--dry-run', kind: { type: 'bool' }, help: 'Reads run; writes send nothing and return the request they would send.', defaultText: 'off' },
  { key: 'auditLog', env: 'COUPONTOOLS_AUDIT_LOG', flag: '--audit-log', kind: { type: 'string' }, help: 'Append one JSON line per write attempt to this file (ids, field names, outcome; no personal values).', defaultText: '(none)' },
  { key: 'auditRequired', env: 'COUPONTOOLS_AUDIT_REQUIRED', flag: '--audit-required', kind: { type: 'bool' }, help: 'While the audit log cannot be written (a full disk), refuse write tools with a clear message instead of running them unaudited.', defaultText: 'on when an audit log is set' },
  { key: 'redisUrl', env: 'COUPONTOOLS_REDIS_URL', flag: '--redis-url', kind: { type: 'redis-url' }, help: 'redis:// or rediss:// URL of a Redis that every server process shares for idempotency keys and confirm tokens.', defaultText: '(none: this process only)' },
  { key: 'redisRequireDurable', env: 'COUPONTOOLS_REDIS_REQUIRE_DURABLE', flag: '--redis-require-durable', kind: { type: 'bool' }, help: 'Refuse to start (exit 2) on a Redis that may forget an idempotency claim (a maxmemory-policy other than noeviction, no AOF or RDB, appendfsync no) or whose settings cannot be read.', defaultText: 'off (a warning)' },
  { key: 'importDir', env: 'COUPONTOOLS_IMPORT_DIR', flag: '--import-dir', kind: { type: 'string' }, help: 'Folder import_users may read customer files from (and write its journal and result files to); without it the tool is not offered.', defaultText: '(none: no import_users)' },
  { key: 'sandbox', env: 'COUPONTOOLS_SANDBOX', flag: '--sandbox', kind: { type: 'bool' }, help: 'Use the embedded sandbox even when credentials are set.', defaultText: 'off (on without credentials)' },
  { key: 'listEncoding', env: 'COUPONTOOLS_LIST_ENCODING', flag: '--list-encoding', kind: { type: 'enum', values: LIST_ENCODINGS }, help: 'How list_users sends filter and pagination: brackets (filter[email]=…&pagination[page]=2) | json (pagination={"page":2,…}) | flat (email=…&page=2). Run doctor to see which the API honours.', defaultText: DEFAULT_WIRE_PROFILE.listEncoding },
  { key: 'pageSizeKey', env: 'COUPONTOOLS_PAGE_SIZE_KEY', flag: '--page-size-key', kind: { type: 'enum', values: PAGE_SIZE_KEYS }, help: 'Name of the page-size key in the pagination: limit | per_page.', defaultText: DEFAULT_WIRE_PROFILE.pageSizeKey },
  { key: 'bulkBody', env: 'COUPONTOOLS_BULK_BODY', flag: '--bulk-body', kind: { type: 'enum', values: BULK_BODIES }, help: 'Body of a bulk create: array (a bare JSON array of users) | wrapped (an object holding the array under COUPONTOOLS_BULK_KEY).', defaultText: DEFAULT_WIRE_PROFILE.bulkBody },
  { key: 'bulkKey', env: 'COUPONTOOLS_BULK_KEY', flag: '--bulk-key', kind: { type: 'string' }, help: 'The wrapper key of a wrapped bulk body.', defaultText: DEFAULT_WIRE_PROFILE.bulkKey },
  { key: 'fieldAliases', env: 'COUPONTOOLS_FIELD_ALIASES', flag: '--field-aliases', kind: { type: 'aliases' }, help: `The API's names for holder fields, as theirs:ours pairs (e.g. stamp_count:stamps,reward_list:rewards); ours is one of ${ALIASABLE_FIELDS.join(', ')}.`, defaultText: '(none: the API uses our names)' },
  { key: 'sandboxState', env: 'COUPONTOOLS_SANDBOX_STATE', flag: '--sandbox-state', kind: { type: 'string' }, help: 'JSON file the sandbox loads its data from and saves it to.', defaultText: '(in memory)' },
  { key: 'codeCache', env: 'COUPONTOOLS_CODE_CACHE', flag: '--code-cache', kind: { type: 'string' }, help: 'Folder for the compiled-code cache that makes every stdio start after the first faster; off turns it off.', defaultText: '(your user cache folder)/coupontools-mcp' },
  // The service (--http): read only by src/transports/http/service.ts.
  { key: 'http', env: 'COUPONTOOLS_HTTP', flag: '--http', kind: { type: 'bool' }, help: 'Serve MCP over Streamable HTTP at /mcp instead of stdio.', defaultText: 'off' },
  { key: 'httpHost', env: 'COUPONTOOLS_HTTP_HOST', flag: '--host', kind: { type: 'string' }, help: 'Address the HTTP service binds to; anything but loopback needs authentication.', defaultText: '127.0.0.1' },
  { key: 'httpPort', env: 'COUPONTOOLS_HTTP_PORT', flag: '--port', kind: { type: 'int', min: 0, max: 65_535 }, help: 'Port of the HTTP service (0: any free port, printed at start).', defaultText: '8808' },
  { key: 'httpTokens', env: 'COUPONTOOLS_HTTP_TOKENS', flag: '--http-tokens', kind: { type: 'string', secret: true }, help: 'Comma-separated bearer tokens callers must send. Prefer the env variable.', defaultText: '(none)' },
  { key: 'httpAllowedHosts', env: 'COUPONTOOLS_HTTP_ALLOWED_HOSTS', flag: '--allowed-hosts', kind: { type: 'list' }, help: 'Host names accepted in the Host header besides the bind address and loopback names.', defaultText: '(bind address)' },
  { key: 'httpAllowedOrigins', env: 'COUPONTOOLS_HTTP_ALLOWED_ORIGINS', flag: '--allowed-origins', kind: { type: 'list' }, help: 'Origins (scheme://host[:port]) a browser may call from; a request with any other Origin is refused.', defaultText: '(none)' },
  { key: 'httpMaxBodyBytes', env: 'COUPONTOOLS_HTTP_MAX_BODY_BYTES', flag: '--max-body-bytes', kind: { type: 'int', min: 1024, max: 67_108_864 }, help: 'Largest request body accepted; a larger one gets 413.', defaultText: '1048576' },
  { key: 'httpPublicUrl', env: 'COUPONTOOLS_HTTP_PUBLIC_URL', flag: '--public-url', kind: { type: 'url' }, help: 'The /mcp URL callers use (behind a proxy); the OAuth resource and default audience.', defaultText: 'http://<host>:<port>/mcp' },
  { key: 'oauthIssuer', env: 'COUPONTOOLS_OAUTH_ISSUER', flag: '--oauth-issuer', kind: { type: 'url' }, help: 'Accept JWT bearer tokens from this OAuth 2.1 issuer (checked: iss, aud, exp, scope).', defaultText: '(none)' },
  { key: 'oauthJwksUrl', env: 'COUPONTOOLS_OAUTH_JWKS_URL', flag: '--oauth-jwks-url', kind: { type: 'url' }, help: "The issuer's JWKS (signing keys) URL.", defaultText: '(required with an issuer)' },
  { key: 'oauthAudience', env: 'COUPONTOOLS_OAUTH_AUDIENCE', flag: '--oauth-audience', kind: { type: 'string' }, help: 'Audience a JWT must name.', defaultText: '(the public URL)' },
  { key: 'accountsFile', env: 'COUPONTOOLS_ACCOUNTS_FILE', flag: '--accounts-file', kind: { type: 'string' }, help: 'JSON file mapping bearer tokens or JWT subjects to accounts, each with its own settings.', defaultText: '(one account)' },
];

const DEFAULTS: Config = {
  apiKey: undefined,
  apiSecret: undefined,
  baseUrl: DEFAULT_BASE_URL,
  timeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  maxInFlight: 4,
  maxRetries: 2,
  confirm: 'auto',
  sandbox: false,
  sandboxState: undefined,
  codeCache: undefined,
  readOnly: false,
  tools: undefined,
  dryRun: false,
  auditLog: undefined,
  auditRequired: undefined,
  listEncoding: DEFAULT_WIRE_PROFILE.listEncoding,
  pageSizeKey: DEFAULT_WIRE_PROFILE.pageSizeKey,
  bulkBody: DEFAULT_WIRE_PROFILE.bulkBody,
  bulkKey: DEFAULT_WIRE_PROFILE.bulkKey,
  fieldAliases: DEFAULT_WIRE_PROFILE.fieldAliases,
  redisUrl: undefined,
  redisRequireDurable: false,
  http: false,
  httpHost: '127.0.0.1',
  httpPort: 8808,
  httpTokens: undefined,
  httpAllowedHosts: undefined,
  httpAllowedOrigins: undefined,
  httpMaxBodyBytes: 1_048_576,
  httpPublicUrl: undefined,
  oauthIssuer: undefined,
  oauthJwksUrl: undefined,
  oauthAudience: undefined,
  accountsFile: undefined,
  importDir: undefined,
};

export type CliAction = { action: 'help' } | { action: 'version' } | { action: 'run'; config: Config };

function label(setting: Setting): string {
  return `${setting.env} (${setting.flag})`;
}

function parseValue(setting: Setting, raw: string): Config[keyof Config] {
  const { kind } = setting;
  // Never echo a secret back, even in an error, nor the credentials a URL may carry.
  const shown = kind.type === 'string' && kind.secret ? '(hidden)' : JSON.stringify(kind.type === 'url' ? withoutUserinfo(raw) : raw);
  switch (kind.type) {
    case 'string':
      return raw.trim();
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new ConfigError(`${label(setting)} must be an http(s) URL, got ${shown}`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${label(setting)} must be an http(s) URL, got ${shown}`);
      if (url.username || url.password) throw new ConfigError(`${label(setting)} must not contain credentials`);
      // Paths are appended to the base, so a query or fragment would swallow them (`…/v4#x` + `/loyalty/…` is `…/v4`).
      if (url.search !== '' || url.hash !== '' || /[?#]/.test(raw)) {
        throw new ConfigError(`${label(setting)} must not have a query string or fragment, got ${shown}`);
      }
      return url.toString().replace(/\/+$/, '');
    }
    case 'redis-url': {
      // It may hold a password, so it is never echoed.
      let url: URL | undefined;
      try {
        url = new URL(raw.trim());
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
        throw new ConfigError(`${label(setting)} must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379`);
      }
      return raw.trim();
    }
    case 'int': {
      const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
      if (!Number.isSafeInteger(n) || n < kind.min || n > kind.max) {
        throw new ConfigError(`${label(setting)} must be a whole number from ${kind.min} to ${kind.max}, got ${shown}`);
      }
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new ConfigError(`${label(setting)} must be 1/true/yes or 0/false/no, got ${shown}`);
    }
    case 'list': {
      const names = raw
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '');
      if (names.length === 0) throw new ConfigError(`${label(setting)} must name at least one ${setting.key === 'tools' ? 'tool' : 'value'}`);
      return names;
    }
    case 'enum': {
      const v = raw.trim().toLowerCase();
      if (!kind.values.includes(v)) throw new ConfigError(`${label(setting)} must be one of ${kind.values.join(', ')}, got ${shown}`);
      return v;
    }
    case 'aliases':
      return parseAliases(setting, raw);
  }
}

/** `theirs:ours,…` (empty means none); ours must be one of our aliasable holder fields. */
function parseAliases(setting: Setting, raw: string): Record<string, AliasableField> {
  const aliases: Record<string, AliasableField> = {};
  for (const pair of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [theirs, ours, extra] = pair.split(':').map((p) => p.trim());
    if (extra !== undefined || !theirs || !/^[A-Za-z0-9_.-]{1,64}$/.test(theirs) || !(ALIASABLE_FIELDS as readonly string[]).includes(ours ?? '')) {
      throw new ConfigError(`${label(setting)} takes theirs:ours pairs with ours one of ${ALIASABLE_FIELDS.join(', ')}, got ${JSON.stringify(pair)}`);
    }
    aliases[theirs] = ours as AliasableField;
  }
  return aliases;
}

/** The wire profile these settings select. */
export function wireProfileOf(config: Config): WireProfile {
  const { listEncoding, pageSizeKey, bulkBody, bulkKey, fieldAliases } = config;
  return { listEncoding, pageSizeKey, bulkBody, bulkKey, fieldAliases };
}

/**
 * A blank value (empty or only whitespace) is a setting not given, wherever it comes from: the
 * environment, a flag (`--confirm=`), an accounts file. Forms such as Claude Desktop's fill every
 * field the user left alone with "", and that must mean "the default", never "invalid".
 */
export const isBlank = (raw: string): boolean => raw.trim() === '';

/** Reads settings; throws ConfigError with a one-line message naming the setting. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): CliAction {
  const config: Config = { ...DEFAULTS };
  const assign = (setting: Setting, raw: string): void => {
    if (!isBlank(raw)) (config as unknown as Record<string, unknown>)[setting.key] = parseValue(setting, raw);
  };
  for (const setting of SETTINGS) {
    const raw = env[setting.env];
    if (raw !== undefined) assign(setting, raw);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { action: 'help' };
    if (arg === '--version' || arg === '-v') return { action: 'version' };
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const setting = SETTINGS.find((s) => s.flag === name);
    if (!setting) throw new ConfigError(`unknown option ${JSON.stringify(name)}; see --help`);
    if (setting.kind.type === 'bool') {
      assign(setting, eq === -1 ? 'true' : arg.slice(eq + 1));
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new ConfigError(`${label(setting)} needs a value`);
    assign(setting, value);
  }
  checkCredentials(config);
  return { action: 'run', config };
}

/** A URL as typed, minus any `user:password@` (shown in errors; it may hold credentials). */
function withoutUserinfo(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i, '$1(hidden)@');
}

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** A warning for live credentials sent in clear text over the network, or undefined. */
export function plainHttpWarning(config: Config): string | undefined {
  if (usesSandbox(config)) return undefined;
  const url = new URL(config.baseUrl);
  if (url.protocol !== 'http:' || LOOPBACK_HOSTS.test(url.hostname)) return undefined;
  return `COUPONTOOLS_BASE_URL is plain http:// to ${url.hostname}: the API key and secret go over the network unencrypted, readable by anyone on the path. Use https://.`;
}

function checkCredentials(config: Config, where = ''): void {
  if ((config.apiKey === undefined) !== (config.apiSecret === undefined)) {
    throw new ConfigError(`${where}COUPONTOOLS_API_KEY and COUPONTOOLS_API_SECRET go together: set both for the live API, or neither for the sandbox`);
  }
}

/**
 * `base` with some settings replaced, given by their env names (an accounts file's entries);
 * `allowed` limits which ones. Errors start with `where`, and never echo a secret.
 */
export function withSettings(base: Config, settings: Readonly<Record<string, unknown>>, allowed: ReadonlySet<keyof Config>, where: string): Config {
  const config: Config = { ...base };
  for (const [env, raw] of Object.entries(settings)) {
    const setting = SETTINGS.find((s) => s.env === env);
    if (!setting || !allowed.has(setting.key)) throw new ConfigError(`${where}${JSON.stringify(env)} is not a per-account setting`);
    const text = typeof raw === 'boolean' || typeof raw === 'number' ? String(raw) : raw;
    if (typeof text !== 'string') throw new ConfigError(`${where}${env} must be a string`);
    // Blank: not given, so the account keeps the service's value.
    if (isBlank(text)) continue;
    try {
      (config as unknown as Record<string, unknown>)[setting.key] = parseValue(setting, text);
    } catch (err) {
      throw err instanceof ConfigError ? new ConfigError(`${where}${err.message}`) : err;
    }
  }
  checkCredentials(config, where);
  return config;
}

/** True when the server talks to the embedded sandbox rather than the live API. */
export function usesSandbox(config: Pick<Config, 'sandbox' | 'apiKey'>): boolean {
  return config.sandbox || config.apiKey === undefined;
}

export function helpText(name: string, version: string): string {
  const rows = SETTINGS.map((s) => {
    const placeholder = s.kind.type === 'enum' ? s.kind.values.join('|') : s.kind.type === 'int' ? 'n' : s.kind.type === 'list' ? 'a,b' : s.kind.type === 'aliases' ? 'theirs:ours,…' : 'value';
    const arg = s.kind.type === 'bool' ? s.flag : `${s.flag} <${placeholder}>`;
    return `  ${arg.padEnd(34)} ${s.env}\n  ${''.padEnd(34)} ${s.help} Default: ${s.defaultText}.`;
  });
  return [
    `${name} ${version} — MCP server (stdio, or Streamable HTTP with --http) for the Coupontools loyalty API v4`,
    '',
    `Usage: ${name} [options]                          MCP over stdio (what clients launch)`,
    `       ${name} --http [--port 8808] [--host …]    MCP over Streamable HTTP at /mcp`,
    `       ${name} doctor [--json]                    diagnose the configured account and wire (read-only)`,
    `       ${name} import FILE --card ID [--dry-run] [--skip-existing]   import customers from a CSV file`,
    `       ${name} setup <claude-desktop|claude-code|cursor|vscode> [--live] [--print]   write a client's config`,
    '',
    'Every option has a matching environment variable; the option wins. A blank value means the default.',
    'Without credentials the server runs against its embedded sandbox (simulated data).',
    '',
    ...rows,
    `  ${'--help'.padEnd(34)} Show this help.`,
    `  ${'--version'.padEnd(34)} Show the version.`,
    '',
  ].join('\n');
}
