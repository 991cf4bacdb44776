// Each call-pipeline stage on its own: driven directly, with the real gate, store, audit log and request layer.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuditLog } from '../../src/state/audit-log.js';
import { ConfirmGate } from '../../src/pipeline/confirm-gate.js';
import { CoupontoolsError } from '../../src/coupontools/errors.js';
import { CoupontoolsClient } from '../../src/coupontools/client.js';
import { MemoryStore } from '../../src/state/open-store.js';
import { IdempotencyStore } from '../../src/state/idempotency-store.js';
import { redactor, type Logger } from '../../src/log.js';
import { auditCall, WritesInFlight } from '../../src/pipeline/audit.js';
import { startCall } from '../../src/pipeline/call.js';
import type { RequestLayer, Step } from '../../src/pipeline/stage-types.js';
import { confirmation } from '../../src/pipeline/confirmation.js';
import { withDryRun } from '../../src/pipeline/dry-run.js';
import { fitFrame } from '../../src/pipeline/frame-budget.js';
import { fastCheck, fitSchema } from '../../src/pipeline/output-check.js';
import { allTools, importUsers } from '../../tools/index.js';
import { redactDeep } from '../../src/pipeline/redaction.js';
import { mapErrors } from '../../src/pipeline/error-mapping.js';
import { claimKey } from '../../src/pipeline/idempotency.js';
import { resultShaper, runHandler } from '../../src/pipeline/result-shaping.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { defineTool, type ToolApi } from '../../src/mcp/tool.js';

const shape = resultShaper({ tool: tool(async () => ({})), output: z.looseObject({}), sandbox: false, redact: (t) => t });
const logged: string[] = [];
const log: Logger = { info: () => undefined, warn: () => undefined, error: (m) => logged.push(m) };
const offline: RequestLayer = { request: () => Promise.reject(new Error('no network in this test')), url: () => 'http://127.0.0.1/v4/x' };

/** A write tool whose handler is given per test. */
function tool(handler: (args: { n?: number }, api: ToolApi) => Promise<Record<string, unknown>>, access: 'write' | 'destructive' = 'write') {
  return defineTool({
    name: 'probe',
    title: 'Probe',
    description: 'A tool for one stage test.',
    input: z.strictObject({ n: z.number().optional() }),
    output: z.looseObject({}),
    access,
    idempotent: false,
    handler,
  });
}

const ok = (data: Record<string, unknown>): Step => ({ result: shape.success(data), outcome: 'ok' });
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  logged.length = 0;
});

describe('error mapping', () => {
  it('a bug is logged and answered as an internal error; an unclear write failure is unknown', async () => {
    const call = startCall(tool(async () => ({})), { n: 1 }, offline, false, new AbortController().signal);
    const bug = await mapErrors(call, log, shape, () => Promise.reject(new TypeError('x is undefined')));
    expect(bug).toEqual({ outcome: 'error', result: { isError: true, content: [{ type: 'text', text: 'Internal error in probe: x is undefined' }] } });
    expect(logged).toEqual(['probe failed unexpectedly']);
    const unclear = await mapErrors(call, log, shape, () => Promise.reject(new CoupontoolsError({ kind: 'timeout', outcome: 'unknown', detail: 'No answer.' })));
    expect(unclear.outcome).toBe('unknown');
  });
});

describe('dry run', () => {
  it('the first write stops before the network and becomes the request it would send', async () => {
    const client = new CoupontoolsClient({ baseUrl: 'http://127.0.0.1:9/v4', apiKey: 'k', apiSecret: 's', userAgent: 't', timeoutMs: 100, connectTimeoutMs: 100, maxInFlight: 1, maxRetries: 0 });
    const probe = tool(async (_args, api) => (await api.request({ method: 'POST', path: ['cards', 7], query: [['a', 'b c']], body: { amount: 1 } })) as unknown as Record<string, unknown>);
    const call = startCall(probe, { n: 1 }, client, true, new AbortController().signal);
    const step = await withDryRun(client, shape, () => runHandler(call, shape));
    expect(step.outcome).toBe('dry_run');
    expect(step.result.structuredContent).toEqual({ status: 'dry_run', request: { method: 'POST', path: '/v4/cards/7', query: { a: 'b c' }, body: { amount: 1 } } });
    await client.close();
  });
});

