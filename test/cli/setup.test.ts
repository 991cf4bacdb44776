// `coupontools-mcp setup`: each client's file layout, merging, backups, idempotency, --live without secrets on the command line.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CLIENTS, configBlock, configPath, merge, type ClientName, type Place } from '../../src/cli/setup.js';
import { BIN, cleanEnv, runBuilt, TERMINAL_ACTIVE } from '../support/binary.js';

const at = (platform: NodeJS.Platform, home: string, env: Record<string, string> = {}): Place => ({ platform, home, env, node: '/usr/bin/node', bin: '/opt/ct/dist/src/index.js' });

describe('setup: where each client keeps its servers', () => {
  const expected: Record<ClientName, Record<'linux' | 'darwin' | 'win32', string>> = {
    'claude-desktop': {
      linux: '/home/ann/.config/Claude/claude_desktop_config.json',
      darwin: '/Users/ann/Library/Application Support/Claude/claude_desktop_config.json',
      win32: 'C:\\Users\\ann\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
    },
    'claude-code': { linux: '/home/ann/.claude.json', darwin: '/Users/ann/.claude.json', win32: 'C:\\Users\\ann\\.claude.json' },
    cursor: { linux: '/home/ann/.cursor/mcp.json', darwin: '/Users/ann/.cursor/mcp.json', win32: 'C:\\Users\\ann\\.cursor\\mcp.json' },
    vscode: {
      linux: '/home/ann/.config/Code/User/mcp.json',
      darwin: '/Users/ann/Library/Application Support/Code/User/mcp.json',
      win32: 'C:\\Users\\ann\\AppData\\Roaming\\Code\\User\\mcp.json',
    },
  };
  const homes = { linux: '/home/ann', darwin: '/Users/ann', win32: 'C:\\Users\\ann' } as const;
  for (const client of CLIENTS) {
    it(`${client} on Linux, macOS and Windows`, () => {
      for (const platform of ['linux', 'darwin', 'win32'] as const) {
        expect(configPath(client, at(platform, homes[platform])), platform).toBe(expected[client][platform]);
      }
    });
  }

  it('follows XDG_CONFIG_HOME on Linux and APPDATA on Windows', () => {
    expect(configPath('claude-desktop', at('linux', '/home/ann', { XDG_CONFIG_HOME: '/xdg' }))).toBe('/xdg/Claude/claude_desktop_config.json');
    expect(configPath('vscode', at('win32', 'C:\\Users\\ann', { APPDATA: 'D:\\Roaming' }))).toBe('D:\\Roaming\\Code\\User\\mcp.json');
  });
});

describe('setup: merging', () => {
  const place = at('linux', '/home/ann');

  it('keeps other servers and keys, and says when nothing changes', () => {
    const before = { theme: 'dark', mcpServers: { other: { command: 'x' } } };
    const block = configBlock('cursor', place, false);
    const once = merge(JSON.stringify(before), block, 'f');
    expect(once.changed).toBe(true);
    const doc = JSON.parse(once.text) as { theme: string; mcpServers: Record<string, unknown> };
    expect(doc.theme).toBe('dark');
    expect(doc.mcpServers.other).toEqual({ command: 'x' });
    expect(doc.mcpServers.coupontools).toEqual({ command: '/usr/bin/node', args: ['/opt/ct/dist/src/index.js', '--sandbox'] });
    expect(merge(once.text, block, 'f')).toEqual({ text: once.text, changed: false });
  });

  it('refuses a file that is not a JSON object, or whose servers key is not one', () => {
    const block = configBlock('vscode', place, false);
    expect(() => merge('{ // a comment\n}', block, 'mcp.json')).toThrow(/mcp\.json is not plain JSON/);
    expect(() => merge('[]', block, 'mcp.json')).toThrow(/does not hold a JSON object/);
    expect(() => merge('{"servers": []}', block, 'mcp.json')).toThrow(/"servers" in mcp\.json is not an object/);
  });

  it('VS Code --live: the secret comes from its own password input, merged by id with the file\'s other inputs', () => {
    const block = configBlock('vscode', place, true);
    const before = { inputs: [{ type: 'promptString', id: 'other', description: 'x' }, { type: 'promptString', id: 'coupontools-api-secret', description: 'old' }] };
    const doc = JSON.parse(merge(JSON.stringify(before), block, 'f').text) as { inputs: Array<{ id: string; password?: boolean }>; servers: { coupontools: { env: Record<string, string> } } };
    expect(doc.inputs.map((i) => i.id)).toEqual(['other', 'coupontools-api-key', 'coupontools-api-secret']);
    expect(doc.inputs.find((i) => i.id === 'coupontools-api-secret')?.password).toBe(true);
    expect(doc.servers.coupontools.env).toEqual({ COUPONTOOLS_API_KEY: '${input:coupontools-api-key}', COUPONTOOLS_API_SECRET: '${input:coupontools-api-secret}' });
  });
});

