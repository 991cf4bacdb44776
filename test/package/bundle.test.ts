// The Claude Desktop bundle: built, validated by mcpb's own validator, unpacked, and its server driven as Claude Desktop would launch it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getMcpConfigForManifest, type McpbManifestAny } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { allTools } from '../../tools/index.js';
import { cleanEnv, expectSandboxDefaults } from '../support/binary.js';
import { publishProblems } from '../support/registry-schema.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MCPB_CLI = join(ROOT, 'node_modules', '@anthropic-ai', 'mcpb', 'dist', 'cli', 'cli.js');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; dependencies?: Record<string, string>; devDependencies: Record<string, string> };

const node = (args: string[]): { code: number | null; out: string } => {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: cleanEnv() });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

let dir: string;
let file: string;
let stamped: string;
let manifest: McpbManifestAny & { user_config: Record<string, Record<string, unknown>> };

beforeAll(() => {
  const work = mkdtempSync(join(tmpdir(), 'ct-bundle-'));
  file = join(work, 'coupontools-mcp.mcpb');
  // A release build also writes the bundle's sha256 into server.json (here a copy of it).
  stamped = join(work, 'server.json');
  copyFileSync(join(ROOT, 'server.json'), stamped);
  const built = node([join(ROOT, 'dist', 'src', 'bundle.js'), file, '--server-json', stamped]);
  expect(built.code, built.out).toBe(0);
  expect(built.out).toMatch(/sha256 [0-9a-f]{64}/);
  dir = join(work, 'unpacked');
  const unpacked = node([MCPB_CLI, 'unpack', file, dir]);
  expect(unpacked.code, unpacked.out).toBe(0);
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
}, 120_000);

/** Starts the bundled server exactly as mcpb's host code computes its command line from the user's settings. */
async function launch(userConfig: Record<string, string | boolean>): Promise<Client> {
  const config = await getMcpConfigForManifest({ manifest, extensionPath: dir, systemDirs: {}, userConfig, pathSeparator: sep });
  if (!config) throw new Error('no launch config');
  expect(config.command).toBe('node');
  const client = new Client({ name: 'as-claude-desktop', version: '1' });
  // The unpacked folder sits under the temp dir: no repository node_modules can leak in.
  await client.connect(new StdioClientTransport({ command: process.execPath, args: config.args ?? [], env: cleanEnv(config.env ?? {}), cwd: dir, stderr: 'ignore' }));
  return client;
}

describe('coupontools-mcp.mcpb', () => {
  it('its sha256 goes into server.json, which is then complete for the registry', () => {
    const doc = JSON.parse(readFileSync(stamped, 'utf8')) as { packages: Array<{ registryType: string; fileSha256?: string }> };
    expect(doc.packages.find((p) => p.registryType === 'mcpb')?.fileSha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(publishProblems(doc)).toEqual([]);
  });

  it('passes mcpb validate', () => {
    const r = node([MCPB_CLI, 'validate', join(dir, 'manifest.json')]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Manifest schema validation passes');
  });

  it('declares the tools, the icon and the settings Claude Desktop asks for (the secret marked sensitive)', () => {
    expect(manifest.server.entry_point).toBe(pkg.bin['coupontools-mcp']);
    expect(manifest.tools?.map((t) => t.name)).toEqual(allTools.map((t) => t.name));
    expect(readFileSync(join(dir, manifest.icon ?? 'missing')).subarray(1, 4).toString()).toBe('PNG');
    expect(Object.keys(manifest.user_config)).toEqual(['client_id', 'client_secret', 'confirm', 'read_only']);
    expect(manifest.user_config.client_secret).toMatchObject({ type: 'string', sensitive: true, required: false, default: '' });
    expect(manifest.user_config.client_id).toMatchObject({ required: false, default: '' });
    expect(manifest.user_config.read_only).toMatchObject({ type: 'boolean', default: false });
  });

  it('holds the runtime dependencies and none of the development ones', () => {
    // The server is one esbuild bundle, so there may be no node_modules at all.
    const modules = existsSync(join(dir, 'node_modules')) ? readdirSync(join(dir, 'node_modules')) : [];
    for (const dep of Object.keys(pkg.dependencies ?? {})) expect(existsSync(join(dir, 'node_modules', dep, 'package.json')), dep).toBe(true);
    for (const dep of Object.keys(pkg.devDependencies)) expect(existsSync(join(dir, 'node_modules', dep)), dep).toBe(false);
    expect(modules).not.toContain('vitest');
    expect(existsSync(join(dir, 'dist', 'src', 'bundle.js'))).toBe(false);
    expect(existsSync(join(dir, 'src'))).toBe(false);
  });

  it.each([
    ['empty credentials', {}],
    ['every field left blank (Claude Desktop fills untouched ones with "")', { client_id: '', client_secret: '', confirm: '', read_only: '' }],
  ])('with %s runs the sandbox on the defaults, every tool offered', async (_what, userConfig) => {
    const client = await launch(userConfig);
    try {
      await expectSandboxDefaults(client);
      expect(client.getInstructions()).toContain('SANDBOX');
    } finally {
      await client.close();
    }
  });

  it('passes the read-only and confirmation settings through', async () => {
    const client = await launch({ client_id: '', client_secret: '', read_only: true, confirm: 'elicit' });
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['get_user', 'list_loyalty_cards', 'list_users']);
    } finally {
      await client.close();
    }
  });
});
