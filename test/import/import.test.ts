// import_users over MCP against the loopback sandbox: messy files, dedupe, confirmation, faults, cancel and resume, path checks.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, textOf, type Harness, type HarnessOptions } from '../support/harness.js';

const CARD = 1001;
const BULK = /\/stats\/bulk$/;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'ct-import-'));
}

async function start(dir: string, env: Record<string, string> = {}, dialect?: HarnessOptions['dialect']): Promise<Harness> {
  h = await startHarness({ env: { COUPONTOOLS_IMPORT_DIR: dir, COUPONTOOLS_CONFIRM: 'off', ...env }, ...(dialect ? { dialect } : {}) });
  return h;
}

const structured = (result: CallToolResult): Record<string, unknown> => {
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
};

/** A CSV of n customers with distinct emails. */
function customers(n: number, tag: string): string {
  const lines = ['email,first_name,last_name'];
  for (let i = 1; i <= n; i++) lines.push(`${tag}-${i}@example.com,First${i},Last${i}`);
  return `${lines.join('\n')}\n`;
}

/** Holders of the card whose email carries the tag, by email: every row must be there exactly once. */
function createdOnce(harness: Harness, tag: string, n: number): void {
  const counts = new Map<string, number>();
  for (const holder of harness.sandbox.state.holders) {
    if (holder.loyalty_card_id === CARD && holder.email.startsWith(`${tag}-`)) counts.set(holder.email, (counts.get(holder.email) ?? 0) + 1);
  }
  expect(counts.size).toBe(n);
  expect([...counts.values()].every((c) => c === 1)).toBe(true);
}

const bulkRequests = (harness: Harness): number => harness.sandbox.requests.filter((r) => BULK.test(r.path)).length;

describe('import_users: reading messy files', () => {
  it('maps aliases, reports unmapped columns and problems, and handles BOM, ";", quoted newlines, blank lines and a 1 MB field', async () => {
    const dir = folder();
    const big = 'x'.repeat(1024 * 1024);
    const csv = [
      'E-mail;First name;Last Name;Postcode;Mobile;Loyalty tier',
      'ann@example.com;Ann;Archer;1000;+32 470 11 22 33;gold',
      '',
      'bob@example.com;"Bob";"Baker";2000;;"multi',
      'line note"',
      'not-an-email;Carl;;;;',
      'ANN@Example.com;Ann again;;;;',
      ';Dora;;;0032 470 99 88 77;',
      ';Dora twin;;;+32 (470) 998877;',
      `eve@example.com;Eve;;;;${big}`,
      `fay@example.com;${big};;;;`,
      ';Gus;;;;',
      '',
      '',
    ].join('\r\n');
    writeFileSync(join(dir, 'shop export.csv'), `\uFEFF${csv}`);
    const harness = await start(dir);

    const plan = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'shop export.csv', dry_run: true }));
    expect(plan.status).toBe('planned');
    expect(plan.delimiter).toBe(';');
    expect(plan.columns).toEqual({
      mapped: { 'E-mail': 'email', 'First name': 'first_name', 'Last Name': 'last_name', Postcode: 'zip', Mobile: 'phone' },
      unmapped: ['Loyalty tier'],
      unmapped_count: 1,
    });
    expect(plan.rows).toEqual({ total: 11, valid: 4, invalid: 5, duplicate: 2, existing: 0, already_imported: 0, to_create: 4 });
    expect(plan.problems).toEqual([
      { row: 3, reason: 'empty row' },
      { row: 5, reason: 'email: not an email address' },
      { row: 6, reason: 'same email as row 2' },
      { row: 8, reason: 'same phone as row 7' },
      { row: 10, reason: 'first_name: at most 255 characters' },
      { row: 11, reason: 'no email or phone to recognise the customer by' },
      { row: 12, reason: 'empty row' },
    ]);
    expect(bulkRequests(harness)).toBe(0);

    const done = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'shop export.csv' }));
    expect(done).toMatchObject({ status: 'done', created: 4, rejected: 0, unknown: 0, not_sent: 0, sent: { rows: 4, chunks: 1 } });
    const bob = harness.sandbox.state.holders.find((x) => x.email === 'bob@example.com');
    expect(bob).toMatchObject({ first_name: 'Bob', last_name: 'Baker', zip: '2000' });
    const dora = harness.sandbox.state.holders.find((x) => x.first_name === 'Dora');
    expect(dora?.phone).toBe('0032 470 99 88 77');
    // The 1 MB value sat in an unmapped column: the row is imported without it.
    expect(harness.sandbox.state.holders.find((x) => x.email === 'eve@example.com')).toBeDefined();

    const result = readFileSync(join(dir, String(done.result_file)), 'utf8').trim().split('\n');
    expect(result[0]).toBe('row,outcome,holder_id,reason');
    expect(result).toHaveLength(1 + 11);
    expect(result).toContain(`2,created,${harness.sandbox.state.holders.find((x) => x.email === 'ann@example.com')?.id},`);
    expect(result).toContain('6,duplicate,,same email as row 2');
  });

  it('reads Windows-1252, UTF-16 and JSON lines', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'latin.csv'), Buffer.from('email,voornaam,City\nzoe@example.com,Zo\xeb,K\xf6ln\n', 'latin1'));
    writeFileSync(join(dir, 'utf16.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Email Address\tGiven name\nyuki@example.com\t雪\n', 'utf16le')]));
    writeFileSync(join(dir, 'people.jsonl'), '{"email":"jo@example.com","first_name":"Jo","vip":true}\n\n{"email":"kim@example.com","Mobile":32470}\nnot json\n');
    const harness = await start(dir);

    const latin = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'latin.csv' }));
    expect(latin).toMatchObject({ encoding: 'windows-1252', created: 1 });
    expect(harness.sandbox.state.holders.find((x) => x.email === 'zoe@example.com')).toMatchObject({ first_name: 'Zoë', city: 'Köln' });

    const utf16 = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'utf16.csv' }));
    expect(utf16).toMatchObject({ encoding: 'utf-16le', delimiter: 'tab', created: 1 });
    expect(harness.sandbox.state.holders.find((x) => x.email === 'yuki@example.com')?.first_name).toBe('雪');

    const jsonl = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'people.jsonl' }));
    expect(jsonl).toMatchObject({ format: 'jsonl', created: 2, rows: { total: 4, invalid: 2 } });
    expect(jsonl.columns).toMatchObject({ unmapped: ['vip'] });
    expect(harness.sandbox.state.holders.find((x) => x.email === 'kim@example.com')?.phone).toBe('32470');
  });
});

