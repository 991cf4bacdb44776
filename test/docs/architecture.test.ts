// The wings' import directions (docs/architecture.md) hold in `npm run lint`: a wrong import fails with the rule's name, a right one passes.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

/** The messages ESLint gives `code` as if it were the file at `file` (relative to the root). */
async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => relative(ROOT, join(ROOT, dir, f)).replaceAll('\\', '/'));

describe('wing rules', () => {
  it.each([
    ['src/coupontools/x.ts', "import { defineTool } from '../mcp/tool.js';\nexport const t = defineTool;\n", 'wing rule coupontools'],
    ['src/coupontools/x.ts', "import type { ToolDefinition } from '../mcp/tool.js';\nexport type T = ToolDefinition;\n", 'wing rule coupontools'],
    ['src/coupontools/x.ts', "export const load = () => import('../transports/stdio.js');\n", 'wing rule coupontools'],
    ['src/state/x.ts', "import { startCall } from '../pipeline/call.js';\nexport const s = startCall;\n", 'wing rule state'],
    ['src/transports/x.ts', "export const load = () => import('../cli/doctor.js');\n", 'wing rule cli'],
    ['src/mcp/x.ts', "import { main } from '../transports/stdio.js';\nexport const m = main;\n", 'wing rule mcp'],
    ['src/pipeline/x.ts', "import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';\nexport const s = McpServer;\n", 'wing rule sdk'],
    ['src/cli/demo.ts', "import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';\nexport const s = McpServer;\n", 'wing rule sdk'],
    ['src/mcp/x.ts', "import { startSandbox } from '../sandbox/sandbox.js';\nexport const s = startSandbox;\n", 'wing rule sandbox'],
    ['src/sandbox/x.ts', "import { parseConfig } from '../config.js';\nimport { createApp } from '../mcp/assemble.js';\nexport const a = [parseConfig, createApp];\n", 'wing rule sandbox'],
    ['tools/users/x.ts', "import { resultShaper } from '../../src/pipeline/result-shaping.js';\nexport const r = resultShaper;\n", 'wing rule tools'],
    ['tools/users/x.ts', "import { openStore } from '../../src/state/open-store.js';\nexport const o = openStore;\n", 'wing rule tools'],
    ['src/config.ts', "import { CoupontoolsClient } from './coupontools/client.js';\nexport const c = CoupontoolsClient;\n", 'wing rule leaves'],
    ['src/import/x.ts', "import { startCall } from '../pipeline/call.js';\nexport const s = startCall;\n", 'wing rule import'],
  ])('%s: refuses %j', async (file, code, rule) => {
    const messages = await lint(file, code);
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(m).toContain(rule);
  });

  it.each([
    ['src/coupontools/x.ts', "import { CoupontoolsError } from './errors.js';\nimport { parseConfig } from '../config.js';\nexport const e = [CoupontoolsError, parseConfig];\n"],
    ['src/coupontools/x.ts', "import type { Sandbox } from '../sandbox/sandbox.js';\nexport const load = async (): Promise<Sandbox> => (await import('../sandbox/sandbox.js')).startSandbox();\n"],
    ['src/state/x.ts', "import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';\nimport { CoupontoolsError } from '../coupontools/errors.js';\nexport type R = CallToolResult;\nexport const e = CoupontoolsError;\n"],
    ['src/pipeline/x.ts', "import type { ToolDefinition } from '../mcp/tool.js';\nimport { CoupontoolsError } from '../coupontools/errors.js';\nexport type T = ToolDefinition;\nexport const e = CoupontoolsError;\n"],
    ['src/index.ts', "export const load = () => import('./cli/doctor.js');\n"],
    ['src/cli/demo.ts', "import { Client } from '@modelcontextprotocol/sdk/client/index.js';\nexport const c = Client;\n"],
    ['tools/users/x.ts', "import { defineTool } from '../../src/mcp/tool.js';\nimport { quoted } from '../../src/pipeline/prompt-text.js';\nimport { resolveImportFile } from '../../src/import/source.js';\nexport const t = [defineTool, quoted, resolveImportFile];\n"],
    ['src/import/x.ts', "import { quoted } from '../pipeline/prompt-text.js';\nexport const q = quoted;\n"],
  ])('%s: accepts %j', async (file, code) => {
    expect(await lint(file, code)).toEqual([]);
  });

  it('keep at most 4 files at the top of src/, none sharing its base name with a file in a wing', () => {
    const top = new Set(sourceFiles('src').filter((f) => !f.slice(4).includes('/')).map((f) => f.slice(4)));
    const inWings = sourceFiles('src').filter((f) => f.slice(4).includes('/'));
    expect(top.size).toBeLessThanOrEqual(4);
    expect(inWings.filter((f) => top.has(f.slice(f.lastIndexOf('/') + 1)))).toEqual([]);
  });

  it('hold in every source file but the entry point: a new folder cannot slip past them', async () => {
    const unruled: string[] = [];
    for (const file of [...sourceFiles('src'), ...sourceFiles('tools')]) {
      if (file === 'src/index.ts' || file.startsWith('src/build/')) continue;
      const config = (await eslint.calculateConfigForFile(join(ROOT, file))) as { rules?: Record<string, unknown> };
      if (!config.rules?.['@typescript-eslint/no-restricted-imports']) unruled.push(file);
    }
    expect(unruled).toEqual([]);
  });
});

describe('docs/architecture.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

  it('draws every folder of src/ and no folder that is gone', () => {
    const folders = readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${relative(ROOT, join(d.parentPath, d.name)).replaceAll('\\', '/')}/`);
    const tree = doc.slice(doc.indexOf('```'), doc.indexOf('```', doc.indexOf('```') + 3));
    const drawn = [...tree.matchAll(/^\s*(src\/[\w/-]*\/)/gm)].map((m) => m[1]);
    expect(drawn.sort()).toEqual(folders.sort());
  });

  it('names every wing rule the lint runs', () => {
    const config = readFileSync(join(ROOT, 'eslint.config.js'), 'utf8');
    const rules = new Set([...config.matchAll(/wing rule ([\w/]+):/g)].map((m) => m[1]));
    expect(rules.size).toBeGreaterThan(5);
    for (const rule of rules) expect(doc).toContain(`\`${rule}\``);
  });
});
