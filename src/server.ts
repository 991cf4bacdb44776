// The one place tools are registered: confirmation, error mapping, redaction and result shape for every tool.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { auditFields, type AuditLog, type AuditOutcome, type AuditRecord } from './audit.js';
import type { ConfirmGate, ElicitAnswer } from './confirm.js';
import { CoupontoolsError } from './errors.js';
import { formCheck } from './form-check.js';
import { IdempotencyStore } from './idempotency.js';
import type { ApiRequest, ApiResponse } from './http.js';
import type { Logger } from './log.js';
import type { ToolApi, ToolDefinition } from './tool.js';

export interface RequestLayer {
  request(req: ApiRequest, signal?: AbortSignal): Promise<ApiResponse>;
  /** The full URL a request goes to (never holds credentials). */
  url(req: ApiRequest): string;
}

export interface ServerOptions {
  name: string;
  version: string;
  instructions: string;
  tools: readonly ToolDefinition[];
  api: RequestLayer;
  gate: ConfirmGate;
  log: Logger;
  redact: (text: string) => string;
  /** Results are labelled as simulated when true. */
  sandbox: boolean;
  /** Register only tools whose access is 'read', whatever `allow` says. */
  readOnly?: boolean;
  /** Register only these tools (names already checked against the list). */
  allow?: ReadonlySet<string> | undefined;
  /** Writes send nothing and return the request they would have sent. */
  dryRun?: boolean;
  audit?: AuditLog | undefined;
  idempotency?: IdempotencyStore;
  /** Shared with the shutdown path, which waits for these or records them as unknown. */
  writesInFlight?: WritesInFlight;
}

/**
 * Write calls that have started and not yet answered. On shutdown each one either finishes
 * within the grace period or is written to the audit log as 'unknown'; never silently lost.
 */
export class WritesInFlight {
  private readonly pending = new Set<{ settled: Promise<void>; abandon: () => void }>();

  track(abandon: () => void): () => void {
    let settle!: () => void;
    const entry = { settled: new Promise<void>((r) => (settle = r)), abandon };
    this.pending.add(entry);
    return () => {
      this.pending.delete(entry);
      settle();
    };
  }

  get size(): number {
    return this.pending.size;
  }

