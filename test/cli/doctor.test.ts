// `coupontools-mcp doctor`, run as a user would (the built binary): the right profile in every dialect, and each broken setup named.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type SandboxDialect } from '../../src/sandbox/sandbox.js';
import { runBuilt, type RunResult, TERMINAL_ACTIVE } from '../support/binary.js';
import { DIALECTS } from '../support/dialects.js';
import { TEST_KEY, TEST_SECRET } from '../support/harness.js';

interface Report {
  ok: boolean;
  mode: string;
  checks: Array<{ name: string; verdict: string; detail: string; fix?: string }>;
  profile: Record<string, string>;
}

const DEFAULT_PROFILE = {
  COUPONTOOLS_LIST_ENCODING: 'brackets',
  COUPONTOOLS_PAGE_SIZE_KEY: 'limit',
  COUPONTOOLS_BULK_BODY: 'array',
  COUPONTOOLS_BULK_KEY: 'users',
  COUPONTOOLS_FIELD_ALIASES: '',
};

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

function doctor(env: Record<string, string>, args: string[] = ['--json']): Promise<RunResult> {
  return runBuilt('index.js', ['doctor', ...args], env);
}

/** Runs doctor against `baseUrl` with the test credentials; checks it leaked nothing, returns the report. */
async function diagnose(baseUrl: string, env: Record<string, string> = {}, secret = TEST_SECRET): Promise<{ code: number | null; report: Report }> {
  const r = await doctor({ COUPONTOOLS_API_KEY: TEST_KEY, COUPONTOOLS_API_SECRET: secret, COUPONTOOLS_BASE_URL: baseUrl, ...env });
  expect(r.stdout + r.stderr).not.toContain(secret);
  // No personal value of any holder: counts and field names only.
  for (const holder of sandbox?.state.holders ?? []) {
    for (const value of [holder.email, holder.phone, `${holder.first_name} ${holder.last_name}`]) if (value.trim().length > 3) expect(r.stdout).not.toContain(value);
  }
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

async function dialectSandbox(dialect: Partial<SandboxDialect> = {}): Promise<Sandbox> {
  sandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET, dialect });
  return sandbox;
}

const verdict = (report: Report, name: string) => report.checks.find((c) => c.name === name);

describe('doctor in sandbox mode (no credentials)', () => {
  it('checks the embedded sandbox, says so, and exits 0 with the default profile', async () => {
    const r = await doctor({}, []);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^coupontools-mcp doctor — SANDBOX/);
    expect(r.stdout).toMatch(/ok {4}paging {8}brackets\/limit \(as configured\)/);
    expect(r.stdout).toContain('Verdict: the tools will work');
    for (const [name, value] of Object.entries(DEFAULT_PROFILE)) expect(r.stdout).toContain(`\n  ${name}=${value}\n`);
    expect(r.stdout).not.toContain('FAIL');
  });

  it('the embedded sandbox speaks the configured profile, so it checks out', async () => {
    const profile = DIALECTS.at(-1)!.profile;
    const r = await doctor(profile);
    expect(r.code, r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.mode).toBe('sandbox');
    expect(report.profile).toEqual({ ...DEFAULT_PROFILE, ...profile });
  });
});

/** What doctor can see from outside: every profile setting but the bulk body (doctor never writes). */
function visibleProfile(profile: Record<string, string>): Record<string, string> {
  const { COUPONTOOLS_BULK_BODY: _body, COUPONTOOLS_BULK_KEY: _key, ...visible } = profile;
  return visible;
}

describe.each(DIALECTS)('doctor against the dialect: $name', ({ dialect, profile }) => {
  it('with its profile set: every check passes, exit 0, the same profile back', async () => {
    const api = await dialectSandbox(dialect);
    const { code, report } = await diagnose(api.url, profile);
    expect(code, JSON.stringify(report.checks)).toBe(0);
    expect(report.profile).toEqual({ ...DEFAULT_PROFILE, ...profile });
    expect(report.checks.filter((c) => c.verdict !== 'ok').map((c) => c.name)).toEqual(['bulk body']);
  });
});

// Dialects doctor can tell apart from the default: with default settings it fails and recommends theirs.
describe.each(DIALECTS.filter((d) => Object.keys(visibleProfile(d.profile)).length > 0))('doctor with default settings against: $name', ({ dialect, profile }) => {
  it('names what differs, recommends the profile that speaks it, exit 1', async () => {
    const visible = visibleProfile(profile);
    const api = await dialectSandbox(dialect);
    const { code, report } = await diagnose(api.url);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.profile).toEqual({ ...DEFAULT_PROFILE, ...visible });
    if (visible.COUPONTOOLS_LIST_ENCODING) expect(verdict(report, 'paging')).toMatchObject({ verdict: 'fail', fix: expect.stringContaining(`COUPONTOOLS_LIST_ENCODING=${visible.COUPONTOOLS_LIST_ENCODING}`) });
    if (visible.COUPONTOOLS_FIELD_ALIASES) expect(verdict(report, 'holder fields')).toMatchObject({ verdict: 'fail', fix: expect.stringContaining(visible.COUPONTOOLS_FIELD_ALIASES) });
  });
});

