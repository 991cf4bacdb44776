// npm run bench: speed and memory of the whole stack, each side by side with a baseline measured in the same run.
// Not part of npm test (vitest's include/exclude keep test/bench out); run with node --expose-gc after tsc.
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Agent } from 'undici';
import { IdempotencyStore } from '../../src/state/idempotency-store.js';
import { MAX_IDEMPOTENCY_KEYS, MemoryStore } from '../../src/state/memory-store.js';
import { modelVisibleBytes, toolsListBytes } from '../support/tools-list-bytes.js';
import { importBench } from './import.js';
import { transports } from './transports.js';
import { profileSection } from './profile.js';
import { versusPeers } from './versus-peers.js';
import {
  RawApi,
  RemoteSandbox,
  bytesEach,
  gcExposed,
  int,
  mb,
  ms,
  ratio,
  readArgs,
  settledMemory,
  signedMb,
  startStack,
  summarize,
  table,
  timeEach,
  writeArgs,
  type Memory,
  type Stack,
} from './lib.js';

// Fixed sizes: every loop is bounded and the run takes well under three minutes on two quiet cores.
const SEQ_WARMUP = 300;
const SEQ_ROUNDS = 10;
const SEQ_PER_ROUND = 300;
const BURST = 64;
const BURST_LATENCY_MS = 5;
const BURST_WARMUP = 2;
const BURST_ROUNDS = 20;
const MEM_WARMUP = 200;
const MEM_CALLS = 5_000;
const MEM_CHECKPOINT = 1_000;
const IDEM_KEYS = 10_000;
/** The built binary, as MCP clients launch it. */
const BINARY = fileURLToPath(new URL('../../../../dist/src/index.js', import.meta.url));

const startedAt = performance.now();
/** Other work on the machine skews absolute figures more than ratios; the table says how busy it was. */
const loadAtStart = loadavg()[0] ?? 0;
const progress = (message: string): void => void process.stderr.write(`bench [${((performance.now() - startedAt) / 1000).toFixed(0)} s]: ${message}\n`);
// Bounded loops end by themselves; this only turns a hang (a bug) into a failure instead of a stuck job (generous: a busy shared machine is slow, not hung).
setTimeout(() => {
  // Uncaught, so the process ends with code 1 and says why.
  throw new Error('bench: still running after 20 minutes: giving up');
}, 1_200_000).unref();

const sections: string[] = [];

// ------------------------------------------------------------------ 0. what tools/list costs every turn

/** The two budgets of issue 21 (docs/tools.md), measured as test/tools/tools-list.test.ts measures them. */
function toolsListSize(stack: Stack): void {
  const visible = modelVisibleBytes(stack.listed.tools);
  const all = toolsListBytes(stack.listed);
  sections.push(
    [
      `0. tools/list, default settings (${stack.listed.tools.length} tools; as the SDK client received it)`,
      table(['what', 'bytes', 'budget'], [
        ['model-visible: name + description + inputSchema, summed over the tools', int(visible), '5,500'],
        ['the whole tools/list answer', int(all), '9,000'],
      ]),
    ].join('\n'),
  );
}

// ------------------------------------------------------------------ 1. one tool call, sequential