  /** Waits up to graceMs for writes to finish; abandons the rest. Returns how many were abandoned. */
  async drain(graceMs: number): Promise<number> {
    if (this.pending.size === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([Promise.all([...this.pending].map((e) => e.settled)), grace]);
    clearTimeout(timer);
    const left = [...this.pending];
    for (const entry of left) entry.abandon();
    this.pending.clear();
    return left.length;
  }
}

/** How long a human has to answer a confirmation prompt. */
export const ELICIT_TIMEOUT_MS = 10 * 60 * 1000;

const confirmTokenInput = z.string().max(64).optional().describe('From the preview, once the user said yes');
const idempotencyKeyInput = z
  .string()
  .min(1)
  .max(128)
  .optional()
  .describe('Receipt or order number; a repeat is not sent');

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function describeFailure(err: CoupontoolsError): string {
  const parts: string[] = [];
  if (err.status !== undefined) parts.push(`HTTP ${err.status}${STATUS_TEXT[err.status] ? ` ${STATUS_TEXT[err.status]}` : ''}`);
  if (err.apiCode !== undefined) parts.push(`code ${err.apiCode}`);
  const head = parts.length ? `${parts.join(', ')}: ` : '';
  // Sentences are joined with ". " by the callers, so a message's own full stop goes.
  return `${head}${err.apiMessage ?? err.detail ?? 'no message'}`.replace(/\.\s*$/, '');
}

/** The text the model reads for a failed call. */
export function errorText(err: unknown, tool: ToolDefinition): string {
  if (!(err instanceof CoupontoolsError)) return `Internal error in ${tool.name}: ${err instanceof Error ? err.message : String(err)}`;
  if (err.outcome === 'unknown') {
    const check = tool.verifyHint ?? 'check the current state with the read tools';
    return `Outcome unknown — ${describeFailure(err)}. The request reached the Coupontools API but no clear answer came back, so it may or may not have been applied. Do not repeat it blindly: ${check} before deciding to call ${tool.name} again.`;
  }
  const lead = err.kind === 'http' || err.kind === 'invalid_response' ? 'Coupontools API error' : err.kind === 'aborted' ? 'Cancelled' : 'Could not reach the Coupontools API';
  const hint = err.hint();
  return `${lead} — ${describeFailure(err)}.${hint ? ` ${hint}` : ''}`;
}

/** Thrown by the dry-run request layer at the first write; carries what would have been sent. */
class DryRunStop {
  constructor(readonly request: ApiRequest) {}
}

interface Outcome {
  result: CallToolResult;
  outcome: AuditOutcome;
}

/** Which tools a server offers: read-only removes every write, even an allow-listed one. */
export function selectTools(tools: readonly ToolDefinition[], readOnly: boolean, allow: ReadonlySet<string> | undefined): ToolDefinition[] {
  return tools.filter((t) => (!readOnly || t.access === 'read') && (!allow || allow.has(t.name)));
}

export function createServer(options: ServerOptions): McpServer {
  const { gate, redact } = options;
  const dryRun = options.dryRun === true;
  const idempotency = options.idempotency ?? new IdempotencyStore();
  const writesInFlight = options.writesInFlight ?? new WritesInFlight();
  const server = new McpServer(
    { name: options.name, version: options.version },
    { instructions: options.instructions, capabilities: { tools: {}, logging: {} }, jsonSchemaValidator: formCheck },
  );

  const text = (value: string): CallToolResult['content'] => [{ type: 'text', text: redact(value) }];
  const failure = (message: string): CallToolResult => ({ isError: true, content: text(message) });
  const success = (structured: Record<string, unknown>): CallToolResult => {
    const labelled = options.sandbox ? { ...structured, sandbox: true } : structured;
    return { structuredContent: labelled, content: text(JSON.stringify(labelled)) };
  };
  /** A remembered result, said to be one. */
  const replayOf = (first: CallToolResult): CallToolResult => {
    if (first.isError) {
      return failure(`Replay: this idempotency_key was already used with these arguments, and nothing was sent now. The first call's answer was: ${first.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ')}`);
    }
    return success({ ...(first.structuredContent ?? {}), replayed: true });
  };

  for (const tool of selectTools(options.tools, options.readOnly === true, options.allow)) {
    const writes = tool.access !== 'read';
    // Any call of this tool may need a human's yes: gated tools get the confirm_token argument.
    const gated = (tool.access === 'destructive' || tool.accessFor !== undefined) && gate.mode !== 'off' && !dryRun;
    const tokens = gated && gate.usesTokens;
    let inputSchema = tool.input;
    if (tokens) inputSchema = inputSchema.extend({ confirm_token: confirmTokenInput });
    if (tool.idempotencyKey) inputSchema = inputSchema.extend({ idempotency_key: idempotencyKeyInput });
    // A preview or a dry run has none of the tool's own fields.
    const outputSchema = tokens || (dryRun && writes) ? tool.output.partial() : tool.output;

    /** Confirmation, then the handler; every way out names its audit outcome. */
    const run = async (args: Record<string, unknown>, token: unknown, api: ToolApi, signal: AbortSignal): Promise<Outcome> => {
      try {
        if (gated && (tool.accessFor?.(args) ?? tool.access) === 'destructive') {
          const canElicit = Boolean(server.server.getClientCapabilities()?.elicitation?.form);
          const decision = await gate.check({
            tool: tool.name,
            args,
            token: typeof token === 'string' ? token : undefined,
            describe: () => (tool.describeEffect ? tool.describeEffect(args, api) : Promise.resolve(`${tool.title} with ${JSON.stringify(args)}.`)),
            elicit: canElicit ? (message) => ask(server, message, signal) : undefined,
          });
          if (decision.kind === 'refuse') return { result: failure(decision.message), outcome: decision.declined ? 'declined' : 'error' };
          if (decision.kind === 'preview') {
            const next = `Nothing was done yet. Show the user the effect; only if they agree, call ${tool.name} again with the same arguments plus confirm_token.`;
            return { result: success({ ...decision.preview, next }), outcome: 'confirmation_required' };
          }
        }
        return { result: success(await tool.handler(args, api)), outcome: 'ok' };
      } catch (err) {
        if (err instanceof DryRunStop) {
          const url = new URL(options.api.url(err.request));
          const request = { method: err.request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: err.request.body ?? null };
          return { result: success({ status: 'dry_run', request }), outcome: 'dry_run' };
        }
        if (!(err instanceof CoupontoolsError)) options.log.error(`${tool.name} failed unexpectedly`, err);
        const outcome: AuditOutcome = err instanceof CoupontoolsError && err.outcome === 'unknown' ? 'unknown' : 'error';
        return { result: failure(errorText(err, tool)), outcome };
      }
    };

    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema,
        outputSchema,
        annotations: {
          readOnlyHint: tool.access === 'read',
          destructiveHint: tool.access === 'destructive',
          idempotentHint: tool.idempotent,
          openWorldHint: true,
        },
      },
      async (rawArgs: Record<string, unknown>, extra): Promise<CallToolResult> => {
        const started = performance.now();
        const { confirm_token: token, idempotency_key: key, ...args } = rawArgs;
        let status: number | undefined;
        const api: ToolApi = {
          request: async (req) => {
            const isWrite = req.method !== 'GET';
            if (dryRun && isWrite) throw new DryRunStop(req);
            try {
              const res = await options.api.request(req, extra.signal);
              if (isWrite) status = res.status;
              return res;
            } catch (err) {
              if (isWrite && err instanceof CoupontoolsError) status = err.status;
              throw err;
            }
          },
        };
        let recorded = false;
        const record = (outcome: AuditOutcome): void => {
          if (!writes || recorded) return;
          recorded = true;
          if (!options.audit) return;
          const line: AuditRecord = { time: new Date().toISOString(), tool: tool.name, ...auditFields(args), outcome, duration_ms: Math.round(performance.now() - started) };
          if (status !== undefined && outcome !== 'replayed') line.status = status;
          try {
            options.audit.write(line);
          } catch (err) {
            // The call itself happened: its true result still goes back, and the gap is reported.
            options.log.error(`audit log write failed for ${tool.name} (${outcome})`, err);
          }
        };
        // Shutting down mid-call: whatever happens next, the log says the outcome is unknown.
        const untrack = writes ? writesInFlight.track(() => record('unknown')) : () => undefined;
        const finish = ({ result, outcome }: Outcome): CallToolResult => {
          record(outcome);
          untrack();
          return result;
        };

        if (typeof key !== 'string' || dryRun) return finish(await run(args, token, api, extra.signal));
        const claim = idempotency.claim(tool.name, key, args);
        if (claim.kind === 'conflict') {
          const message = `idempotency_key ${JSON.stringify(key)} was already used with other arguments; nothing was sent. Use a new key for a different purchase.`;
          return finish({ result: failure(message), outcome: 'error' });
        }
        if (claim.kind === 'replay') return finish({ result: replayOf(await claim.result), outcome: 'replayed' });
        const first = await run(args, token, api, extra.signal);
        // Remember what was (or may have been) applied; a definite failure frees the key for a retry.
        claim.settle(first.result, first.outcome === 'ok' || first.outcome === 'unknown');
        return finish(first);
      },
    );
  }
  compactToolsList(server);
  return server;
}

