// No write is lost or doubled: 2,000 add_stamps calls under ambiguous faults, checked against the sandbox's own ledger.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/mcp/assemble.js';
import { parseConfig } from '../../src/config.js';
import { addHolder } from '../../src/sandbox/holder-records.js';
import { seedState, startSandbox, type Fault, type Sandbox } from '../../src/sandbox/sandbox.js';
import { createRandom } from '../../src/sandbox/seed.js';
import type { StampCard } from '../../src/sandbox/state.js';
import { cuedDeadlines } from '../support/deadlines.js';

const CALLS = 2000;
/** Calls in flight at once (and the request layer's cap, so a hang holds up only its own lane). */
const LANES = 16;
/** Never reached by the clock: a hang times out on cue, the moment the sandbox holds it. */
const TIMEOUT_MS = 30_000;
const SEED = 20_251_125;
/**
 * Only a guard against a hang, never a verdict: 2,000 calls take ~3 s on an idle 2-core machine
 * and several times that under load, which must not fail the test.
 */
const RUN_TIMEOUT_MS = 180_000;
const KEY = 'ledger-key';
const SECRET = 'ledger-secret-5e0b7d';

type Verdict = 'ok' | 'failed' | 'unknown';

interface FaultKind {
  name: string;
  count: number;
  fault: Omit<Fault, 'method' | 'path'>;
  /** What the model must be told, and how many grants the sandbox applies for it. */
  verdict: Verdict;
  applied: 0 | 1;
  /** Requests the one call sends. */
  requests: number;
}

const busy = { message: 'Service busy' };
const slowDown = { message: 'Too many requests' };

/** About 10% ambiguous faults, plus a few the request layer can settle for certain. */
const KINDS: readonly FaultKind[] = [
  { name: 'reset-after-read', count: 40, fault: { reset: 'after-read' }, verdict: 'unknown', applied: 0, requests: 1 },
  { name: 'reset-after-read+apply', count: 40, fault: { reset: 'after-read', apply: true }, verdict: 'unknown', applied: 1, requests: 1 },
  { name: '503+apply', count: 40, fault: { status: 503, body: busy, apply: true }, verdict: 'unknown', applied: 1, requests: 1 },
  { name: 'hang', count: 40, fault: { hang: true }, verdict: 'unknown', applied: 0, requests: 1 },
  { name: 'hang+apply', count: 40, fault: { hang: true, apply: true }, verdict: 'unknown', applied: 1, requests: 1 },
  // 429 means the API did not take it: sent again after Retry-After.
  { name: '429-once', count: 20, fault: { status: 429, headers: { 'retry-after': '0' }, body: slowDown }, verdict: 'ok', applied: 1, requests: 2 },
  {
    name: '429-x3',
    count: 20,
    fault: { status: 429, headers: { 'retry-after': '0' }, body: slowDown, times: 3 },
    verdict: 'failed',
    applied: 0,
    requests: 3,
  },
];
/** No fault: nothing is injected for these calls. */
const NONE: FaultKind = { name: 'none', count: 0, fault: {}, verdict: 'ok', applied: 1, requests: 1 };

/** Which fault each call gets: exact counts per kind, placed by a seeded shuffle. */
function faultPlan(): FaultKind[] {
  const plan = KINDS.flatMap((kind) => Array.from({ length: kind.count }, () => kind));
  while (plan.length < CALLS) plan.push(NONE);
  const random = createRandom(SEED);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [plan[i], plan[j]] = [plan[j] as FaultKind, plan[i] as FaultKind];
  }
  return plan;
}

interface Rig {
  sandbox: Sandbox;
  cardId: number;
  /** One holder per call, so each call's fault and requests are its own. */
  userIds: number[];
  call(args: Record<string, unknown>): Promise<CallToolResult>;
  stderr: string[];
  close(): Promise<void>;
}

