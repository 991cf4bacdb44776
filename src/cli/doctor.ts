// `coupontools-mcp doctor [--json]`: a read-only diagnosis of the configured account and wire, ending with the wire profile to use.
import { lookup } from 'node:dns/promises';
import { cardsPath, holderPath, holdersPath } from '../../tools/paths.js';
import { listItems, requireObject, type JsonObject } from '../../tools/responses.js';
import { connectApi } from '../coupontools/connect.js';
import { ConfigError, DEFAULT_BASE_URL, parseConfig, usesSandbox, wireProfileOf, type Config } from '../config.js';
import { CoupontoolsError } from '../coupontools/errors.js';
import type { ApiRequest, ApiResponse } from '../coupontools/client.js';
import { redactor, type Logger } from '../log.js';
import { describeUrl, RedisStore } from '../state/redis-store.js';
import { packageInfo } from '../package-info.js';
import { inertJson, promptLine, quoted } from '../pipeline/prompt-text.js';
import {
  ALIASABLE_FIELDS,
  encodeListQuery,
  LIST_ENCODINGS,
  PAGE_SIZE_KEYS,
  pagingProblem,
  profileSettings,
  type AliasableField,
  type ListEncoding,
  type PageSizeKey,
  type WireProfile,
} from '../coupontools/wire-profile.js';

export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  mode: 'live' | 'sandbox';
  base_url: string;
  checks: Check[];
  /** The settings to paste (env variable → value). */
  profile: Record<string, string>;
}

interface Api {
  request(req: ApiRequest): Promise<ApiResponse>;
}

/** How many cards doctor looks at to find one with holders to probe paging on. */
const CARDS_TO_TRY = 5;

/** Names other APIs use for the holder fields we read, tried when ours is absent. */
const FIELD_CANDIDATES: Record<'balance' | 'rewards' | 'voided' | 'wallet_installed', readonly string[]> = {
  balance: ['balance', 'stamp_count', 'stamps_count', 'current_stamps', 'points_balance', 'point_count', 'saldo', 'credits'],
  rewards: ['reward_list', 'available_rewards', 'vouchers', 'prizes', 'rewards_list'],
  voided: ['is_voided', 'void', 'is_void', 'blocked'],
  wallet_installed: ['wallet', 'has_wallet', 'in_wallet', 'wallet_pass', 'pass_installed', 'is_wallet_installed'],
};

/** Fields a filter probe may use, most selective first. */
const FILTER_FIELDS = ['email', 'phone', 'last_name', 'first_name'] as const;

const RATE_LIMIT_HEADER = /rate-?limit|^retry-after$/i;

/** API text in a report line: quoted, one line, nothing a terminal acts on (ids and field names may be anything). */
const q = (value: unknown, max?: number): string => quoted(String(value), max);

function describeError(err: unknown): string {
  if (!(err instanceof CoupontoolsError)) return promptLine(err instanceof Error ? err.message : String(err), 160);
  const head = err.status !== undefined ? `HTTP ${err.status}${err.apiCode ? ` (code ${q(err.apiCode, 40)})` : ''}` : '';
  // The API's own message is quoted; our detail may carry an excerpt of its body, so it is made one inert line too.
  const text = err.apiMessage !== undefined ? q(err.apiMessage, 160) : promptLine(err.detail ?? err.kind, 160);
  return [head, text].filter(Boolean).join(': ');
}

/** The list in an answer and how it came: bare, or wrapped under which key, with which metadata. */
function shapeOf(data: unknown): { items: JsonObject[]; shape: string; metaKeys: string[] } {
  const { items, meta } = listItems(data);
  if (Array.isArray(data)) return { items, shape: 'a bare array', metaKeys: [] };
  const wrapper = data as JsonObject;
  const key = Object.keys(wrapper).find((k) => Array.isArray(wrapper[k]));
  const metaKeys = Object.keys(meta).filter((k) => k !== key && !Array.isArray(meta[k]) && (meta[k] === null || typeof meta[k] !== 'object')).map((k) => q(k));
  return { items, shape: `wrapped under ${q(key)}`, metaKeys };
}

const sameItem = (a: JsonObject | undefined, b: JsonObject | undefined): boolean => a !== undefined && b !== undefined && String(a.id) === String(b.id);

