// The shipped artifact's start path, read from the bundler's own record of the build (dist/meta.json).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exerciseParser } from '../../src/coupontools/client.js';

interface Meta {
  inputs: Record<string, unknown>;
  outputs: Record<string, { entryPoint?: string; imports: Array<{ path: string; kind: string }>; inputs: Record<string, unknown> }>;
}

const meta = JSON.parse(readFileSync(new URL('../../dist/meta.json', import.meta.url), 'utf8')) as Meta;

/**
 * Every output file loaded before the first tools/list: the entry (the dispatcher), its static
 * imports, and the stdio server, which the entry runs as one CommonJS file (chunks/stdio.cjs).
 */
function startPath(): string[] {
  const entry = Object.keys(meta.outputs).find((o) => meta.outputs[o]?.entryPoint === 'src/index.ts');
  if (!entry) throw new Error('no output for src/index.ts in dist/meta.json');
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of meta.outputs[file]?.imports ?? []) if (imp.kind === 'import-statement' && meta.outputs[imp.path]) visit(imp.path);
  };
  visit(entry);
  visit(STDIO);
  return [...seen];
}

const STDIO = 'dist/src/chunks/stdio.cjs';

describe('the bundle', () => {
  const loaded = startPath().flatMap((file) => Object.keys(meta.outputs[file]?.inputs ?? {}));

  it('starts the stdio server without Redis, the CSV parser, the sandbox, the views or the Apps extension, the other verbs or the SDK parts it does not use', () => {
    expect(meta.outputs[STDIO]?.entryPoint).toBe('src/transports/stdio.ts');
    expect(loaded.length).toBeGreaterThan(20);
    expect(loaded).toContain('src/mcp/registration.ts');
    const unwanted = [/node_modules\/(redis|@redis|csv-parse)\//, /node_modules\/ajv/, /node_modules\/zod-to-json-schema\//, /node_modules\/zod\/v3\//, /node_modules\/zod\/v4\/locales\/(?!en\.js)/, /^src\/sandbox\//, /^src\/views\//, /node_modules\/@modelcontextprotocol\/ext-apps\//, /^src\/cli\/(demo|doctor|setup)\.ts$/, /^src\/transports\/http\/service\.ts$/];
    expect(loaded.filter((input) => unwanted.some((re) => re.test(input)))).toEqual([]);
  });

  it('has the stdio file load the rest from chunks/ on first use, by require (a code-cached script cannot import())', () => {
    const later = (meta.outputs[STDIO]?.imports ?? []).filter((imp) => imp.path.startsWith('./')).map((imp) => `${imp.kind} ${imp.path}`);
    expect(later.sort()).toEqual(['require-call ./csv-parse.cjs', 'require-call ./redis.cjs', 'require-call ./sandbox.cjs']);
    for (const name of ['csv-parse', 'redis', 'sandbox', 'undici']) expect(Object.keys(meta.outputs)).toContain(`dist/src/chunks/${name}.cjs`);
    // Each is an import() in the sources, which esbuild turns into a deferred require: none runs at start.
    const text = readFileSync(new URL('../../dist/src/chunks/stdio.cjs', import.meta.url), 'utf8');
    const requires = [...text.matchAll(/(.{0,40})require\("\.\/[a-z-]+\.cjs"\)/g)].map((m) => m[1] ?? '');
    expect(requires).toHaveLength(3);
    for (const before of requires) expect(before).toMatch(/Promise\.resolve\(\)\.then\(\(\)=>[\w$]+\($/);
  });

  it("holds undici's Agent in the code-cached stdio file, reached only by the request layer's import(), so it runs when first asked for", () => {
    expect(Object.keys(meta.outputs[STDIO]?.inputs ?? {})).toContain('node_modules/undici/lib/dispatcher/agent.js');
    const importers = Object.entries(meta.inputs).flatMap(([file, input]) =>
      ((input as { imports?: Array<{ path: string; kind: string }> }).imports ?? []).filter((imp) => imp.path === 'undici-agent-only:undici').map((imp) => `${file} ${imp.kind}`),
    );
    expect(importers).toEqual(['src/coupontools/client.ts dynamic-import']);
  });

  it.each([STDIO, 'dist/src/chunks/undici.cjs'])("bundles undici's Agent without fetch, WebSocket, caches, cookies (which would load Node's own undici too) or node:http2 (%s)", (file) => {
    const inputs = Object.keys(meta.outputs[file]?.inputs ?? {});
    expect(inputs).toContain('node_modules/undici/lib/dispatcher/agent.js');
    expect(inputs.filter((input) => /node_modules\/undici\/lib\/(web\/(fetch\/index|websocket|cookies|cache|eventsource)|cache|mock)/.test(input))).toEqual([]);
    expect(inputs).toContain('no-http2:node:http2');
  });

  it('loads undici without node:http2 (about 5 ms of the first request), and its Agent still works', () => {
    const script = `const before = new Set(process.moduleLoadList); const { Agent } = require(${JSON.stringify(fileURLToPath(new URL('../../dist/src/chunks/undici.cjs', import.meta.url)))});
new Agent().close(); console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m) && /http2/.test(m))));`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([]);
  });

  it("hands over undici's HTTP parser (its WebAssembly, as its HTTP/1.1 client compiles it), so the request layer can compile it ahead", () => {
    expect(Object.keys(meta.outputs[STDIO]?.inputs ?? {})).toContain('node_modules/undici/lib/llhttp/llhttp_simd-wasm.js');
    const chunk = fileURLToPath(new URL('../../dist/src/chunks/undici.cjs', import.meta.url));
    const own = fileURLToPath(new URL('../../node_modules/undici/lib/llhttp/llhttp_simd-wasm.js', import.meta.url));
    const script = `const { parserWasm } = require(${JSON.stringify(chunk)}); const bytes = parserWasm();
console.log(JSON.stringify({ valid: WebAssembly.validate(bytes), same: Buffer.compare(bytes, require(${JSON.stringify(own)})) === 0, size: bytes.length }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { valid: boolean; same: boolean; size: number };
    expect(out).toEqual({ valid: true, same: true, size: expect.any(Number) });
    expect(out.size).toBeGreaterThan(10_000);
  });

  it("takes the compiled parser through one answer (so undici's first answer finds its functions compiled), and does nothing to a module without llhttp's functions", async () => {
    // The project's TypeScript libraries declare WebAssembly only as types.
    const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<never> } }).WebAssembly;
    const { parserWasm } = createRequire(import.meta.url)(fileURLToPath(new URL('../../dist/src/chunks/undici.cjs', import.meta.url))) as { parserWasm: () => Uint8Array };
    expect(exerciseParser(await wasm.compile(parserWasm()))).toBe(true);
    // The smallest valid module: no imports, no exports.
    expect(exerciseParser(await wasm.compile(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])))).toBe(false);
  });

  it('leaves out Ajv, zod v3 and zod-to-json-schema altogether: the SDK gets our own form check', () => {
    const all = Object.keys(meta.inputs);
    expect(all.filter((input) => /node_modules\/(ajv|ajv-formats|zod-to-json-schema)\/|node_modules\/zod\/v3\//.test(input))).toEqual([]);
    for (const name of ['ajv', 'ajv-formats', 'zod-to-json-schema', 'zod/v3']) expect(all).toContain(`absent:${name}`);
  });

  it('still has undici and the sandbox, as files loaded on first use', () => {
    const chunks = Object.keys(meta.outputs).filter((o) => !startPath().includes(o));
    const later = chunks.flatMap((file) => Object.keys(meta.outputs[file]?.inputs ?? {}));
    expect(later.some((input) => input.includes('node_modules/undici/'))).toBe(true);
    expect(later.some((input) => input.startsWith('src/sandbox/'))).toBe(true);
  });
});

describe('formCheck (the SDK validates elicitation answers with it)', async () => {
  const { formCheck } = await import('../../src/pipeline/form-check.js');
  const check = formCheck.getValidator<{ confirm: boolean }>({ type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] });

  it('accepts the answer the form asks for', () => {
    expect(check({ confirm: true })).toEqual({ valid: true, data: { confirm: true }, errorMessage: undefined });
  });

  it.each([[{ confirm: 'yes' }], [{}], [null], [['confirm']], ['true']])('refuses %j', (answer) => {
    expect(check(answer).valid).toBe(false);
  });
});
