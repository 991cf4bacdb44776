// Builds the shipped artifact: one esbuild bundle per entry point, split so that starting the stdio
// server loads only what answers initialize and tools/list; everything else is a chunk loaded on first use.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { build } from 'esbuild';

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
rmSync(OUT, { recursive: true, force: true });
// The server, split at every dynamic import (verbs, sandbox, undici).
const result = await build({ ...common, entryPoints: { index: 'src/index.ts' }, plugins: [absent] });
// The demo is an SDK client, which validates tool results with Ajv: its own bundle, with nothing left out.
const demo = await build({ ...common, entryPoints: { demo: 'src/demo.ts' }, splitting: false });
// The .mcpb builder (npm run bundle) runs from a clone with its dev packages: they stay outside.
await build({ ...common, entryPoints: { bundle: 'src/bundle.ts' }, splitting: false, packages: 'external', metafile: false });
writeFileSync('dist/meta.json', JSON.stringify(result.metafile));

// The bundle holds third-party code: ship each package's licence text with it.
const packages = new Map();
for (const input of [...Object.keys(result.metafile.inputs), ...Object.keys(demo.metafile.inputs)]) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!m || packages.has(m[1])) continue;
  const dir = join('node_modules', m[1]);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE'].map((f) => join(dir, f)).find((f) => existsSync(f));
  packages.set(m[1], `${pkg.name}@${pkg.version} (${pkg.license ?? 'see package'})\n\n${file ? readFileSync(file, 'utf8').trim() : `License: ${pkg.license}`}\n`);
}
const notices = [...packages.keys()].sort().map((name) => packages.get(name));
writeFileSync(join(OUT, 'THIRD-PARTY-LICENSES.txt'), `Third-party code bundled into coupontools-mcp\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`);
