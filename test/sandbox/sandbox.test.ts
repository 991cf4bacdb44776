// Tests for the embedded Coupontools sandbox: wire contract, earning rule, seed, persistence, faults, recording.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { earn } from '../../src/sandbox/earning.js';
import {
  SandboxStateError,
  loadSandboxState,
  saveSandboxState,
  seedState,
  startSandbox,
  type Sandbox,
  type SandboxState,
} from '../../src/sandbox/sandbox.js';
import type { RewardInstance, SandboxCard, SandboxHolder, StampCard } from '../../src/sandbox/state.js';

const FIXED_NOW = new Date(Date.UTC(2025, 6, 1, 10, 0, 0));
const FIXED_TIMESTAMP = '2025-07-01 10:00:00';

let sandbox: Sandbox;
const temporaryDirectories: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ now: () => FIXED_NOW });
});
afterAll(async () => {
  await sandbox.close();
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
});
afterEach(() => {
  sandbox.clearFaults();
});

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

interface ErrorEnvelope {
  status: { status: string };
  errors: { error_message: string; error_message_description: string[]; error_code: number[] };
}

interface HolderPage {
  data: SandboxHolder[];
  pagination: { page: number; limit: number; total: number };
}

function authHeaders(): Record<string, string> {
  return { 'x-api-key': sandbox.apiKey, 'x-api-secret': sandbox.apiSecret };
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = authHeaders()): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(`${sandbox.url}${path}`, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** For paths fetch would normalise ('..', '%2E%2E'): node:http sends the target untouched. */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const base = new URL(sandbox.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: base.hostname, port: base.port, path, method: 'GET', headers: authHeaders() }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

function envelope(reply: Reply): ErrorEnvelope {
  return reply.json as ErrorEnvelope;
}

async function createHolder(cardId: number, fields: Record<string, string> = {}): Promise<SandboxHolder> {
  const reply = await call('POST', `/loyalty/loyalty-cards/${cardId}/stats`, fields);
  expect(reply.status).toBe(201);
  return reply.json as SandboxHolder;
}

async function addAmount(cardId: number, userId: number, amount: unknown): Promise<Reply> {
  return call('POST', `/loyalty/loyalty-cards/${cardId}/stats/${userId}`, { amount });
}

async function getHolder(cardId: number, userId: number): Promise<SandboxHolder> {
  const reply = await call('GET', `/loyalty/loyalty-cards/${cardId}/stats/${userId}`);
  expect(reply.status).toBe(200);
  return reply.json as SandboxHolder;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'coupontools-sandbox-'));
  temporaryDirectories.push(directory);
  return directory;
}

const rewardNames = (rewards: RewardInstance[]): string[] => rewards.map((reward) => reward.name);

describe('auth', () => {
  const unauthorized = {
    status: {
      status: 'failed',
      errors: { error_code: 1000, error_message: 'HTTP/1.0 401 Unauthorized. Client ID or Secret not correct.' },
    },
  };

  it('rejects a request without credentials with the v3 401 envelope', async () => {
    const reply = await call('GET', '/loyalty/loyalty-cards', undefined, {});
    expect(reply.status).toBe(401);
    expect(reply.json).toEqual(unauthorized);
    expect(reply.headers.get('content-type')).toBe('application/json');
  });

  it('rejects a wrong secret, a wrong key and a missing secret', async () => {
    const wrongPairs: Array<Record<string, string>> = [
      { 'x-api-key': sandbox.apiKey, 'x-api-secret': 'nope' },
      { 'x-api-key': 'nope', 'x-api-secret': sandbox.apiSecret },
      { 'x-api-key': sandbox.apiKey },
    ];
    for (const headers of wrongPairs) {
      const reply = await call('GET', '/loyalty/loyalty-cards', undefined, headers);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual(unauthorized);
    }
  });

  it('checks credentials before resolving the route', async () => {
    expect((await call('GET', '/nowhere', undefined, {})).status).toBe(401);
  });

  it('uses the configured key pair', async () => {
    const custom = await startSandbox({ apiKey: 'k1', apiSecret: 's1' });
    try {
      const ok = await fetch(`${custom.url}/loyalty/loyalty-cards`, { headers: { 'x-api-key': 'k1', 'x-api-secret': 's1' } });
      expect(ok.status).toBe(200);
      const defaults = await fetch(`${custom.url}/loyalty/loyalty-cards`, { headers: authHeaders() });
      expect(defaults.status).toBe(401);
    } finally {
      await custom.close();
    }
  });
});