type RawHandler = (request: unknown, extra: unknown) => Promise<unknown>;

/**
 * tools/list as the SDK builds it, minus what every user pays for on every turn and no client
 * needs: each schema's "$schema" URL and the default `execution: {taskSupport: "forbidden"}`.
 * The SDK has no option for this, so the registered handler is wrapped; if a future SDK stores
 * handlers elsewhere, the list is simply left whole (the byte-budget test then says so).
 */
function compactToolsList(server: McpServer): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RawHandler> })._requestHandlers;
  const original = handlers?.get('tools/list');
  if (!handlers || !original) return;
  handlers.set('tools/list', async (request, extra) => {
    const result = (await original(request, extra)) as { tools?: Array<Record<string, unknown>> };
    for (const tool of result.tools ?? []) {
      for (const key of ['inputSchema', 'outputSchema']) {
        const schema = tool[key] as Record<string, unknown> | undefined;
        if (schema) tool[key] = withoutDefaults(schema, true);
      }
      const execution = tool.execution as { taskSupport?: string } | undefined;
      if (execution && Object.keys(execution).length === 1 && execution.taskSupport === 'forbidden') delete tool.execution;
    }
    return result;
  });
}

/**
 * Drops keys that say only what JSON Schema assumes anyway: `additionalProperties: {}`,
 * `properties: {}`, `propertyNames: {type: "string"}` (names are strings) and the top `$schema`.
 */
function withoutDefaults(schema: Record<string, unknown>, top = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (top && key === '$schema') continue;
    const empty = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
    if ((key === 'additionalProperties' || key === 'properties') && empty) continue;
    if (key === 'propertyNames' && JSON.stringify(value) === '{"type":"string"}') continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutDefaults(v as Record<string, unknown>)]));
    } else if (key === 'items' && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = withoutDefaults(value as Record<string, unknown>);
    } else out[key] = value;
  }
  return out;
}

async function ask(server: McpServer, message: string, signal: AbortSignal): Promise<ElicitAnswer> {
  try {
    const result = await server.server.elicitInput(
      {
        mode: 'form',
        message,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: 'Yes, go ahead', default: true } },
        },
      },
      { timeout: ELICIT_TIMEOUT_MS, signal },
    );
    if (result.action === 'accept') return result.content?.confirm === false ? 'decline' : 'accept';
    return result.action;
  } catch (err) {
    return err instanceof McpError && err.code === ErrorCode.RequestTimeout ? 'timeout' : 'cancel';
  }
}
