// The HTTP service's accounts: who may call (tokens, JWT subjects) and with which settings, from COUPONTOOLS_ACCOUNTS_FILE or the plain settings.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, withSettings, type Config } from '../config.js';

/** One account of the service: its callers and its own settings (credentials, safety). */
export interface AccountSpec {
  id: string;
  /** Static bearer tokens that act for this account. */
  tokens: string[];
  /** JWT `sub` values that act for this account. */
  subjects: string[];
  config: Config;
}

/** The account of a service without an accounts file. */
export const DEFAULT_ACCOUNT = 'default';
/** Shorter static tokens are guessable; refused at start-up. */
export const MIN_TOKEN_LENGTH = 16;

/** What an account may set for itself; the service's own settings (port, auth, …) are server-wide. */
const PER_ACCOUNT = new Set<keyof Config>([
  'apiKey',
  'apiSecret',
  'baseUrl',
  'timeoutMs',
  'connectTimeoutMs',
  'maxInFlight',
  'maxRetries',
  'confirm',
  'readOnly',
  'tools',
  'dryRun',
  'auditLog',
  'sandbox',
  'sandboxState',
]);

const accountsFileSchema = z.strictObject({
  accounts: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'account ids are 1-64 characters of A-Z a-z 0-9 _ . -'),
      z.strictObject({
        tokens: z.array(z.string().min(MIN_TOKEN_LENGTH, `tokens are at least ${MIN_TOKEN_LENGTH} characters`)).optional(),
        subjects: z.array(z.string().min(1)).optional(),
        settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      }),
    )
    .refine((accounts) => Object.keys(accounts).length > 0, 'names no account'),
});

/** Splits COUPONTOOLS_HTTP_TOKENS; each token must be long enough. */
export function parseTokens(raw: string | undefined): string[] {
  const tokens = (raw ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (tokens.some((t) => t.length < MIN_TOKEN_LENGTH)) {
    throw new ConfigError(`COUPONTOOLS_HTTP_TOKENS (--http-tokens): each token must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  return tokens;
}

/**
 * The accounts the service serves. Without a file: one account with the service's own settings,
 * reached with any COUPONTOOLS_HTTP_TOKENS token (or any valid JWT). With a file: each account
 * starts from the service's settings minus credentials and sandbox file (never inherited, so no
 * account acts with another's), then applies its own.
 */
export function loadAccounts(config: Config): AccountSpec[] {
  const envTokens = parseTokens(config.httpTokens);
  if (config.accountsFile === undefined) return [{ id: DEFAULT_ACCOUNT, tokens: envTokens, subjects: [], config }];
  const where = `COUPONTOOLS_ACCOUNTS_FILE (${config.accountsFile})`;
  if (envTokens.length > 0) {
    throw new ConfigError(`${where}: tokens go in the accounts file, each with its account; unset COUPONTOOLS_HTTP_TOKENS`);
  }
  let text: string;
  try {
    text = readFileSync(config.accountsFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`${where}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${where}: not valid JSON`);
  }
  const parsed = accountsFileSchema.safeParse(json);
  if (!parsed.success) {
    // Paths and messages only: an issue's input could be a secret.
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${where}: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid'}`);
  }
  const base: Config = { ...config, apiKey: undefined, apiSecret: undefined, sandboxState: undefined };
  const seenTokens = new Set<string>();
  const seenSubjects = new Set<string>();
  return Object.entries(parsed.data.accounts).map(([id, entry]) => {
    const tokens = entry.tokens ?? [];
    const subjects = entry.subjects ?? [];
    if (tokens.length + subjects.length === 0) throw new ConfigError(`${where}: account ${id} has neither tokens nor subjects, so nobody could use it`);
    for (const token of tokens) {
      if (seenTokens.has(token)) throw new ConfigError(`${where}: account ${id} repeats a token of another account`);
      seenTokens.add(token);
    }
    for (const subject of subjects) {
      if (seenSubjects.has(subject)) throw new ConfigError(`${where}: subject ${JSON.stringify(subject)} is given to two accounts`);
      seenSubjects.add(subject);
    }
    return { id, tokens, subjects, config: withSettings(base, entry.settings ?? {}, PER_ACCOUNT, `${where}: account ${id}: `) };
  });
}