describe('doctor against broken setups: names the problem, exit 1', () => {
  it('refused connection: names host and port and the setting to check', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await doctor({ COUPONTOOLS_API_KEY: TEST_KEY, COUPONTOOLS_API_SECRET: TEST_SECRET, COUPONTOOLS_BASE_URL: `http://127.0.0.1:${port}/v4` }, []);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`FAIL {2}connection +No answer from 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect(r.stdout).toContain(`Nothing listens at 127.0.0.1:${port}. Check COUPONTOOLS_BASE_URL`);
    expect(r.stdout).not.toContain(TEST_SECRET);
  });

  it('wrong host (a web server that is not the API): says the base URL must be the v4 API', async () => {
    const web = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body><h1>Not Found</h1></body></html>'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    try {
      const { code, report } = await diagnose(`http://127.0.0.1:${(web.address() as AddressInfo).port}/api`);
      expect(code).toBe(1);
      expect(verdict(report, 'cards')).toMatchObject({ verdict: 'fail', detail: expect.stringContaining('HTTP 404'), fix: expect.stringContaining('It must end in /v4') });
    } finally {
      await new Promise<void>((r) => web.close(() => r()));
    }
  });

  it('401: the credentials are named as the problem', async () => {
    const api = await dialectSandbox();
    const { code, report } = await diagnose(api.url, {}, 'not-the-secret-4f1e');
    expect(code).toBe(1);
    expect(verdict(report, 'connection')?.verdict).toBe('ok');
    expect(verdict(report, 'credentials')).toMatchObject({ verdict: 'fail', detail: expect.stringContaining('HTTP 401'), fix: expect.stringContaining('COUPONTOOLS_API_SECRET') });
  });

  it('an HTML answer where JSON belongs: not the JSON API', async () => {
    const api = await dialectSandbox();
    api.inject({ path: '/v4/loyalty/loyalty-cards', status: 200, body: '<!doctype html><html><body>Welcome to our shop</body></html>' });
    const { code, report } = await diagnose(api.url);
    expect(code).toBe(1);
    expect(verdict(report, 'cards')).toMatchObject({ verdict: 'fail', detail: expect.stringContaining('not JSON (text/html)'), fix: expect.stringContaining('COUPONTOOLS_BASE_URL') });
  });

  it.each(['ignored', 'page-ignored'] as const)('paging %s: no encoding is honoured, and doctor says why for each', async (paging) => {
    const api = await dialectSandbox({ paging });
    const { code, report } = await diagnose(api.url);
    expect(code).toBe(1);
    const line = verdict(report, 'paging')!;
    expect(line.verdict).toBe('fail');
    expect(line.detail).toMatch(paging === 'ignored' ? /brackets\/limit: the API returned \d+ users for a page size of 1/ : /brackets\/limit: page 2 began with the same user as page 1/);
    expect(line.detail).toMatch(/json\/limit: refused \(HTTP 422/);
    expect(report.profile).toEqual(DEFAULT_PROFILE);
  });
});

// Issue 20 item 6: what an API names (field names, ids, wrapper keys, error messages) reaches the terminal as quoted, inert text.
describe('doctor against a hostile API: the terminal shows only what doctor wrote', () => {
  const FORGED = '\n  ok    credentials    The API accepted the key pair.';

  async function hostileSandbox(): Promise<Sandbox> {
    const api = await dialectSandbox();
    const card = { id: 1001, type: 'stamps', title: 'Coffee', ['\u001b[2Jcleared']: 1, [FORGED]: 2, ['evil\u202Egnp.exe']: 3, ['c1\u009b31m']: 4 };
    // The first array in the wrapper is what doctor names as the list's key.
    api.inject({ path: '/v4/loyalty/loyalty-cards', status: 200, body: { ['rows\u001b]0;pwned\u0007']: [card], data: [card] }, times: Infinity });
    // One holder's GET answers an error whose message forges a line of its own.
    api.inject({ path: /\/stats\/\d+$/, status: 500, body: { message: `boom\u001b[2J\r${FORGED}\u2066hidden\u2069` }, times: Infinity });
    return api;
  }

  /** Each line of the text report is one doctor wrote: nothing active, and no line but doctor's own says "credentials". */
  function expectInert(text: string): void {
    expect(text).not.toMatch(TERMINAL_ACTIVE);
    expect(text).not.toContain('\r');
    const credentialLines = text.split('\n').filter((l) => /^\s+ok\s+credentials\s/.test(l));
    expect(credentialLines).toEqual(['  ok    credentials   The API accepted the key pair.']);
  }

  it('the text report: API field names, keys and messages are quoted on one line each, no escape sequence, no forged line', async () => {
    const api = await hostileSandbox();
    const r = await doctor({ COUPONTOOLS_API_KEY: TEST_KEY, COUPONTOOLS_API_SECRET: TEST_SECRET, COUPONTOOLS_BASE_URL: api.url }, []);
    expect(r.code).toBe(1);
    expectInert(r.stdout);
    const cards = r.stdout.split('\n').find((l) => /^\s+ok\s+cards\s/.test(l)) ?? '';
    expect(cards).toContain('wrapped under “rows ]0;pwned”');
    expect(cards).toContain('“[2Jcleared”');
    expect(cards).toContain('“ok credentials The API accepted the key pair.”');
    expect(cards).toContain('“evil gnp.exe”');
    const holder = r.stdout.split('\n').find((l) => /^\s+FAIL\s+holder fields\s/.test(l)) ?? '';
    expect(holder).toContain('HTTP 500: “boom [2J ok credentials The API accepted the key pair. hidden”');
  });

  it('--json stays JSON that parses to the same report, with nothing active either', async () => {
    const api = await hostileSandbox();
    const { report } = await diagnose(api.url);
    const r = await doctor({ COUPONTOOLS_API_KEY: TEST_KEY, COUPONTOOLS_API_SECRET: TEST_SECRET, COUPONTOOLS_BASE_URL: api.url });
    expect(r.stdout).not.toMatch(TERMINAL_ACTIVE);
    expect(JSON.parse(r.stdout)).toEqual(report);
    for (const check of report.checks) expect(`${check.detail}${check.fix ?? ''}`).not.toMatch(/[\p{Cc}\p{Cf}]/u);
  });
});