describe('idempotency', () => {
  it('settles a key only for applied or unknown outcomes; a repeat is a replay, other arguments a conflict', async () => {
    const store = new IdempotencyStore(new MemoryStore(() => 0), undefined, () => 0);
    const probe = tool(async () => ({}));
    const call = (n: number, key: string) => startCall(probe, { n, idempotency_key: key }, offline, false, new AbortController().signal);
    const first = await claimKey(call(1, 'k'), store, false, shape);
    if (first.kind !== 'run') throw new Error('expected to run');
    await first.settle(ok({ added: 1 }));
    const again = await claimKey(call(1, 'k'), store, false, shape);
    expect(again).toEqual({ kind: 'answered', step: { outcome: 'replayed', result: shape.success({ added: 1 }, { replayed: true }) } });
    const clash = await claimKey(call(2, 'k'), store, false, shape);
    expect(clash.kind === 'answered' && clash.step.result.isError).toBe(true);

    const refused = await claimKey(call(1, 'r'), store, false, shape);
    if (refused.kind !== 'run') throw new Error('expected to run');
    await refused.settle({ result: shape.failure('HTTP 422'), outcome: 'error' });
    expect((await claimKey(call(1, 'r'), store, false, shape)).kind).toBe('run');
  });
});

describe('audit', () => {
  it('one line per write with the status the wire gave; a write cut off by shutdown is unknown', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ct-stage-')), 'audit.jsonl');
    const audit = AuditLog.open(path);
    const inFlight = new WritesInFlight();
    sandbox = await startSandbox({ apiKey: 'k', apiSecret: 'secret-for-stage-test' });
    const client = new CoupontoolsClient({ baseUrl: sandbox.url, apiKey: 'k', apiSecret: 'secret-for-stage-test', userAgent: 't', timeoutMs: 2000, connectTimeoutMs: 1000, maxInFlight: 2, maxRetries: 0 });
    const stamp = tool(async (_args, api) => ({ user: (await api.request({ method: 'POST', path: ['loyalty', 'loyalty-cards', 1001, 'stats', 5001], body: { amount: 1 } })).data }));
    const call = startCall(stamp, { n: 1 }, client, false, new AbortController().signal);
    const audited = auditCall(call, audit, log, inFlight);
    expect(inFlight.size).toBe(1);
    audited.finish(await runHandler(call, shape));
    audited.finish(ok({})); // a second finish records nothing
    const cut = auditCall(startCall(stamp, { n: 2 }, client, false, new AbortController().signal), audit, log, inFlight);
    expect(await inFlight.drain(0)).toBe(1);
    cut.finish(ok({}));
    audit.close();
    await client.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.tool, l.outcome, l.status])).toEqual([
      ['probe', 'ok', 200],
      ['probe', 'unknown', undefined],
    ]);
  });
});

describe('confirmation', () => {
  it('previews a destructive call, then lets the same call with the token through once', async () => {
    const gate = new ConfirmGate('auto', () => 0);
    const probe = tool(async () => ({}), 'destructive');
    const first = await confirmation(startCall(probe, { n: 1 }, offline, false, new AbortController().signal), gate, true, undefined, shape);
    expect(first?.outcome).toBe('confirmation_required');
    const token = (first?.result.structuredContent as { confirm_token: string }).confirm_token;
    const withToken = () => startCall(probe, { n: 1, confirm_token: token }, offline, false, new AbortController().signal);
    expect(await confirmation(withToken(), gate, true, undefined, shape)).toBeUndefined();
    expect((await confirmation(withToken(), gate, true, undefined, shape))?.result.isError).toBe(true);
    // Not gated (COUPONTOOLS_CONFIRM=off or a dry run): nothing to ask.
    expect(await confirmation(startCall(probe, { n: 1 }, offline, false, new AbortController().signal), gate, false, undefined, shape)).toBeUndefined();
  });
});