describe('import_users: duplicates against the card', () => {
  it('with skip_existing skips customers already on the card by email or phone, after paging through its holders once', async () => {
    const dir = folder();
    // Jane (jane@example.com, +32470000001) and a phone-only holder (+447328529925) are seeded on card 1001.
    writeFileSync(join(dir, 'c.csv'), 'email,phone\nJANE@EXAMPLE.COM,\n,+44 7328 529925\nnew-1@example.com,\n');
    const harness = await start(dir);
    const plain = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'c.csv', dry_run: true }));
    expect(plain.rows).toMatchObject({ existing: 0, to_create: 3 });
    const reads = (): number => harness.sandbox.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${CARD}/stats`)).length;
    const before = reads();
    const done = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'c.csv', skip_existing: true }));
    expect(done).toMatchObject({ created: 1, rows: { existing: 2, to_create: 1 } });
    expect(reads() - before).toBe(1);
    expect(harness.sandbox.state.holders.filter((x) => x.email.toLowerCase() === 'jane@example.com')).toHaveLength(1);
  });
});

describe('import_users: duplicates against a card whose API ignores paging', () => {
  const reads = (harness: Harness): number => harness.sandbox.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${CARD}/stats`)).length;

  it.each(['wrapped', 'bare'] as const)('everything at once (%s lists): the plan sees every holder, from one read', async (lists) => {
    const dir = folder();
    writeFileSync(join(dir, 'first.csv'), customers(450, 'seen'));
    // The same customers again under another name (so no journal knows them) plus two new ones.
    writeFileSync(join(dir, 'again.csv'), `${customers(450, 'seen')}new-a@example.com,A,A\nnew-b@example.com,B,B\n`);
    const harness = await start(dir, {}, { paging: 'ignored', lists });
    expect(structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'first.csv' }))).toMatchObject({ created: 450 });
    const before = reads(harness);
    const done = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'again.csv', skip_existing: true }));
    expect(done).toMatchObject({ created: 2, rows: { existing: 450, to_create: 2 } });
    expect(reads(harness) - before).toBe(1);
    createdOnce(harness, 'seen', 450);
  });

  it.each(['wrapped', 'bare'] as const)('the page size honoured, the page number not (%s lists): holders out of reach stop the import before anything is sent', async (lists) => {
    const dir = folder();
    writeFileSync(join(dir, 'first.csv'), customers(450, 'far'));
    writeFileSync(join(dir, 'again.csv'), `${customers(450, 'far')}new-c@example.com,C,C\n`);
    const harness = await start(dir, {}, { paging: 'page-ignored', lists });
    expect(structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'first.csv' }))).toMatchObject({ created: 450 });
    const sent = bulkRequests(harness);
    const refused = await harness.call('import_users', { loyalty_card_id: CARD, file: 'again.csv', skip_existing: true });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain(`Cannot read every holder of card ${CARD} (needed to skip those already on it), so nothing was imported: the API ignores paging`);
    expect(textOf(refused)).toContain('sends 200 users at once, no more');
    expect(bulkRequests(harness)).toBe(sent);
    createdOnce(harness, 'far', 450);
  });
});

