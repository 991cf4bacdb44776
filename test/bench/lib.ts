// Bench plumbing: the sandbox worker's proxy, the stack under test, the raw baselines, statistics, memory and the table.
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import { Agent, request } from 'undici';
import { createApp, type App } from '../../src/mcp/assemble.js';
import { parseConfig } from '../../src/config.js';
import { packageInfo } from '../../src/package-info.js';
import type { Fault } from '../../src/sandbox/sandbox.js';
import { BENCH_API_KEY, BENCH_API_SECRET, type MainMessage, type SandboxCommand, type SandboxReady, type SandboxStats, type Target, type WorkerMessage } from './shared.js';

// ---------------------------------------------------------------- sandbox worker

/** The sandbox worker seen from the main thread. */
export class RemoteSandbox {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: SandboxStats | null) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly ready: SandboxReady,
  ) {
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'ready') return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.kind === 'reply') waiter?.resolve(message.value);
      else waiter?.reject(new Error(`sandbox worker: ${message.message}`));
    });
    worker.on('error', (err) => {
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
    });
  }

  static async start(): Promise<RemoteSandbox> {
    const worker = new Worker(new URL('./sandbox-worker.js', import.meta.url));
    const ready = await new Promise<SandboxReady>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`sandbox worker exited with ${code} before it was ready`)));
      worker.once('message', (message: WorkerMessage) => (message.kind === 'ready' ? resolve(message.ready) : reject(new Error('unexpected first message'))));
    });
    worker.removeAllListeners('exit');
    return new RemoteSandbox(worker, ready);
  }

  private send(command: SandboxCommand): Promise<SandboxStats | null> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, command } satisfies MainMessage);
    });
  }

  async inject(fault: Fault): Promise<void> {
    await this.send({ op: 'inject', fault });
  }
  async clearFaults(): Promise<void> {
    await this.send({ op: 'clearFaults' });
  }
  async resetStats(): Promise<void> {
    await this.send({ op: 'resetStats' });
  }
  /** With gc, after a full GC in the worker (for heap figures). */
  async stats(gc = false): Promise<SandboxStats> {
    const value = await this.send({ op: 'stats', gc });
    if (!value) throw new Error('sandbox worker sent no stats');
    return value;
  }
  async close(): Promise<void> {
    await this.send({ op: 'close' });
    await this.worker.terminate();
  }
}

// ---------------------------------------------------------------- the stack under test

export const readArgs = (t: Target): Record<string, unknown> => ({ loyalty_card_id: t.card, user_id: t.user });
export const writeArgs = (t: Target): Record<string, unknown> => ({ loyalty_card_id: t.card, user_id: t.user, amount: 1 });

/** The real server (createApp, live mode against the sandbox over loopback), driven by the SDK Client in memory. */
export interface Stack {
  app: App;
  /** The tools/list answer the client got, as it got it. */
  listed: ListToolsResult;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export async function startStack(sandbox: SandboxReady, env: Record<string, string> = {}): Promise<Stack> {
  const action = parseConfig([], { COUPONTOOLS_API_KEY: BENCH_API_KEY, COUPONTOOLS_API_SECRET: BENCH_API_SECRET, COUPONTOOLS_BASE_URL: sandbox.url, ...env });
  if (action.action !== 'run') throw new Error('parseConfig did not return a run action');
  // Log lines are kept (and shown if a call fails), never printed: the table is the output.
  const errors: string[] = [];
  const app = await createApp(action.config, { stderr: (line) => errors.push(line) });
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([client.connect(clientSide), app.server.connect(serverSide)]);
  // As a real client does: list first, so the SDK client checks every result against its output schema.
  const listed = await client.listTools();
  return {
    app,
    listed,
    async call(name, args) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content).slice(0, 300)} ${errors.join(' | ')}`);
      return result;
    },
    async close() {
      await client.close();
      await app.close();
      // A quiet server is part of the figures (a log line per call would be work and memory): say so if it was not.
      if (errors.length > 0) process.stderr.write(`bench: the server logged ${errors.length} line(s), first: ${errors[0]}\n`);
    },
  };
}

// ---------------------------------------------------------------- raw baselines

/** The same HTTP requests the server sends, made directly with undici. */
export class RawApi {
  /** A keep-alive pool like the server's: the floor. */
  readonly pooled = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  private readonly headers: Record<string, string> = {
    'x-api-key': BENCH_API_KEY,
    'x-api-secret': BENCH_API_SECRET,
    accept: 'application/json',
    'content-type': 'application/json',
    'user-agent': `${packageInfo.name}/${packageInfo.version} (node ${process.versions.node})`,
  };
  private readonly readUrl: string;
  private readonly writeUrl: string;

  constructor(sandbox: SandboxReady) {
    const path = (t: Target): string => `${sandbox.url}/loyalty/loyalty-cards/${t.card}/stats/${t.user}`;
    this.readUrl = path(sandbox.read);
    this.writeUrl = path(sandbox.write);
  }

  /** get_user's request (write=false) or add_stamps' (write=true), answer read and parsed. */
  async send(write: boolean, dispatcher: Agent): Promise<unknown> {
    const res = await request(write ? this.writeUrl : this.readUrl, {
      method: write ? 'POST' : 'GET',
      headers: this.headers,
      body: write ? JSON.stringify({ amount: 1 }) : undefined,
      dispatcher,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`raw ${write ? 'POST' : 'GET'} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  }

  /** The way a hand-rolled wrapper often does it: a new client, so a new TCP connection, per request. */
  async sendUnpooled(write: boolean): Promise<unknown> {
    const agent = new Agent();
    try {
      return await this.send(write, agent);
    } finally {
      await agent.close();
    }
  }

  close(): Promise<void> {
    return this.pooled.close();
  }
}

// ---------------------------------------------------------------- timing and statistics

/** Runs op n times one after another; returns each duration in ms. */
export async function timeEach(n: number, op: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await op();
    out.push(performance.now() - started);
  }
  return out;
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentiles. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
  const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), mean, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

// ---------------------------------------------------------------- memory

export const gcExposed = typeof (globalThis as { gc?: unknown }).gc === 'function';

export interface Memory {
  heapUsed: number;
  rss: number;
}

/** Memory after full GCs (when --expose-gc is on), with a few turns of the event loop in between for deferred frees. */
export async function settledMemory(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await delay(20);
  gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

// ---------------------------------------------------------------- formatting

export const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(3));
export const int = (x: number): string => Math.round(x).toLocaleString('en-US');
export const ratio = (x: number): string => `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`;
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const signedMb = (bytes: number): string => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 1024 / 1024).toFixed(2)} MB`;
export const bytesEach = (bytes: number, n: number): string => `${bytes / n >= 0 ? '+' : '−'}${int(Math.abs(bytes / n))} B`;

/** A plain text table: first column left-aligned, the others right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