describe('routing and error formats', () => {
  it('answers an unknown card with 404 and code 507', async () => {
    const reply = await call('GET', '/loyalty/loyalty-cards/999/stats');
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({
      status: { status: 'failed' },
      errors: { error_message: 'HTTP/1.0 404 Not Found.', error_message_description: ['Loyalty card 999 not found.'], error_code: [507] },
    });
  });

  it('answers an unknown holder with 404 and code 505, also for a holder of another card', async () => {
    const reply = await call('GET', '/loyalty/loyalty-cards/1001/stats/123');
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({
      status: { status: 'failed' },
      errors: {
        error_message: 'HTTP/1.0 404 Not Found.',
        error_message_description: ['User 123 not found on loyalty card 1001.'],
        error_code: [505],
      },
    });
    const elsewhere = await call('GET', '/loyalty/loyalty-cards/1002/stats/5001');
    expect(elsewhere.status).toBe(404);
    expect(envelope(elsewhere).errors.error_code).toEqual([505]);
  });

  it('treats non-numeric, dot and encoded-slash segments as ids that do not exist', async () => {
    const letters = await call('GET', '/loyalty/loyalty-cards/abc/stats');
    expect(letters.status).toBe(404);
    expect(envelope(letters).errors.error_message_description).toEqual(['Loyalty card abc not found.']);

    const slash = await call('GET', '/loyalty/loyalty-cards/1001%2Fstats/stats');
    expect(slash.status).toBe(404);
    expect(envelope(slash).errors.error_message_description).toEqual(['Loyalty card 1001/stats not found.']);

    for (const path of ['/v4/loyalty/loyalty-cards/1001/stats/..', '/v4/loyalty/loyalty-cards/1001/stats/%2E%2E']) {
      const reply = await rawGet(path);
      expect(reply.status).toBe(404);
      expect((JSON.parse(reply.body) as ErrorEnvelope).errors.error_code).toEqual([505]);
    }
    const up = await rawGet('/v4/loyalty/loyalty-cards/../loyalty-cards');
    expect(up.status).toBe(404);
  });

  it('decodes each path segment, so an encoded id still names the holder', async () => {
    const reply = await call('GET', '/loyalty/loyalty-cards/1001/stats/50%30%31');
    expect(reply.status).toBe(200);
    expect((reply.json as SandboxHolder).first_name).toBe('Jane');
    expect(sandbox.requests.at(-1)?.path).toBe('/v4/loyalty/loyalty-cards/1001/stats/50%30%31');
  });

  it('answers unknown routes with 404 {message} and wrong methods with 405', async () => {
    for (const path of ['/loyalty', '/loyalty/loyalty-cards/1001/nothing', '/loyalty/loyalty-cards/']) {
      const reply = await call('GET', path);
      expect(reply.status).toBe(404);
      expect(reply.json).toEqual({ message: 'Route not found' });
    }
    expect((await rawGet('/v3/loyalty/loyalty-cards')).status).toBe(404);

    const wrongMethod = await call('DELETE', '/loyalty/loyalty-cards');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    const bulkGet = await call('GET', '/loyalty/loyalty-cards/1001/stats/bulk');
    expect(bulkGet.status).toBe(405);
    expect(bulkGet.headers.get('allow')).toBe('POST');
  });

  it('answers invalid JSON with 400 in the envelope', async () => {
    const reply = await call('POST', '/loyalty/loyalty-cards/1001/stats', '{"first_name": ');
    expect(reply.status).toBe(400);
    expect(envelope(reply).status).toEqual({ status: 'failed' });
    expect(envelope(reply).errors.error_message).toBe('HTTP/1.0 400 Bad Request.');
  });

  it('answers a body over 1 MB with 413', async () => {
    const reply = await call('POST', '/loyalty/loyalty-cards/1001/stats', JSON.stringify({ first_name: 'x'.repeat(1024 * 1024) }));
    expect(reply.status).toBe(413);
    expect(envelope(reply).errors.error_message).toBe('HTTP/1.0 413 Payload Too Large.');
  });
});

describe('cards', () => {
  it('lists the seeded cards with their reward definitions as a bare array', async () => {
    const reply = await call('GET', '/loyalty/loyalty-cards');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json');
    const cards = reply.json as SandboxCard[];
    expect(Array.isArray(cards)).toBe(true);
    expect(cards.slice(0, 3).map((card) => [card.id, card.name, card.type])).toEqual([
      [1001, 'Café Aroma coffee card', 'stamp'],
      [1002, 'Bloom Boutique points', 'points'],
      [1003, 'Fit Club membership', 'membership'],
    ]);
    for (const card of cards) expect(card.code).toMatch(/^[a-z0-9]{6}$/);
    expect(cards[0]?.rewards).toEqual([
      { id: 1, name: 'Free pastry', stamps_required: 5 },
      { id: 2, name: 'Free coffee', stamps_required: 10 },
    ]);
    expect(cards[1]?.rewards).toEqual([
      { id: 3, name: '€5 voucher', points_required: 100 },
      { id: 4, name: '€15 voucher', points_required: 250 },
    ]);
    expect(cards[2]?.rewards).toEqual([]);
  });

  it('copies a card: new id and code, same type and rewards, default name, no holders', async () => {
    const reply = await call('POST', '/loyalty/loyalty-cards/1001/copy');
    expect(reply.status).toBe(201);
    const copy = reply.json as StampCard;
    expect(copy.id).toBeGreaterThan(1003);
    expect(copy.name).toBe('Café Aroma coffee card (copy)');
    expect(copy.type).toBe('stamp');
    expect(copy.code).toMatch(/^[a-z0-9]{6}$/);
    expect(copy.code).not.toBe('cf4r0m');
    expect(copy.created_at).toBe(FIXED_TIMESTAMP);
    expect(copy.rewards.map(({ name, stamps_required }) => [name, stamps_required])).toEqual([
      ['Free pastry', 5],
      ['Free coffee', 10],
    ]);
    const listed = (await call('GET', '/loyalty/loyalty-cards')).json as SandboxCard[];
    expect(listed.find((card) => card.id === copy.id)).toEqual(copy);
    const holders = (await call('GET', `/loyalty/loyalty-cards/${copy.id}/stats`)).json as HolderPage;
    expect(holders.pagination.total).toBe(0);
    const points = (await call('POST', '/loyalty/loyalty-cards/1002/copy', { name: 'Bloom summer' })).json as SandboxCard;
    expect([points.name, points.type]).toEqual(['Bloom summer', 'points']);
  });

  it('validates the copy name', async () => {
    expect((await call('POST', '/loyalty/loyalty-cards/1003/copy', { name: 'n'.repeat(50) })).status).toBe(201);
    for (const name of ['n'.repeat(51), 42, null]) {
      const reply = await call('POST', '/loyalty/loyalty-cards/1003/copy', { name });
      expect(reply.status).toBe(422);
      expect(envelope(reply).errors.error_message).toBe('HTTP/1.0 422 Unprocessable entity.');
      expect(envelope(reply).errors.error_message_description[0]).toContain('"name"');
    }
    expect((await call('POST', '/loyalty/loyalty-cards/999/copy', {})).status).toBe(404);
  });
});

