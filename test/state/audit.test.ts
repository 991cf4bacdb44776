// The audit log never loses or corrupts a line: whole lines or nothing on a full disk, writes refused until it takes lines again, no FIFO.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/mcp/assemble.js';
import type { AuditWrite } from '../../src/state/audit-log.js';
import { parseConfig } from '../../src/config.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { runBuilt } from '../support/binary.js';
import { TEST_KEY, TEST_SECRET, textOf } from '../support/harness.js';

/** A disk with `room` bytes left; past it a write is short, then fails with ENOSPC, as a full file system does. */
class Disk {
  room = Infinity;
  readonly write: AuditWrite = (fd, buffer, offset, length) => {
    if (this.room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const n = Math.min(length, this.room);
    this.room -= n;
    return writeSync(fd, buffer, offset, n);
  };
}

interface Rig {
  sandbox: Sandbox;
  auditPath: string;
  stderr: string[];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

async function startRig(disk: Disk, env: Record<string, string> = {}, auditPath = join(mkdtempSync(join(tmpdir(), 'ct-audit-')), 'audit.jsonl')): Promise<Rig> {
  const sandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET });
  const action = parseConfig([], { COUPONTOOLS_API_KEY: TEST_KEY, COUPONTOOLS_API_SECRET: TEST_SECRET, COUPONTOOLS_BASE_URL: sandbox.url, COUPONTOOLS_AUDIT_LOG: auditPath, ...env });
  if (action.action !== 'run') throw new Error('unexpected');
  const stderr: string[] = [];
  const app = await createApp(action.config, { auditWrite: disk.write, stderr: (line) => stderr.push(line) });
  const client = new Client({ name: 'audit-test', version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([client.connect(clientSide), app.server.connect(serverSide)]);
  return {
    sandbox,
    auditPath,
    stderr,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    async close() {
      await client.close();
      await app.close();
      await sandbox.close();
    },
  };
}

const stamp = { loyalty_card_id: 1001, user_id: 5001, amount: 1 };
const posts = (rig: Rig) => rig.sandbox.requests.filter((r) => r.method === 'POST').length;
/** Every line of the file, each parsed: a torn or glued line fails here. */
const auditLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the audit log on a full disk', () => {
  it('a short write leaves no half line; writes are refused (nothing sent) until the log takes lines, then the held line comes first', async () => {
    const disk = new Disk();
    const rig = await startRig(disk);
    try {
      expect((await rig.call('add_stamps', stamp)).isError).toBeFalsy();
      expect(auditLines(rig.auditPath)).toHaveLength(1);

      // The disk fills in the middle of the next line: the call was applied, and says so.
      disk.room = 20;
      const applied = await rig.call('add_stamps', { ...stamp, amount: 2 });
      expect(applied.isError, textOf(applied)).toBeFalsy();
      expect(rig.sandbox.ledger.map((e) => e.amount)).toEqual([1, 2]);
      expect(readFileSync(rig.auditPath, 'utf8').endsWith('\n'), 'no torn tail').toBe(true);
      expect(auditLines(rig.auditPath)).toHaveLength(1);
      expect(rig.stderr.join('')).toMatch(/audit log write failed.*ENOSPC/);

      // Until the log can be written, a write is refused before anything is sent; reads go on.
      const sent = posts(rig);
      const writes: Array<[string, Record<string, unknown>]> = [
        ['add_stamps', { ...stamp, amount: 3 }],
        ['update_user', { loyalty_card_id: 1001, user_id: 5001, city: 'Nowhere' }],
      ];
      for (const [name, args] of writes) {
        const refused = await rig.call(name, args);
        expect(refused.isError).toBe(true);
        expect(textOf(refused)).toMatch(/^Refused: the audit log cannot be written \(ENOSPC: no space left on device\).*COUPONTOOLS_AUDIT_REQUIRED.*Nothing was sent/);
      }
      expect(posts(rig)).toBe(sent);
      expect(rig.sandbox.ledger).toHaveLength(2);
      expect((await rig.call('get_user', { loyalty_card_id: 1001, user_id: 5001 })).isError).toBeFalsy();
      expect(readFileSync(rig.auditPath, 'utf8').endsWith('\n')).toBe(true);

      // Space again: the held line is written first, then the new one; every line whole.
      disk.room = Infinity;
      expect((await rig.call('add_stamps', { ...stamp, amount: 4 })).isError).toBeFalsy();
      expect(auditLines(rig.auditPath).map((l) => [l.amount, l.outcome])).toEqual([
        [1, 'ok'],
        [2, 'ok'],
        [4, 'ok'],
      ]);
    } finally {
      await rig.close();
    }
  });

  it('with COUPONTOOLS_AUDIT_REQUIRED=0 writes go on, each failure reported, and still no half line', async () => {
    const disk = new Disk();
    const rig = await startRig(disk, { COUPONTOOLS_AUDIT_REQUIRED: '0' });
    try {
      disk.room = 30;
      expect((await rig.call('add_stamps', stamp)).isError).toBeFalsy();
      expect((await rig.call('add_stamps', { ...stamp, amount: 2 })).isError).toBeFalsy();
      expect(rig.sandbox.ledger).toHaveLength(2);
      expect(readFileSync(rig.auditPath, 'utf8')).toBe('');
      expect(rig.stderr.filter((line) => /audit log write failed for add_stamps.*ENOSPC/.test(line))).toHaveLength(2);
      disk.room = Infinity;
      expect((await rig.call('add_stamps', { ...stamp, amount: 3 })).isError).toBeFalsy();
      expect(auditLines(rig.auditPath).map((l) => l.amount)).toEqual([3]);
    } finally {
      await rig.close();
    }
  });

  it('a torn last line left by an earlier run is fenced off: the next record starts on a line of its own', async () => {
    const auditPath = join(mkdtempSync(join(tmpdir(), 'ct-audit-')), 'audit.jsonl');
    const torn = '{"time":"2026-11-25T10:00:00.000Z","tool":"add_st';
    writeFileSync(auditPath, `{"tool":"earlier","outcome":"ok"}\n${torn}`);
    const rig = await startRig(new Disk(), {}, auditPath);
    try {
      expect((await rig.call('add_stamps', stamp)).isError).toBeFalsy();
      const lines = readFileSync(auditPath, 'utf8').split('\n');
      expect(lines[1]).toBe(torn);
      expect(JSON.parse(lines[2] as string)).toMatchObject({ tool: 'add_stamps', outcome: 'ok', amount: 1 });
    } finally {
      await rig.close();
    }
  });
});

describe('an audit path that is not a regular file', () => {
  it.each([
    ['a FIFO', (dir: string) => {
      const fifo = join(dir, 'audit.fifo');
      execFileSync('mkfifo', [fifo]);
      return fifo;
    }],
    ['a device (/dev/full)', () => '/dev/full'],
    ['a directory', (dir: string) => dir],
  ])('%s stops start-up with exit 2 and one line', async (_what, make) => {
    const path = make(mkdtempSync(join(tmpdir(), 'ct-audit-')));
    const r = await runBuilt('index.js', ['--audit-log', path], {});
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`COUPONTOOLS_AUDIT_LOG (--audit-log): ${JSON.stringify(path)} is not a regular file`);
  });
});
