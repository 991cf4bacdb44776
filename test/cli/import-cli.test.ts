// The import verb as a real process: plan, run with plain progress lines, resume across processes, Ctrl-C, bad input.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { BIN, cleanEnv, runBuilt, TERMINAL_ACTIVE } from '../support/binary.js';

const KEY = 'cli-key';
const SECRET = 'cli-secret-93f1a';

function customers(dir: string, n: number, tag: string): string {
  const lines = ['E-mail;First name'];
  for (let i = 1; i <= n; i++) lines.push(`${tag}-${i}@example.com;F${i}`);
  const path = join(dir, `${tag}.csv`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const live = (s: Sandbox): Record<string, string> => ({ COUPONTOOLS_API_KEY: KEY, COUPONTOOLS_API_SECRET: SECRET, COUPONTOOLS_BASE_URL: s.url });

describe('coupontools-mcp import', () => {
  it('plans with --dry-run, imports with plain progress lines, and a second run skips what the journal says was applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-import-cli-'));
    const file = customers(dir, 450, 'cli');
    const state = join(dir, 'sandbox.json');
    const env = { COUPONTOOLS_SANDBOX_STATE: state };

    const plan = await runBuilt('index.js', ['import', file, '--card', '1001', '--dry-run'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('columns: “E-mail” → email, “First name” → first_name');
    expect(plan.stdout).toContain('450 to create');
    expect(plan.stderr).toContain('SANDBOX');
    expect(existsSync(`${file}.card-1001.result.csv`)).toBe(false);

    const run = await runBuilt('index.js', ['import', file, '--card=1001'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('progress: '))).toEqual([
      'progress: 0/450 rows',
      'progress: 200/450 rows',
      'progress: 400/450 rows',
      'progress: 450/450 rows',
    ]);
    expect(run.stdout).toContain('done: sent 450 rows in 3 chunks; 450 created, 0 rejected, 0 unknown, 0 not sent');
    expect(run.stdout).toContain('result file: cli.csv.card-1001.result.csv');
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { holders: Array<{ email: string }> };
    expect(saved.holders.filter((h) => h.email.startsWith('cli-'))).toHaveLength(450);

    const again = await runBuilt('index.js', ['import', file, '--card', '1001'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('450 imported before, 0 to create');
    expect(again.stdout).toContain('sent 0 rows in 0 chunks');
  });

  it('Ctrl-C stops after the chunks in flight and says what was sent; running it again finishes with nobody created twice', async () => {
    sandbox = await startSandbox({ apiKey: KEY, apiSecret: SECRET });
    const dir = mkdtempSync(join(tmpdir(), 'ct-import-cli-'));
    const file = customers(dir, 2000, 'sigint');
    sandbox.inject({ path: /\/stats\/bulk$/, latencyMs: 0, times: 4 });
    sandbox.inject({ path: /\/stats\/bulk$/, latencyMs: 1000, times: Infinity });
    const child = spawn(process.execPath, [BIN, 'import', file, '--card', '1001'], { env: cleanEnv(live(sandbox)), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!interrupted && /progress: [1-9]/.test(out)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(130);
    const line = out.split('\n').find((l) => l.startsWith('cancelled: sent '));
    const sent = Number(/sent ([\d,]+) rows/.exec(line ?? '')?.[1]?.replace(/,/g, ''));
    const created = Number(/([\d,]+) created/.exec(line ?? '')?.[1]?.replace(/,/g, ''));
    expect(sent).toBe(created);
    expect(sent).toBeLessThan(2000);
    const onCard = (): number => (sandbox as Sandbox).state.holders.filter((h) => h.email.startsWith('sigint-')).length;
    expect(onCard()).toBe(created);

    sandbox.clearFaults();
    const rest = await runBuilt('index.js', ['import', file, '--card', '1001'], live(sandbox));
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain(`${(2000 - created).toLocaleString('en-US')} created`);
    expect(onCard()).toBe(2000);
    const emails = sandbox.state.holders.filter((h) => h.email.startsWith('sigint-')).map((h) => h.email);
    expect(new Set(emails).size).toBe(2000);
  });

  // Issue 20 item 6: a customer file's headers and the API's words reach the terminal quoted and inert.
  it('a hostile file and API: headers and reasons are quoted on one line each, no escape sequence, no forged line', async () => {
    sandbox = await startSandbox({ apiKey: KEY, apiSecret: SECRET });
    const dir = mkdtempSync(join(tmpdir(), 'ct-import-cli-'));
    const forged = '\ndone: sent 2 rows in 1 chunks; 2 created, 0 rejected, 0 unknown, 0 not sent';
    const file = join(dir, 'hostile.csv');
    writeFileSync(file, `E-mail;First name;\u001b[2Jnote\u202Eexe.\n${['a', 'b'].map((t) => `${t}@example.com;F;x`).join('\n')}\n`);
    sandbox.inject({ path: /\/stats\/bulk$/, status: 422, body: { message: `refused\u001b[2J\r${forged}\u2066x\u2069` }, times: Infinity });
    const r = await runBuilt('index.js', ['import', file, '--card', '1001'], live(sandbox));
    expect(r.code, r.stderr).toBe(1);
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toMatch(TERMINAL_ACTIVE);
      expect(out).not.toContain('\r');
    }
    // The one status line is the real one: nothing was created.
    const status = r.stdout.split('\n').filter((l) => /^(done|stopped): /.test(l));
    expect(status).toHaveLength(1);
    expect(status[0]).toMatch(/; 0 created, /);
    expect(r.stdout).toContain('not imported: “[2Jnote exe.”');
    expect(r.stdout).toContain('columns: “E-mail” → email, “First name” → first_name');
    expect(r.stdout).toMatch(/\n {2}row 2: rows 2–3: HTTP 422: “refused \[2J done: sent 2 rows in 1 chunks; 2 created, 0 rejected, 0 unknown, 0 not sent x”/);
  });

  it('says what is wrong with exit 2 and sends nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-import-cli-'));
    const file = customers(dir, 2, 'bad');
    const noCard = await runBuilt('index.js', ['import', file]);
    expect(noCard.code).toBe(2);
    expect(noCard.stderr).toContain('import needs --card ID');
    const folder = await runBuilt('index.js', ['import', dir, '--card', '1001']);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain('not a regular file');
    const missing = await runBuilt('index.js', ['import', join(dir, 'nope.csv'), '--card', '1001']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no file');
    writeFileSync(join(dir, 'headless.csv'), 'a@example.com,Ann\nb@example.com,Bob\n');
    const headless = await runBuilt('index.js', ['import', join(dir, 'headless.csv'), '--card', '1001']);
    expect(headless.code).toBe(2);
    expect(headless.stderr).toContain('No header row found');
  });
});