/** The seeded program plus a stamp card without rewards (cheap bookkeeping) and one holder per call. */
async function startRig(): Promise<Rig> {
  const state = seedState();
  const createdAt = '2025-06-01 09:00:00';
  const card: StampCard = { id: state.next_ids.card++, code: 'ledg3r', name: 'Ledger drill card', domain: 'loyalty.coupontools.com', type: 'stamp', rewards: [], created_at: createdAt };
  state.cards.push(card);
  const userIds = Array.from({ length: CALLS }, () => addHolder(state, card, { profile: {}, createdAt, walletInstalled: false }).id);

  const sandbox = await startSandbox({ state, apiKey: KEY, apiSecret: SECRET });
  const action = parseConfig([], {
    COUPONTOOLS_API_KEY: KEY,
    COUPONTOOLS_API_SECRET: SECRET,
    COUPONTOOLS_BASE_URL: sandbox.url,
    COUPONTOOLS_TIMEOUT_MS: String(TIMEOUT_MS),
    COUPONTOOLS_MAX_IN_FLIGHT: String(LANES),
  });
  if (action.action !== 'run') throw new Error('unexpected');
  const stderr: string[] = [];
  const deadlines = cuedDeadlines();
  deadlines.watch(sandbox);
  const app: App = await createApp(action.config, {
    client: { retryBaseMs: 5, random: () => 0.5, armDeadline: deadlines.arm },
    stderr: (line) => stderr.push(line),
  });
  const client = new Client({ name: 'ledger-test', version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([client.connect(clientSide), app.server.connect(serverSide)]);
  return {
    sandbox,
    cardId: card.id,
    userIds,
    stderr,
    call: async (args) => (await client.callTool({ name: 'add_stamps', arguments: args })) as CallToolResult,
    async close() {
      await client.close();
      await app.close();
      await sandbox.close();
    },
  };
}

const textOf = (result: CallToolResult): string => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const verdictOf = (result: CallToolResult): Verdict => (!result.isError ? 'ok' : textOf(result).startsWith('Outcome unknown') ? 'unknown' : 'failed');
const isReplay = (result: CallToolResult): boolean =>
  (result.structuredContent as { replayed?: unknown } | undefined)?.replayed === true || textOf(result).startsWith('Replay:');

interface Outcome {
  kind: FaultKind;
  userId: number;
  amount: number;
  first: CallToolResult;
  /** The agent's second call with the same key, after an unknown or a refused first one. */
  retry?: CallToolResult;
}

/** Runs every planned call, LANES at a time; each call's fault is injected on its own holder's path. */
async function runCalls(rig: Rig, plan: readonly FaultKind[], withKeys: boolean): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < plan.length; i = next++) {
      const kind = plan[i] as FaultKind;
      const userId = rig.userIds[i] as number;
      // Unique per call, so every ledger entry names its call twice over (holder and amount).
      const amount = i + 1;
      if (kind !== NONE) rig.sandbox.inject({ ...kind.fault, method: 'POST', path: `/v4/loyalty/loyalty-cards/${rig.cardId}/stats/${userId}` });
      const args = { loyalty_card_id: rig.cardId, user_id: userId, amount, ...(withKeys ? { idempotency_key: `receipt-${i + 1}` } : {}) };
      const first = await rig.call(args);
      const outcome: Outcome = { kind, userId, amount, first };
      // An agent that was told "Outcome unknown" (or a refusal) tries the same purchase again.
      if (withKeys && verdictOf(first) !== 'ok') outcome.retry = await rig.call(args);
      outcomes[i] = outcome;
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  return outcomes;
}

interface Tally {
  calls: number;
  ok: number;
  failed: number;
  unknown: number;
  applied: number;
  doubled: number;
  lost: number;
  /** Reported as a definite failure, yet applied. */
  wrong: number;
}

/** Grants per call from the ledger, checked against what each call was told. */
function tally(rig: Rig, outcomes: readonly Outcome[], verdicts: (o: Outcome) => Verdict): Tally {
  const grants = new Map<number, number[]>();
  for (const entry of rig.sandbox.ledger) {
    expect(entry.loyalty_card_id, 'a grant on another card').toBe(rig.cardId);
    grants.set(entry.user_id, [...(grants.get(entry.user_id) ?? []), entry.amount]);
  }
  const counts = { ok: 0, failed: 0, unknown: 0 };
  let applied = 0;
  let doubled = 0;
  let lost = 0;
  let wrong = 0;
  for (const outcome of outcomes) {
    const amounts = grants.get(outcome.userId) ?? [];
    for (const amount of amounts) expect(amount, `a grant to holder ${outcome.userId} that no call of theirs asked for`).toBe(outcome.amount);
    const verdict = verdicts(outcome);
    counts[verdict] += 1;
    if (amounts.length >= 1) applied += 1;
    if (amounts.length > 1) doubled += 1;
    if (verdict === 'ok' && amounts.length === 0) lost += 1;
    if (verdict === 'failed' && amounts.length > 0) wrong += 1;
  }
  return { calls: outcomes.length, ...counts, applied, doubled, lost, wrong };
}

function countBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, number> {
  const counts = new Map<K, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
const requestsByPath = (sandbox: Sandbox) => countBy(sandbox.requests, (r) => r.path);
const grantsByUser = (sandbox: Sandbox) => countBy(sandbox.ledger, (e) => e.user_id);

/** stderr holds nothing but the request layer's one line per failed attempt: no error, no id beyond the template. */
function expectOnlyFailureLines(lines: readonly string[]): void {
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(line).toMatch(/^\[coupontools-mcp\] warning: API call failed: POST \/loyalty\/loyalty-cards\/\{id\}\/stats\/\{id\} → (HTTP \d{3}( \(code [\d,]+\))?|[A-Z_]+|timeout|network) after \d+ ms\n$/);
  }
}

describe('the stamp ledger under faults', () => {
  const plan = faultPlan();
  const faults = `${plan.filter((k) => k !== NONE).length} with faults [${KINDS.map((k) => `${k.name} ${plan.filter((p) => p === k).length}`).join(', ')}]`;
  const pathOf = (rig: Rig, userId: number) => `/v4/loyalty/loyalty-cards/${rig.cardId}/stats/${userId}`;

  it(`${CALLS} add_stamps calls: what was reported ok was applied once, what was refused never, what was unknown at most once`, async () => {
    const rig = await startRig();
    try {
      const outcomes = await runCalls(rig, plan, false);
      const t = tally(rig, outcomes, (o) => verdictOf(o.first));
      process.stderr.write(
        `ledger: ${t.calls} add_stamps calls, ${faults} → reported ok ${t.ok}, failed ${t.failed}, unknown ${t.unknown} → applied ${t.applied}, doubled ${t.doubled}, lost ${t.lost}\n`,
      );
      expect({ doubled: t.doubled, lost: t.lost, refusedButApplied: t.wrong }).toEqual({ doubled: 0, lost: 0, refusedButApplied: 0 });
      expect(rig.sandbox.ledger).toHaveLength(t.applied);

      // Each call was told what its fault implies, sent as often as the policy allows, applied as the fault decided.
      const requests = requestsByPath(rig.sandbox);
      const grants = grantsByUser(rig.sandbox);
      for (const [i, o] of outcomes.entries()) {
        const where = `call ${i + 1} (${o.kind.name}): ${textOf(o.first)}`;
        expect(verdictOf(o.first), where).toBe(o.kind.verdict);
        expect(requests.get(pathOf(rig, o.userId)), where).toBe(o.kind.requests);
        expect(grants.get(o.userId) ?? 0, where).toBe(o.kind.applied);
        if (o.kind.verdict === 'unknown') expect(textOf(o.first), where).toContain("read the holder's balance with get_user");
      }
      expect(t.unknown).toBeGreaterThanOrEqual(CALLS / 10);
      expect(t.failed).toBeGreaterThan(0);
      expectOnlyFailureLines(rig.stderr);
    } finally {
      await rig.close();
    }
  }, RUN_TIMEOUT_MS);

  it(`the same ${CALLS} calls with an idempotency_key each, retried by the agent after every unknown outcome: replayed, never doubled`, async () => {
    const rig = await startRig();
    try {
      const outcomes = await runCalls(rig, plan, true);
      const requests = requestsByPath(rig.sandbox);
      const sentBy = (o: Outcome) => requests.get(pathOf(rig, o.userId)) ?? 0;
      const afterUnknown = outcomes.filter((o) => verdictOf(o.first) === 'unknown');
      const afterRefusal = outcomes.filter((o) => verdictOf(o.first) === 'failed');
      const retried = (list: Outcome[]) => list.map((o) => o.retry).filter((r): r is CallToolResult => r !== undefined);
      // The agent's view of each purchase is its last answer; a replay of an unknown stays unknown.
      const t = tally(rig, outcomes, (o) => (o.retry && !isReplay(o.retry) ? verdictOf(o.retry) : verdictOf(o.first)));
      const replayed = retried(afterUnknown).filter(isReplay).length;
      const resentAfterUnknown = afterUnknown.filter((o) => sentBy(o) > o.kind.requests).length;
      const resentAfterRefusal = afterRefusal.filter((o) => sentBy(o) === o.kind.requests + 1).length;
      const okAfterRefusal = retried(afterRefusal).filter((r) => verdictOf(r) === 'ok').length;
      process.stderr.write(
        `ledger with idempotency_key: ${t.calls} add_stamps calls, ${faults}; ${afterUnknown.length} unknown retried with the same key → ${replayed} replayed, ${resentAfterUnknown} sent; ${afterRefusal.length} refused retried → ${resentAfterRefusal} sent, ${okAfterRefusal} ok → reported ok ${t.ok}, failed ${t.failed}, unknown ${t.unknown} → applied ${t.applied}, doubled ${t.doubled}, lost ${t.lost}\n`,
      );
      expect({ doubled: t.doubled, lost: t.lost, refusedButApplied: t.wrong }).toEqual({ doubled: 0, lost: 0, refusedButApplied: 0 });
      expect(rig.sandbox.ledger).toHaveLength(t.applied);

      const grants = grantsByUser(rig.sandbox);
      for (const [i, o] of outcomes.entries()) {
        const where = `call ${i + 1} (${o.kind.name}): ${textOf(o.first)}`;
        expect(verdictOf(o.first), where).toBe(o.kind.verdict);
        if (o.kind.verdict === 'unknown') {
          // Answered from memory: the first answer, said to be a replay, and nothing sent.
          const retry = o.retry as CallToolResult;
          expect(isReplay(retry), `${where} → ${textOf(retry)}`).toBe(true);
          expect(retry.isError).toBe(true);
          expect(textOf(retry)).toContain('nothing was sent now');
          expect(textOf(retry)).toContain(textOf(o.first));
          expect(sentBy(o), where).toBe(o.kind.requests);
          expect(grants.get(o.userId) ?? 0, where).toBe(o.kind.applied);
        } else if (o.kind.verdict === 'failed') {
          // A definite refusal frees the key: the retry is sent, and applied once.
          const retry = o.retry as CallToolResult;
          expect(isReplay(retry), textOf(retry)).toBe(false);
          expect(verdictOf(retry), textOf(retry)).toBe('ok');
          expect(sentBy(o), where).toBe(o.kind.requests + 1);
          expect(grants.get(o.userId), where).toBe(1);
        } else {
          expect(o.retry, where).toBeUndefined();
          expect(sentBy(o), where).toBe(o.kind.requests);
          expect(grants.get(o.userId), where).toBe(1);
        }
      }
      expect(replayed).toBeGreaterThanOrEqual(CALLS / 10);
      expect(afterRefusal.length).toBeGreaterThan(0);
      expectOnlyFailureLines(rig.stderr);
    } finally {
      await rig.close();
    }
  }, RUN_TIMEOUT_MS);
});