describe('listing holders', () => {
  const list = (query: string): Promise<Reply> => call('GET', `/loyalty/loyalty-cards/1001/stats${query}`);

  it('returns non-voided holders ordered by id with pagination metadata', async () => {
    const reply = await list('');
    expect(reply.status).toBe(200);
    const page = reply.json as HolderPage;
    const expected = sandbox.state.holders.filter((holder) => holder.loyalty_card_id === 1001 && !holder.voided);
    expect(page.pagination).toEqual({ page: 1, limit: 50, total: expected.length });
    expect(page.data.map((holder) => holder.id)).toEqual(expected.map((holder) => holder.id).sort((a, b) => a - b));
    expect(page.data.every((holder) => !holder.voided)).toBe(true);
  });

  it('filters case-insensitively by substring, all filters together', async () => {
    const byEmail = (await list('?filter[email]=JANE%40Example.COM')).json as HolderPage;
    expect(byEmail.data.map((holder) => holder.id)).toEqual([5001]);
    expect(byEmail.pagination.total).toBe(1);
    const both = (await list('?filter[first_name]=jan&filter[city]=brussels')).json as HolderPage;
    expect(both.data.map((holder) => holder.id)).toContain(5001);
    const none = (await list('?filter[first_name]=jane&filter[city]=london')).json as HolderPage;
    expect(none.data).toEqual([]);
    expect(none.pagination.total).toBe(0);
  });

  it('matches non-ASCII names case-insensitively', async () => {
    const zoe = sandbox.state.holders.find((holder) => holder.first_name === 'Zoë');
    expect(zoe).toBeDefined();
    const reply = await call('GET', `/loyalty/loyalty-cards/${zoe?.loyalty_card_id}/stats?filter[first_name]=ZO%C3%8B&include_voided=true`);
    expect((reply.json as HolderPage).data.map((holder) => holder.id)).toEqual([zoe?.id]);
  });

  it('rejects unknown filter fields and unknown parameters with 422', async () => {
    const unknownField = await list('?filter[shoe_size]=42');
    expect(unknownField.status).toBe(422);
    expect(envelope(unknownField).errors.error_message_description[0]).toContain('shoe_size');
    expect((await list('?page=2')).status).toBe(422);
  });

  it('paginates with totals and enforces limit and page bounds', async () => {
    const total = ((await list('')).json as HolderPage).pagination.total;
    const second = (await list('?pagination[page]=2&pagination[limit]=5')).json as HolderPage;
    expect(second.pagination).toEqual({ page: 2, limit: 5, total });
    const all = ((await list('?pagination[limit]=200')).json as HolderPage).data;
    expect(second.data).toEqual(all.slice(5, 10));
    const beyond = (await list('?pagination[page]=99')).json as HolderPage;
    expect(beyond.data).toEqual([]);
    expect(beyond.pagination.total).toBe(total);
    expect((await list('?pagination[limit]=1')).status).toBe(200);
    for (const bad of ['pagination[limit]=0', 'pagination[limit]=201', 'pagination[limit]=abc', 'pagination[limit]=2.5', 'pagination[page]=0', 'pagination[page]=-1']) {
      const reply = await list(`?${bad}`);
      expect(reply.status, bad).toBe(422);
      expect(envelope(reply).errors.error_message_description[0]).toContain('pagination[');
    }
  });

  it('includes voided holders with include_voided=true or 1', async () => {
    const voided = sandbox.state.holders.filter((holder) => holder.loyalty_card_id === 1001 && holder.voided);
    expect(voided.length).toBeGreaterThan(0);
    const hidden = (await list('?pagination[limit]=200')).json as HolderPage;
    for (const flag of ['true', '1']) {
      const shown = (await list(`?pagination[limit]=200&include_voided=${flag}`)).json as HolderPage;
      expect(shown.pagination.total).toBe(hidden.pagination.total + voided.length);
      expect(shown.data.filter((holder) => holder.voided).map((holder) => holder.id)).toEqual(voided.map((holder) => holder.id));
    }
    expect((await list('?include_voided=maybe')).status).toBe(422);
  });
});

describe('creating holders', () => {
  it('creates an anonymous holder from {} with every field empty', async () => {
    const holder = await createHolder(1001);
    expect(holder).toMatchObject({ loyalty_card_id: 1001, first_name: '', email: '', custom_8: '', stamps: 0, rewards: [] });
    expect(holder).toMatchObject({ voided: false, wallet_installed: false, created_at: FIXED_TIMESTAMP, updated_at: FIXED_TIMESTAMP });
    expect(holder.id).toBeGreaterThan(5040);
    expect(await getHolder(1001, holder.id)).toEqual(holder);
  });

  it('keeps points on points cards and no balance on membership cards', async () => {
    const points = await createHolder(1002, { first_name: 'Pat' });
    expect(points.points).toBe(0);
    expect('stamps' in points).toBe(false);
    const member = await createHolder(1003, { email: 'member@example.org', custom_3: 'gold' });
    expect('stamps' in member || 'points' in member).toBe(false);
    expect(member.custom_3).toBe('gold');
  });

  it('rejects unknown fields, non-strings and invalid emails with 422 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string, number]> = [
      [{ nickname: 'x' }, 'nickname', 302],
      [{ first_name: 5 }, 'first_name', 300],
      [{ email: 'not-an-email' }, 'email', 305],
      [{ amount: 3 }, 'amount', 302],
    ];
    for (const [body, field, code] of cases) {
      const reply = await call('POST', '/loyalty/loyalty-cards/1001/stats', body);
      expect(reply.status).toBe(422);
      expect(envelope(reply).errors.error_message_description[0]).toContain(field);
      expect(envelope(reply).errors.error_code).toEqual([code]);
    }
    expect((await call('POST', '/loyalty/loyalty-cards/1001/stats', [])).status).toBe(422);
  });

  it('bulk-creates valid items and reports invalid ones per item', async () => {
    const reply = await call('POST', '/loyalty/loyalty-cards/1002/stats/bulk', [
      { first_name: 'Ann', email: 'ann@example.com' },
      { email: 'broken' },
      {},
      'not an object',
      { colour: 'blue' },
    ]);
    expect(reply.status).toBe(200);
    const result = reply.json as {
      created: number;
      failed: number;
      results: Array<{ index: number; status: string; user?: SandboxHolder; error?: { field: string | null; message: string } }>;
    };
    expect([result.created, result.failed]).toEqual([2, 3]);
    expect(result.results.map((item) => [item.index, item.status])).toEqual([
      [0, 'created'],
      [1, 'error'],
      [2, 'created'],
      [3, 'error'],
      [4, 'error'],
    ]);
    expect(result.results[1]?.error?.field).toBe('email');
    expect(result.results[3]?.error?.field).toBeNull();
    expect(result.results[4]?.error?.field).toBe('colour');
    const ann = result.results[0]?.user;
    expect(ann?.first_name).toBe('Ann');
    expect(await getHolder(1002, ann?.id ?? 0)).toEqual(ann);
  });

  it('rejects a bulk body that is not a non-empty array of at most 500', async () => {
    const before = sandbox.state.holders.length;
    for (const body of [{ first_name: 'x' }, [], Array.from({ length: 501 }, () => ({}))]) {
      const reply = await call('POST', '/loyalty/loyalty-cards/1001/stats/bulk', body);
      expect(reply.status).toBe(422);
    }
    expect(sandbox.state.holders.length).toBe(before);
  });
});