async function sequential(sandbox: RemoteSandbox, stack: Stack, raw: RawApi): Promise<void> {
  const { read, write } = sandbox.ready;
  interface Case {
    label: string;
    op: () => Promise<unknown>;
    samples: number[];
  }
  const group = (tool: string, args: Record<string, unknown>, isWrite: boolean): Case[] => [
    { label: `${tool}  via MCP: SDK Client → server → request layer → sandbox`, op: () => stack.call(tool, args), samples: [] },
    { label: `${tool}  raw undici, keep-alive Agent (floor)`, op: () => raw.send(isWrite, raw.pooled), samples: [] },
    { label: `${tool}  raw undici, new connection per request`, op: () => raw.sendUnpooled(isWrite), samples: [] },
  ];
  const groups = [group('get_user', readArgs(read), false), group('add_stamps', writeArgs(write), true)];
  const cases = groups.flat();
  progress(`sequential: ${cases.length} cases × ${SEQ_WARMUP} warm-up + ${SEQ_ROUNDS} interleaved rounds of ${SEQ_PER_ROUND}`);
  for (const c of cases) await timeEach(SEQ_WARMUP, c.op);
  for (let round = 0; round < SEQ_ROUNDS; round++) {
    for (const c of cases) c.samples.push(...(await timeEach(SEQ_PER_ROUND, c.op)));
  }
  const rows: string[][] = [];
  for (const [full, floor, unpooled] of groups as [Case, Case, Case][]) {
    const f = summarize(floor.samples);
    const u = summarize(unpooled.samples);
    for (const c of [full, floor, unpooled]) {
      const s = summarize(c.samples);
      rows.push([c.label, ms(s.p50), ms(s.p99), int(1000 / s.mean), ratio(s.p50 / f.p50), ratio(s.p50 / u.p50)]);
    }
  }
  sections.push(
    [
      `1a. One call at a time (n = ${int(SEQ_ROUNDS * SEQ_PER_ROUND)} per case, ${SEQ_ROUNDS} interleaved rounds; ratios are p50 / baseline p50)`,
      table(['case', 'p50 ms', 'p99 ms', 'ops/s', 'vs floor', 'vs new conn'], rows),
    ].join('\n'),
  );
}

// ------------------------------------------------------------------ 1b. burst of concurrent calls

async function burst(sandbox: RemoteSandbox, capDefault: Stack, cap16: Stack, raw: RawApi): Promise<void> {
  const args = readArgs(sandbox.ready.read);
  interface Case {
    label: string;
    once: () => Promise<unknown>;
    samples: number[];
    peak: number;
  }
  const cases: Case[] = [
    { label: 'get_user ×64 via MCP, default cap (4 in flight)', once: () => capDefault.call('get_user', args), samples: [], peak: 0 },
    { label: 'get_user ×64 via MCP, COUPONTOOLS_MAX_IN_FLIGHT=16', once: () => cap16.call('get_user', args), samples: [], peak: 0 },
    { label: 'raw undici, 64 unpooled requests (baseline)', once: () => raw.sendUnpooled(false), samples: [], peak: 0 },
    { label: 'raw undici, keep-alive Agent, 64 at once (floor)', once: () => raw.send(false, raw.pooled), samples: [], peak: 0 },
  ];
  progress(`burst: ${BURST} concurrent get_user, sandbox +${BURST_LATENCY_MS} ms per request, ${BURST_ROUNDS} interleaved rounds`);
  await sandbox.inject({ latencyMs: BURST_LATENCY_MS, times: Infinity });
  try {
    for (let round = -BURST_WARMUP; round < BURST_ROUNDS; round++) {
      for (const c of cases) {
        await sandbox.resetStats();
        const started = performance.now();
        await Promise.all(Array.from({ length: BURST }, () => c.once()));
        const took = performance.now() - started;
        if (round < 0) continue;
        c.samples.push(took);
        c.peak = Math.max(c.peak, (await sandbox.stats()).peakInFlight);
      }
    }
  } finally {
    await sandbox.clearFaults();
  }
  const base = summarize((cases[2] as Case).samples);
  const rows = cases.map((c) => {
    const s = summarize(c.samples);
    return [c.label, ms(s.p50), ms(s.p99), int((BURST * 1000) / s.p50), String(c.peak), ratio(s.p50 / base.p50)];
  });
  sections.push(
    [
      `1b. Burst: ${BURST} concurrent get_user, sandbox adds ${BURST_LATENCY_MS} ms per request (n = ${BURST_ROUNDS} bursts per case, interleaved; time = whole burst)`,
      table(['case', 'p50 ms', 'p99 ms', 'calls/s', 'peak at API', 'vs unpooled'], rows),
    ].join('\n'),
  );
}

// ------------------------------------------------------------------ 2. memory

const delta = (before: Memory, after: Memory): Memory => ({ heapUsed: after.heapUsed - before.heapUsed, rss: after.rss - before.rss });

