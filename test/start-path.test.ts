// The shipped artifact's start path, read from the bundler's own record of the build (dist/meta.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Meta {
  inputs: Record<string, unknown>;
  outputs: Record<string, { entryPoint?: string; imports: Array<{ path: string; kind: string }>; inputs: Record<string, unknown> }>;
}

const meta = JSON.parse(readFileSync(new URL('../dist/meta.json', import.meta.url), 'utf8')) as Meta;

/** Every output file loaded before the first tools/list: the entry, the stdio verb and their static imports. */
function startPath(): string[] {
  const entry = Object.keys(meta.outputs).find((o) => meta.outputs[o]?.entryPoint === 'src/index.ts');
  if (!entry) throw new Error('no output for src/index.ts in dist/meta.json');
  const stdio = Object.keys(meta.outputs).find((o) => Object.keys(meta.outputs[o]?.inputs ?? {}).includes('src/stdio.ts'));
  if (!stdio) throw new Error('src/stdio.ts is in no output');
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of meta.outputs[file]?.imports ?? []) if (imp.kind === 'import-statement' && meta.outputs[imp.path]) visit(imp.path);
  };
  visit(entry);
  visit(stdio);
  return [...seen];
}

describe('the bundle', () => {
  const loaded = startPath().flatMap((file) => Object.keys(meta.outputs[file]?.inputs ?? {}));

  it('starts the stdio server without undici, the sandbox, the other verbs or the SDK parts it does not use', () => {
    expect(loaded.length).toBeGreaterThan(20);
    expect(loaded).toContain('src/server.ts');
    const unwanted = [/node_modules\/undici\//, /node_modules\/ajv/, /node_modules\/zod-to-json-schema\//, /node_modules\/zod\/v3\//, /^src\/sandbox\//, /^src\/demo\.ts$/];
    expect(loaded.filter((input) => unwanted.some((re) => re.test(input)))).toEqual([]);
  });

  it('leaves out Ajv, zod v3 and zod-to-json-schema altogether: the SDK gets our own form check', () => {
    const all = Object.keys(meta.inputs);
    expect(all.filter((input) => /node_modules\/(ajv|ajv-formats|zod-to-json-schema)\/|node_modules\/zod\/v3\//.test(input))).toEqual([]);
    for (const name of ['ajv', 'ajv-formats', 'zod-to-json-schema', 'zod/v3']) expect(all).toContain(`absent:${name}`);
  });

  it('still has undici and the sandbox, as chunks loaded on first use', () => {
    const chunks = Object.keys(meta.outputs).filter((o) => !startPath().includes(o));
    const later = chunks.flatMap((file) => Object.keys(meta.outputs[file]?.inputs ?? {}));
    expect(later.some((input) => input.includes('node_modules/undici/'))).toBe(true);
    expect(later.some((input) => input.startsWith('src/sandbox/'))).toBe(true);
  });
});

describe('formCheck (the SDK validates elicitation answers with it)', async () => {
  const { formCheck } = await import('../src/form-check.js');
  const check = formCheck.getValidator<{ confirm: boolean }>({ type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] });

  it('accepts the answer the form asks for', () => {
    expect(check({ confirm: true })).toEqual({ valid: true, data: { confirm: true }, errorMessage: undefined });
  });

  it.each([[{ confirm: 'yes' }], [{}], [null], [['confirm']], ['true']])('refuses %j', (answer) => {
    expect(check(answer).valid).toBe(false);
  });
});
