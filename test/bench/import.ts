// Import at scale: 10,000 rows against 20 ms of API latency, and 100,000 rows streamed through the built server as a process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CHUNK_ROWS, CHUNKS_IN_FLIGHT } from '../../src/import/run.js';
import { int, ms, startStack, table, type RemoteSandbox } from './lib.js';
import { BENCH_API_KEY, BENCH_API_SECRET } from './shared.js';

/** Targets from issue 11; the table says whether each run met it. */
const FAST_ROWS = 10_000;
const FAST_LATENCY_MS = 20;
const FAST_TARGET_MS = 1500;
const BIG_ROWS = 100_000;
const BIG_TARGET_RSS_MB = 150;
const BULK = /\/stats\/bulk$/;

function customers(path: string, rows: number, tag: string): void {
  const lines = ['E-mail,First name,Last name,Mobile,Postcode,City'];
  for (let i = 1; i <= rows; i++) lines.push(`${tag}-${i}@example.com,First${i},Last${i},+3247${String(i).padStart(7, '0')},${1000 + (i % 9000)},Brussels`);
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** Peak and current resident memory of a process, from /proc (Linux); undefined elsewhere. */
function residentMb(pid: number): { peak: number; now: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

const check = (ok: boolean): string => (ok ? 'met' : 'MISSED');

export async function importBench(sandbox: RemoteSandbox, binary: string, progress: (message: string) => void): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-bench-import-'));
  const rows: string[][] = [];
  try {
    // 1. 10,000 rows, 20 ms added to every bulk request, the server in this process (as in section 1).
    progress(`import: ${int(FAST_ROWS)} rows, sandbox +${FAST_LATENCY_MS} ms per bulk request`);
    customers(join(dir, 'fast.csv'), FAST_ROWS, 'fast');
    const stack = await startStack(sandbox.ready, { COUPONTOOLS_IMPORT_DIR: dir, COUPONTOOLS_CONFIRM: 'off' });
    await sandbox.inject({ path: BULK, latencyMs: FAST_LATENCY_MS, times: Infinity });
    await sandbox.resetStats();
    let took: number;
    try {
      const started = performance.now();
      const result = await stack.call('import_users', { loyalty_card_id: 1001, file: 'fast.csv' });
      took = performance.now() - started;
      const created = (result.structuredContent as { created?: number }).created;
      if (created !== FAST_ROWS) throw new Error(`import created ${created} of ${FAST_ROWS}`);
    } finally {
      await sandbox.clearFaults();
      await stack.close();
    }
    const peak = (await sandbox.stats()).peakInFlight;
    const chunks = Math.ceil(FAST_ROWS / CHUNK_ROWS);
    const oneAtATime = chunks * FAST_LATENCY_MS;
    rows.push([`${int(FAST_ROWS)} rows, +${FAST_LATENCY_MS} ms API latency (plan + ${chunks} chunks, ${peak} in flight at the API)`, `${ms(took)} ms`, `≤ ${int(FAST_TARGET_MS)} ms: ${check(took <= FAST_TARGET_MS)}`]);
    rows.push([`  (floor: the same ${chunks} chunks one at a time would wait ${int(oneAtATime)} ms on latency alone)`, '', '']);

    // 2. 100,000 rows through the built binary over stdio: its own process, so its RSS is the server's alone.
    progress(`import: ${int(BIG_ROWS)} rows through the built server (a child process over stdio)`);
    customers(join(dir, 'big.csv'), BIG_ROWS, 'big');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('COUPONTOOLS_')) env[k] = v;
    Object.assign(env, {
      COUPONTOOLS_API_KEY: BENCH_API_KEY,
      COUPONTOOLS_API_SECRET: BENCH_API_SECRET,
      COUPONTOOLS_BASE_URL: sandbox.ready.url,
      COUPONTOOLS_IMPORT_DIR: dir,
      COUPONTOOLS_CONFIRM: 'off',
    });
    const transport = new StdioClientTransport({ command: process.execPath, args: [binary], env, stderr: 'ignore' });
    const client = new Client({ name: 'bench-import', version: '1.0.0' });
    await client.connect(transport);
    const pid = transport.pid;
    const idle = pid !== null ? residentMb(pid) : undefined;
    let bigTook: number;
    let report: Record<string, unknown>;
    let memory: ReturnType<typeof residentMb>;
    try {
      const started = performance.now();
      const result = (await client.callTool({ name: 'import_users', arguments: { loyalty_card_id: 1002, file: 'big.csv' } }, undefined, { timeout: 180_000 })) as CallToolResult;
      bigTook = performance.now() - started;
      if (result.isError) throw new Error(`100,000-row import failed: ${JSON.stringify(result.content).slice(0, 300)}`);
      report = result.structuredContent as Record<string, unknown>;
    } finally {
      memory = pid !== null ? residentMb(pid) : undefined;
      await client.close();
    }
    if (report.created !== BIG_ROWS) throw new Error(`import created ${String(report.created)} of ${BIG_ROWS}`);
    const frame = Buffer.byteLength(JSON.stringify(report)) * 2;
    rows.push([`${int(BIG_ROWS)} rows via the built binary (${int(BIG_ROWS / CHUNK_ROWS)} chunks, ${CHUNKS_IN_FLIGHT} in flight)`, `${ms(bigTook)} ms`, `${int(BIG_ROWS / (bigTook / 1000))} rows/s`]);
    rows.push([
      '  server peak RSS (VmHWM) over the whole import',
      memory ? `${memory.peak.toFixed(0)} MB` : 'n/a',
      memory ? `≤ ${BIG_TARGET_RSS_MB} MB: ${check(memory.peak <= BIG_TARGET_RSS_MB)}` : 'not Linux',
    ]);
    rows.push(['  server RSS after initialize (baseline)', idle ? `${idle.now.toFixed(0)} MB` : 'n/a', '']);
    rows.push(['  result frame (structured + text), bytes', int(frame), '< 64 KB']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [`5. Import (import_users): CSV → plan → bulk chunks of ${CHUNK_ROWS}, against the sandbox worker`, table(['case', 'time / size', 'target'], rows)].join('\n');
}