/** A check line made inert (the text report and --json alike), whatever API or Redis text its detail quotes. */
const inert = (check: Check): Check => ({ ...check, detail: promptLine(check.detail, Infinity), ...(check.fix !== undefined ? { fix: promptLine(check.fix, Infinity) } : {}) });

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The shared state store, when Redis is configured: does it answer, and can it keep a claim (live values, one line a fact). */
async function stateStoreChecks(config: Config): Promise<Check[]> {
  if (config.redisUrl === undefined) return [];
  const where = describeUrl(config.redisUrl);
  // Opened as the server opens it (the same reading of its settings), but never refusing: doctor reports.
  const store = await RedisStore.open(config.redisUrl, quiet);
  try {
    const ready = await store.ready();
    if (!ready.ok) {
      return [{ name: 'state store', verdict: 'fail', detail: `Redis at ${where}: ${ready.detail}.`, fix: 'Check COUPONTOOLS_REDIS_URL (host, port, password, TLS); until Redis answers, add_stamps with an idempotency_key and calls that need a confirm_token are refused, and nothing is sent for them.' }];
    }
    const checks: Check[] = [{ name: 'state store', verdict: 'ok', detail: `Redis at ${where} answers.` }];
    const durability = store.durability;
    if (durability === undefined) {
      checks.push({ name: 'persistence', verdict: config.redisRequireDurable ? 'fail' : 'warn', detail: `Redis at ${where} did not say how it keeps keys (INFO could not be read).`, fix: 'Make sure maxmemory-policy is noeviction and AOF (appendonly yes) is on.' });
      return checks;
    }
    const refused = config.redisRequireDurable ? ' COUPONTOOLS_REDIS_REQUIRE_DURABLE is on, so the server refuses to start on this Redis.' : ' Until then, exactly-once add_stamps rests on Redis keeping what it was given.';
    for (const fact of durability.facts) {
      checks.push({ name: fact.name, verdict: fact.keeps === true ? 'ok' : config.redisRequireDurable ? 'fail' : 'warn', detail: fact.detail, ...(fact.fix !== undefined ? { fix: `${fact.fix}${refused}` } : {}) });
    }
    return checks;
  } finally {
    await store.close();
  }
}