describe('updating holders and adding stamps', () => {
  it('updates only the given fields', async () => {
    const holder = await createHolder(1001, { first_name: 'Old', city: 'Gent' });
    const reply = await call('POST', `/loyalty/loyalty-cards/1001/stats/${holder.id}`, { first_name: 'New', email: 'new@example.org' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ first_name: 'New', email: 'new@example.org', city: 'Gent', stamps: 0 });
  });

  it('rejects an empty update and bad fields', async () => {
    const holder = await createHolder(1001);
    const empty = await call('POST', `/loyalty/loyalty-cards/1001/stats/${holder.id}`, {});
    expect(empty.status).toBe(422);
    expect(envelope(empty).errors.error_code).toEqual([200]);
    const email = await call('POST', `/loyalty/loyalty-cards/1001/stats/${holder.id}`, { email: 'x@y' });
    expect(envelope(email).errors.error_code).toEqual([305]);
  });

  it('refuses amount together with other fields and changes nothing', async () => {
    const holder = await createHolder(1001, { first_name: 'Kim' });
    const reply = await call('POST', `/loyalty/loyalty-cards/1001/stats/${holder.id}`, { amount: 2, first_name: 'Changed' });
    expect(reply.status).toBe(422);
    expect(envelope(reply).errors.error_message_description[0]).toMatch(/send amount alone/i);
    expect(await getHolder(1001, holder.id)).toMatchObject({ first_name: 'Kim', stamps: 0 });
  });

  it('accepts only an integer amount of at least 1', async () => {
    const holder = await createHolder(1001);
    for (const amount of [0, -1, 1.5, '3', null, 10_001]) {
      const reply = await addAmount(1001, holder.id, amount);
      expect(reply.status, String(amount)).toBe(422);
      expect(envelope(reply).errors.error_message_description[0]).toContain('amount');
    }
    expect((await getHolder(1001, holder.id)).stamps).toBe(0);
  });

  it('refuses stamps on a membership card', async () => {
    const member = await createHolder(1003);
    const reply = await addAmount(1003, member.id, 1);
    expect(reply.status).toBe(422);
    expect(envelope(reply).errors.error_message_description[0]).toContain('membership');
  });

  it('gives Jane her free coffee with three stamps (the demo flow), and records the grant', async () => {
    const reply = await addAmount(1001, 5001, 3);
    expect(reply.status).toBe(200);
    const jane = reply.json as SandboxHolder;
    expect(jane.stamps).toBe(0);
    expect(jane.rewards.slice(1)).toEqual([
      { id: jane.rewards[1]?.id, reward_id: 2, name: 'Free coffee', status: 'available', earned_at: FIXED_TIMESTAMP, used_at: null },
    ]);
    expect(jane.updated_at).toBe(FIXED_TIMESTAMP);
    expect(sandbox.ledger.at(-1)).toEqual({ seq: sandbox.ledger.length, loyalty_card_id: 1001, user_id: 5001, amount: 3, at: FIXED_TIMESTAMP });
  });

  it('unlocks every threshold a large add passes, with rollover (+25 on a 5/10 card)', async () => {
    const holder = await createHolder(1001);
    const updated = (await addAmount(1001, holder.id, 25)).json as SandboxHolder;
    expect(updated.stamps).toBe(5);
    expect(rewardNames(updated.rewards)).toEqual(['Free pastry', 'Free coffee', 'Free pastry', 'Free coffee', 'Free pastry']);
    expect(new Set(updated.rewards.map((reward) => reward.id)).size).toBe(5);
    expect(updated.rewards.every((reward) => reward.status === 'available')).toBe(true);
  });

  it('rolls a stamp card over at its top threshold and keeps earning', async () => {
    const holder = await createHolder(1001);
    await addAmount(1001, holder.id, 9);
    const rolled = (await addAmount(1001, holder.id, 2)).json as SandboxHolder;
    expect(rolled.stamps).toBe(1);
    expect(rewardNames(rolled.rewards)).toEqual(['Free pastry', 'Free coffee']);
    const again = (await addAmount(1001, holder.id, 4)).json as SandboxHolder;
    expect(again.stamps).toBe(5);
    expect(rewardNames(again.rewards)).toEqual(['Free pastry', 'Free coffee', 'Free pastry']);
  });

  it('adds points on a points card with the same rule', async () => {
    const holder = await createHolder(1002);
    const updated = (await addAmount(1002, holder.id, 260)).json as SandboxHolder;
    expect(updated.points).toBe(10);
    expect(rewardNames(updated.rewards)).toEqual(['€5 voucher', '€15 voucher']);
  });
});

describe('the earning rule', () => {
  const card: StampCard = {
    id: 1,
    code: 'abcdef',
    name: 'test',
    domain: 'example.com',
    type: 'stamp',
    created_at: FIXED_TIMESTAMP,
    rewards: [
      { id: 2, name: 'ten', stamps_required: 10 },
      { id: 1, name: 'five', stamps_required: 5 },
    ],
  };
  const names = (amount: number, balance = 0): string[] => earn(card, balance, amount).unlocked.map((reward) => reward.name);

  it('counts each threshold once per pass, in the order reached', () => {
    expect(names(25)).toEqual(['five', 'ten', 'five', 'ten', 'five']);
    expect(earn(card, 0, 25).balance).toBe(5);
    expect(names(3, 7)).toEqual(['ten']);
    expect(names(4, 0)).toEqual([]);
    expect(names(13, 7)).toEqual(['ten', 'five', 'ten']);
    expect(earn(card, 7, 13).balance).toBe(0);
    expect(names(8, 7)).toEqual(['ten', 'five']);
    expect(earn(card, 7, 8).balance).toBe(5);
  });

  it('makes one add of a+b equal to an add of a followed by an add of b', () => {
    for (let start = 0; start < 10; start++) {
      for (let first = 1; first <= 23; first++) {
        for (const second of [1, 4, 5, 10, 17]) {
          const split = earn(card, start, first);
          const then = earn(card, split.balance, second);
          const once = earn(card, start, first + second);
          expect(once.balance).toBe(then.balance);
          expect(once.unlocked).toEqual([...split.unlocked, ...then.unlocked]);
        }
      }
    }
  });

  it('lets a card without rewards grow without rollover', () => {
    expect(earn({ ...card, rewards: [] }, 8, 7)).toEqual({ balance: 15, unlocked: [] });
  });
});