describe('frame budget', () => {
  it('cuts the largest list to the most that fits, and names the cut', () => {
    const data = { id: 1, small: [1, 2, 3], big: Array.from({ length: 1000 }, (_, i) => `item ${i}`) };
    const size = (d: Record<string, unknown>) => Buffer.byteLength(JSON.stringify(d));
    const fitted = fitFrame(data, size, 2000);
    expect(fitted?.cuts).toHaveLength(1);
    const cut = fitted!.cuts[0]!;
    expect(cut).toMatchObject({ path: 'big', total: 1000, unit: 'items' });
    expect(size(fitted!.data)).toBeLessThanOrEqual(2000);
    // One more item would not have fitted.
    expect(size({ ...fitted!.data, big: data.big.slice(0, cut.kept + 1) })).toBeGreaterThan(2000);
    expect(data.big).toHaveLength(1000); // the input is left alone
    expect(fitFrame(data, size, 10)).toBeUndefined();
  });
});

describe('output check', () => {
  it('leaves out what breaks the schema, deepest first; a missing required value of our own cannot be fixed', () => {
    const schema = z.looseObject({ items: z.array(z.looseObject({ name: z.string().optional() })), count: z.number() });
    expect(fitSchema(schema, { items: [{ name: 1 }, { name: 'a' }, { name: null }], count: 3 })).toEqual({ data: { items: [{}, { name: 'a' }, {}], count: 3 }, left_out: ['items[2].name', 'items[0].name'] });
    expect(fitSchema(schema, { items: [] })).toBeUndefined();
  });

  // Every output schema as the registration seam uses it: a read's own, and a write's made partial.
  const outputs = [...allTools, importUsers('/nonexistent', 'account-0000000000000000')].flatMap((t) => [
    [t.name, t.output],
    [`${t.name} (partial)`, t.output.partial()],
  ]) as Array<[string, z.ZodObject]>;

  it.each(outputs)('has a fast check for %s, the same verdict as zod on valid, broken and odd values', (_name, schema) => {
    const check = fastCheck(schema);
    expect(check).toBeTypeOf('function');
    const values = sampleValues(schema, 20260);
    expect(values.length).toBeGreaterThan(200);
    let passing = 0;
    for (const value of values) {
      const zod = schema.safeParse(value).success;
      const fast = check?.(value);
      // A yes is always zod's yes. Only an inherited value (never in parsed JSON) may get a no zod would not give: zod decides those.
      if (fast) expect({ value, zod }).toEqual({ value, zod: true });
      if (!inherits(value)) expect({ value, fast }).toEqual({ value, fast: zod });
      if (zod) passing++;
    }
    // Both verdicts are exercised: some values pass and some fail.
    expect(passing).toBeGreaterThan(0);
    expect(passing).toBeLessThan(values.length);
  });

  it('has no fast check where zod alone decides: refinements, lengths, closed objects, records, transforms', () => {
    for (const schema of [z.string().min(1), z.looseObject({ n: z.number().int() }), z.array(z.string()).max(3), z.strictObject({}), z.record(z.string(), z.string()), z.string().transform((x) => x.length), z.enum({ one: 1 })]) {
      expect(fastCheck(schema as z.ZodType)).toBeUndefined();
    }
  });

  it('passes what it passes as it is, and takes the long way for the rest', () => {
    const schema = z.looseObject({ user: z.looseObject({}), n: z.number().optional() });
    const data = { user: { a: 1 }, n: 2 };
    expect(fitSchema(schema, data)?.data).toBe(data);
    expect(fitSchema(schema, { user: { a: 1 }, n: Number.NaN })).toEqual({ data: { user: { a: 1 } }, left_out: ['n'] });
  });
});