/** A fresh home folder holding one client file with another server (and, for VS Code, an input) in it. */
function homeWith(client: ClientName): { home: string; file: string; before: string } {
  const home = mkdtempSync(join(tmpdir(), 'ct-home-'));
  const file = configPath(client, { platform: 'linux', home, env: {}, node: '', bin: '' });
  const key = client === 'vscode' ? 'servers' : 'mcpServers';
  const before = `${JSON.stringify({ keepMe: 1, [key]: { other: { command: 'other-server', args: ['--x'] } } }, null, 2)}\n`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, before);
  return { home, file, before };
}

const homeEnv = (home: string): Record<string, string> => ({ HOME: home, XDG_CONFIG_HOME: '', APPDATA: '' });
const backups = (file: string): string[] => readdirSync(dirname(file)).filter((f) => f.endsWith('.bak'));

describe('setup: the built command against temporary home folders', () => {
  for (const client of CLIENTS) {
    it(`${client}: writes a sandbox entry that launches this install, backs up first, and a rerun changes nothing`, async () => {
      const { home, file, before } = homeWith(client);
      const first = await runBuilt('index.js', ['setup', client], homeEnv(home));
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(`wrote the "coupontools" server (SANDBOX) to ${file}`);
      const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const servers = doc[client === 'vscode' ? 'servers' : 'mcpServers'] as Record<string, { command: string; args: string[]; env?: unknown }>;
      expect(doc.keepMe).toBe(1);
      expect(servers.other).toEqual({ command: 'other-server', args: ['--x'] });
      const entry = servers.coupontools as { command: string; args: string[]; env?: unknown };
      expect(entry.command).toBe(process.execPath);
      expect(entry.args).toEqual([BIN, '--sandbox']);
      expect(entry.env).toBeUndefined();
      expect(backups(file).map((b) => readFileSync(join(dirname(file), b), 'utf8'))).toEqual([before]);

      const after = readFileSync(file, 'utf8');
      const second = await runBuilt('index.js', ['setup', client], homeEnv(home));
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('nothing changed');
      expect(readFileSync(file, 'utf8')).toBe(after);
      expect(backups(file)).toHaveLength(1);

      // The entry is what the client will run: launch it as the client would and use it.
      const client_ = new Client({ name: `as-${client}`, version: '1' });
      await client_.connect(new StdioClientTransport({ command: entry.command, args: entry.args, env: cleanEnv(), stderr: 'ignore' }));
      const cards = (await client_.callTool({ name: 'list_loyalty_cards', arguments: {} })) as CallToolResult;
      expect(cards.structuredContent).toMatchObject({ sandbox: true });
      await client_.close();
    });
  }

  it('creates the file (and its folders) when the client has none yet', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ct-home-'));
    const res = await runBuilt('index.js', ['setup', 'claude-desktop'], homeEnv(home));
    expect(res.code).toBe(0);
    const file = join(home, '.config', 'Claude', 'claude_desktop_config.json');
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { mcpServers: object }).mcpServers)).toEqual(['coupontools']);
    expect(backups(file)).toEqual([]);
  });

  it('--print shows the block and where it goes, and writes nothing', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ct-home-'));
    const res = await runBuilt('index.js', ['setup', 'cursor', '--print'], homeEnv(home));
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`# Cursor: merge into ${join(home, '.cursor', 'mcp.json')}`);
    expect(JSON.parse(res.stdout.split('\n').slice(1).join('\n'))).toEqual({ mcpServers: { coupontools: { command: process.execPath, args: [BIN, '--sandbox'] } } });
    expect(readdirSync(home)).toEqual([]);
    const live = await runBuilt('index.js', ['setup', 'claude-desktop', '--print', '--live'], homeEnv(home));
    expect(live.stdout).toContain('"COUPONTOOLS_API_SECRET": "<your-client-secret>"');
    expect(readdirSync(home)).toEqual([]);
  });

  // Issue 20 item 6: a config folder named by the environment is shown inert, and the file still goes there.
  it('a config path holding escape sequences and bidi overrides is printed as one inert line', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ct-home-'));
    const hostile = join(home, 'cfg\u001b[2J\u202Egnp\n  ok forged');
    const res = await runBuilt('index.js', ['setup', 'claude-desktop'], { ...homeEnv(home), XDG_CONFIG_HOME: hostile });
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(join(hostile, 'Claude', 'claude_desktop_config.json'))).toBe(true);
    expect(res.stdout).not.toMatch(TERMINAL_ACTIVE);
    expect(res.stdout).toContain(`to ${join(home, 'cfg [2J gnp ok forged')}/Claude/claude_desktop_config.json`);
    expect(res.stdout.split('\n').filter((l) => l.includes('ok forged'))).toHaveLength(1);
    const printed = await runBuilt('index.js', ['setup', 'claude-desktop', '--print'], { ...homeEnv(home), XDG_CONFIG_HOME: hostile });
    expect(printed.stdout).not.toMatch(TERMINAL_ACTIVE);
  });

  it('--live reads the id and secret from stdin, never echoes the secret, and keeps the file private', async () => {
    const { home, file } = homeWith('cursor');
    const secret = 'sk_live_SETUP-SECRET-93ab';
    const res = await runBuilt('index.js', ['setup', 'cursor', '--live'], homeEnv(home), `client-42\n${secret}\n`);
    expect(res.code).toBe(0);
    expect(res.stdout + res.stderr).not.toContain(secret);
    expect(res.stdout).toContain('(LIVE)');
    const entry = (JSON.parse(readFileSync(file, 'utf8')) as { mcpServers: { coupontools: { args: string[]; env: Record<string, string> } } }).mcpServers.coupontools;
    expect(entry.args).toEqual([BIN]);
    expect(entry.env).toEqual({ COUPONTOOLS_API_KEY: 'client-42', COUPONTOOLS_API_SECRET: secret });
    expect(statSync(file).mode & 0o077).toBe(0);
    for (const b of backups(file)) expect(readFileSync(join(dirname(file), b), 'utf8')).not.toContain(secret);
  });

  it('--live with nothing on stdin stops before touching the file', async () => {
    const { home, file, before } = homeWith('claude-code');
    const res = await runBuilt('index.js', ['setup', 'claude-code', '--live'], homeEnv(home), '');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--live needs the client id and the secret on stdin');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(backups(file)).toEqual([]);
  });

  it('VS Code --live writes input prompts and no secret, reading nothing', async () => {
    const { home, file } = homeWith('vscode');
    const res = await runBuilt('index.js', ['setup', 'vscode', '--live'], homeEnv(home));
    expect(res.code).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { inputs: Array<{ id: string }>; servers: Record<string, { env: Record<string, string> }> };
    expect(doc.inputs.map((i) => i.id)).toEqual(['coupontools-api-key', 'coupontools-api-secret']);
    expect(doc.servers.coupontools?.env.COUPONTOOLS_API_SECRET).toBe('${input:coupontools-api-secret}');
    expect(Object.keys(doc.servers)).toEqual(['other', 'coupontools']);
  });

  it('a file that is not JSON, an unknown client or option: exit 2, nothing written', async () => {
    const { home, file } = homeWith('vscode');
    writeFileSync(file, '{\n  // my servers\n}\n');
    const bad = await runBuilt('index.js', ['setup', 'vscode'], homeEnv(home));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not plain JSON');
    expect(readFileSync(file, 'utf8')).toBe('{\n  // my servers\n}\n');
    expect(backups(file)).toEqual([]);
    const unknown = await runBuilt('index.js', ['setup', 'zed'], homeEnv(home));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('name one client: claude-desktop, claude-code, cursor, vscode');
    const option = await runBuilt('index.js', ['setup', 'cursor', '--yes'], homeEnv(home));
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('unknown option --yes');
    expect(existsSync(join(home, '.cursor'))).toBe(false);
  });
});
