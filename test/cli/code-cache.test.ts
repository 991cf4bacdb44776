// The stdio server's code cache: written by the first start, used (not rewritten) by the next,
// replaced when it is not valid or not private, never written when off, and free of the API secret.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDir } from '../../src/cli/code-cache.js';
import { secretForms } from '../../src/log.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { BIN, cleanEnv } from '../support/binary.js';
import { liveEnv, TEST_KEY, TEST_SECRET } from '../support/harness.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET });
});
afterAll(async () => {
  await sandbox.close();
});

/** One client session against the built binary in live mode: tools/list and one get_user, then the client closes stdin. */
async function session(env: Record<string, string>): Promise<void> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN],
    env: cleanEnv({ ...liveEnv(sandbox.url), ...env }),
    stderr: 'pipe',
  });
  const exited = new Promise<void>((resolve) => transport.onclose = () => resolve());
  const client = new Client({ name: 'code-cache-test', version: '1.0.0' });
  await client.connect(transport);
  expect((await client.listTools()).tools.length).toBeGreaterThan(5);
  const result = (await client.callTool({ name: 'get_user', arguments: { loyalty_card_id: 1001, user_id: 5001 } })) as CallToolResult;
  expect(result.isError ?? false).toBe(false);
  await client.close();
  await exited;
}

const cacheFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.v8cache')) : []);

describe('the code cache', () => {
  it('is written, private, by the first start and used without rewriting by the next', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ct-cc-')), 'cache');
    await session({ COUPONTOOLS_CODE_CACHE: dir });
    const [name] = cacheFiles(dir);
    expect(cacheFiles(dir)).toHaveLength(1);
    expect(name).toMatch(/^stdio-[0-9a-f]{32}\.v8cache$/);
    const file = join(dir, name as string);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = readFileSync(file);
    expect(first.length).toBeGreaterThan(10_000);
    const { mtimeMs, ino } = statSync(file);

    await session({ COUPONTOOLS_CODE_CACHE: dir });
    // A cache V8 accepted is left alone; one it rejected would have been written again at exit.
    expect(readdirSync(dir)).toEqual([name]);
    expect(statSync(file).ino).toBe(ino);
    expect(statSync(file).mtimeMs).toBe(mtimeMs);
    expect(readFileSync(file).equals(first)).toBe(true);
  });

  it('holds no form of the API secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-cc-'));
    await session({ COUPONTOOLS_CODE_CACHE: dir });
    const bytes = readFileSync(join(dir, cacheFiles(dir)[0] as string));
    // Both the bytes as text and as UTF-16 (V8 keeps some strings two bytes per character).
    for (const form of secretForms(TEST_SECRET)) {
      expect(bytes.includes(Buffer.from(form, 'latin1'))).toBe(false);
      expect(bytes.includes(Buffer.from(form, 'utf16le'))).toBe(false);
    }
  });

  it('replaces a file V8 rejects, and one that others could write, and the server still starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-cc-'));
    await session({ COUPONTOOLS_CODE_CACHE: dir });
    const file = join(dir, cacheFiles(dir)[0] as string);
    const good = readFileSync(file);

    writeFileSync(file, Buffer.alloc(good.length, 7));
    await session({ COUPONTOOLS_CODE_CACHE: dir });
    expect(readFileSync(file).equals(Buffer.alloc(good.length, 7))).toBe(false);
    expect(readFileSync(file).length).toBeGreaterThan(10_000);

    if (process.platform !== 'win32') {
      chmodSync(file, 0o666);
      await session({ COUPONTOOLS_CODE_CACHE: dir });
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
  });

  it('goes to the user cache folder by default, and nowhere when off', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ct-cc-home-'));
    await session({ HOME: home, XDG_CACHE_HOME: join(home, 'xdg') });
    expect(cacheFiles(join(home, 'xdg', 'coupontools-mcp'))).toHaveLength(1);

    const quiet = mkdtempSync(join(tmpdir(), 'ct-cc-home-'));
    await session({ HOME: quiet, XDG_CACHE_HOME: join(quiet, 'xdg'), COUPONTOOLS_CODE_CACHE: 'off' });
    expect(readdirSync(quiet)).toEqual([]);
  });

  it('keeps a few files per folder: those of other builds and Node versions beyond that are removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-cc-'));
    const old = ['a', 'b', 'c', 'd', 'e'].map((c) => `stdio-${c.repeat(32)}.v8cache`);
    for (const name of old) writeFileSync(join(dir, name), 'old', { mode: 0o600 });
    writeFileSync(join(dir, 'unrelated.txt'), 'mine');
    await session({ COUPONTOOLS_CODE_CACHE: dir });
    expect(cacheFiles(dir)).toHaveLength(4);
    expect(readdirSync(dir)).toContain('unrelated.txt');
  });
});

describe('cacheDir', () => {
  const home = '/home/ann';
  it.each<[string[], Record<string, string>, NodeJS.Platform, string | undefined]>([
    [[], {}, 'linux', '/home/ann/.cache/coupontools-mcp'],
    [[], { XDG_CACHE_HOME: '/var/cache/ann' }, 'linux', '/var/cache/ann/coupontools-mcp'],
    [[], {}, 'darwin', '/home/ann/Library/Caches/coupontools-mcp'],
    [[], { LOCALAPPDATA: 'C:/Users/ann/AppData/Local' }, 'win32', join('C:/Users/ann/AppData/Local', 'coupontools-mcp', 'Cache')],
    [[], { COUPONTOOLS_CODE_CACHE: '/tmp/cc' }, 'linux', '/tmp/cc'],
    [['--code-cache', '/tmp/flag'], { COUPONTOOLS_CODE_CACHE: '/tmp/cc' }, 'linux', '/tmp/flag'],
    [['--code-cache=off'], {}, 'linux', undefined],
    [[], { COUPONTOOLS_CODE_CACHE: 'OFF' }, 'darwin', undefined],
    // Blank means the default (a form leaves untouched fields ""), and a blank flag does not undo the env.
    [[], { COUPONTOOLS_CODE_CACHE: ' ' }, 'linux', '/home/ann/.cache/coupontools-mcp'],
    [['--code-cache='], {}, 'darwin', '/home/ann/Library/Caches/coupontools-mcp'],
    [['--code-cache', ''], { COUPONTOOLS_CODE_CACHE: '/tmp/cc' }, 'linux', '/tmp/cc'],
  ])('%j %j on %s → %s', (argv, env, platform, expected) => {
    expect(cacheDir(argv, env, platform, home)).toBe(expected);
  });
});
