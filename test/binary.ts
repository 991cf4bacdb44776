// Running the built programs (dist/src/*.js) as a user or a client would: clean environment, captured output.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built server entry point. */
export const BIN = fileURLToPath(new URL('../dist/src/index.js', import.meta.url));
const DIST = new URL('../dist/src/', import.meta.url);

/** The test process's environment without any COUPONTOOLS_* a developer may have set, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('COUPONTOOLS_')) env[k] = v;
  return { ...env, ...extra };
}

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
