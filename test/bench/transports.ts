// Bench section: the built binary over stdio and over --http, and the SDK's minimal HTTP server, each at 32 calls in flight.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { int, ms, ratio, readArgs, summarize, table } from './lib.js';
import { BENCH_API_KEY, BENCH_API_SECRET, type SandboxReady } from './shared.js';

const BINARY = fileURLToPath(new URL('../../../../dist/src/index.js', import.meta.url));
const MINIMAL = fileURLToPath(new URL('./minimal-http-server.js', import.meta.url));
export const IN_FLIGHT = 32;
const WARMUP = 200;
const CALLS = 1_000;
const TOKEN = 'bench-http-token-0123456789';

function env(sandbox: SandboxReady): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(out)) if (key.startsWith('COUPONTOOLS_')) delete out[key];
  // The upstream cap at 32 too, so the figures compare transports, not the default cap of 4.
  return { ...out, COUPONTOOLS_API_KEY: BENCH_API_KEY, COUPONTOOLS_API_SECRET: BENCH_API_SECRET, COUPONTOOLS_BASE_URL: sandbox.url, COUPONTOOLS_MAX_IN_FLIGHT: String(IN_FLIGHT) };
}

/** Starts a process and resolves with the first match of `pattern` in its output (stderr or stdout). */
function startProcess(args: string[], environment: NodeJS.ProcessEnv, pattern: RegExp): Promise<{ child: ChildProcess; match: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    const look = (d: Buffer): void => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) resolve({ child, match: m[1] as string });
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${seen}`)));
  });
}

/** Runs `total` calls with `IN_FLIGHT` at a time; returns each call's latency and the wall time. */
async function closedLoop(total: number, op: () => Promise<unknown>): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < total) {
        next++;
        const t = performance.now();
        await op();
        samples.push(performance.now() - t);
      }
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

interface Case {
  label: string;
  open: () => Promise<{ client: Client; stop: () => void }>;
}

export async function transports(sandbox: SandboxReady, progress: (m: string) => void): Promise<string> {
  const args = readArgs(sandbox.read);
  const connect = async (transport: Transport): Promise<Client> => {
    const client = new Client({ name: 'bench', version: '1.0.0' });
    await client.connect(transport);
    await client.listTools();
    return client;
  };
  const cases: Case[] = [
    {
      label: 'get_user over stdio (the built binary)',
      open: async () => {
        const transport = new StdioClientTransport({ command: process.execPath, args: [BINARY], env: env(sandbox) as Record<string, string>, stderr: 'ignore' });
        return { client: await connect(transport), stop: () => undefined };
      },
    },
    {
      label: 'get_user over HTTP (the built binary, --http, bearer token)',
      open: async () => {
        const { child, match } = await startProcess([BINARY, '--http', '--port', '0'], { ...env(sandbox), COUPONTOOLS_HTTP_TOKENS: TOKEN }, /serving MCP at (\S+\/mcp)/);
        const transport = new StreamableHTTPClientTransport(new URL(match), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
        return { client: await connect(transport), stop: () => void child.kill('SIGTERM') };
      },
    },
    {
      label: "SDK's minimal stateless HTTP server, tool answers from memory (baseline)",
      open: async () => {
        const { child, match } = await startProcess([MINIMAL], process.env, /(http:\S+\/mcp)/);
        return { client: await connect(new StreamableHTTPClientTransport(new URL(match))), stop: () => void child.kill('SIGTERM') };
      },
    },
  ];
  progress(`transports: ${cases.length} cases, ${WARMUP} warm-up + ${int(CALLS)} calls each, ${IN_FLIGHT} in flight`);
  const rows: string[][] = [];
  let baseline = 0;
  const results: Array<{ label: string; p50: number; p99: number; rate: number }> = [];
  for (const c of cases) {
    const { client, stop } = await c.open();
    try {
      const call = async (): Promise<void> => {
        const r = (await client.callTool({ name: 'get_user', arguments: args })) as CallToolResult;
        if (r.isError) throw new Error(`${c.label}: ${JSON.stringify(r.content).slice(0, 200)}`);
      };
      await closedLoop(WARMUP, call);
      const { samples, wallMs } = await closedLoop(CALLS, call);
      const s = summarize(samples);
      results.push({ label: c.label, p50: s.p50, p99: s.p99, rate: (CALLS * 1000) / wallMs });
    } finally {
      await client.close();
      stop();
    }
  }
  baseline = (results[2] as { rate: number }).rate;
  for (const r of results) rows.push([r.label, ms(r.p50), ms(r.p99), int(r.rate), ratio(r.rate / baseline)]);
  return [
    `4. Transports: get_user, ${IN_FLIGHT} calls in flight (n = ${int(CALLS)} per case; COUPONTOOLS_MAX_IN_FLIGHT=${IN_FLIGHT}; server in its own process)`,
    table(['case', 'p50 ms', 'p99 ms', 'calls/s', 'vs minimal'], rows),
  ].join('\n');
}
