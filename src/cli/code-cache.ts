// Runs the bundled stdio server (one CommonJS file) with V8's code cache, so every start after the
// first skips parsing and compiling it. Node 20 has no module compile cache; vm.Script's cachedData is the supported means.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** Values of COUPONTOOLS_CODE_CACHE that turn the cache off. */
const OFF = new Set(['off', '0', 'false', 'no', 'none']);
/** Cache files kept per folder: one per build and Node version in use; older ones are removed when a new one is written. */
const KEEP = 4;

/**
 * The folder for cache files: COUPONTOOLS_CODE_CACHE (or --code-cache) when set, `undefined` when
 * that says off, else the user's own cache folder (XDG on Linux, ~/Library/Caches, %LOCALAPPDATA%).
 */
export function cacheDir(argv: readonly string[], env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home: string = homedir()): string | undefined {
  // A blank value is a setting not given, as everywhere (config.ts isBlank; not imported, to keep this start path small).
  const given = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());
  let value = given(env.COUPONTOOLS_CODE_CACHE);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--code-cache') value = given(argv[i + 1]) ?? value;
    else if (arg.startsWith('--code-cache=')) value = given(arg.slice('--code-cache='.length)) ?? value;
  }
  if (value !== undefined) return OFF.has(value.toLowerCase()) ? undefined : value;
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'coupontools-mcp', 'Cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'coupontools-mcp');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'coupontools-mcp');
}

/** The cache file for this exact source on this exact Node: V8 rejects a cache from another version, but not one from another source of the same length. */
function cacheFile(dir: string, source: Buffer): string {
  const digest = createHash('sha256').update(source).update(`\0${process.version}\0${process.arch}`).digest('hex').slice(0, 32);
  return join(dir, `stdio-${digest}.v8cache`);
}

/** A cache file we would trust: a regular file of our own that no one else may write (checked on the open file, so it cannot be swapped in between). */
function readTrusted(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (process.platform !== 'win32' && ((typeof process.getuid === 'function' && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0)) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes the cache next to its final name and renames it in, so a concurrent start never reads half a file. */
function writeCache(dir: string, file: string, data: Buffer): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, data, { mode: 0o600 });
    renameSync(partial, file);
    const others = readdirSync(dir)
      .filter((name) => /^stdio-[0-9a-f]{32}\.v8cache$/.test(name) && join(dir, name) !== file)
      .map((name) => ({ path: join(dir, name), at: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const old of others.slice(KEEP - 1)) rmSync(old.path, { force: true });
  } catch {
    // A read-only or full disk only costs the next start its speed-up.
  }
}

/**
 * Loads a CommonJS file as Node would, but compiled through vm.Script with the cached code when
 * there is a valid cache. Without one, the code compiled during this run is saved at exit for the next.
 */
export function requireWithCodeCache(path: string, dir: string | undefined): unknown {
  const bytes = readFileSync(path);
  const file = dir === undefined ? undefined : cacheFile(dir, bytes);
  const cachedData = file === undefined ? undefined : readTrusted(file);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${bytes.toString('utf8')}\n})`, {
    filename: path,
    ...(cachedData ? { cachedData } : {}),
  });
  if (dir !== undefined && file !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    // At exit the cache holds every function this run compiled: the start path and the calls it served.
    process.once('exit', () => writeCache(dir, file, script.createCachedData()));
  }
  const module = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: typeof module, f: string, d: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  return module.exports;
}