/** Runs every check against `api` (and the state store, when Redis is configured); reads only. */
export async function diagnose(config: Config, api: Api, target: { mode: 'live' | 'sandbox'; baseUrl: string }): Promise<DoctorReport> {
  const configured = wireProfileOf(config);
  const recommended: WireProfile = { ...configured, fieldAliases: { ...configured.fieldAliases } };
  const checks: Check[] = [];
  const add = (check: Check): void => void checks.push(inert(check));
  // Read first, reported last (after whichever API check ends the run).
  const storeChecks = (await stateStoreChecks(config)).map(inert);
  const headersSeen = new Map<string, string>();
  const get = async (path: readonly (string | number)[], query?: [string, string][]): Promise<ApiResponse> => {
    const res = await api.request({ method: 'GET', path, ...(query ? { query } : {}) });
    for (const [name, value] of Object.entries(res.headers ?? {})) if (RATE_LIMIT_HEADER.test(name) && value !== undefined) headersSeen.set(q(name), q(value));
    return res;
  };
  const report = (): DoctorReport => ({
    ok: ![...checks, ...storeChecks].some((c) => c.verdict === 'fail'),
    mode: target.mode,
    base_url: target.baseUrl,
    checks: [...checks, ...storeChecks],
    profile: profileSettings(recommended),
  });

  const url = new URL(target.baseUrl);
  const hostPort = `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  const baseFix = `Check COUPONTOOLS_BASE_URL (now ${target.baseUrl}; the live API is ${DEFAULT_BASE_URL}).`;

  // 1. The host name resolves.
  try {
    const { address } = await lookup(url.hostname.replace(/^\[|\]$/g, ''));
    add({ name: 'host', verdict: 'ok', detail: `${url.hostname} resolves (${address}).` });
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    add({ name: 'host', verdict: 'fail', detail: `${url.hostname} does not resolve (${code}).`, fix: `${baseFix} Is the machine online?` });
    return report();
  }

  // 2. It answers, takes the credentials, and lists the cards.
  let cards: JsonObject[];
  try {
    const res = await get(cardsPath);
    add({ name: 'connection', verdict: 'ok', detail: `${url.protocol === 'https:' ? 'TLS connection' : 'connection'} to ${hostPort} works (HTTP ${res.status}).` });
    add({ name: 'credentials', verdict: 'ok', detail: 'The API accepted the key pair.' });
    let shape;
    try {
      shape = shapeOf(res.data);
    } catch {
      add({ name: 'cards', verdict: 'fail', detail: 'GET /loyalty/loyalty-cards answered JSON without a list of cards.', fix: `${baseFix} It must point at the v4 API.` });
      return report();
    }
    cards = shape.items;
    const fields = cards[0] ? ` Card fields: ${Object.keys(cards[0]).map((k) => q(k)).join(', ')}.` : '';
    add({ name: 'cards', verdict: cards.length > 0 ? 'ok' : 'warn', detail: `${cards.length} card(s), as ${shape.shape}.${fields}`, ...(cards.length === 0 ? { fix: 'Create a loyalty card in Coupontools first; nothing else can be checked without one.' } : {}) });
  } catch (err) {
    if (!(err instanceof CoupontoolsError)) throw err;
    if (err.kind === 'network' || err.kind === 'timeout') {
      const code = err.networkCode ?? err.kind;
      const tls = /CERT|TLS|SSL/i.test(code);
      const fix = tls
        ? 'The TLS handshake failed: a proxy or a wrong host answers with another certificate. ' + baseFix
        : code === 'ECONNREFUSED'
          ? `Nothing listens at ${hostPort}. ${baseFix}`
          : `${baseFix} If it is right, check the network, a firewall or a proxy; COUPONTOOLS_CONNECT_TIMEOUT_MS and COUPONTOOLS_TIMEOUT_MS set the waits.`;
      add({ name: 'connection', verdict: 'fail', detail: `No answer from ${hostPort}: ${describeError(err)}`, fix });
      return report();
    }
    add({ name: 'connection', verdict: 'ok', detail: `${hostPort} answers.` });
    if (err.status === 401 || err.status === 403) {
      add({
        name: 'credentials',
        verdict: 'fail',
        detail: `The API refused the key pair (${describeError(err)}).`,
        fix: 'Set COUPONTOOLS_API_KEY to the API client id and COUPONTOOLS_API_SECRET to its secret, as shown in Coupontools under Account → API; check for spaces when pasting.',
      });
    } else if (err.kind === 'invalid_response') {
      add({ name: 'cards', verdict: 'fail', detail: `GET /loyalty/loyalty-cards: ${describeError(err)}`, fix: `${baseFix} It answers, but not as the JSON API (a website or a proxy page?).` });
    } else if (err.status === 404 || err.status === 405) {
      add({ name: 'cards', verdict: 'fail', detail: `GET /loyalty/loyalty-cards: ${describeError(err)}.`, fix: `${baseFix} It must end in /v4.` });
    } else {
      add({ name: 'cards', verdict: 'fail', detail: `GET /loyalty/loyalty-cards: ${describeError(err)}.`, fix: 'Run doctor again in a moment; if it stays, ask Coupontools support with this message.' });
    }
    return report();
  }

  // 3. Holder lists: one card with at least two holders is what the paging probe needs.
  let card: JsonObject | undefined;
  let holderCount = 0;
  let holdersLine = '';
  for (const candidate of cards.slice(0, CARDS_TO_TRY)) {
    let shape;
    try {
      shape = shapeOf((await get(holdersPath(String(candidate.id)))).data);
    } catch (err) {
      add({ name: 'holders', verdict: 'fail', detail: `GET the holders of card ${q(candidate.id)}: ${describeError(err)}.`, fix: 'list_users cannot work until this list can be read; ask Coupontools support with this message.' });
      return report();
    }
    if (card === undefined || shape.items.length > holderCount) {
      card = candidate;
      holderCount = shape.items.length;
      const meta = shape.metaKeys.length > 0 ? `metadata: ${shape.metaKeys.join(', ')}` : 'no paging metadata (has_more comes from the page being full)';
      holdersLine = `Card ${q(candidate.id)}: ${holderCount} holder(s) on the first page, as ${shape.shape}; ${meta}.`;
    }
    if (holderCount >= 2) break;
  }
  if (card !== undefined) add({ name: 'holders', verdict: 'ok', detail: holdersLine });
  if (card === undefined) return finish();
  const cardId = String(card.id);

  // 4. Paging: which encoding the API honours, probed with a page size of 1.
  const probe = async (encoding: ListEncoding, sizeKey: PageSizeKey): Promise<{ honoured: boolean; why: string; first?: JsonObject }> => {
    const profile = { listEncoding: encoding, pageSizeKey: sizeKey };
    try {
      const one = listItems((await get(holdersPath(cardId), encodeListQuery(profile, { page: 1, limit: 1 }))).data).items;
      const two = listItems((await get(holdersPath(cardId), encodeListQuery(profile, { page: 2, limit: 1 }))).data).items;
      const problem = pagingProblem(profile, { page: 1, limit: 1 }, one) ?? pagingProblem(profile, { page: 2, limit: 1 }, two, one[0]);
      if (problem) return { honoured: false, why: problem.replace(/^Paging was not honoured: /, '').replace(/ \(sent as .*\)\.$/, '') };
      if (one.length !== 1) return { honoured: false, why: 'page 1 with a page size of 1 came back empty' };
      return { honoured: true, why: 'page size and page number honoured', first: one[0] as JsonObject };
    } catch (err) {
      return { honoured: false, why: `refused (${describeError(err)})` };
    }
  };
  let sample: JsonObject | undefined;
  const label = (e: string, k: string): string => `${e}/${k}`;
  if (holderCount < 2) {
    add({ name: 'paging', verdict: 'warn', detail: 'Not checked: no card has two holders to page through.', fix: 'Run doctor again once a card has at least two holders; until then the configured encoding is kept.' });
  } else {
    const current = await probe(configured.listEncoding, configured.pageSizeKey);
    if (current.honoured) {
      sample = current.first;
      add({ name: 'paging', verdict: 'ok', detail: `${label(configured.listEncoding, configured.pageSizeKey)} (as configured): ${current.why}.` });
    } else {
      const tried = [`${label(configured.listEncoding, configured.pageSizeKey)}: ${current.why}`];
      let found: { encoding: ListEncoding; sizeKey: PageSizeKey } | undefined;
      for (const encoding of LIST_ENCODINGS) {
        for (const sizeKey of PAGE_SIZE_KEYS) {
          if (found || (encoding === configured.listEncoding && sizeKey === configured.pageSizeKey)) continue;
          const result = await probe(encoding, sizeKey);
          if (result.honoured) {
            found = { encoding, sizeKey };
            sample = result.first;
          } else tried.push(`${label(encoding, sizeKey)}: ${result.why}`);
        }
      }
      if (found) {
        recommended.listEncoding = found.encoding;
        recommended.pageSizeKey = found.sizeKey;
        add({
          name: 'paging',
          verdict: 'fail',
          detail: `Not honoured as configured (${tried[0]}); ${label(found.encoding, found.sizeKey)} is.`,
          fix: `Set COUPONTOOLS_LIST_ENCODING=${found.encoding} and COUPONTOOLS_PAGE_SIZE_KEY=${found.sizeKey} (in the profile below).`,
        });
      } else {
        add({
          name: 'paging',
          verdict: 'fail',
          detail: `The API honoured no known paging encoding. ${tried.join('; ')}.`,
          fix: 'list_users would repeat or overflow pages; find holders with a filter (e.g. by email) and report this output to the coupontools-mcp maintainers.',
        });
      }
    }
  }

  // 5. Filter: the same encoding, on a field the sampled holder has (the value itself is never shown).
  const first = sample ?? (await firstHolder());
  const field = first ? FILTER_FIELDS.find((f) => typeof first[f] === 'string' && (first[f] as string).length > 0) : undefined;
  if (!first || !field) {
    add({ name: 'filter', verdict: 'skip', detail: 'Not checked: no holder with an email, phone or name to look up.' });
  } else {
    const value = first[field] as string;
    try {
      const query = encodeListQuery(recommended, { filter: { [field]: value }, page: 1, limit: 50 });
      const found = listItems((await get(holdersPath(cardId), query)).data).items;
      const matches = found.filter((u) => typeof u[field] === 'string' && (u[field] as string).toLowerCase().includes(value.toLowerCase()));
      if (found.some((u) => sameItem(u, first)) && matches.length === found.length) {
        add({ name: 'filter', verdict: 'ok', detail: `Filtering by ${field} honoured (${found.length} match(es)).` });
      } else {
        add({
          name: 'filter',
          verdict: 'fail',
          detail: `Filtering by ${field} was not honoured: ${found.length} holder(s) came back, ${found.length - matches.length} of them with another ${field}.`,
          fix: 'list_users would return the wrong holders for a lookup. Check COUPONTOOLS_LIST_ENCODING; if doctor recommends the one set, report this output to the coupontools-mcp maintainers.',
        });
      }
    } catch (err) {
      // The API may quote the value it refused; the value is a customer's, so it is blanked.
      const refused = describeError(err).split(value).join(`(the ${field})`);
      add({ name: 'filter', verdict: 'fail', detail: `Filtering by ${field} was refused: ${refused}.`, fix: 'Check COUPONTOOLS_LIST_ENCODING (see the paging line).' });
    }
  }

  // 6. One holder's field names mapped onto ours.
  if (first) {
    try {
      const holder = requireObject((await get(holderPath(cardId, String(first.id)))).data, 'the holder');
      mapFields(holder, card, configured, recommended, add);
    } catch (err) {
      add({ name: 'holder fields', verdict: 'fail', detail: `GET one holder: ${describeError(err)}.`, fix: 'get_user cannot work until one holder can be read; ask Coupontools support with this message.' });
    }
  }
  return finish();

  async function firstHolder(): Promise<JsonObject | undefined> {
    try {
      return listItems((await get(holdersPath(cardId))).data).items[0];
    } catch {
      return undefined;
    }
  }

  function finish(): DoctorReport {
    const seen = [...headersSeen].map(([name, value]) => `${name}: ${value}`);
    add({
      name: 'rate limits',
      verdict: 'ok',
      detail: seen.length > 0 ? `Headers seen: ${seen.join(', ')}.` : `No rate-limit headers seen; the server keeps at most ${config.maxInFlight} requests in flight and backs off on 429.`,
    });
    add({
      name: 'bulk body',
      verdict: 'skip',
      detail: `Not probed (doctor never writes); create_users sends ${configured.bulkBody === 'array' ? 'a bare JSON array' : `{"${configured.bulkKey}": [...]}`}.`,
      fix: 'If create_users is refused with a 422 about the body, set COUPONTOOLS_BULK_BODY=wrapped (COUPONTOOLS_BULK_KEY=users, or stats).',
    });
    return report();
  }
}

/** Which of the holder's fields are our balance, rewards, voided and wallet fields; recommends aliases for the rest. */
function mapFields(holder: JsonObject, card: JsonObject, configured: WireProfile, recommended: WireProfile, add: (c: Check) => void): void {
  const names = Object.keys(holder);
  const aliasOf = (ours: AliasableField): string | undefined => Object.entries(configured.fieldAliases).find(([theirs, o]) => o === ours && names.includes(theirs))?.[0];
  const lines: string[] = [];
  const missing: string[] = [];
  const locate = (role: keyof typeof FIELD_CANDIDATES, ours: readonly AliasableField[]): void => {
    const direct = ours.find((o) => names.includes(o));
    if (direct) return void lines.push(`${role}: ${direct}`);
    const viaAlias = ours.map((o) => [o, aliasOf(o)] as const).find(([, theirs]) => theirs !== undefined);
    if (viaAlias) return void lines.push(`${role}: ${viaAlias[1]} (alias for ${viaAlias[0]})`);
    const theirs = FIELD_CANDIDATES[role].find((c) => names.includes(c));
    const target = ours[0] as AliasableField;
    if (theirs) {
      recommended.fieldAliases = { ...recommended.fieldAliases, [theirs]: target };
      lines.push(`${role}: ${theirs} (needs alias ${theirs}:${target})`);
      missing.push(`${theirs}:${target}`);
      return;
    }
    if (role === 'balance' && card.type === 'membership') return void lines.push('balance: none (membership card)');
    lines.push(`${role}: not found`);
  };
  const balanceNames: readonly AliasableField[] = card.type === 'points' ? ['points', 'stamps'] : ['stamps', 'points'];
  locate('balance', balanceNames);
  locate('rewards', ['rewards']);
  locate('voided', ['voided']);
  locate('wallet_installed', ['wallet_installed']);
  const unmapped = lines.filter((l) => l.endsWith('not found')).map((l) => l.split(':')[0]);
  const detail = `Holder ${q(holder.id)} has ${names.length} fields (${names.map((n) => q(n)).join(', ')}). ${lines.join('; ')}.`;
  if (missing.length > 0) {
    add({ name: 'holder fields', verdict: 'fail', detail, fix: `Set COUPONTOOLS_FIELD_ALIASES=${Object.entries(recommended.fieldAliases).map(([t, o]) => `${t}:${o}`).join(',')} (in the profile below) so the tools show ${missing.map((m) => m.split(':')[1]).join(', ')}.` });
  } else if (unmapped.length > 0) {
    add({ name: 'holder fields', verdict: 'warn', detail, fix: `Tools will not show ${unmapped.join(', ')}; if one of the fields above holds it, map it with COUPONTOOLS_FIELD_ALIASES=theirs:ours (ours: ${ALIASABLE_FIELDS.join(', ')}).` });
  } else {
    add({ name: 'holder fields', verdict: 'ok', detail });
  }
}

const MARK: Record<Verdict, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

export function formatReport(report: DoctorReport): string {
  const lines = [
    `${packageInfo.name} doctor — ${report.mode === 'sandbox' ? `SANDBOX (simulated data at ${report.base_url}; set COUPONTOOLS_API_KEY and COUPONTOOLS_API_SECRET to check your live account)` : `LIVE account at ${report.base_url}`}`,
    '',
  ];
  for (const check of report.checks) {
    lines.push(`  ${MARK[check.verdict]}  ${check.name.padEnd(13)} ${check.detail}`);
    if (check.fix && check.verdict !== 'ok') lines.push(`        ${''.padEnd(13)} → ${check.fix}`);
  }
  const failed = report.checks.filter((c) => c.verdict === 'fail').length;
  lines.push('', report.ok ? 'Verdict: the tools will work with the profile below.' : `Verdict: ${failed} problem(s) above; fix them (the profile below has the wire settings) and run doctor again.`);
  lines.push('', 'Wire profile (paste into your MCP client\'s "env" block or your shell):');
  for (const [name, value] of Object.entries(report.profile)) lines.push(`  ${name}=${value}`);
  return `${lines.join('\n')}\n`;
}

const HELP = `Usage: ${packageInfo.name} doctor [--json] [options]

Read-only diagnosis of the configured account and wire: the base URL resolves and answers, the
credentials are accepted, cards and holders can be listed, which paging encoding the API honours,
how a holder's fields are named, rate-limit headers; with COUPONTOOLS_REDIS_URL, whether that Redis
answers and can keep idempotency claims (eviction policy, persistence). Ends with the wire profile to use.
Never writes, never prints personal data or the secret. Exit 0 when the tools will work, 1 otherwise.
Takes the same settings as the server (see ${packageInfo.name} --help); without credentials it checks the sandbox.

  --json    One JSON object instead of the text report.
`;

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  const json = argv.includes('--json');
  let config: Config;
  try {
    const action = parseConfig(
      argv.filter((a) => a !== '--json'),
      process.env,
    );
    if (action.action !== 'run') {
      process.stdout.write(`${packageInfo.version}\n`);
      return;
    }
    config = action.config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${packageInfo.name} doctor: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  // One attempt per probe: doctor reports what happened instead of waiting through retries.
  const { client, sandbox } = await connectApi(config, { maxRetries: 0 }, 100);
  try {
    const report = await diagnose(config, client, { mode: usesSandbox(config) ? 'sandbox' : 'live', baseUrl: sandbox ? sandbox.url : config.baseUrl });
    // The secret is never put in a report; scrubbing anyway guards against an API that echoes it.
    const redact = redactor([config.apiSecret]);
    process.stdout.write(redact(json ? `${inertJson(JSON.stringify(report, null, 2))}\n` : formatReport(report)));
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await client.close();
    await sandbox?.close();
  }
}
