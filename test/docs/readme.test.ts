// The README is the front door and docs/ the reference behind it: every tool, every setting, every link and page must hold.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';
import { allTools } from '../../tools/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const docPages = readdirSync(join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
const readme = read('README.md');
const configuration = read('docs/configuration.md');

/** Markdown with fenced blocks and code spans blanked, so a `[x](y)` shown as code is not taken for a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, 'code');
}

/** The targets of the inline links `[text](target)` of a page, without a title. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** GitHub's anchors for a page's headings: lowercase, formatting and punctuation other than - and _ dropped, spaces to -, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const headings = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm);
  for (const [, text] of headings) {
    const plain = text!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const slug = plain.toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Every relative link of a page that does not resolve: a missing file, or an anchor that names no heading. */
function brokenLinks(page: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(read(page))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and the like leave the repository
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const file = pathPart === '' ? page : relative(root, join(root, dirname(page), decodeURIComponent(pathPart)));
    if (!existsSync(join(root, file))) {
      broken.push(`${target} (no file ${file})`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!statSync(join(root, file)).isFile() || !file.endsWith('.md')) broken.push(`${target} (an anchor into ${file}, which is not a page)`);
    else if (!anchors(read(file)).has(decodeURIComponent(anchor))) broken.push(`${target} (no heading #${anchor} in ${file})`);
  }
  return broken;
}

describe('README', () => {
  it('has a row for every tool', () => {
    for (const tool of allTools) expect(readme).toMatch(new RegExp(`^\\| \`${tool.name}\` \\|`, 'm'));
  });

  it('shows the two commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });

  it('stays a front door: at most 15,000 bytes', () => {
    expect(Buffer.byteLength(readme), 'README.md: move the detail to its docs/ page and leave a line').toBeLessThanOrEqual(15_000);
  });

  it('links every docs page', () => {
    const linked = new Set(linkTargets(readme).map((t) => t.split('#', 1)[0]!.replace(/^\.\//, '')));
    expect(docPages.length).toBeGreaterThanOrEqual(10);
    for (const page of docPages) expect(linked, page).toContain(page);
  });
});

describe('docs/configuration.md', () => {
  it('has a row for every setting, with its flag', () => {
    for (const s of SETTINGS) expect(configuration).toMatch(new RegExp(`^\\| \`${s.env}\` \\| \`${s.flag}\` \\|`, 'm'));
  });

  it('has no row for a setting that does not exist', () => {
    const rows = [...configuration.matchAll(/^\| `(COUPONTOOLS_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
    expect(rows.length).toBeGreaterThanOrEqual(SETTINGS.length);
    const known = new Set(SETTINGS.map((s) => s.env));
    expect(rows.filter((env) => !known.has(env))).toEqual([]);
  });
});

describe('links', () => {
  it('finds the links and headings it checks', () => {
    // The parsers below must see what a reader sees, or an empty result would pass every check.
    expect(linkTargets('[a](docs/x.md) `[b](no.md)` [c](<y.md> "t")')).toEqual(['docs/x.md', 'y.md']);
    expect([...anchors('# Going live: the wire profile and doctor\n## `setup` & co.\n## Notes\n## Notes')]).toEqual([
      'going-live-the-wire-profile-and-doctor',
      'setup--co',
      'notes',
      'notes-1',
    ]);
  });

  for (const page of ['README.md', ...docPages]) {
    it(`every relative link in ${page} resolves`, () => {
      expect(linkTargets(read(page)).length).toBeGreaterThan(0);
      expect(brokenLinks(page)).toEqual([]);
    });
  }

  it('every file of the repository a page names exists', () => {
    // A path in code (`src/…`, `test/…`, `tools/…`, ending in an extension or a slash) goes stale when a file moves.
    const missing: string[] = [];
    let named = 0;
    for (const page of ['README.md', ...docPages]) {
      for (const [, code] of read(page).matchAll(/`([^`\n]+)`/g)) {
        for (const word of code!.split(/[\s,;()]+/)) {
          if (!/^(src|test|tools)\/[\w./-]*(\.[a-z]+|\/)$/.test(word)) continue;
          named++;
          if (!existsSync(join(root, word))) missing.push(`${page}: ${word}`);
        }
      }
    }
    expect(named).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('every docs page starts with its title, one line on its purpose and a link back to the README', () => {
    for (const page of docPages) {
      const [title, blank, purpose] = read(page).split('\n');
      expect(title, page).toMatch(/^# \S/);
      expect(blank, page).toBe('');
      expect(purpose, page).toContain('[README](../README.md)');
    }
  });
});
