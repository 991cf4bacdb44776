// The MCP Apps views in a real browser: the built server over stdio (sandbox), a host page on the extension's AppBridge, headless Chromium; what a person sees.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXTENSION_ID, getUiCapability, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, ClientCapabilities, Tool } from '@modelcontextprotocol/sdk/types.js';
import { build } from 'esbuild';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rendersViews, VIEWS, viewUri } from '../../src/mcp/views.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { BIN, cleanEnv, startHttpService } from '../support/binary.js';
import { liveEnv, TEST_KEY, TEST_SECRET } from '../support/harness.js';
import type { HostApi, ShowRequest } from './view-host/host-api.js';


/** Debian's chromium (.ci/run installs it); never a downloaded browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Set (to a folder) by `npm run screenshots`: each view is saved there as a PNG. */
const SHOTS = process.env.COUPONTOOLS_VIEW_SCREENSHOTS;
const CARD = '1001';
const JANE = '5001';
const HOSTILE = '<img src=x onerror=window.__pwned=1>';
const APPS_CAPABILITIES = { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } };

interface Server_ {
  client: Client;
  close(): Promise<void>;
}

/** The built server over stdio (in sandbox mode unless `args` say otherwise), with a client that declares (or not) the Apps extension. */
async function startServer(apps: boolean, args: string[] = ['--sandbox'], env: Record<string, string> = {}): Promise<Server_> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, ...args], env: cleanEnv(env), stderr: 'pipe' });
  const client = new Client({ name: apps ? 'apps-host' : 'plain-host', version: '1.0.0' }, apps ? { capabilities: APPS_CAPABILITIES } : {});
  await client.connect(transport);
  return { client, close: () => client.close() };
}

const structured = (result: CallToolResult): Record<string, unknown> => {
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
};

const withoutMeta = (tools: Tool[]): Tool[] => tools.map(({ _meta: _, ...rest }) => rest as Tool);

let importDir: string;
let apps: Server_;
let plain: Server_;
let readOnly: Server_;
let importer: Server_;
let apiSandbox: Sandbox;
let browser: Browser;
let http: Server;
let hostUrl: string;