describe('using rewards', () => {
  async function holderWithRewards(): Promise<{ id: number; pastry: number; coffee: number }> {
    const holder = await createHolder(1001);
    const updated = (await addAmount(1001, holder.id, 10)).json as SandboxHolder;
    const [pastry, coffee] = updated.rewards.map((reward) => reward.id);
    return { id: holder.id, pastry: pastry ?? 0, coffee: coffee ?? 0 };
  }
  const use = (id: number, body: unknown): Promise<Reply> => call('PUT', `/loyalty/loyalty-cards/1001/stats/${id}/rewards`, body);

  it('is all or nothing: one unknown id fails the request and redeems nothing', async () => {
    const { id, pastry, coffee } = await holderWithRewards();
    const reply = await use(id, { reward_ids: [pastry, 987654] });
    expect(reply.status).toBe(422);
    expect(envelope(reply).errors.error_message_description[0]).toContain('987654');
    expect((await getHolder(1001, id)).rewards.map((reward) => reward.status)).toEqual(['available', 'available']);

    const used = (await use(id, { reward_ids: [pastry] })).json as SandboxHolder;
    expect(used.rewards.map((reward) => [reward.id, reward.status, reward.used_at])).toEqual([
      [pastry, 'used', FIXED_TIMESTAMP],
      [coffee, 'available', null],
    ]);
    const again = await use(id, { reward_ids: [pastry] });
    expect(again.status).toBe(422);
    expect(envelope(again).errors.error_message_description[0]).toContain(String(pastry));
  });

  it('rejects missing, empty, malformed and repeated reward_ids', async () => {
    const { id, coffee } = await holderWithRewards();
    const missing = await use(id, {});
    expect(missing.status).toBe(422);
    expect(envelope(missing).errors.error_code).toEqual([200]);
    for (const body of [{ reward_ids: [] }, { reward_ids: coffee }, { reward_ids: [coffee, coffee] }, { reward_ids: [coffee], extra: 1 }]) {
      expect((await use(id, body)).status).toBe(422);
    }
    expect((await getHolder(1001, id)).rewards.every((reward) => reward.status === 'available')).toBe(true);
  });

  it('takes ids of another holder as unavailable', async () => {
    const first = await holderWithRewards();
    const second = await holderWithRewards();
    expect((await use(first.id, { reward_ids: [second.coffee] })).status).toBe(422);
  });
});

describe('voiding and deleting', () => {
  it('voids idempotently, hides the holder from the list and blocks earning and redeeming', async () => {
    const holder = await createHolder(1001, { email: 'void.me@example.org' });
    const earned = (await addAmount(1001, holder.id, 5)).json as SandboxHolder;
    const reply = await call('PUT', `/loyalty/loyalty-cards/1001/stats/${holder.id}/void`);
    expect(reply.status).toBe(200);
    expect((reply.json as SandboxHolder).voided).toBe(true);
    expect((await call('PUT', `/loyalty/loyalty-cards/1001/stats/${holder.id}/void`)).status).toBe(200);

    const hidden = (await call('GET', '/loyalty/loyalty-cards/1001/stats?filter[email]=void.me')).json as HolderPage;
    expect(hidden.data).toEqual([]);
    const shown = (await call('GET', '/loyalty/loyalty-cards/1001/stats?filter[email]=void.me&include_voided=true')).json as HolderPage;
    expect(shown.data.map((item) => item.id)).toEqual([holder.id]);
    expect((await getHolder(1001, holder.id)).voided).toBe(true);

    const grants = sandbox.ledger.length;
    const add = await addAmount(1001, holder.id, 1);
    expect(add.status).toBe(422);
    expect(envelope(add).errors.error_message_description[0]).toContain('voided');
    expect(sandbox.ledger.length).toBe(grants);
    const redeem = await call('PUT', `/loyalty/loyalty-cards/1001/stats/${holder.id}/rewards`, { reward_ids: [earned.rewards[0]?.id] });
    expect(redeem.status).toBe(422);
    const after = await getHolder(1001, holder.id);
    expect(after.stamps).toBe(5);
    expect(after.rewards.map((reward) => reward.status)).toEqual(['available']);
  });

  it('deletes with 204 and an empty body, then the holder is gone', async () => {
    const holder = await createHolder(1002);
    const reply = await call('DELETE', `/loyalty/loyalty-cards/1002/stats/${holder.id}`);
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    const gone = await call('GET', `/loyalty/loyalty-cards/1002/stats/${holder.id}`);
    expect(gone.status).toBe(404);
    expect(envelope(gone).errors.error_code).toEqual([505]);
    expect((await call('DELETE', `/loyalty/loyalty-cards/1002/stats/${holder.id}`)).status).toBe(404);
    expect((await createHolder(1002)).id).toBeGreaterThan(holder.id);
  });
});

describe('push notifications', () => {
  const push = (body: unknown, cardId = 1002): Promise<Reply> => call('POST', `/loyalty/loyalty-cards/${cardId}/push-notifications`, body);
  interface PushResult {
    id: string;
    recipients: number;
    sent: number;
    skipped_no_wallet: number;
  }

  it('broadcasts to non-voided holders and reaches only those with the wallet pass', async () => {
    const holders = sandbox.state.holders.filter((holder) => holder.loyalty_card_id === 1002 && !holder.voided);
    const withWallet = holders.filter((holder) => holder.wallet_installed);
    expect(withWallet.length).toBeGreaterThan(0);
    expect(withWallet.length).toBeLessThan(holders.length);
    const reply = await push({ message: 'Spring sale!' });
    expect(reply.status).toBe(200);
    const result = reply.json as PushResult;
    expect(result).toMatchObject({ recipients: holders.length, sent: withWallet.length, skipped_no_wallet: holders.length - withWallet.length });
    expect(result.id).toMatch(/^pn_\d+$/);
    const stored = sandbox.state.notifications.find((notification) => notification.id === result.id);
    expect(stored?.sent_ids).toEqual(withWallet.map((holder) => holder.id));
  });

  it('sends to listed recipients, counting those without the wallet as skipped', async () => {
    const cardHolders = sandbox.state.holders.filter((holder) => holder.loyalty_card_id === 1002 && !holder.voided);
    const reachable = cardHolders.find((holder) => holder.wallet_installed);
    const unreachable = cardHolders.find((holder) => !holder.wallet_installed);
    const result = (await push({ message: 'Hi', recipient_stat_ids: [reachable?.id, unreachable?.id] })).json as PushResult;
    expect(result).toMatchObject({ recipients: 2, sent: 1, skipped_no_wallet: 1 });
  });

  it('rejects [] recipients, unknown recipients and bad messages', async () => {
    const notifications = sandbox.state.notifications.length;
    const cases: unknown[] = [
      { message: 'Hi', recipient_stat_ids: [] },
      { message: 'Hi', recipient_stat_ids: [999999] },
      { message: 'Hi', recipient_stat_ids: [5001] }, // Jane is on card 1001
      { message: '' },
      { message: 'x'.repeat(501) },
      { message: 7 },
      {},
    ];
    for (const body of cases) {
      const reply = await push(body);
      expect(reply.status, JSON.stringify(body).slice(0, 80)).toBe(422);
    }
    expect(envelope(await push({ message: 'Hi', recipient_stat_ids: [999999] })).errors.error_message_description[0]).toContain('999999');
    expect(sandbox.state.notifications.length).toBe(notifications);
    expect((await push({ message: 'x'.repeat(500) })).status).toBe(200);
  });
});

