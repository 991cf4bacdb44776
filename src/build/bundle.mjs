// Builds the shipped artifact: one esbuild bundle per entry point, split so that starting the stdio
// server loads only what answers initialize and tools/list; everything else is a chunk loaded on first use.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { build } from 'esbuild';
import { buildViews } from './views.mjs';

const OUT = 'dist/src';

/**
 * SDK dependencies this server never runs: Ajv (we give the SDK our own check of the one elicitation
 * form we send), zod v3 and zod-to-json-schema (our schemas are zod 4). Each resolves to a module that
 * throws if it is ever used, so a future SDK that starts needing them fails loudly in the tests.
 */
export const ABSENT_MODULES = ['ajv', 'ajv-formats', 'zod-to-json-schema', 'zod/v3'];

const absent = {
  name: 'absent',
  setup(b) {
    const filter = new RegExp(`^(${ABSENT_MODULES.map((m) => m.replace('/', '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'absent' }));
    b.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
      contents: `const gone = () => { throw new Error(${JSON.stringify(`${args.path} is not part of the coupontools-mcp bundle`)}); };
export default gone; export const zodToJsonSchema = gone; export const object = gone;`,
      loader: 'js',
    }));
  },
};

/**
 * zod re-exports every locale (z.locales, about 250 KB of source) though it only ever uses English
 * unless told otherwise; we never tell it otherwise. The bundle keeps English alone.
 */
const englishOnly = {
  name: 'english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: join(args.resolveDir, '../locales/en.js'), namespace: 'english-only' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};

const common = {
  outdir: OUT,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: process.env.NO_MINIFY !== '1',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Bundled CommonJS packages (undici) call require() for Node's own modules.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
};
/** npm packages loaded on first use, each built once into a CommonJS file in chunks/ (the stdio file holds undici itself, see below). */
const VENDORS = ['undici', 'redis', 'csv-parse'];

/**
 * Points imports of the vendor packages (and, for the stdio file, of the sandbox) at their files in
 * chunks/, relative to the code importing them, which always lands in chunks/ (the entry is the small dispatcher).
 */
function loadFromChunks(names, extra = {}) {
  return {
    name: 'from-chunks',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (names.includes(args.path)) return { path: `./${args.path}.cjs`, external: true };
        const mapped = extra[args.path];
        return mapped && args.importer.endsWith(mapped.from) ? { path: mapped.to, external: true } : undefined;
      });
    },
  };
}

rmSync(OUT, { recursive: true, force: true });
// The server, split at every dynamic import (verbs, service, sandbox, import engine); undici and Redis come from chunks/.
const result = await build({ ...common, entryPoints: { index: 'src/index.ts' }, plugins: [absent, englishOnly, loadFromChunks(['undici', 'redis'])] });
/**
 * The request layer uses undici's Agent alone. The package's index also loads fetch, WebSocket,
 * caches and cookies, and the cookies module reaches for globalThis.Headers, which makes Node load
 * its own copy of undici as well: the bundle holds the Agent and what it needs, nothing else.
 */
const agentOnly = {
  name: 'undici-agent-only',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-agent-only' }));
    b.onLoad({ filter: /.*/, namespace: 'undici-agent-only' }, () => ({
      // The parser's WebAssembly too (the module undici's HTTP/1.1 client compiles at its first connection), so the request layer can compile it ahead.
      contents: "module.exports = { Agent: require('undici/lib/dispatcher/agent.js'), parserWasm: () => require('undici/lib/llhttp/llhttp_simd-wasm.js') };",
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};

/**
 * The request layer never asks for HTTP/2 (its Agent leaves allowH2 unset, so only http/1.1 is
 * negotiated), yet undici's HTTP/2 client loads node:http2 with it, about 5 ms of the first request.
 * Here that require fails, which undici expects where Node has no http2: it keeps an empty stand-in.
 */
const noHttp2 = {
  name: 'no-http2',
  setup(b) {
    b.onResolve({ filter: /^node:http2$/ }, (args) => (/[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/.test(args.importer) ? { path: 'node:http2', namespace: 'no-http2' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'no-http2' }, () => ({ contents: "throw new Error('HTTP/2 is not part of the coupontools-mcp bundle');", loader: 'js' }));
  },
};

/**
 * The stdio server (the default verb) again, as one CommonJS file: index.js runs it through V8's
 * code cache (src/cli/code-cache.ts), which Node 20 offers only for scripts, not ES modules. What it loads
 * on first use (Redis, csv-parse, the sandbox) stays in its own file. undici's Agent is inside: it runs only
 * when the request layer first asks for it (an import(), here a deferred require), and being in the cached
 * script, it is then neither parsed nor compiled again (loading it from its own file took 35 ms).
 */
const stdio = await build({
  ...common,
  entryPoints: { 'chunks/stdio': 'src/transports/stdio.ts' },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  splitting: false,
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__stdio_url' },
  banner: { js: 'var __stdio_url=require("node:url").pathToFileURL(__filename).href;' },
  plugins: [absent, englishOnly, agentOnly, noHttp2, loadFromChunks(['redis', 'csv-parse'], { '../sandbox/sandbox.js': { from: 'src/coupontools/connect.ts', to: './sandbox.cjs' } })],
});
// The packages and the sandbox it loads later: CommonJS files of their own.
const later = await build({
  ...common,
  entryPoints: { ...Object.fromEntries(VENDORS.map((name) => [`chunks/${name}`, name])), 'chunks/sandbox': 'src/sandbox/sandbox.ts' },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  splitting: false,
  banner: {},
  plugins: [englishOnly, agentOnly, noHttp2],
});
// The demo is an SDK client, which validates tool results with Ajv: its own bundle, with nothing left out.
const demo = await build({ ...common, entryPoints: { demo: 'src/cli/demo.ts' }, splitting: false });
// The .mcpb builder (npm run bundle) runs from a clone with its dev packages: they stay outside.
await build({ ...common, entryPoints: { bundle: 'src/cli/mcpb-bundle.ts' }, splitting: false, packages: 'external', metafile: false });
// The MCP Apps views: one HTML document each, read by the server only when a host asks (src/mcp/views.ts).
// Views are always minified: their size limit holds for every build, and no profile reads them.
const views = await buildViews(join(OUT, 'views'), { plugins: [absent, englishOnly] });
process.stderr.write(`views: ${Object.entries(views.sizes).map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(1)} KB`).join(', ')} (limit 400 KB each)\n`);
// Two properties the start-up speed rests on, checked on every build.
const stdioText = readFileSync(join(OUT, 'chunks/stdio.cjs'), 'latin1');
if (stdioText.includes('__esm(')) {
  // esbuild inlines a module imported with import() lazily, and then initialises zod out of order.
  throw new Error('chunks/stdio.cjs inlines a dynamically imported module: import it statically, or load it from chunks/ (see loadFromChunks)');
}
// (NO_MINIFY=1 keeps comments, which may be in any script; it is for reading profiles.)
for (const file of common.minify ? Object.keys({ ...result.metafile.outputs, ...stdio.metafile.outputs, ...later.metafile.outputs }) : []) {
  // One non-ASCII character makes V8 hold (and decode) the whole source as two-byte text.
  const at = readFileSync(file).findIndex((byte) => byte > 0x7f);
  if (at !== -1) throw new Error(`${file} has a non-ASCII character at byte ${at}: write it as \\uXXXX (esbuild leaves regular expression literals as they are)`);
}
const merged = { inputs: {}, outputs: {} };
for (const m of [result.metafile, stdio.metafile, later.metafile]) {
  Object.assign(merged.inputs, m.inputs);
  Object.assign(merged.outputs, m.outputs);
}
writeFileSync('dist/meta.json', JSON.stringify(merged));

// The bundle holds third-party code: ship each package's licence text with it.
const packages = new Map();
for (const input of [...Object.keys(merged.inputs), ...Object.keys(demo.metafile.inputs), ...Object.keys(views.inputs)]) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!m || packages.has(m[1])) continue;
  const dir = join('node_modules', m[1]);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE'].map((f) => join(dir, f)).find((f) => existsSync(f));
  packages.set(m[1], `${pkg.name}@${pkg.version} (${pkg.license ?? 'see package'})\n\n${file ? readFileSync(file, 'utf8').trim() : `License: ${pkg.license}`}\n`);
}
const notices = [...packages.keys()].sort().map((name) => packages.get(name));
writeFileSync(join(OUT, 'THIRD-PARTY-LICENSES.txt'), `Third-party code bundled into coupontools-mcp\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`);
