// The npm package as a user gets it: `npm pack`, installed into an empty prefix, its bin driven by an SDK client.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../support/binary.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; scripts: Record<string, string> };

const npm = (args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } => {
  // npm_config_* from a parent `npm test` would leak into this install; a user's shell has none.
  const env = Object.fromEntries(Object.entries(cleanEnv()).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

let files: string[];
let install: { code: number | null; stdout: string; stderr: string };
let bin: string;

beforeAll(() => {
  const work = mkdtempSync(join(tmpdir(), 'ct-pack-'));
  // dist/ is already built (pretest); --ignore-scripts keeps prepack from rebuilding it under other running tests.
  const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = (info?.files ?? []).map((f) => f.path);
  const prefix = join(work, 'prefix');
  mkdirSync(prefix);
  // The registry is reachable in CI; npm ci has already put every dependency in the cache, so this resolves from there.
  install = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', '--prefix', prefix, join(work, info?.filename ?? 'missing.tgz')], work);
  bin = join(prefix, 'node_modules', '.bin', 'coupontools-mcp');
}, 180_000);

describe('the npm tarball', () => {
  it('holds only what runs: compiled JavaScript, package.json, README, LICENSE and mcp.json', () => {
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('LICENSE');
    for (const f of files) expect(f, f).toMatch(/^(dist\/(src|tools)\/.+\.c?js|dist\/src\/THIRD-PARTY-LICENSES\.txt|dist\/src\/views\/[a-z-]+\.html|package\.json|README\.md|LICENSE|mcp\.json)$/);
    expect(files).not.toContain('dist/src/bundle.js');
  });

  it('declares no install-time script', () => {
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts, script).not.toHaveProperty(script);
  });

  it('installs into an empty prefix silently: no script runs, no warning', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/warn|err/i);
    expect(install.stdout).toMatch(/^added \d+ packages? in /m);
    expect(install.stdout.trim().split('\n')).toHaveLength(1);
    expect(existsSync(bin)).toBe(true);
  });

  it('its bin answers --version', () => {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', env: cleanEnv() });
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it('its bin serves MCP: find Jane, stamp her card once, read her record', async () => {
    const client = new Client({ name: 'installed', version: '1' });
    await client.connect(new StdioClientTransport({ command: bin, args: [], env: cleanEnv(), stderr: 'ignore' }));
    try {
      const found = (await client.callTool({ name: 'list_users', arguments: { loyalty_card_id: 1001, filter: { email: 'jane@example.com' } } })) as CallToolResult;
      const users = (found.structuredContent as { users: Array<{ id: number; stamps: number }> }).users;
      expect(users).toEqual([expect.objectContaining({ id: 5001, stamps: 7 })]);
      const stamped = (await client.callTool({ name: 'add_stamps', arguments: { loyalty_card_id: 1001, user_id: 5001, amount: 2, idempotency_key: 'R-1' } })) as CallToolResult;
      expect(stamped.isError, JSON.stringify(stamped.content)).toBeFalsy();
      const again = (await client.callTool({ name: 'add_stamps', arguments: { loyalty_card_id: 1001, user_id: 5001, amount: 2, idempotency_key: 'R-1' } })) as CallToolResult;
      expect(again.structuredContent).toMatchObject({ replayed: true });
      const jane = (await client.callTool({ name: 'get_user', arguments: { loyalty_card_id: 1001, user_id: 5001 } })) as CallToolResult;
      expect(jane.structuredContent).toMatchObject({ user: { stamps: 9 }, sandbox: true });
    } finally {
      await client.close();
    }
  });
});
