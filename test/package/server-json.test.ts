// server.json for the official MCP Registry: the registry's shape, and agreement with package.json and the settings table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';
import { publishProblems, serverJsonProblems } from '../support/registry-schema.js';

interface EnvVar {
  name: string;
  isSecret?: boolean;
  choices?: string[];
}
interface Package {
  registryType: string;
  identifier: string;
  version: string;
  environmentVariables?: EnvVar[];
}

const read = (file: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const server = read('server.json') as { name: string; version: string; packages: Package[] };
const pkg = read('package.json') as { name: string; version: string; mcpName: string; files: string[] };

describe('server.json', () => {
  it('has the registry\'s shape; only the mcpb sha256 waits for a release build', () => {
    expect(serverJsonProblems(server)).toEqual([]);
    expect(publishProblems(server)).toEqual(['packages[1]: an mcpb package needs fileSha256']);
  });

  it('the shape check catches what the registry rejects', () => {
    const bad = structuredClone(server) as unknown as Record<string, unknown> & { packages: Array<Record<string, unknown>> };
    bad.description = 'x'.repeat(101);
    bad.version = '^0.1.0';
    bad.name = 'coupontools-mcp';
    (bad.packages[0] as Record<string, unknown>).command = 'npx';
    (bad.packages[0] as Record<string, unknown>).version = 'latest';
    (bad.packages[1] as Record<string, unknown>).fileSha256 = 'ABC';
    expect(serverJsonProblems(bad)).toEqual([
      'name must be reverse-DNS namespace/name (3-200 chars)',
      'description must be 1-100 characters',
      'version must be one exact version',
      'packages[0]: unknown key command',
      'packages[0].version must be one exact version',
      'packages[1].fileSha256 must be 64 hex digits',
    ]);
  });

  it('agrees with package.json: mcpName, name and version of the npm package and the bundle', () => {
    expect(server.name).toBe(pkg.mcpName);
    expect(server.version).toBe(pkg.version);
    const npm = server.packages.find((p) => p.registryType === 'npm');
    expect(npm).toMatchObject({ identifier: pkg.name, version: pkg.version });
    const mcpb = server.packages.find((p) => p.registryType === 'mcpb');
    expect(mcpb?.version).toBe(pkg.version);
    expect(mcpb?.identifier).toMatch(new RegExp(`/releases/download/v${pkg.version.replace(/\./g, '\\.')}/coupontools-mcp\\.mcpb$`));
    expect(pkg.files).not.toContain('server.json');
  });

  it('describes settings that exist, marks the secret (and only it) secret, and lists the confirmation choices', () => {
    const vars = server.packages.find((p) => p.registryType === 'npm')?.environmentVariables ?? [];
    expect(vars.length).toBeGreaterThan(0);
    for (const v of vars) {
      const setting = SETTINGS.find((s) => s.env === v.name);
      expect(setting, v.name).toBeDefined();
      const secret = setting?.kind.type === 'string' && setting.kind.secret === true;
      expect(v.isSecret === true, v.name).toBe(secret);
    }
    expect(vars.filter((v) => v.isSecret).map((v) => v.name)).toEqual(['COUPONTOOLS_API_SECRET']);
    const confirm = SETTINGS.find((s) => s.env === 'COUPONTOOLS_CONFIRM');
    expect(vars.find((v) => v.name === 'COUPONTOOLS_CONFIRM')?.choices).toEqual(confirm?.kind.type === 'enum' ? [...confirm.kind.values] : []);
  });
});