/** Whether some object in the value has a prototype of its own kind (so it may inherit keys). */
function inherits(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null && !(value instanceof Date)) return true;
  return Object.values(value).some(inherits);
}

/**
 * Values for a schema: valid ones built from its definition, each then broken at one place with an
 * odd value (NaN, Infinity, null, undefined, a hole, wrong types, an inherited key), deterministically.
 */
function sampleValues(schema: z.ZodType, seed: number): unknown[] {
  let state = seed;
  const random = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const odd = (): unknown => pick([Number.NaN, Infinity, -0, 0, 1.5, null, undefined, '', 'x', true, false, [], [1], {}, { a: 1 }, Object.create({ inherited: 1 }), [undefined], new Date(0)]);
  type Def = { type: string; innerType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[]; entries?: Record<string, string>; shape?: Record<string, z.ZodType> };
  const valid = (s: z.ZodType, depth: number): unknown => {
    const def = s._zod.def as unknown as Def;
    switch (def.type) {
      case 'string':
        return pick(['', 'Jane', 'x'.repeat(3)]);
      case 'number':
        return pick([0, 1, -2.5, 5001]);
      case 'boolean':
        return random() < 0.5;
      case 'enum':
        return pick(Object.values(def.entries ?? {}));
      case 'unknown':
        return depth > 3 ? 1 : odd();
      case 'optional':
        return random() < 0.3 ? undefined : valid(def.innerType as z.ZodType, depth);
      case 'nullable':
        return random() < 0.3 ? null : valid(def.innerType as z.ZodType, depth);
      case 'union':
        return valid(pick(def.options ?? []), depth);
      case 'array':
        return Array.from({ length: Math.floor(random() * 3) }, () => valid(def.element as z.ZodType, depth + 1));
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(def.shape ?? {})) {
          const v = valid(value, depth + 1);
          // An optional key is sometimes absent, sometimes present as undefined.
          if (v !== undefined || random() < 0.5) out[key] = v;
        }
        if (random() < 0.5) out.extra = odd();
        return out;
      }
      default:
        throw new Error(`sampleValues: no generator for ${def.type}`);
    }
  };
  /** Replaces one place in a copy of `value` (the value itself, a key, an item, or a hole). */
  const broken = (value: unknown): unknown => {
    if (random() < 0.15) return odd();
    if (Array.isArray(value)) {
      if (value.length === 0) return random() < 0.5 ? [odd()] : value;
      const copy = [...value];
      const i = Math.floor(random() * copy.length);
      if (random() < 0.2) delete copy[i];
      else copy[i] = broken(copy[i]);
      return copy;
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const keys = Object.keys(copy);
      if (keys.length === 0) return random() < 0.5 ? Object.create({ status: 'inherited' }) : copy;
      const key = pick(keys);
      if (random() < 0.2) delete copy[key];
      else copy[key] = broken(copy[key]);
      return copy;
    }
    return odd();
  };
  const values: unknown[] = [];
  for (let i = 0; i < 150; i++) {
    const v = valid(schema, 0);
    values.push(v, broken(v), broken(broken(v)));
  }
  return values;
}

describe('redaction', () => {
  it('finds the secret raw, JSON-escaped, URL-encoded and in base64 at any alignment, in keys too', () => {
    const secret = 'p"a\\ss w/rd+12345';
    const redact = redactor([secret]);
    for (const prefix of ['', 'a', 'ab', 'abc']) expect(redact(Buffer.from(`${prefix}${secret}!`).toString('base64'))).toContain('[redacted]');
    for (const form of [secret, JSON.stringify(secret), JSON.stringify(JSON.stringify(secret)), encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+')]) {
      expect(redact(`x ${form} y`)).not.toContain('12345');
    }
    expect(redactDeep({ [secret]: [secret, 1] }, redact)).toEqual({ '[redacted]': ['[redacted]', 1] });
  });
});
