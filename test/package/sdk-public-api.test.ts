// The server uses the MCP SDK through its public API only: no source file touches a member the SDK keeps to itself.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SDK = join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm');

const filesUnder = (dir: string, ext: RegExp): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => ext.test(f))
    .map((f) => join(dir, f));

/**
 * The SDK's private members, read from the SDK itself: every `_name` it declares `private` or
 * `protected` in its typings, or keeps on `this` in its code. A new SDK version brings its own list.
 */
function sdkInternals(): Set<string> {
  const names = new Set<string>();
  for (const file of filesUnder(SDK, /\.d\.ts$/)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:private|protected)\s+(?:readonly\s+)?(_\w+)/g)) names.add(m[1]!);
  }
  for (const file of filesUnder(SDK, /\.js$/)) for (const m of readFileSync(file, 'utf8').matchAll(/this\.(_\w+)/g)) names.add(m[1]!);
  return names;
}

/** Each use of one of `internals` in `text`: as a property (`x._name`, `x?._name`), a key (`'_name'`, `["_name"]`) or destructured (`{ _name }`). */
function internalUses(text: string, internals: ReadonlySet<string>): string[] {
  const uses: string[] = [];
  for (const m of text.matchAll(/(?:\?\.|\.)\s*(_\w+)|['"`](_\w+)['"`]|[{,]\s*(_\w+)\s*[,}:=]/g)) {
    const name = m[1] ?? m[2] ?? m[3]!;
    if (internals.has(name)) uses.push(`${text.slice(0, m.index).split('\n').length}: ${name}`);
  }
  return uses;
}

describe('the MCP SDK, through its public API only', () => {
  const internals = sdkInternals();

  it('knows the SDK internals it guards against (read from the installed SDK)', () => {
    for (const name of ['_requestHandlers', '_notificationHandlers', '_registeredTools', '_toolHandlersInitialized', '_capabilities']) expect(internals.has(name), name).toBe(true);
    // The protocol's own `_meta` field is public (it is on the wire), so it is not on the list.
    expect(internals.has('_meta')).toBe(false);
  });

  it('finds a use in every form a source could write it (so the check below can fail)', () => {
    const fixture = [
      "const h = (server.server as unknown as { _requestHandlers: Map<string, unknown> })._requestHandlers;",
      "server?._registeredTools['x'];",
      "Reflect.get(server, '_notificationHandlers');",
      'const { _capabilities } = server as never; const k = ["_toolHandlersInitialized"];',
      'extra._meta?.progressToken;',
    ].join('\n');
    expect(internalUses(fixture, internals)).toEqual(['1: _requestHandlers', '1: _requestHandlers', '2: _registeredTools', '3: _notificationHandlers', '4: _capabilities', '4: _toolHandlersInitialized']);
  });

  it('no file in src/ or tools/ uses one', () => {
    const found = [join(ROOT, 'src'), join(ROOT, 'tools')]
      .flatMap((dir) => filesUnder(dir, /\.(ts|mts|mjs|js)$/))
      .flatMap((file) => internalUses(readFileSync(file, 'utf8'), internals).map((use) => `${relative(ROOT, file)}:${use}`));
    expect(found).toEqual([]);
  });
});
