// Lint: typescript-eslint's recommended rules, a ban on writing to stdout from the server's code, and the wings' import directions.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Which wing may import which (docs/architecture.md). A rule names the places it holds in and the
 * specifiers it refuses there; each place gets one block holding every rule that applies to it,
 * because a later block's options for the same rule replace an earlier block's. Static imports are
 * checked by @typescript-eslint/no-restricted-imports (which knows `import type`), import() by
 * no-restricted-syntax. Tests (test/) may import anything.
 */
const PLACES = {
  index: { files: ['src/index.ts'] },
  leaves: { files: ['src/config.ts', 'src/log.ts', 'src/package-info.ts'] },
  cli: { files: ['src/cli/**/*.ts'], ignores: ['src/cli/demo.ts'] },
  demo: { files: ['src/cli/demo.ts'] },
  transports: { files: ['src/transports/**/*.ts'] },
  mcp: { files: ['src/mcp/**/*.ts'] },
  pipeline: { files: ['src/pipeline/**/*.ts'] },
  coupontools: { files: ['src/coupontools/**/*.ts'] },
  state: { files: ['src/state/**/*.ts'] },
  sandbox: { files: ['src/sandbox/**/*.ts'] },
  import: { files: ['src/import/**/*.ts'] },
  tools: { files: ['tools/**/*.ts'] },
  views: { files: ['src/views/**/*.ts'] },
};
/** A relative specifier that reaches into a wing (`../mcp/x.js`, `../../src/mcp/x.js`), optionally followed by `rest`. */
const wing = (names, rest = '') => `^(\\.\\.?/)+(src/)?(${names})/${rest}`;
const all = (...except) => Object.keys(PLACES).filter((p) => !except.includes(p));
const WING_RULES = [
  {
    in: all('index', 'cli'),
    regex: wing('cli'),
    message: 'wing rule cli: only src/index.ts imports cli/ (the verbs are entry points the dispatcher loads)',
  },
  {
    in: all('mcp', 'transports', 'demo'),
    regex: '^@modelcontextprotocol/sdk(/|$)',
    allowTypeImports: true,
    message: 'wing rule sdk: only mcp/ and transports/ import @modelcontextprotocol/sdk; elsewhere `import type` only',
  },
  {
    in: ['demo'],
    regex: '^@modelcontextprotocol/sdk(?!/client/)(/|$)',
    allowTypeImports: true,
    message: "wing rule sdk: the demo is an MCP client and imports only the SDK's client (and types)",
  },
  {
    in: all('sandbox'),
    regex: wing('sandbox'),
    allowTypeImports: true,
    allowDynamic: true,
    message: 'wing rule sandbox: outside src/sandbox/ the sandbox is loaded only with import(), in sandbox mode (`import type` is fine)',
  },
  {
    in: ['sandbox'],
    regex: wing('mcp|transports|pipeline|state|import|tools'),
    message: 'wing rule sandbox: the sandbox stands in for the Coupontools API and must not import mcp/, transports/, pipeline/, state/, import/ or tools/',
  },
  {
    in: ['coupontools'],
    regex: wing('mcp|transports|pipeline|state|import|tools'),
    message: 'wing rule coupontools: the request layer must not import mcp/, transports/, pipeline/, state/, import/ or tools/',
  },
  {
    in: ['state'],
    regex: `${wing('mcp|transports|pipeline|import|tools')}|${wing('coupontools', '(?!errors\\.js$)')}`,
    message: 'wing rule state: state/ imports only the top-level leaves and coupontools/errors.ts',
  },
  {
    in: ['pipeline'],
    regex: wing('transports|import|tools'),
    message: 'wing rule pipeline: a stage must not import transports/, import/ or tools/',
  },
  {
    in: ['pipeline', 'import'],
    regex: wing('mcp'),
    allowTypeImports: true,
    message: 'wing rule pipeline/import: from mcp/ only `import type` (the tool contract in mcp/tool.ts); mcp/ composes them, not the reverse',
  },
  {
    in: ['import'],
    regex: `${wing('transports|state')}|${wing('pipeline', '(?!prompt-text\\.js$)')}`,
    message: 'wing rule import: the import engine must not import transports/, pipeline/ (but prompt-text.ts, which quotes the API reasons it reports) or state/',
  },
  {
    in: ['mcp'],
    regex: wing('transports'),
    message: 'wing rule mcp: mcp/ builds a server and must not import transports/ (a transport imports mcp/)',
  },
  {
    in: ['transports'],
    regex: wing('pipeline|import|tools'),
    message: 'wing rule transports: a transport carries the server mcp/ builds and must not import pipeline/, import/ or tools/',
  },
  {
    in: ['tools'],
    regex: `${wing('transports|state')}|${wing('mcp', '(?!tool\\.js$)')}|${wing('pipeline', '(?!prompt-text\\.js$)')}`,
    message: 'wing rule tools: a tool imports only mcp/tool.ts, coupontools/, import/ and pipeline/prompt-text.ts (cross-cutting rules are pipeline stages)',
  },
  {
    in: ['views'],
    regex: `${wing('cli|transports|mcp|pipeline|coupontools|state|sandbox|import|tools')}|^(\\.\\./)+(config|log|package-info|index)\\.js$`,
    message: 'wing rule views: a view is browser code bundled on its own: it imports only src/views/ and the Apps extension (the SDK as types)',
  },
  {
    in: all('views'),
    regex: wing('views'),
    message: 'wing rule views: the views are built into HTML documents (src/build/views.mjs), never imported by the server',
  },
  {
    in: ['leaves'],
    regex: `${wing('mcp|transports|pipeline|state|sandbox|import|tools')}|${wing('coupontools', '(?!wire-profile\\.js$)')}`,
    message: 'wing rule leaves: config.ts, log.ts and package-info.ts import no wing (config.ts parses settings into coupontools/wire-profile.ts)',
  },
];
// esquery reads a regular expression up to the next slash: spell the slashes as \u002f.
const importCall = (regex) => `ImportExpression[source.value=/${regex.replaceAll('/', '\\u002f')}/]`;
const wingBlocks = Object.entries(PLACES).flatMap(([place, { files, ignores }]) => {
  const rules = WING_RULES.filter((r) => r.in.includes(place));
  if (rules.length === 0) return [];
  return [
    {
      files,
      ...(ignores ? { ignores } : {}),
      rules: {
        '@typescript-eslint/no-restricted-imports': ['error', { patterns: rules.map((r) => ({ regex: r.regex, caseSensitive: true, allowTypeImports: r.allowTypeImports ?? false, message: r.message })) }],
        'no-restricted-syntax': ['error', ...rules.filter((r) => !r.allowDynamic).map((r) => ({ selector: importCall(r.regex), message: r.message }))],
      },
    },
  ];
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts', 'tools/**/*.ts'],
    // --help/--version (transports/stdio.ts), the demo's transcript (cli/demo.ts), doctor's report, the import verb and setup's report are for a terminal, not the protocol.
    ignores: ['src/transports/stdio.ts', 'src/cli/demo.ts', 'src/cli/doctor.ts', 'src/cli/import.ts', 'src/cli/setup.ts'],
    rules: {
      // stdout carries JSON-RPC: logs go to stderr.
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'stdout', message: 'stdout is the MCP protocol channel' }],
    },
  },
  ...wingBlocks,
);