async function memory(sandbox: RemoteSandbox, raw: RawApi): Promise<void> {
  const { read, write } = sandbox.ready;
  progress(`memory: ${int(MEM_CALLS)} raw requests, then ${int(MEM_CALLS)} tool calls on a fresh server, then the idempotency store at ${int(IDEM_KEYS)} keys`);
  const rows: string[][] = [];

  // Baseline: the same 5,000 requests, raw, on their own keep-alive Agent.
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 4 });
  for (let i = 0; i < MEM_WARMUP; i++) await raw.send(i % 2 === 1, agent);
  const rawBefore = await settledMemory();
  for (let i = 0; i < MEM_CALLS; i++) await raw.send(i % 2 === 1, agent);
  const rawAfter = await settledMemory();
  await agent.close();

  // The stack: a fresh server and client, warmed up, then 5,000 calls alternating get_user / add_stamps.
  const stack = await startStack(sandbox.ready);
  const call = (i: number): Promise<CallToolResult> => (i % 2 === 0 ? stack.call('get_user', readArgs(read)) : stack.call('add_stamps', writeArgs(write)));
  for (let i = 0; i < MEM_WARMUP; i++) await call(i);
  const sbBefore = await sandbox.stats(true);
  const before = await settledMemory();
  const checkpoints: number[] = [];
  let after = before;
  for (let i = 0; i < MEM_CALLS; i++) {
    await call(i);
    if ((i + 1) % MEM_CHECKPOINT === 0) {
      after = await settledMemory();
      checkpoints.push(after.heapUsed);
    }
  }
  const sbAfter = await sandbox.stats(true);
  const sample = await stack.call('add_stamps', writeArgs(write));
  await stack.close();

  const d = delta(before, after);
  const dr = delta(rawBefore, rawAfter);
  const sandboxGrowth = sbAfter.heapUsed - sbBefore.heapUsed;
  const logged = sbAfter.requests - sbBefore.requests;
  rows.push([`${int(MEM_CALLS)} tool calls via MCP (client + server heap)`, mb(before.heapUsed), mb(after.heapUsed), signedMb(d.heapUsed), bytesEach(d.heapUsed, MEM_CALLS), signedMb(d.rss)]);
  rows.push([`${int(MEM_CALLS)} raw undici requests (baseline)`, mb(rawBefore.heapUsed), mb(rawAfter.heapUsed), signedMb(dr.heapUsed), bytesEach(dr.heapUsed, MEM_CALLS), signedMb(dr.rss)]);
  rows.push([`sandbox worker heap over the MCP calls (request log +${int(logged)})`, mb(sbBefore.heapUsed), mb(sbAfter.heapUsed), signedMb(sandboxGrowth), bytesEach(sandboxGrowth, logged), '(in RSS above)']);

  // Idempotency store: 10,000 remembered add_stamps results, against a plain Map of the same results.
  const result = (): CallToolResult => structuredClone(sample);
  const idemArgs = (i: number): Record<string, unknown> => ({ loyalty_card_id: write.card, user_id: write.user + (i % 40), amount: 1 + (i % 3) });
  const mapBefore = await settledMemory();
  let map: Map<string, CallToolResult> | undefined = new Map();
  for (let i = 0; i < IDEM_KEYS; i++) map.set(`receipt-${i}`, result());
  const mapAfter = await settledMemory();
  const mapSize = map.size;
  map = undefined;

  const storeBefore = await settledMemory();
  const memory = new MemoryStore();
  const store = new IdempotencyStore(memory);
  const fill = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      const claim = await store.claim('add_stamps', `receipt-${i}`, idemArgs(i));
      if (claim.kind !== 'first') throw new Error(`idempotency key ${i} was not new`);
      await claim.settle(result(), true);
    }
  };
  await fill(0, IDEM_KEYS);
  const storeAt10k = await settledMemory();
  const sizeAt10k = memory.size;
  await fill(IDEM_KEYS, 2 * IDEM_KEYS);
  const storeAt20k = await settledMemory();
  const dm = mapAfter.heapUsed - mapBefore.heapUsed;
  const ds = storeAt10k.heapUsed - storeBefore.heapUsed;
  const ds2 = storeAt20k.heapUsed - storeBefore.heapUsed;
  const resultBytes = JSON.stringify(sample).length;
  rows.push([`IdempotencyStore, ${int(sizeAt10k)} keys (add_stamps results, ${int(resultBytes)} B as JSON)`, mb(storeBefore.heapUsed), mb(storeAt10k.heapUsed), signedMb(ds), bytesEach(ds, sizeAt10k), signedMb(storeAt10k.rss - storeBefore.rss)]);
  rows.push([`IdempotencyStore after ${int(2 * IDEM_KEYS)} claims (cap ${int(MAX_IDEMPOTENCY_KEYS)}, holds ${int(memory.size)})`, mb(storeBefore.heapUsed), mb(storeAt20k.heapUsed), signedMb(ds2), bytesEach(ds2, memory.size), signedMb(storeAt20k.rss - storeBefore.rss)]);
  rows.push([`plain Map of the same ${int(mapSize)} results (baseline)`, mb(mapBefore.heapUsed), mb(mapAfter.heapUsed), signedMb(dm), bytesEach(dm, mapSize), signedMb(mapAfter.rss - mapBefore.rss)]);

  const trend = checkpoints.map((h) => (h / 1024 / 1024).toFixed(1)).join(', ');
  sections.push(
    [
      `2. Memory, after ${gcExposed ? 'full GCs (--expose-gc)' : 'NO forced GC (--expose-gc missing: figures are noisy)'}; RSS is the whole process, sandbox worker included`,
      table(['what', 'heap before', 'heap after', 'heap Δ', 'Δ per item', 'RSS Δ'], rows),
      `   heap after each ${int(MEM_CHECKPOINT)} MCP calls: ${trend} MB; IdempotencyStore / Map at ${int(IDEM_KEYS)}: ${ratio(ds / dm)}`,
    ].join('\n'),
  );
}