beforeAll(async () => {
  importDir = mkdtempSync(join(tmpdir(), 'ct-views-import-'));
  // Four new customers, one already on the card (Jane), one twice, one with no email or phone.
  writeFileSync(
    join(importDir, 'customers.csv'),
    'email,first_name,last_name\nana@example.com,Ana,Silva\nbo@example.com,Bo,Berg\njane@example.com,Jane,Doe\nbo@example.com,Bo,Again\n,Nobody,Noone\ncy@example.com,Cy,Cole\ndi@example.com,Di,Dunn\n',
  );
  const env = { COUPONTOOLS_IMPORT_DIR: importDir };
  // The import runs against a sandbox in this process, whose requests the test can hold and release.
  apiSandbox = await startSandbox({ apiKey: TEST_KEY, apiSecret: TEST_SECRET });
  [apps, plain, readOnly, importer] = await Promise.all([
    startServer(true, ['--sandbox'], env),
    startServer(false, ['--sandbox'], env),
    startServer(true, ['--sandbox', '--read-only']),
    startServer(true, [], { ...env, ...liveEnv(apiSandbox.url) }),
  ]);
  const host = await build({ entryPoints: [fileURLToPath(new URL('./view-host/host-page.ts', import.meta.url))], bundle: true, write: false, format: 'iife', platform: 'browser', logLevel: 'warning' });
  const script = host.outputFiles[0]?.text ?? '';
  http = createServer((req, res) => {
    if (req.url === '/host.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><head><meta charset="utf-8"></head><body><script src="/host.js"></script></body></html>');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  hostUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  http?.close();
  await Promise.all([apps?.close(), plain?.close(), readOnly?.close(), importer?.close()]);
  await apiSandbox?.close();
});

describe('a client without the Apps extension', () => {
  it('sees tools and resources exactly as before: no _meta, no ui:// resource, no view to read', async () => {
    const { tools } = await plain.client.listTools();
    for (const tool of tools) expect(tool, tool.name).not.toHaveProperty('_meta');
    const { resources } = await plain.client.listResources();
    expect(resources.filter((r) => r.uri.startsWith('ui://'))).toEqual([]);
    await expect(plain.client.readResource({ uri: viewUri('holder-card') })).rejects.toThrow(/holder-card\.html (disabled|not found)/i);
  });

  it("and an Apps client's tools differ from it only by _meta", async () => {
    const [a, p] = await Promise.all([apps.client.listTools(), plain.client.listTools()]);
    expect(withoutMeta(a.tools)).toEqual(p.tools);
  });
});

describe('over the stateless HTTP service', () => {
  it('an Apps client is offered no views: no request carries the initialize that declared the extension', async () => {
    const token = 'views-token-0123456789abcdef';
    const service = await startHttpService([], { COUPONTOOLS_HTTP_TOKENS: token });
    const client = new Client({ name: 'apps-host', version: '1.0.0' }, { capabilities: APPS_CAPABILITIES });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(service.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(0);
      for (const tool of tools) expect(tool, tool.name).not.toHaveProperty('_meta');
      expect((await client.listResources()).resources.filter((r) => r.uri.startsWith('ui://'))).toEqual([]);
    } finally {
      await client.close();
      await service.stop();
    }
  });
});

describe('a client with the Apps extension', () => {
  it('decides as the extension\'s own helper reads the capability', () => {
    const shapes: ClientCapabilities[] = [APPS_CAPABILITIES, {}, { extensions: {} }, { extensions: { [EXTENSION_ID]: {} } }, { extensions: { [EXTENSION_ID]: { mimeTypes: ['text/html'] } } }];
    for (const caps of shapes) {
      expect(rendersViews(caps), JSON.stringify(caps)).toBe(getUiCapability(caps)?.mimeTypes?.includes(RESOURCE_MIME_TYPE) === true);
    }
  });

  it('sees each viewed tool point at its view, and reads every view: one HTML document with an empty CSP allow-list, within 400 KB', async () => {
    const { tools } = await apps.client.listTools();
    const viewed = Object.fromEntries(tools.filter((t) => t._meta).map((t) => [t.name, (t._meta?.ui as { resourceUri?: string }).resourceUri]));
    expect(viewed).toEqual({
      get_user: viewUri('holder-card'),
      add_stamps: viewUri('holder-card'),
      use_rewards: viewUri('holder-card'),
      create_user: viewUri('holder-card'),
      list_users: viewUri('holders-list'),
      list_loyalty_cards: viewUri('card-list'),
      import_users: viewUri('import-report'),
    });
    const listed = (await apps.client.listResources()).resources.filter((r) => r.uri.startsWith('ui://'));
    expect(listed.map((r) => r.uri).sort()).toEqual(VIEWS.map((v) => viewUri(v.name)).sort());
    for (const view of VIEWS) {
      const { contents } = await apps.client.readResource({ uri: viewUri(view.name) });
      expect(contents).toHaveLength(1);
      const [content] = contents as Array<{ mimeType?: string; text?: string; _meta?: Record<string, unknown> }>;
      expect(content?.mimeType).toBe(RESOURCE_MIME_TYPE);
      expect(content?._meta?.ui).toMatchObject({ csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] } });
      const html = content?.text ?? '';
      expect(html.startsWith('<!doctype html>')).toBe(true);
      expect(Buffer.byteLength(html)).toBeLessThanOrEqual(400 * 1024);
      // Nothing to fetch: no external script, stylesheet, font or image.
      expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
      expect(html).toContain('<script type="application/json" id="offered-tools">');
    }
  });
});