describe('import_users: confirmation', () => {
  it('asks for a yes above the threshold and runs small imports directly', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'big.csv'), customers(150, 'big'));
    writeFileSync(join(dir, 'small.csv'), customers(20, 'small'));
    const harness = await start(dir, { COUPONTOOLS_CONFIRM: 'auto' });
    const small = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'small.csv' }));
    expect(small).toMatchObject({ status: 'done', created: 20 });

    const preview = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'big.csv' }));
    expect(preview.status).toBe('confirmation_required');
    // API text in a prompt is quoted data (curly quotes), so a card name cannot pose as the server's words.
    expect(String(preview.effect)).toContain('Create 150 new card holders on card “Café Aroma coffee card” (1001) from big.csv');
    expect(bulkRequests(harness)).toBe(1);
    const done = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'big.csv', confirm_token: preview.confirm_token }));
    expect(done).toMatchObject({ status: 'done', created: 150 });
    createdOnce(harness, 'big', 150);
  });
});

describe('import_users: faults, cancellation and resume', () => {
  it('never re-sends a chunk blindly: resets and 503s leave rows unknown, and the rerun checks them against the card', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'f.csv'), customers(1000, 'fault'));
    const harness = await start(dir);
    harness.sandbox.inject({ path: BULK, reset: 'after-read', apply: true });
    harness.sandbox.inject({ path: BULK, status: 503, body: { message: 'busy' }, apply: true });
    harness.sandbox.inject({ path: BULK, status: 503, body: { message: 'busy' } });
    harness.sandbox.inject({ path: BULK, reset: 'before-read' });
    const first = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'f.csv' }));
    expect(first).toMatchObject({ status: 'done', created: 200, unknown: 800, sent: { rows: 1000, chunks: 5 } });
    expect(String(first.next)).toContain('Run the same import again');

    const second = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'f.csv' }));
    // Two of the four unclear chunks had been applied: found on the card, not sent again.
    expect(second).toMatchObject({ status: 'done', checked_unknown: 800, created: 400, rows: { already_imported: 600, to_create: 400 } });
    createdOnce(harness, 'fault', 1000);
    const third = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'f.csv' }));
    expect(third).toMatchObject({ created: 0, rows: { already_imported: 1000, to_create: 0 }, sent: { rows: 0, chunks: 0 } });
  });

  it('a cancelled run stops after the chunks in flight, and running it again completes with every row created exactly once', async () => {
    const dir = folder();
    const rows = 3000;
    writeFileSync(join(dir, 'cancel.csv'), customers(rows, 'cancel'));
    const harness = await start(dir);
    // The first four chunks answer at once; later ones take a second, so the cancel (sent at the first
    // progress) always lands while chunks are in flight and before the last ones are sent.
    harness.sandbox.inject({ path: BULK, latencyMs: 0, times: 4 });
    harness.sandbox.inject({ path: BULK, latencyMs: 1000, times: Infinity });
    const stop = new AbortController();
    const call = harness.client.callTool({ name: 'import_users', arguments: { loyalty_card_id: CARD, file: 'cancel.csv' } }, undefined, {
      signal: stop.signal,
      onprogress: (p) => {
        if (p.progress > 0) stop.abort();
      },
    });
    await expect(call).rejects.toThrow();
    // The server finishes the chunks in flight and then writes every row's outcome.
    const resultPath = join(dir, 'cancel.csv.card-1001.result.csv');
    for (let i = 0; i < 500 && (!existsSync(resultPath) || readFileSync(resultPath, 'utf8').trim().split('\n').length < rows + 1); i++) await new Promise((r) => setTimeout(r, 20));
    const outcomes = readFileSync(resultPath, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]);
    const created = outcomes.filter((o) => o === 'created').length;
    const notSent = outcomes.filter((o) => o === 'not_sent').length;
    expect(created + notSent).toBe(rows);
    expect(created).toBeGreaterThanOrEqual(800);
    expect(notSent).toBeGreaterThanOrEqual(rows - 8 * 200);
    const onCard = harness.sandbox.state.holders.filter((x) => x.email.startsWith('cancel-')).length;
    // What the result file says was created is exactly what the card holds.
    expect(onCard).toBe(created);

    harness.sandbox.clearFaults();
    const resumed = structured(await harness.call('import_users', { loyalty_card_id: CARD, file: 'cancel.csv' }));
    expect(resumed).toMatchObject({ status: 'done', created: notSent, rows: { already_imported: created } });
    createdOnce(harness, 'cancel', rows);
  });

  it('sends progress notifications in order, ending at the total', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'p.csv'), customers(1000, 'progress'));
    const harness = await start(dir);
    const seen: Array<{ progress: number; total?: number }> = [];
    const result = (await harness.client.callTool({ name: 'import_users', arguments: { loyalty_card_id: CARD, file: 'p.csv' } }, undefined, {
      onprogress: (p) => seen.push({ progress: p.progress, total: p.total }),
    })) as CallToolResult;
    expect(structured(result)).toMatchObject({ created: 1000 });
    expect(seen.map((p) => p.progress)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(seen.every((p) => p.total === 1000)).toBe(true);
  });
});