// ------------------------------------------------------------------ main

/**
 * `npm run bench -- peers memory` runs only the sections named (tools-list, sequential, burst, memory, peers, transports, import);
 * `--runs N` repeats the peers section N times (default 3) for the spread; `--profile` writes CPU profiles of
 * our server and the lean peer under load and prints where the time goes (alone, unless sections are named too).
 */
const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  if (i === -1) return undefined;
  const [, value] = argv.splice(i, 2);
  return value ?? '';
};
const runsArg = flag('--runs');
const runs = runsArg === undefined ? 3 : Number(runsArg);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a whole number of at least 1, not ${runsArg}`);
const profile = argv.includes('--profile');
const only = new Set(argv.filter((a) => a !== '--profile'));
const known = ['tools-list', 'sequential', 'burst', 'memory', 'peers', 'transports', 'import'];
for (const name of only) if (!known.includes(name)) throw new Error(`unknown bench section ${name}: use ${known.join(', ')}`);
const wanted = (name: string): boolean => (only.size === 0 && !profile) || only.has(name);
const sandbox = await RemoteSandbox.start();
const raw = new RawApi(sandbox.ready);
try {
  if (wanted('tools-list') || wanted('sequential') || wanted('burst')) {
    const capDefault = await startStack(sandbox.ready);
    const cap16 = await startStack(sandbox.ready, { COUPONTOOLS_MAX_IN_FLIGHT: '16' });
    try {
      if (wanted('tools-list')) toolsListSize(capDefault);
      if (wanted('sequential')) await sequential(sandbox, capDefault, raw);
      if (wanted('burst')) await burst(sandbox, capDefault, cap16, raw);
    } finally {
      await capDefault.close();
      await cap16.close();
    }
  }
  if (wanted('memory')) await memory(sandbox, raw);
  if (wanted('peers')) sections.push(await versusPeers(BINARY, sandbox.ready, runs, progress));
  if (wanted('transports')) sections.push(await transports(sandbox.ready, progress));
  if (wanted('import')) sections.push(await importBench(sandbox, BINARY, progress));
  if (profile) sections.push(await profileSection(BINARY, sandbox.ready, progress));
} finally {
  await raw.close();
  await sandbox.close();
}

const cpu = cpus();
const load = `load average (1 min) ${loadAtStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end`;
const facts = `machine: node ${process.version}, ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${platform()} ${arch()}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM; ${load}; loopback 127.0.0.1, sandbox in a worker thread`;
process.stdout.write(`\n${sections.join('\n\n')}\n\n${facts}\nbench ran ${((performance.now() - startedAt) / 1000).toFixed(1)} s (after the build)\n`);