describe('seed', () => {
  it('is deterministic: the same seed gives byte-identical state, another seed differs', () => {
    expect(seedState(42)).toEqual(seedState(42));
    expect(JSON.stringify(seedState(42))).toBe(JSON.stringify(seedState()));
    expect(JSON.stringify(seedState(7))).toBe(JSON.stringify(seedState(7)));
    expect(seedState(7)).not.toEqual(seedState(42));
  });

  it('starts a sandbox from the seed option', async () => {
    const other = await startSandbox({ seed: 7 });
    try {
      expect(other.state).toEqual(seedState(7));
    } finally {
      await other.close();
    }
  });

  it('puts Jane Doe first with 7 stamps and her 5-stamp pastry used, whatever the seed', () => {
    for (const seed of [42, 1, 999]) {
      const jane = seedState(seed).holders[0];
      expect(jane).toMatchObject({
        id: 5001,
        loyalty_card_id: 1001,
        first_name: 'Jane',
        last_name: 'Doe',
        email: 'jane@example.com',
        phone: '+32470000001',
        stamps: 7,
        rewards: [expect.objectContaining({ reward_id: 1, name: 'Free pastry', status: 'used' })],
        voided: false,
        wallet_installed: true,
      });
    }
  });

  it('is consistent with its own earning rule: nobody is past a threshold without that reward', () => {
    for (const seed of [42, 1, 999]) {
      const state = seedState(seed);
      for (const holder of state.holders) {
        const card = state.cards.find((c) => c.id === holder.loyalty_card_id)!;
        const balance = holder.stamps ?? holder.points ?? 0;
        for (const reward of card.rewards) {
          const threshold = 'stamps_required' in reward ? reward.stamps_required : reward.points_required;
          if (balance < threshold) continue;
          expect(holder.rewards.some((r) => r.reward_id === reward.id), `seed ${seed}: holder ${holder.id} has ${balance}, past ${reward.name}`).toBe(true);
        }
        for (const r of holder.rewards) expect(r.status === 'used' ? r.used_at !== null && r.used_at >= r.earned_at : r.used_at === null, `holder ${holder.id} reward ${r.id}`).toBe(true);
      }
    }
  });

  it('holds varied, realistic demo holders', () => {
    const state = seedState();
    const holders = state.holders;
    expect(holders.length).toBeGreaterThanOrEqual(35);
    expect(holders.length).toBeLessThanOrEqual(45);
    expect(holders.map((holder) => holder.id)).toEqual(holders.map((_, index) => 5001 + index));
    const names = holders.map((holder) => holder.first_name);
    for (const name of ['Zoë', 'Łukasz', 'Søren']) expect(names).toContain(name);
    for (const holder of holders) {
      if (holder.email !== '') expect(holder.email).toMatch(/^[a-z0-9.]+@example\.(com|org)$/);
      if (holder.phone !== '') expect(holder.phone).toMatch(/^\+(32|31|44)\d{8,10}$/);
      expect(holder.created_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    }
    expect(new Set(holders.map((holder) => holder.email).filter(Boolean)).size).toBe(holders.filter((holder) => holder.email).length);
    for (const cardId of [1001, 1002, 1003]) {
      const onCard = holders.filter((holder) => holder.loyalty_card_id === cardId);
      expect(onCard.some((holder) => holder.voided)).toBe(true);
      expect(onCard.some((holder) => !holder.wallet_installed)).toBe(true);
    }
    const withAvailable = holders.filter((holder) => holder.rewards.some((reward) => reward.status === 'available'));
    expect(withAvailable.length).toBeGreaterThanOrEqual(3);
    expect(holders.filter((holder) => holder.wallet_installed).length).toBeGreaterThan(holders.length / 2);
    for (const holder of holders.filter((item) => item.loyalty_card_id === 1001)) expect(holder.stamps).toBeLessThan(10);
  });

  it('does not depend on the wall clock', async () => {
    const early = await startSandbox({ now: () => new Date(Date.UTC(2030, 0, 1)) });
    try {
      expect(early.state).toEqual(seedState(42));
    } finally {
      await early.close();
    }
  });
});

describe('persistence', () => {
  it('round-trips through saveSandboxState and loadSandboxState without leaving temp files', () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'state.json');
    const state = seedState(3);
    saveSandboxState(path, state);
    expect(loadSandboxState(path)).toEqual(state);
    saveSandboxState(path, state);
    expect(readdirSync(directory)).toEqual(['state.json']);
    const nested = join(directory, 'a', 'b', 'state.json');
    saveSandboxState(nested, state);
    expect(loadSandboxState(nested)).toEqual(state);
  });

  it('creates the file from the seed, persists every change, and resumes from it', async () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'sandbox.json');
    const first = await startSandbox({ statePath: path, now: () => FIXED_NOW });
    try {
      expect(existsSync(path)).toBe(true);
      expect(loadSandboxState(path)).toEqual(seedState(42));
      const response = await fetch(`${first.url}/loyalty/loyalty-cards/1001/stats/5001`, {
        method: 'POST',
        headers: { 'x-api-key': first.apiKey, 'x-api-secret': first.apiSecret, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 3 }),
      });
      expect(response.status).toBe(200);
      const saved = JSON.parse(readFileSync(path, 'utf8')) as SandboxState;
      expect(saved.holders[0]).toMatchObject({ id: 5001, stamps: 0, rewards: [{ name: 'Free pastry', status: 'used' }, { name: 'Free coffee', status: 'available' }] });
      expect(readdirSync(directory)).toEqual(['sandbox.json']);
    } finally {
      await first.close();
    }
    const second = await startSandbox({ statePath: path, seed: 99 });
    try {
      expect(second.state.holders[0]?.rewards.map((reward) => reward.name)).toEqual(['Free pastry', 'Free coffee']);
      expect(second.state).toEqual(loadSandboxState(path));
    } finally {
      await second.close();
    }
  });

  it('refuses a corrupt file with SandboxStateError naming the path, and leaves the file alone', async () => {
    const path = join(temporaryDirectory(), 'broken.json');
    writeFileSync(path, '{"version": 1, "cards": [');
    const failure = startSandbox({ statePath: path });
    await expect(failure).rejects.toBeInstanceOf(SandboxStateError);
    await expect(failure).rejects.toThrow(path);
    await expect(failure).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(path, 'utf8')).toBe('{"version": 1, "cards": [');
  });

  it('names the offending field of a malformed state', async () => {
    const path = join(temporaryDirectory(), 'shape.json');
    const state = seedState() as unknown as { holders: Array<Record<string, unknown>>; version: number };
    (state.holders[0] as Record<string, unknown>).stamps = -1;
    writeFileSync(path, JSON.stringify(state));
    expect(() => loadSandboxState(path)).toThrow(SandboxStateError);
    expect(() => loadSandboxState(path)).toThrow(/holders\[0\]\.stamps/);
    await expect(startSandbox({ statePath: path })).rejects.toThrow(path);

    state.version = 2;
    writeFileSync(path, JSON.stringify(state));
    expect(() => loadSandboxState(path)).toThrow(/unsupported version 2/);
    expect(() => loadSandboxState(join(temporaryDirectory(), 'missing.json'))).toThrow(SandboxStateError);
  });

  it('starts from a given state without touching the caller\'s object', async () => {
    const state = seedState(5);
    const copy = structuredClone(state);
    const started = await startSandbox({ state });
    try {
      await fetch(`${started.url}/loyalty/loyalty-cards/1001/stats/5001`, {
        method: 'POST',
        headers: { 'x-api-key': started.apiKey, 'x-api-secret': started.apiSecret },
        body: JSON.stringify({ amount: 1 }),
      });
      expect(started.state.holders[0]?.stamps).toBe(8);
      expect(state).toEqual(copy);
    } finally {
      await started.close();
    }
    await expect(startSandbox({ state: { ...state, cards: 'nope' } as unknown as SandboxState })).rejects.toThrow(/options\.state.*cards/);
  });
});