describe('import_users: the import folder', () => {
  it('is offered only with COUPONTOOLS_IMPORT_DIR', async () => {
    h = await startHarness();
    expect((await h.client.listTools()).tools.map((t) => t.name)).not.toContain('import_users');
  });

  it('refuses escapes, links out of the folder, non-regular files and planted result links, sending nothing', async () => {
    const outside = folder();
    writeFileSync(join(outside, 'secret.csv'), customers(3, 'outside'));
    const dir = folder();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'ok.csv'), customers(2, 'ok'));
    symlinkSync(join(outside, 'secret.csv'), join(dir, 'link.csv'));
    symlinkSync(outside, join(dir, 'sub', 'out'));
    execFileSync('mkfifo', [join(dir, 'pipe.csv')]);
    symlinkSync(join(outside, 'planted.csv'), join(dir, 'ok.csv.card-1001.result.csv'));
    const harness = await start(dir);
    const cases: Array<[string, string]> = [
      ['../secret.csv', 'outside the import folder'],
      [join(outside, 'secret.csv'), 'outside the import folder'],
      ['link.csv', 'leads outside the import folder'],
      ['sub/out/secret.csv', 'leads outside the import folder'],
      ['pipe.csv', 'not a regular file'],
      ['sub', 'not a regular file'],
      ['missing.csv', 'no file'],
      ['ok.csv', 'is not a regular file; remove it'],
    ];
    for (const [file, message] of cases) {
      const result = await harness.call('import_users', { loyalty_card_id: CARD, file });
      expect(result.isError, file).toBe(true);
      expect(textOf(result), file).toContain(message);
      expect(textOf(result)).toContain('Nothing was sent');
    }
    expect(bulkRequests(harness)).toBe(0);
    expect(existsSync(join(outside, 'planted.csv'))).toBe(false);
  });
});

describe('import_users: the result frame', () => {
  it('stays under 64 KB for 100,000 rows full of problems and columns', async () => {
    const dir = folder();
    // Rows need not fill every column: the header's many long names are what the summary must bound.
    const headers = ['email', 'first_name', ...Array.from({ length: 25 }, (_, i) => `Unmapped column number ${i} with a long long header name`)];
    const lines = [headers.join(',')];
    const fill = ','.repeat(25);
    // One row in ten is new; the others are invalid or repeat an earlier row, so the 100,000-row report is full of problems.
    for (let i = 1; i <= 100_000; i++) {
      const email = i % 10 === 0 ? `frame-${i}@example.com` : i % 2 === 0 && i > 10 ? `frame-${i - (i % 10)}@example.com` : `broken-${i}`;
      lines.push(`${email},F${i}${fill}`);
    }
    writeFileSync(join(dir, 'huge.csv'), `${lines.join('\n')}\n`);
    const harness = await start(dir);
    // A long job on a busy machine: the SDK's 60 s default would measure the machine, not the frame.
    const result = (await harness.client.callTool({ name: 'import_users', arguments: { loyalty_card_id: CARD, file: 'huge.csv' } }, undefined, { timeout: 300_000 })) as CallToolResult;
    const report = structured(result);
    expect(report).toMatchObject({ status: 'done', created: 10_000, rows: { total: 100_000, invalid: 50_004, duplicate: 39_996 } });
    expect(report.columns).toMatchObject({ unmapped_count: 25 });
    expect(report.problems).toHaveLength(10);
    const frame = JSON.stringify({ jsonrpc: '2.0', id: 1, result });
    expect(Buffer.byteLength(frame)).toBeLessThan(64 * 1024);
  }, 300_000);
});
