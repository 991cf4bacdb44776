// Our shipped binary against a minimal SDK server, both as real processes over stdio, measured in one run.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { BENCH_API_KEY, BENCH_API_SECRET, type SandboxReady } from './shared.js';

/** This run's own code-cache folder: the first start of our server fills it (a warm-up), the rest use it. */
export const BENCH_CODE_CACHE = mkdtempSync(join(tmpdir(), 'ct-bench-code-cache-'));

export const MINIMAL_SERVER = fileURLToPath(new URL('./minimal-server.js', import.meta.url));

interface Answer {
  id: number;
  result?: { isError?: boolean; tools?: unknown[] };
  error?: unknown;
}

/** A raw JSON-RPC peer on a server's stdin/stdout: no SDK client, so the client's own work stays out of the figures. */
export class RawPeer {
  private buffer = '';
  private nextId = 1;
  private readonly waiting = new Map<number, (a: Answer) => void>();
  readonly started = performance.now();
  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let nl = this.buffer.indexOf('\n'); nl !== -1; nl = this.buffer.indexOf('\n')) {
        const answer = JSON.parse(this.buffer.slice(0, nl)) as Answer;
        this.buffer = this.buffer.slice(nl + 1);
        this.waiting.get(answer.id)?.(answer);
        this.waiting.delete(answer.id);
      }
    });
  }

  static spawn(script: string, env: Record<string, string>): RawPeer {
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('COUPONTOOLS_')) clean[k] = v;
    return new RawPeer(spawn(process.execPath, [script], { env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  request(method: string, params: Record<string, unknown>): Promise<Answer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  async initialize(): Promise<number> {
    await this.request('initialize', { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } });
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    const list = await this.request('tools/list', {});
    if (!list.result?.tools?.length) throw new Error('tools/list answered no tools');
    return performance.now() - this.started;
  }

  async call(name: string, args: Record<string, unknown>): Promise<void> {
    const answer = await this.request('tools/call', { name, arguments: args });
    if (answer.error || answer.result?.isError) throw new Error(`${name} failed: ${JSON.stringify(answer).slice(0, 300)}`);
  }

  /** User + system CPU the process has used, in ms (from /proc; 10 ms ticks). */
  cpuMs(): number {
    const fields = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /** Peak resident memory of the process so far, in bytes (VmHWM). */
  peakRss(): number {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1];
    return Number(kb) * 1024;
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end();
    await exited;
  }
}

export interface Contender {
  label: string;
  script: string;
  env: Record<string, string>;
  tool: string;
  args: Record<string, unknown>;
}

export function contenders(binary: string, sandbox: SandboxReady, inFlight: number): [Contender, Contender] {
  return [
    {
      label: 'coupontools-mcp (bundle, live mode against the sandbox), get_user',
      script: binary,
      env: { COUPONTOOLS_API_KEY: BENCH_API_KEY, COUPONTOOLS_API_SECRET: BENCH_API_SECRET, COUPONTOOLS_BASE_URL: sandbox.url, COUPONTOOLS_MAX_IN_FLIGHT: String(inFlight), COUPONTOOLS_CODE_CACHE: BENCH_CODE_CACHE },
      tool: 'get_user',
      args: { loyalty_card_id: sandbox.read.card, user_id: sandbox.read.user },
    },
    { label: 'minimal SDK server (McpServer + stdio + echo), echo', script: MINIMAL_SERVER, env: {}, tool: 'echo', args: { text: 'hello' } },
  ];
}

/** Calls with `inFlight` always outstanding; returns the wall time in ms. */
export async function drive(peer: RawPeer, c: Contender, calls: number, inFlight: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < calls) {
      next++;
      await peer.call(c.tool, c.args);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return performance.now() - started;
}
