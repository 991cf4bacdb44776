// Settings from environment variables and matching command-line flags; flags win.
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
  importDir: string | undefined;
}

export const DEFAULT_BASE_URL = 'https://api.coupontools.com/v4';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind =
  | { type: 'string'; secret?: boolean }
  | { type: 'url' }
  | { type: 'int'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'list' }
  | { type: 'enum'; values: readonly string[] };

interface Setting {
  key: keyof Config;
  env: string;
  flag: string;
  kind: Kind;
  help: string;
  defaultText: string;
}

/** The one table of settings: parsing, --help and the README's settings table come from it. */
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
  { key: 'importDir', env: 'COUPONTOOLS_IMPORT_DIR', flag: '--import-dir', kind: { type: 'string' }, help: 'Folder import_users may read customer files from (and write its journal and result files to); without it the tool is not offered.', defaultText: '(none: no import_users)' },
  { key: 'sandbox', env: 'COUPONTOOLS_SANDBOX', flag: '--sandbox', kind: { type: 'bool' }, help: 'Use the embedded sandbox even when credentials are set.', defaultText: 'off (on without credentials)' },
  { key: 'sandboxState', env: 'COUPONTOOLS_SANDBOX_STATE', flag: '--sandbox-state', kind: { type: 'string' }, help: 'JSON file the sandbox loads its data from and saves it to.', defaultText: '(in memory)' },
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
  readOnly: false,
  tools: undefined,
  dryRun: false,
  auditLog: undefined,
  importDir: undefined,
};

export type CliAction = { action: 'help' } | { action: 'version' } | { action: 'run'; config: Config };

function label(setting: Setting): string {
  return `${setting.env} (${setting.flag})`;
}

function parseValue(setting: Setting, raw: string): Config[keyof Config] {
  const { kind } = setting;
  // Never echo a secret back, even in an error.
  const shown = kind.type === 'string' && kind.secret ? '(hidden)' : JSON.stringify(raw);
  switch (kind.type) {
    case 'string':
      if (raw.trim() === '') throw new ConfigError(`${label(setting)} must not be empty`);
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
      return url.toString().replace(/\/+$/, '');
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
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw new ConfigError(`${label(setting)} must be 1/true/yes or 0/false/no, got ${shown}`);
    }
    case 'list': {
      const names = raw
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '');
      if (names.length === 0) throw new ConfigError(`${label(setting)} must name at least one tool`);
      return names;
    }
    case 'enum': {
      const v = raw.trim().toLowerCase();
      if (!kind.values.includes(v)) throw new ConfigError(`${label(setting)} must be one of ${kind.values.join(', ')}, got ${shown}`);
      return v;
    }
  }
}

/** Reads settings; throws ConfigError with a one-line message naming the setting. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): CliAction {
  const config: Config = { ...DEFAULTS };
  const assign = (setting: Setting, raw: string): void => {
    (config as unknown as Record<string, unknown>)[setting.key] = parseValue(setting, raw);
  };
  for (const setting of SETTINGS) {
    const raw = env[setting.env];
    if (raw !== undefined && !(setting.kind.type === 'string' && raw === '')) assign(setting, raw);
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
  if ((config.apiKey === undefined) !== (config.apiSecret === undefined)) {
    throw new ConfigError('COUPONTOOLS_API_KEY and COUPONTOOLS_API_SECRET go together: set both for the live API, or neither for the sandbox');
  }
  return { action: 'run', config };
}

/** True when the server talks to the embedded sandbox rather than the live API. */
export function usesSandbox(config: Config): boolean {
  return config.sandbox || config.apiKey === undefined;
}

export function helpText(name: string, version: string): string {
  const rows = SETTINGS.map((s) => {
    const placeholder = s.kind.type === 'enum' ? s.kind.values.join('|') : s.kind.type === 'int' ? 'n' : s.kind.type === 'list' ? 'a,b' : 'value';
    const arg = s.kind.type === 'bool' ? s.flag : `${s.flag} <${placeholder}>`;
    return `  ${arg.padEnd(34)} ${s.env}\n  ${''.padEnd(34)} ${s.help} Default: ${s.defaultText}.`;
  });
  return [
    `${name} ${version} — MCP server (stdio) for the Coupontools loyalty API v4`,
    '',
    `Usage: ${name} [options]`,
    '',
    'Every option has a matching environment variable; the option wins.',
    'Without credentials the server runs against its embedded sandbox (simulated data).',
    '',
    ...rows,
    `  ${'--help'.padEnd(34)} Show this help.`,
    `  ${'--version'.padEnd(34)} Show the version.`,
    '',
  ].join('\n');
}
