// Cold start: spawning the built binary (sandbox mode, no credentials) to its answers over stdio.
import { spawn } from 'node:child_process';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

export interface ColdStart {
  /** Spawn to the answer to initialize, ms. */
  initialize: number;
  /** Spawn to the answer to tools/list (sent right after initialize's answer), ms. */
  toolsList: number;
  tools: number;
}

/** The environment without any COUPONTOOLS_* setting: the server starts in sandbox mode. */
function sandboxEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('COUPONTOOLS_')) delete env[key];
  return env;
}

const TIMEOUT_MS = 15_000;

export function coldStart(binary: string, extraEnv: Record<string, string> = {}): Promise<ColdStart> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [binary], { env: { ...sandboxEnv(), ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
    let initialize = 0;
    let result: ColdStart | undefined;
    let stdout = '';
    let stderr = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    const send = (message: object): void => void child.stdin.write(`${JSON.stringify(message)}\n`);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (let nl = stdout.indexOf('\n'); nl !== -1; nl = stdout.indexOf('\n')) {
        const line = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        const message = JSON.parse(line) as { id?: number; result?: { tools?: unknown[] } };
        if (message.id === 1) {
          initialize = performance.now() - started;
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
        } else if (message.id === 2) {
          result = { initialize, toolsList: performance.now() - started, tools: message.result?.tools?.length ?? 0 };
          child.stdin.end(); // EOF: the server shuts down by itself
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (result) resolve(result);
      else reject(new Error(`server exited (${signal ?? code}) before answering tools/list: ${stderr.trim().slice(0, 500)}`));
    });
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } },
    });
  });
}

/** Spawn to exit of `node -e ""`: what any Node program pays before its first line runs. */
export function bareNode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`node -e "" exited ${code}`))));
  });
}
