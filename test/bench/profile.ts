// `npm run bench -- --profile`: V8 CPU profiles of our server, the lean peer and the floor under the peers section's load,
// each aggregated by function and by package, so the hot path is read off a table instead of guessed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { int, table } from './lib.js';
import type { SandboxReady } from './shared.js';
import { contenders, drive, RawPeer, type Contender } from './versus-peers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const IN_FLIGHT = 32;
const WARMUP = 1_000;
const ROUNDS = 4;
const CALLS = 2_500;
const SEQUENTIAL = 1_000;
/** Sampling interval, µs (V8's default is 1,000). */
const INTERVAL_US = 250;
const TOP = 15;

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where each bundled module starts in a file esbuild wrote without minifying (its `// node_modules/…` comment lines). */
const moduleMaps = new Map<string, Array<[number, string]>>();
function moduleAt(url: string, line: number): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  let map = moduleMaps.get(path);
  if (!map) {
    map = [];
    if (existsSync(path)) {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((text, i) => {
          const m = /^\/\/ (?:[\w-]+:)?(\S+\.(?:[cm]?js|ts))$/.exec(text);
          if (m) map?.push([i, (m[1] as string).replace(/^.*node_modules\//, 'node_modules/')]);
        });
    }
    moduleMaps.set(path, map);
  }
  let found = path.includes('node_modules/') ? path.replace(/^.*node_modules\//, 'node_modules/') : basename(path);
  for (const [start, name] of map) {
    if (start > line) break;
    found = name;
  }
  return found;
}

/** The package a module belongs to: an npm package, our src/ or tools/, or Node itself. */
function packageOf(module: string): string {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module);
  if (m) return m[1] as string;
  if (module.startsWith('src/') || module.startsWith('tools/')) return `ours: ${module.split('/')[0]}/`;
  return module;
}

interface Hot {
  self: Map<string, number>;
  packages: Map<string, number>;
  busyUs: number;
  idleUs: number;
}

/** Self time per function (name, module, line) and per package; the interval after a sample is charged to it. */
function aggregate(profile: CpuProfile): Hot {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i] as number);
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const special = frame.functionName.startsWith('(');
    const module = special ? '' : moduleAt(frame.url, frame.lineNumber);
    const key = special ? frame.functionName : `${frame.functionName || '(anonymous)'}  ${module}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
    const pkg = special ? frame.functionName : packageOf(module);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  return { self, packages, busyUs, idleUs };
}

async function profiled(c: Contender, dir: string): Promise<{ hot: Hot; calls: number }> {
  const peer = RawPeer.spawn(c, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(INTERVAL_US)]);
  await peer.initialize();
  await drive(peer, c, WARMUP, IN_FLIGHT);
  for (let n = 0; n < SEQUENTIAL; n++) await peer.call(c.tool, c.callArgs);
  for (let r = 0; r < ROUNDS; r++) await drive(peer, c, CALLS, IN_FLIGHT);
  await peer.close();
  // The profile is written as the process exits.
  for (let i = 0; i < 50 && !readdirSync(dir).some((f) => f.endsWith('.cpuprofile')); i++) await delay(100);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`${c.name}: no .cpuprofile written in ${dir}`);
  return { hot: aggregate(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile), calls: WARMUP + SEQUENTIAL + ROUNDS * CALLS };
}

const share = (us: number, hot: Hot): string => `${((100 * us) / hot.busyUs).toFixed(1)}%`;
const top = (m: Map<string, number>, n: number): Array<[string, number]> => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);

/** Rebuilds without minifying (readable names, module comments), profiles ours, the lean peer and the floor, then restores the shipped build. */
export async function profileSection(binary: string, sandbox: SandboxReady, progress: (m: string) => void): Promise<string> {
  const build = (minify: boolean): void => {
    const done = spawnSync(process.execPath, ['src/build/bundle.mjs'], { cwd: ROOT, env: { ...process.env, NO_MINIFY: minify ? '' : '1' }, stdio: 'inherit' });
    if (done.status !== 0) throw new Error(`the build${minify ? '' : ' (NO_MINIFY=1)'} failed`);
  };
  progress('profile: rebuilding without minifying (readable names), then profiling our server, the lean peer and the floor');
  build(false);
  const { ours, lean, floor } = contenders(binary, sandbox, IN_FLIGHT);
  const dir = (name: string): string => mkdtempSync(join(tmpdir(), `ct-bench-profile-${name}-`));
  let o: { hot: Hot; calls: number };
  let l: { hot: Hot; calls: number };
  let f: { hot: Hot; calls: number };
  const dirs = { ours: dir('ours'), lean: dir('lean'), floor: dir('floor') };
  try {
    o = await profiled({ ...ours, env: { ...ours.env, COUPONTOOLS_CODE_CACHE: 'off' } }, dirs.ours);
    l = await profiled(lean, dirs.lean);
    f = await profiled(floor, dirs.floor);
  } finally {
    progress('profile: restoring the minified build');
    build(true);
  }
  const perCall = (p: { hot: Hot; calls: number }): string => int(p.hot.busyUs / p.calls);
  const pkgNames = [...new Set([...top(o.hot.packages, 12), ...top(l.hot.packages, 12), ...top(f.hot.packages, 12)].map(([k]) => k))];
  return [
    `P. CPU profiles under load (${int(o.calls)} get_user calls each: ${int(WARMUP)} warm-up and ${ROUNDS} × ${int(CALLS)} at ${IN_FLIGHT} in flight, ${int(SEQUENTIAL)} one at a time; sampled every ${INTERVAL_US} µs; build not minified)`,
    `   profiled CPU of the main thread per call: ours ${perCall(o)} µs, lean peer ${perCall(l)} µs, floor ${perCall(f)} µs (profiling slows them all; compare shares, not these with section 3)`,
    `   profiles: ${dirs.ours}, ${dirs.lean}, ${dirs.floor} (open in Chrome DevTools → Performance, or speedscope)`,
    '',
    `   ours: top ${TOP} functions by self time`,
    table(
      ['function  module:line', 'self ms', 'share', 'µs/call'],
      top(o.hot.self, TOP).map(([k, us]) => [k, (us / 1000).toFixed(0), share(us, o.hot), (us / o.calls).toFixed(1)]),
    ),
    '',
    '   by package (self time), ours vs the lean peer and the floor (what ours spends beyond the floor is the price of its guarantees)',
    table(
      ['package', 'ours µs/call', 'ours share', 'lean µs/call', 'lean share', 'floor µs/call', 'floor share'],
      pkgNames.map((k) => {
        const a = o.hot.packages.get(k) ?? 0;
        const b = l.hot.packages.get(k) ?? 0;
        const c = f.hot.packages.get(k) ?? 0;
        return [k, (a / o.calls).toFixed(1), share(a, o.hot), (b / l.calls).toFixed(1), share(b, l.hot), (c / f.calls).toFixed(1), share(c, f.hot)];
      }),
    ),
    '',
    `   lean peer: top ${TOP} functions by self time`,
    table(
      ['function  module:line', 'self ms', 'share', 'µs/call'],
      top(l.hot.self, TOP).map(([k, us]) => [k, (us / 1000).toFixed(0), share(us, l.hot), (us / l.calls).toFixed(1)]),
    ),
  ].join('\n');
}
