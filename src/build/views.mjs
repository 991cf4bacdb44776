// Builds each MCP Apps view (src/views/<name>.ts) into one self-contained HTML document in dist/src/views/, its script and styles inline.
import { Buffer } from 'node:buffer';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** The views, by file name; src/mcp/views.ts names the same four. */
export const VIEW_NAMES = ['holder-card', 'holders-list', 'card-list', 'import-report'];

/** A host inlines the whole document in the conversation: each view stays small (issue 23). */
export const MAX_VIEW_BYTES = 400 * 1024;

/** Where the server puts the names of the tools it offers, when a host reads the view (src/mcp/views.ts). */
export const OFFERED_MARK = '<!--coupontools:offered-tools-->';

/** Text inside <script> or <style> that would end the element early. */
const closes = (text, tag) => new RegExp(`</${tag}`, 'i').test(text);

/** Builds every view into `outDir` with the server build's own plugins (zod in English only); returns each one's size in bytes and the bundler's inputs (for the licence notices). */
export async function buildViews(outDir, { minify = true, plugins = [] } = {}) {
  mkdirSync(outDir, { recursive: true });
  const sizes = {};
  const inputs = {};
  for (const name of VIEW_NAMES) {
    const result = await build({
      entryPoints: [`src/views/${name}.ts`],
      bundle: true,
      write: false,
      outdir: 'out',
      format: 'iife',
      platform: 'browser',
      target: ['chrome120', 'firefox120', 'safari17'],
      minify,
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'warning',
      // The view never loads anything: no font, image or chunk from anywhere.
      loader: { '.css': 'css' },
      plugins,
      metafile: true,
    });
    Object.assign(inputs, result.metafile.inputs);
    const script = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
    const style = result.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
    if (closes(script, 'script') || closes(style, 'style')) throw new Error(`view ${name}: its code holds a closing tag and cannot be inlined`);
    if (/@import|url\(\s*['"]?(https?:)?\/\//i.test(style)) throw new Error(`view ${name}: its styles reach for the network`);
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${name}</title>${OFFERED_MARK}<style>${style}</style></head>
<body><main id="view" aria-live="polite"></main><script>${script}</script></body></html>
`;
    const bytes = Buffer.byteLength(html);
    if (bytes > MAX_VIEW_BYTES) throw new Error(`view ${name} is ${bytes} bytes, over the ${MAX_VIEW_BYTES}-byte limit`);
    writeFileSync(join(outDir, `${name}.html`), html);
    sizes[name] = bytes;
  }
  return { sizes, inputs };
}