describe('the views in Chromium, fed by the sandbox through the extension\'s host bridge', () => {
  /** Loads a view as a host would: resources/read, then the call's input and result through AppBridge. */
  async function show(page: Page, server: Server_, toolName: string, args: Record<string, unknown>, result: CallToolResult, theme: 'light' | 'dark' = 'light'): Promise<FrameLocator> {
    const { tools } = await server.client.listTools();
    const uri = (tools.find((t) => t.name === toolName)?._meta?.ui as { resourceUri: string }).resourceUri;
    const [content] = (await server.client.readResource({ uri })).contents as unknown as Array<{ text: string; _meta: { ui: { csp: ShowRequest['csp'] } } }>;
    const request: ShowRequest = { html: content?.text ?? '', csp: content?._meta.ui.csp ?? {}, toolName, args, result, theme, width: 380 };
    await page.evaluate((r) => (globalThis as unknown as HostApi).showView(r), request);
    return page.frameLocator('iframe');
  }

  /** A page on the host, its tool calls relayed to `server` (progress too); every request it makes is recorded. */
  async function hostPage(server: Server_): Promise<{ page: Page; requests: string[] }> {
    const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (err) => requests.push(`pageerror: ${err.message}`));
    await page.exposeFunction('hostCallTool', async (name: string, args: Record<string, unknown>, progressId: number) => {
      let relayed = Promise.resolve();
      const result = (await server.client.callTool({ name, arguments: args }, undefined, {
        onprogress: (p) => {
          relayed = relayed.then(() => page.evaluate(([id, done, total]) => (globalThis as unknown as HostApi).hostProgress(id, done, total), [progressId, p.progress, p.total ?? 0] as const));
        },
      })) as CallToolResult;
      await relayed;
      return result;
    });
    await page.goto(hostUrl);
    return { page, requests };
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.locator('iframe').screenshot({ path: join(SHOTS, `${name}.png`), animations: 'disabled' });
  }

  const text = async (view: FrameLocator, selector: string): Promise<string> => ((await view.locator(selector).first().textContent()) ?? '').trim();
  const poll = (fn: () => Promise<unknown>) => expect.poll(fn, { timeout: 30_000, interval: 50 });

  it("holder card: Jane's name, \"7 of 10 stamps\" from her record and the card's top reward, a click that adds a stamp through the host, the rewards it unlocks, and a redeem", async () => {
    const { page, requests } = await hostPage(apps);
    const args = { loyalty_card_id: CARD, user_id: JANE };
    const first = await apps.client.callTool({ name: 'get_user', arguments: args });
    const user = structured(first as CallToolResult).user as { stamps: number; first_name: string; last_name: string };
    const cards = structured((await apps.client.callTool({ name: 'list_loyalty_cards', arguments: {} })) as CallToolResult).cards as Array<{ id: number; rewards: Array<{ name: string; stamps_required: number }> }>;
    const target = Math.max(...(cards.find((c) => String(c.id) === CARD)?.rewards ?? []).map((r) => r.stamps_required));
    // The seed's documented demo holder: the numbers the view must show come from the sandbox, and are these.
    expect([user.first_name, user.last_name, user.stamps, target]).toEqual(['Jane', 'Doe', 7, 10]);

    const view = await show(page, apps, 'get_user', args, first as CallToolResult);
    await poll(() => text(view, '.holder-name')).toBe('Jane Doe');
    expect(await text(view, '.balance')).toBe(`${user.stamps} of ${target} stamps`);
    expect(await view.locator('.stamp').count()).toBe(target);
    expect(await view.locator('.stamp.filled').count()).toBe(user.stamps);
    expect(await view.locator('.stamp.new').count()).toBe(0);
    expect(await text(view, '.no-rewards')).toBe('None yet.');

    // The click: add_stamps through the bridge and the server's pipeline, with a key of its own.
    await view.locator('[data-action="add-stamp"]').click();
    await poll(() => text(view, '.balance')).toBe(`8 of ${target} stamps`);
    expect(await view.locator('.stamp.filled').count()).toBe(8);
    expect(await view.locator('.stamp.new').count()).toBe(1);
    expect(await view.locator('.stamp[data-stamp="8"]').getAttribute('class')).toContain('new');
    await shot(page, 'holder-card');
    await view.locator('[data-action="add-stamp"]').click();
    await poll(() => text(view, '.balance')).toBe(`9 of ${target} stamps`);
    const calls = await page.evaluate(() => (globalThis as unknown as HostApi).viewCalls);
    // The card's rule is looked up once, through the host (list_loyalty_cards); each click is one add_stamps.
    expect(calls.map((c) => c.name)).toEqual(['list_loyalty_cards', 'add_stamps', 'add_stamps']);
    const keys = calls.filter((c) => c.name === 'add_stamps').map((c) => c.args.idempotency_key);
    expect(new Set(keys).size).toBe(2);
    expect(calls.filter((c) => c.name === 'add_stamps').map((c) => c.args.amount)).toEqual([1, 1]);
    // The server saw both: the view showed what the API answered.
    expect((structured((await apps.client.callTool({ name: 'get_user', arguments: args })) as CallToolResult).user as { stamps: number }).stamps).toBe(9);

    // The model completes the card: the view shows the completion, the stamp just added, and the reward it unlocked.
    const added = (await apps.client.callTool({ name: 'add_stamps', arguments: { ...args, amount: 1 } })) as CallToolResult;
    const outcome = structured(added) as { card_completed: boolean; rewards_unlocked: Array<{ id: number; name: string }> };
    expect(outcome.card_completed).toBe(true);
    const [coffee] = outcome.rewards_unlocked;
    expect(coffee?.name).toBe('Free coffee');
    const after = await show(page, apps, 'add_stamps', { ...args, amount: 1 }, added);
    await poll(() => text(after, '.balance')).toBe(`0 of ${target} stamps`);
    expect(await text(after, '.added')).toContain('the card was completed');
    expect(await text(after, `[data-reward="${coffee?.id}"] .reward-name`)).toBe('Free coffee');
    expect(await text(after, `[data-reward="${coffee?.id}"] .badge`)).toBe('just unlocked');
    await shot(page, 'holder-card-completed');

    await after.locator(`[data-reward="${coffee?.id}"] [data-action="redeem"]`).click();
    await poll(() => after.locator(`[data-reward="${coffee?.id}"]`).count()).toBe(0);
    expect(await text(after, '.no-rewards')).toBe('None yet.');
    const redeemed = structured((await apps.client.callTool({ name: 'get_user', arguments: args })) as CallToolResult);
    expect(redeemed.rewards_available).toEqual([]);
    // Nothing but the host page itself was fetched, and no script failed.
    expect(requests.filter((r) => !r.startsWith(hostUrl))).toEqual([]);
    await page.close();
  });

  it('holder card: a hostile name shows as text and runs nothing', async () => {
    const { page } = await hostPage(apps);
    const args = { loyalty_card_id: CARD, first_name: HOSTILE, last_name: '<b>Bold</b>' };
    const created = (await apps.client.callTool({ name: 'create_user', arguments: args })) as CallToolResult;
    const view = await show(page, apps, 'create_user', args, created);
    await poll(() => text(view, '.holder-name')).toBe(`${HOSTILE} <b>Bold</b>`);
    expect(await view.locator('img').count()).toBe(0);
    expect(await view.locator('.holder-name b').count()).toBe(0);
    expect(await text(view, '.balance')).toBe('0 of 10 stamps');
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(await frame?.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await page.close();
  });

  it('holder card of a voided holder: said so, and no button to earn or redeem', async () => {
    const { page } = await hostPage(apps);
    const listed = structured((await apps.client.callTool({ name: 'list_users', arguments: { loyalty_card_id: CARD, include_voided: true, limit: 200 } })) as CallToolResult);
    const voided = (listed.users as Array<{ id: number; voided?: unknown }>).find((u) => u.voided === true);
    expect(voided).toBeDefined();
    const args = { loyalty_card_id: CARD, user_id: voided?.id };
    const result = (await apps.client.callTool({ name: 'get_user', arguments: args })) as CallToolResult;
    expect((structured(result).user as { voided?: unknown }).voided).toBe(true);
    const view = await show(page, apps, 'get_user', args, result);
    await poll(() => text(view, '.voided-note')).toBe('Voided: this holder cannot earn or redeem.');
    expect(await view.locator('[data-view="holder-card"]').getAttribute('class')).toContain('voided');
    expect(await view.locator('[data-action="add-stamp"], [data-action="redeem"]').count()).toBe(0);
    await page.close();
  });

  it('holder card in read-only mode: no button for a tool the server does not offer', async () => {
    const { page } = await hostPage(readOnly);
    const args = { loyalty_card_id: CARD, user_id: JANE };
    const view = await show(page, readOnly, 'get_user', args, (await readOnly.client.callTool({ name: 'get_user', arguments: args })) as CallToolResult, 'dark');
    await poll(() => text(view, '.holder-name')).toBe('Jane Doe');
    expect(await text(view, '.balance')).toBe('7 of 10 stamps');
    expect(await view.locator('button').count()).toBe(0);
    await shot(page, 'holder-card-dark');
    await page.close();
  });

  it('holders list: the rows the sandbox returned, the filter and paging, and a row that opens the holder card through get_user', async () => {
    const { page } = await hostPage(apps);
    const args = { loyalty_card_id: CARD, limit: 5 };
    const result = (await apps.client.callTool({ name: 'list_users', arguments: args })) as CallToolResult;
    const users = structured(result).users as Array<{ id: number; first_name?: string; last_name?: string; stamps?: number }>;
    expect(users).toHaveLength(5);
    const view = await show(page, apps, 'list_users', args, result);
    await poll(() => view.locator('tbody tr').count()).toBe(5);
    const names = await view.locator('tbody td.name').allTextContents();
    expect(names.map((n) => n.replace(/voided$/, '').trim())).toEqual(users.map((u) => [u.first_name, u.last_name].filter(Boolean).join(' ') || '(no name)'));
    const balances = await view.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(balances).toEqual(users.map((u) => (u.stamps !== undefined ? `${u.stamps} stamps` : '')));
    expect(await text(view, '.filter')).toBe(`Card ${CARD} \u00B7 No filter`);
    expect(await text(view, '.page-info')).toBe(`Page 1 \u00B7 5 per page \u00B7 ${String(structured(result).total)} in all \u00B7 more on the next page`);
    await shot(page, 'holders-list');

    const pick = users[1] as { id: number; first_name?: string; last_name?: string };
    await view.locator(`tr[data-user="${pick.id}"]`).click();
    await poll(() => text(view, '.holder-name')).toBe([pick.first_name, pick.last_name].filter(Boolean).join(' '));
    const calls = await page.evaluate(() => (globalThis as unknown as HostApi).viewCalls);
    expect(calls[0]).toEqual({ name: 'get_user', args: { loyalty_card_id: CARD, user_id: pick.id } });

    // Next page, through the host with list_users.
    await view.locator('[data-action="back"]').click();
    await view.locator('[data-action="next"]').click();
    await poll(() => text(view, '.page-info')).toMatch(/^Page 2 \u00B7 5 per page/);
    await page.close();
  });

  it('card list: every card the sandbox has, with its reward thresholds', async () => {
    const { page } = await hostPage(apps);
    const result = (await apps.client.callTool({ name: 'list_loyalty_cards', arguments: {} })) as CallToolResult;
    const cards = structured(result).cards as Array<{ id: number; name: string; rewards: Array<{ name: string; stamps_required?: number; points_required?: number }> }>;
    const view = await show(page, apps, 'list_loyalty_cards', {}, result);
    await poll(() => view.locator('.loyalty-card').count()).toBe(cards.length);
    expect(await view.locator('.card-title').allTextContents()).toEqual(cards.map((c) => c.name));
    const coffee = cards.find((c) => String(c.id) === CARD);
    expect(await view.locator(`[data-card="${CARD}"] .thresholds li`).allTextContents()).toEqual(coffee?.rewards.map((r) => `${r.name} at ${r.stamps_required}`));
    await shot(page, 'card-list');
    await page.close();
  });

  it('import: the plan\'s counts and first problems with their rows, progress while the run goes, then the result', async () => {
    const { page } = await hostPage(importer);
    const args = { loyalty_card_id: CARD, file: 'customers.csv', dry_run: true, skip_existing: true };
    const plan = (await importer.client.callTool({ name: 'import_users', arguments: args })) as CallToolResult;
    const rows = structured(plan).rows as { to_create: number; invalid: number; duplicate: number; existing: number; already_imported: number };
    const problems = structured(plan).problems as Array<{ row: number; reason: string }>;
    expect(rows.to_create).toBe(4);
    const view = await show(page, importer, 'import_users', args, plan);
    await poll(() => text(view, '[data-count="create"] .count-value')).toBe(String(rows.to_create));
    expect(await text(view, '[data-count="skip"] .count-value')).toBe(String(rows.duplicate + rows.existing + rows.already_imported));
    expect(await text(view, '[data-count="invalid"] .count-value')).toBe(String(rows.invalid));
    expect(await view.locator('table.problems tbody tr').count()).toBe(problems.length);
    expect(await view.locator('table.problems tbody tr td:first-child').allTextContents()).toEqual(problems.map((p) => String(p.row)));
    await shot(page, 'import-report');

    // The run's bulk request is held at the API until the view has drawn the progress the server sent first.
    apiSandbox.inject({ method: 'POST', hold: true, times: 1 });
    await view.locator('[data-action="run-import"]').click();
    await poll(() => text(view, '.progress-text')).toBe(`0 of ${rows.to_create} rows`);
    expect(await text(view, 'h1')).toBe('Importing');
    expect(await view.locator('progress').getAttribute('max')).toBe(String(rows.to_create));
    expect(apiSandbox.held).toBe(1);
    apiSandbox.release();
    await poll(() => text(view, 'h1')).toBe('Import done');
    expect(await text(view, '[data-count="created"] .count-value')).toBe(String(rows.to_create));
    const found = structured((await importer.client.callTool({ name: 'list_users', arguments: { loyalty_card_id: CARD, filter: { email: 'cy@example.com' } } })) as CallToolResult);
    expect((found.users as unknown[]).length).toBe(1);
    await page.close();
  });
});