describe('fault injection', () => {
  const cardsPath = '/v4/loyalty/loyalty-cards';

  it('delays a response by latencyMs', async () => {
    sandbox.inject({ path: cardsPath, latencyMs: 50 });
    const started = performance.now();
    const reply = await call('GET', '/loyalty/loyalty-cards');
    expect(reply.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('holds a request until release(), then answers it, meeting the rest of its fault', async () => {
    sandbox.inject({ path: cardsPath, hold: true, status: 503, body: { message: 'held then busy' } });
    let answered = false;
    const pending = call('GET', '/loyalty/loyalty-cards').then((reply) => {
      answered = true;
      return reply;
    });
    await waitFor(() => sandbox.held === 1);
    expect(answered).toBe(false);
    sandbox.release();
    const reply = await pending;
    expect(reply.status).toBe(503);
    expect(sandbox.held).toBe(0);
  });

  it('answers with a status, extra headers and a JSON object body', async () => {
    sandbox.inject({ path: cardsPath, status: 429, headers: { 'Retry-After': '1' }, body: { message: 'slow down' } });
    const reply = await call('GET', '/loyalty/loyalty-cards');
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBe('1');
    expect(reply.headers.get('content-type')).toBe('application/json');
    expect(reply.json).toEqual({ message: 'slow down' });
  });

  it('sends an HTML body as text/html and a truncated JSON body as-is', async () => {
    sandbox.inject({ path: cardsPath, status: 502, body: '<html><body>Bad gateway</body></html>' });
    const html = await call('GET', '/loyalty/loyalty-cards');
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toBe('text/html');
    expect(html.text).toBe('<html><body>Bad gateway</body></html>');

    sandbox.inject({ path: cardsPath, status: 200, body: '{"id": 1' });
    const truncated = await call('GET', '/loyalty/loyalty-cards');
    expect(truncated.status).toBe(200);
    expect(truncated.headers.get('content-type')).toBe('application/json');
    expect(truncated.text).toBe('{"id": 1');
    expect(truncated.json).toBeUndefined();

    sandbox.inject({ path: cardsPath, status: 503 });
    const empty = await call('GET', '/loyalty/loyalty-cards');
    expect([empty.status, empty.text]).toEqual([503, '']);
  });

  it('resets before reading the body: nothing is applied, the request is recorded with an empty body', async () => {
    const holder = await createHolder(1001);
    const path = `${cardsPath}/1001/stats/${holder.id}`;
    const grants = sandbox.ledger.length;
    sandbox.inject({ method: 'POST', path, reset: 'before-read' });
    await expect(addAmount(1001, holder.id, 2)).rejects.toThrow();
    expect(sandbox.requests.at(-1)).toMatchObject({ method: 'POST', path, body: '' });
    expect((await getHolder(1001, holder.id)).stamps).toBe(0);
    expect(sandbox.ledger.length).toBe(grants);
  });

  it('resets after reading the body without applying, or after applying with apply: true', async () => {
    const holder = await createHolder(1001);
    const path = `${cardsPath}/1001/stats/${holder.id}`;
    sandbox.inject({ method: 'POST', path, reset: 'after-read' });
    await expect(addAmount(1001, holder.id, 2)).rejects.toThrow();
    const recorded = sandbox.requests.filter((request) => request.method === 'POST' && request.path === path).at(-1);
    expect(recorded).toMatchObject({ body: '{"amount":2}', json: { amount: 2 } });
    expect((await getHolder(1001, holder.id)).stamps).toBe(0);

    sandbox.inject({ method: 'POST', path, reset: 'after-read', apply: true });
    await expect(addAmount(1001, holder.id, 2)).rejects.toThrow();
    expect((await getHolder(1001, holder.id)).stamps).toBe(2);
    expect(sandbox.ledger.at(-1)).toMatchObject({ user_id: holder.id, amount: 2 });
  });

  it('applies the real handler first with apply: true, then fails with the status', async () => {
    const holder = await createHolder(1001);
    sandbox.inject({ method: 'POST', path: /\/stats\/\d+$/, status: 500, body: { message: 'oops' }, apply: true });
    const reply = await addAmount(1001, holder.id, 3);
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ message: 'oops' });
    expect((await getHolder(1001, holder.id)).stamps).toBe(3);

    sandbox.inject({ method: 'POST', path: /\/stats\/\d+$/, status: 500 });
    expect((await addAmount(1001, holder.id, 3)).status).toBe(500);
    expect((await getHolder(1001, holder.id)).stamps).toBe(3);
  });

  it('hangs until the client gives up, and close() still returns promptly', async () => {
    const hanging = await startSandbox();
    hanging.inject({ hang: true, times: Infinity });
    const headers = { 'x-api-key': hanging.apiKey, 'x-api-secret': hanging.apiSecret };
    await expect(fetch(`${hanging.url}/loyalty/loyalty-cards`, { headers, signal: AbortSignal.timeout(50) })).rejects.toThrow();
    const pending = fetch(`${hanging.url}/loyalty/loyalty-cards`, { headers });
    pending.catch(() => undefined);
    await waitFor(() => hanging.requests.length === 2 && hanging.inFlight >= 1);
    await hanging.close();
    await expect(pending).rejects.toThrow();
  });

  it('counts times, consumes faults in injection order and matches method and path', async () => {
    sandbox.inject({ path: cardsPath, status: 503, times: 2 });
    sandbox.inject({ path: cardsPath, status: 504 });
    sandbox.inject({ method: 'POST', path: cardsPath, status: 500, times: Infinity });
    sandbox.inject({ path: /^\/v4\/loyalty\/loyalty-cards\/1003\//, status: 418 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('GET', '/loyalty/loyalty-cards')).status);
    expect(statuses).toEqual([503, 503, 504, 200]);
    expect((await call('GET', '/loyalty/loyalty-cards/1001/stats')).status).toBe(200);
    expect((await call('GET', '/loyalty/loyalty-cards/1003/stats')).status).toBe(418);
    expect((await call('GET', '/loyalty/loyalty-cards/1003/stats')).status).toBe(200);
    expect((await call('POST', '/loyalty/loyalty-cards')).status).toBe(500);
    expect((await call('POST', '/loyalty/loyalty-cards')).status).toBe(500);
    sandbox.clearFaults();
    expect((await call('POST', '/loyalty/loyalty-cards')).status).toBe(405);
  });

  it('rejects contradictory faults', () => {
    expect(() => sandbox.inject({ status: 500, hang: true })).toThrow(TypeError);
    expect(() => sandbox.inject({ reset: 'before-read', apply: true })).toThrow(TypeError);
    expect(() => sandbox.inject({ times: 0, status: 500 })).toThrow(TypeError);
    expect(() => sandbox.inject({ body: 'x' })).toThrow(TypeError);
    expect(() => sandbox.inject({})).toThrow(TypeError);
  });
});

describe('request recording and in-flight counting', () => {
  it('records method, raw path, raw query, lower-cased headers and body', async () => {
    sandbox.clearRequests();
    const reply = await fetch(`${sandbox.url}/loyalty/loyalty-cards/1001/stats?filter%5Bemail%5D=a%40b.c`, {
      headers: { ...authHeaders(), 'X-Trace-Id': 'abc' },
    });
    expect(reply.status).toBe(200);
    expect(((await reply.json()) as HolderPage).pagination.total).toBe(0);
    await call('POST', '/loyalty/loyalty-cards/1003/stats', { first_name: 'Zoë' });
    expect(sandbox.requests).toHaveLength(2);
    const [get, post] = sandbox.requests;
    expect(get).toMatchObject({ method: 'GET', path: '/v4/loyalty/loyalty-cards/1001/stats', query: 'filter%5Bemail%5D=a%40b.c', body: '' });
    expect(get?.headers['x-trace-id']).toBe('abc');
    expect(get?.headers['x-api-secret']).toBe(sandbox.apiSecret);
    expect(get && 'json' in get).toBe(false);
    expect(post).toMatchObject({ method: 'POST', query: '', body: '{"first_name":"Zoë"}', json: { first_name: 'Zoë' } });
    sandbox.clearRequests();
    expect(sandbox.requests).toHaveLength(0);
  });

  it('records unauthenticated and faulted requests too', async () => {
    sandbox.clearRequests();
    await call('GET', '/loyalty/loyalty-cards', undefined, {});
    sandbox.inject({ status: 503 });
    await call('GET', '/loyalty/loyalty-cards');
    expect(sandbox.requests.map((request) => request.path)).toEqual(['/v4/loyalty/loyalty-cards', '/v4/loyalty/loyalty-cards']);
  });

  it('keeps at most historyLimit requests and ledger entries, the newest', async () => {
    const small = await startSandbox({ historyLimit: 2 });
    try {
      const headers = { 'x-api-key': small.apiKey, 'x-api-secret': small.apiSecret, 'content-type': 'application/json' };
      for (const amount of [1, 2, 3]) {
        await fetch(`${small.url}/loyalty/loyalty-cards/1001/stats/5001`, { method: 'POST', headers, body: JSON.stringify({ amount }) });
      }
      expect(small.requests.map((r) => r.body)).toEqual(['{"amount":2}', '{"amount":3}']);
      expect(small.ledger.map((e) => e.amount)).toEqual([2, 3]);
    } finally {
      await small.close();
    }
  });

  it('tracks the in-flight high-water mark under concurrent slow requests', async () => {
    await waitFor(() => sandbox.inFlight === 0);
    sandbox.resetStats();
    expect(sandbox.maxInFlight).toBe(0);
    sandbox.inject({ path: '/v4/loyalty/loyalty-cards', latencyMs: 50, times: Infinity });
    const replies = await Promise.all(Array.from({ length: 4 }, () => call('GET', '/loyalty/loyalty-cards')));
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);
    expect(sandbox.maxInFlight).toBe(4);
    await waitFor(() => sandbox.inFlight === 0);
    sandbox.resetStats();
    expect(sandbox.maxInFlight).toBe(0);
  });
});
