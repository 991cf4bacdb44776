// Start-up refuses a base URL that can only go wrong, warns about live credentials in clear text, never echoes a URL's credentials, and reads a blank setting as its default.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, plainHttpWarning, SETTINGS, withSettings, type Config } from '../../src/config.js';
import { BIN, cleanEnv, expectSandboxDefaults, runBuilt } from '../support/binary.js';

const run = (env: Record<string, string>) => runBuilt('index.js', [], env);
const LIVE = { COUPONTOOLS_API_KEY: 'client-id-startup', COUPONTOOLS_API_SECRET: 'startup-secret-4f1a9c' };

function refusal(env: Record<string, string>): string {
  try {
    parseConfig([], env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('accepted');
}

function configOf(env: Record<string, string>): Config {
  const action = parseConfig([], env);
  if (action.action !== 'run') throw new Error('unexpected');
  return action.config;
}

describe('the base URL at start-up', () => {
  it.each([
    ['a fragment', 'https://api.coupontools.com/v4#frag'],
    ['a query string', 'https://api.coupontools.com/v4?debug=1'],
    ['an empty query', 'https://api.coupontools.com/v4?'],
    ['an empty fragment', 'https://api.coupontools.com/v4#'],
  ])('with %s is refused (paths would be appended to it)', (_what, url) => {
    expect(refusal({ COUPONTOOLS_BASE_URL: url })).toMatch(/^COUPONTOOLS_BASE_URL \(--base-url\) must not have a query string or fragment/);
  });

  it.each([
    ['an unsupported scheme', 'ftp://admin:hunter2-pass@files.example.com/v4'],
    ['no scheme at all', 'admin:hunter2-pass@api.example.com/v4'],
    ['no host', 'https://admin:hunter2-pass@'],
    ['a bad port', 'https://admin:hunter2-pass@api.example.com:99999/v4'],
    ['credentials and a fragment', 'https://admin:hunter2-pass@api.example.com/v4#x'],
  ])('with %s is refused without echoing its credentials', (_what, url) => {
    const message = refusal({ COUPONTOOLS_BASE_URL: url });
    expect(message).toMatch(/^COUPONTOOLS_BASE_URL/);
    expect(message).not.toContain('hunter2-pass');
  });

  it('the built binary stops with exit 2 and one line', async () => {
    const r = await run({ COUPONTOOLS_BASE_URL: 'https://api.coupontools.com/v4#frag' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/must not have a query string or fragment/);
  });

  it('plain http:// to a remote host with live credentials warns on stderr, naming the risk', async () => {
    // stdin ends at once, so the server stops before it would send anything.
    const r = await run({ ...LIVE, COUPONTOOLS_BASE_URL: 'http://api.example.com/v4' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: COUPONTOOLS_BASE_URL is plain http:\/\/ to api\.example\.com: the API key and secret go over the network unencrypted/);
    expect(r.stderr).not.toContain(LIVE.COUPONTOOLS_API_SECRET);
  });

  it.each(['http://127.0.0.1:8080/v4', 'http://localhost:8080/v4', 'http://[::1]:8080/v4', 'https://api.example.com/v4'])('%s with live credentials: no warning', (url) => {
    expect(plainHttpWarning(configOf({ ...LIVE, COUPONTOOLS_BASE_URL: url }))).toBeUndefined();
  });

  it('plain http:// without credentials (sandbox: nothing is sent there): no warning', () => {
    expect(plainHttpWarning(configOf({ COUPONTOOLS_BASE_URL: 'http://api.example.com/v4' }))).toBeUndefined();
    expect(plainHttpWarning(configOf({ ...LIVE, COUPONTOOLS_SANDBOX: '1', COUPONTOOLS_BASE_URL: 'http://api.example.com/v4' }))).toBeUndefined();
  });
});

describe('an empty setting means its default', () => {
  const defaults = configOf({});
  const blank = (value: string): Record<string, string> => Object.fromEntries(SETTINGS.map((s) => [s.env, value]));

  it.each(SETTINGS.map((s) => [s.env, s.flag] as const))('%s empty or only whitespace, or %s= empty: the default, not an error', (env, flag) => {
    for (const value of ['', '  ', ' \t ']) expect(configOf({ [env]: value }), JSON.stringify(value)).toEqual(defaults);
    const action = parseConfig([`${flag}=`], {});
    expect(action.action === 'run' && action.config).toEqual(defaults);
  });

  it('every setting blank at once, in the environment and as flags: the defaults', () => {
    const action = parseConfig([...SETTINGS.map((s) => `${s.flag}=`), '--confirm', ''], blank(''));
    expect(action.action === 'run' && action.config).toEqual(defaults);
  });

  it('a blank flag is a flag not given: it does not undo the environment', () => {
    const action = parseConfig(['--confirm=', '--max-retries', ' '], { COUPONTOOLS_CONFIRM: 'off', COUPONTOOLS_MAX_RETRIES: '5' });
    expect(action.action === 'run' && [action.config.confirm, action.config.maxRetries]).toEqual(['off', 5]);
  });

  it('a blank entry in an accounts file keeps the service-wide value', () => {
    const base = configOf({ COUPONTOOLS_CONFIRM: 'elicit' });
    const account = withSettings(base, { COUPONTOOLS_CONFIRM: '', COUPONTOOLS_AUDIT_LOG: ' ' }, new Set<keyof Config>(['confirm', 'auditLog']), 'account a: ');
    expect([account.confirm, account.auditLog]).toEqual(['elicit', undefined]);
  });

  it('the built server started with every setting set to "" runs on its defaults (the sandbox, every tool)', async () => {
    const client = new Client({ name: 'blank-form', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN], env: cleanEnv(blank('')), stderr: 'ignore' }));
    try {
      await expectSandboxDefaults(client);
    } finally {
      await client.close();
    }
  });
});
