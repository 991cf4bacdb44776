// Bounded work in flight over stdio: a cap on calls in progress, an immediate "busy" past it, input paused for a client that does not read, SIGTERM on time.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSY_ERROR_CODE, MAX_CALLS_IN_PROGRESS } from '../../src/transports/admission.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { BIN, cleanEnv, EXIT_DEADLINE_MS, startRawSession } from '../support/binary.js';
import { liveEnv, TEST_KEY, TEST_SECRET } from '../support/harness.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET });
});
afterAll(() => sandbox.close());

const live = () => liveEnv(sandbox.url);
const getUser = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_user', arguments: { loyalty_card_id: 1001, user_id: 5001 } } });

describe('admission', () => {
  it(`past ${MAX_CALLS_IN_PROGRESS} calls in progress a call is answered at once with "busy, retry"; SIGTERM still ends in time`, async () => {
    sandbox.clearRequests();
    // Every call hangs at the API, so every accepted call stays in progress.
    sandbox.inject({ method: 'GET', hang: true, times: Infinity });
    const s = await startRawSession([], live());
    try {
      const extra = 10;
      s.raw(Array.from({ length: MAX_CALLS_IN_PROGRESS + extra }, (_, i) => `${JSON.stringify(getUser(i + 1))}\n`).join(''));
      for (let id = MAX_CALLS_IN_PROGRESS + 1; id <= MAX_CALLS_IN_PROGRESS + extra; id++) {
        expect(await s.answer(id)).toMatchObject({ error: { code: BUSY_ERROR_CODE, message: expect.stringMatching(new RegExp(`^Server busy: ${MAX_CALLS_IN_PROGRESS} calls are already in progress\\. Nothing was done; retry`)) } });
      }
      // The accepted ones are still waiting on the API, four at a time as the request layer allows.
      expect(s.messages().filter((m) => m.id !== undefined && m.id >= 1 && m.id <= MAX_CALLS_IN_PROGRESS)).toEqual([]);
      expect(sandbox.maxInFlight).toBeLessThanOrEqual(4);
      // A ping is a request too: still busy.
      s.send({ jsonrpc: '2.0', id: 1000, method: 'ping' });
      expect(await s.answer(1000)).toMatchObject({ error: { code: BUSY_ERROR_CODE } });
      s.child.kill('SIGTERM');
      const { code, ms } = await s.whenClosed();
      expect(code).toBe(0);
      expect(ms).toBeLessThan(EXIT_DEADLINE_MS);
    } finally {
      sandbox.clearFaults();
      s.child.kill('SIGKILL');
    }
  });

  it('a cancelled call frees its place', async () => {
    sandbox.inject({ method: 'GET', hang: true, times: Infinity });
    const s = await startRawSession([], live());
    try {
      s.raw(Array.from({ length: MAX_CALLS_IN_PROGRESS }, (_, i) => `${JSON.stringify(getUser(i + 1))}\n`).join(''));
      s.send({ jsonrpc: '2.0', id: 500, method: 'ping' });
      expect(await s.answer(500)).toMatchObject({ error: { code: BUSY_ERROR_CODE } });
      s.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'user pressed stop' } });
      s.send({ jsonrpc: '2.0', id: 501, method: 'ping' });
      expect(await s.answer(501)).toMatchObject({ result: {} });
    } finally {
      sandbox.clearFaults();
      s.child.kill('SIGKILL');
      await s.whenClosed();
    }
  });

  it('a client that sends 20,000 calls and never reads stdout: the server stops reading, memory stays bounded, SIGTERM ends it in time', async () => {
    const child = spawn(process.execPath, [BIN], { env: cleanEnv(live()), stdio: ['pipe', 'pipe', 'pipe'] });
    const closed = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: Date.now() })));
    child.stdin.on('error', () => undefined); // the server may be gone before all of it is written
    // Read stdout only until the session is up; from then on, never.
    const initialized = new Promise<void>((resolve) => {
      let seen = '';
      const onData = (d: Buffer): void => {
        seen += d.toString();
        if (!seen.includes('"id":0')) return;
        child.stdout.off('data', onData);
        child.stdout.pause();
        resolve();
      };
      child.stdout.on('data', onData);
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '0' } } })}\n`);
    await initialized;
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    const input = Array.from({ length: 20_000 }, (_, i) => `${JSON.stringify(getUser(i + 1))}\n`).join('');
    // In pipe-sized pieces, so what the server has not taken stays countable here.
    for (let at = 0; at < input.length; at += 16 * 1024) child.stdin.write(input.slice(at, at + 16 * 1024));
    // Wait until the server has stopped taking input: the unread rest stays put.
    let left = child.stdin.writableLength;
    for (let still = 0; still < 20; ) {
      await new Promise((r) => setTimeout(r, 100));
      const now = child.stdin.writableLength;
      still = now === left ? still + 1 : 0;
      left = now;
    }
    expect(left, 'the server stopped reading while its answers were not read').toBeGreaterThan(0);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    process.stderr.write(`admission: ${input.length} bytes sent, ${left} left unread by the server, server RSS ${Math.round(rssKb / 1024)} MB\n`);
    expect(rssKb / 1024).toBeLessThan(200);
    const from = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await closed;
    expect(code).toBe(0);
    expect(at - from).toBeLessThan(EXIT_DEADLINE_MS);
  });
});
