// Test harness: the real server, wired to the loopback sandbox over HTTP, driven by the SDK Client in memory.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { createApp, type App } from '../../src/mcp/assemble.js';
import { parseConfig, type Config } from '../../src/config.js';
import { startSandbox, type Sandbox, type SandboxDialect } from '../../src/sandbox/sandbox.js';
import { cuedDeadlines } from './deadlines.js';

/** A distinctive secret: any test output containing it is a leak. */
export const TEST_SECRET = 'sk_live_TEST-SECRET-7d1f9c2a';
export const TEST_KEY = 'client-id-test';

/** Settings for the built server in live mode against a test sandbox at `url`. */
export function liveEnv(url: string): Record<string, string> {
  return { COUPONTOOLS_API_KEY: TEST_KEY, COUPONTOOLS_API_SECRET: TEST_SECRET, COUPONTOOLS_BASE_URL: url };
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Answer elicitation requests; when absent the client does not declare elicitation. */
  elicit?: (message: string) => Promise<ElicitResult> | ElicitResult;
  now?: () => number;
  /** Run the server in sandbox mode (no credentials) instead of live mode against a test sandbox. */
  sandboxMode?: boolean;
  /** The wire dialect the test sandbox speaks (live mode only); the matching profile goes in `env`. */
  dialect?: Partial<SandboxDialect>;
}

export interface Harness {
  /** Every harness writes an audit log; close() checks it holds no personal value and no secret. */
  auditPath: string;
  client: Client;
  sandbox: Sandbox;
  app: App;
  stderr: string[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** Argument keys whose values are ids or controls, not personal data. */
const NOT_PERSONAL = new Set(['loyalty_card_id', 'user_id', 'reward_ids', 'recipient_user_ids', 'amount', 'page', 'limit', 'include_voided', 'confirm_token', 'idempotency_key']);

/** The personal values in a call's arguments (names, emails, phones, addresses, custom values, push text). */
function personalValues(args: Record<string, unknown>, out: Set<string>): void {
  for (const [key, value] of Object.entries(args)) {
    if (NOT_PERSONAL.has(key)) continue;
    if (typeof value === 'string') {
      if (value.trim().length >= 3) out.add(value.trim());
    } else if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v === 'object') personalValues(v as Record<string, unknown>, out);
    } else if (value && typeof value === 'object') {
      personalValues(value as Record<string, unknown>, out);
    }
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  let sandbox: Sandbox | undefined;
  let config: Config;
  const auditPath = options.env?.COUPONTOOLS_AUDIT_LOG ?? join(mkdtempSync(join(tmpdir(), 'ct-audit-')), 'audit.jsonl');
  options = { ...options, env: { COUPONTOOLS_AUDIT_LOG: auditPath, ...options.env } };
  if (options.sandboxMode) {
    const action = parseConfig([], { ...options.env });
    if (action.action !== 'run') throw new Error('unexpected');
    config = action.config;
  } else {
    sandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET, ...(options.dialect ? { dialect: options.dialect } : {}) });
    const action = parseConfig([], {
      COUPONTOOLS_API_KEY: TEST_KEY,
      COUPONTOOLS_API_SECRET: TEST_SECRET,
      COUPONTOOLS_BASE_URL: sandbox.url,
      ...options.env,
    });
    if (action.action !== 'run') throw new Error('unexpected');
    config = action.config;
  }
  const stderr: string[] = [];
  // A hang times out the moment the sandbox holds it; nothing else ever times out, however busy the machine.
  const deadlines = cuedDeadlines();
  const app = await createApp(config, {
    ...(options.now ? { now: options.now } : {}),
    client: { retryBaseMs: 5, random: () => 0.5, armDeadline: deadlines.arm },
    stderr: (line) => stderr.push(line),
  });
  const activeSandbox = sandbox ?? app.sandbox;
  if (!activeSandbox) throw new Error('no sandbox');
  deadlines.watch(activeSandbox);
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: options.elicit ? { elicitation: {} } : {} });
  if (options.elicit) {
    const answer = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, async (req) => answer(req.params.message));
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([client.connect(clientSide), app.server.connect(serverSide)]);
  const outputs: string[] = [];
  const personal = new Set<string>();
  for (const holder of activeSandbox.state.holders) {
    for (const field of ['first_name', 'last_name', 'email', 'phone', 'address'] as const) if (holder[field].length >= 3) personal.add(holder[field]);
  }
  return {
    auditPath,
    client,
    sandbox: activeSandbox,
    app,
    stderr,
    async call(name, args = {}) {
      personalValues(args, personal);
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      outputs.push(JSON.stringify(result));
      return result;
    },
    async close() {
      await client.close();
      await app.close();
      if (sandbox) await sandbox.close();
      // The secret must never reach a result or a log line.
      for (const line of [...outputs, ...stderr]) expect(line).not.toContain(TEST_SECRET);
      const audit = existsSync(auditPath) ? readFileSync(auditPath, 'utf8') : '';
      expect(audit).not.toContain(TEST_SECRET);
      for (const value of personal) {
        // Digits alone (a zip code) could match an amount or an id, so those must not appear as a whole JSON string.
        const needle = /^\d+$/.test(value) ? JSON.stringify(value) : JSON.stringify(value).slice(1, -1);
        expect(audit, 'a personal value reached the audit log').not.toContain(needle);
      }
    },
  };
}
