#!/usr/bin/env node
// The one command: picks a verb and loads only that verb's module, so the stdio start path stays lean.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cacheDir, requireWithCodeCache } from './cli/code-cache.js';

/** What every verb module exports: run with the arguments after the verb; resolves when done. */
export interface VerbModule {
  main(argv: string[]): Promise<void>;
}

/**
 * Subcommands by name (`coupontools-mcp <verb> …`). Anything else, including no verb at all,
 * is the MCP server over stdio (or over HTTP with --http). A verb's module is imported only when it is asked for.
 */
const VERBS: Record<string, () => Promise<VerbModule>> = {
  doctor: () => import('./cli/doctor.js'),
  import: () => import('./cli/import.js'),
  setup: () => import('./cli/setup.js'),
};

const argv = process.argv.slice(2);
const first = argv[0];
const load = first !== undefined && Object.hasOwn(VERBS, first) ? (VERBS[first] as () => Promise<VerbModule>) : undefined;
// --http (or COUPONTOOLS_HTTP set to a true value) serves over the network; the service module checks the value itself.
const http = argv.some((a) => a === '--http' || a.startsWith('--http=')) || !['', '0', 'false', 'no', 'off'].includes((process.env.COUPONTOOLS_HTTP ?? '').trim().toLowerCase());
/**
 * The built stdio server is one CommonJS file run through V8's code cache (see cli/code-cache.ts);
 * from the sources (no build), the module itself.
 */
const stdio = fileURLToPath(new URL('./chunks/stdio.cjs', import.meta.url));
const verb: Promise<VerbModule> = load
  ? load()
  : http
    ? import('./transports/http/service.js')
    : existsSync(stdio)
      ? Promise.resolve().then(() => requireWithCodeCache(stdio, cacheDir(argv, process.env)) as VerbModule)
      : import('./transports/stdio.js');
verb
  .then((m) => m.main(load ? argv.slice(1) : argv))
  .catch((err: unknown) => {
    process.stderr.write(`coupontools-mcp: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
