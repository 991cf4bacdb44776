// Running the built programs (dist/src/*.js) as a user or a client would: clean environment, captured output.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { allTools } from '../../tools/index.js';

/** The contract (issue 8): the process is gone this soon after EOF, a signal or its client. */
export const EXIT_DEADLINE_MS = 2000;

/** The built server entry point. */
export const BIN = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
const DIST = new URL('../../dist/src/', import.meta.url);

/** The test process's environment without any COUPONTOOLS_* a developer may have set, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('COUPONTOOLS_')) env[k] = v;
  return { ...env, ...extra };
}

/**
 * What a terminal acts on in a CLI verb's output: C0 controls but the newline between lines (ESC,
 * CR and tab among them), DEL, C1, and bidi overrides and isolates (U+202A–202E, U+2066–2069).
 */
// eslint-disable-next-line no-control-regex -- control characters are what this pattern is for
export const TERMINAL_ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/src/<script> to completion with `input` on stdin (then EOF). */
export function runBuilt(script: string, args: string[], env: Record<string, string> = {}, input = ''): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(script, DIST)), ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A server process driven line by line, as a raw JSON-RPC peer (for input no SDK client would send). */
export interface RawSession {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  send: (message: unknown) => void;
  raw: (text: string) => void;
  /** The response to request `id`, once it arrives. */
  answer: (id: number | string) => Promise<Record<string, unknown>>;
  /** How the process ended, and how long after this call. */
  whenClosed: () => Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Every stdout line, parsed; throws on a line that is not JSON. */
  messages: () => Array<{ jsonrpc: string; id?: number; result?: Record<string, unknown>; error?: { code: number } }>;
}

/** Starts the built server with `args` and `env`, and initializes a session over raw stdin. */
export async function startRawSession(args: string[], env: Record<string, string>): Promise<RawSession> {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const session: RawSession = {
    child,
    out: () => out,
    err: () => err,
    send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`),
    raw: (text) => child.stdin.write(text),
    // Waits for the line itself (or the process's end), never for a fixed time: a busy machine is slow, not wrong.
    async answer(id) {
      const find = () => out.split('\n').find((l) => l.includes(`"id":${JSON.stringify(id)},`) || l.endsWith(`"id":${JSON.stringify(id)}}`));
      const line = find() ?? (await new Promise<string | undefined>((resolve) => {
        const check = (): void => {
          const found = find();
          if (found === undefined) return;
          child.stdout.off('data', check);
          resolve(found);
        };
        child.stdout.on('data', check);
        void closed.then(() => {
          child.stdout.off('data', check);
          resolve(find());
        });
      }));
      if (line === undefined) throw new Error(`no answer to ${id}; the process ended; stderr: ${err}`);
      return JSON.parse(line) as Record<string, unknown>;
    },
    async whenClosed() {
      const from = Date.now();
      const { code, signal, at } = await closed;
      return { code, signal, ms: at - from };
    },
    messages: () =>
      out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as ReturnType<RawSession['messages']>[number]),
  };
  session.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
  await session.answer(0);
  session.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return session;
}

/** The built binary serving MCP over HTTP (`--http`), on a free loopback port unless `args` say otherwise. */
export interface HttpService {
  /** The /mcp URL it printed at start. */
  url: string;
  child: ChildProcessWithoutNullStreams;
  err: () => string;
  /** Sends `signal` and resolves when the process has ended, with how long that took. */
  stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export async function startHttpService(args: string[], env: Record<string, string>): Promise<HttpService> {
  const child = spawn(process.execPath, [BIN, '--http', '--port', '0', ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const look = (): void => {
      const match = /serving MCP at (http:\/\/\S+\/mcp)/.exec(err);
      if (match) resolve(match[1] as string);
    };
    child.stderr.on('data', look);
    void closed.then(() => reject(new Error(`the service exited before serving: ${err}`)));
  });
  return {
    url,
    child,
    err: () => err,
    async stop(signal = 'SIGTERM') {
      const from = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const { code, signal: sig, at } = await closed;
      return { code, signal: sig, ms: at - from };
    },
  };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (node:http lets a test set Host, fetch does not); a body given as chunks is sent chunked. */
export function raw(url: string, method: string, headers: Record<string, string>, body?: string | string[]): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    // A server that refuses a large body early may close before the client has sent it all.
    req.on('error', reject);
    if (Array.isArray(body)) {
      for (const chunk of body) req.write(chunk);
      req.end();
    } else req.end(body);
  });
}

/** An SDK client connected to the service over Streamable HTTP, sending `token` as its bearer. */
export async function connect(url: string, token: string | undefined): Promise<Client> {
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {});
  await client.connect(transport);
  return client;
}

/** A server running on its defaults: the sandbox, every tool offered. */
export async function expectSandboxDefaults(client: Client): Promise<void> {
  expect((await client.listTools()).tools).toHaveLength(allTools.length);
  const cards = (await client.callTool({ name: 'list_loyalty_cards', arguments: {} })) as CallToolResult;
  expect(cards.isError).toBeFalsy();
  expect(cards.structuredContent).toMatchObject({ sandbox: true });
}
