// Sandbox mode as a user meets it: chosen without credentials or by --sandbox, labelled, persisted, and the demo.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBuilt } from '../support/binary.js';
import { startHarness, textOf, type Harness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('modes', () => {
  it('without credentials: the embedded sandbox, said in the instructions and in every result', async () => {
    h = await startHarness({ sandboxMode: true });
    expect(h.app.sandbox).toBeDefined();
    expect(h.client.getInstructions()).toContain('SANDBOX');
    const result = await h.call('get_user', { loyalty_card_id: 1001, user_id: 5001 });
    expect(result.structuredContent).toMatchObject({ sandbox: true, user: { first_name: 'Jane' } });
    expect(textOf(result)).toContain('"sandbox":true');
    expect(h.sandbox.requests.at(-1)?.headers['x-api-key']).toBe(h.sandbox.apiKey);
  });

  it('with credentials: live, no simulator, no label', async () => {
    h = await startHarness();
    expect(h.app.sandbox).toBeUndefined();
    expect(h.client.getInstructions()).not.toContain('SANDBOX');
    const result = await h.call('list_loyalty_cards', {});
    expect(result.structuredContent).not.toHaveProperty('sandbox');
  });

  it('--sandbox wins over credentials', async () => {
    h = await startHarness({ sandboxMode: true, env: { COUPONTOOLS_API_KEY: 'k', COUPONTOOLS_API_SECRET: 'some-live-secret', COUPONTOOLS_SANDBOX: '1' } });
    expect(h.app.sandbox).toBeDefined();
    const result = await h.call('list_loyalty_cards', {});
    expect(result.structuredContent).toMatchObject({ sandbox: true });
    expect(h.sandbox.requests.at(-1)?.headers['x-api-secret']).not.toBe('some-live-secret');
  });

  it('the start-up banner says which mode runs and how to switch', async () => {
    const r = await runBuilt('index.js', []);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/SANDBOX mode .*Set COUPONTOOLS_API_KEY and COUPONTOOLS_API_SECRET/);
  });
});

describe('persistence', () => {
  it('--sandbox-state keeps changes across restarts', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ct-state-')), 'demo.json');
    h = await startHarness({ sandboxMode: true, env: { COUPONTOOLS_SANDBOX_STATE: path } });
    const created = await h.call('create_user', { loyalty_card_id: 1001, first_name: 'Persisted', email: 'persisted@example.org' });
    const id = (created.structuredContent as { user: { id: number } }).user.id;
    await h.close();
    h = await startHarness({ sandboxMode: true, env: { COUPONTOOLS_SANDBOX_STATE: path } });
    const again = await h.call('get_user', { loyalty_card_id: 1001, user_id: id });
    expect(again.structuredContent).toMatchObject({ user: { first_name: 'Persisted' } });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toHaveProperty('holders');
  });

  it('a corrupt state file stops start-up with a message naming it, and is left alone', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ct-state-')), 'broken.json');
    writeFileSync(path, '{"version": 1, "cards": [');
    const r = await runBuilt('index.js', ['--sandbox-state', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(path);
    expect(readFileSync(path, 'utf8')).toBe('{"version": 1, "cards": [');
  });
});

describe('npm run demo', () => {
  it('prints a readable transcript of the whole flow', async () => {
    const r = await runBuilt('demo.js', []);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout;
    expect(lines).toContain('SANDBOX');
    expect(lines).toContain('> list_users {"loyalty_card_id":1001,"filter":{"email":"jane@example.com"}}');
    expect(lines).toContain('found Jane Doe, user 5001, 7 stamps');
    expect(lines).toMatch(/rewards waiting: Free coffee \(reward \d+\)/);
    expect(lines).toMatch(/redeemed \[\d+\]; rewards still waiting: 0/);
    expect(lines).toContain('confirmation_required: Permanently delete card holder “Jane Doe”');
    expect(lines).not.toContain('error:');
  });
});
