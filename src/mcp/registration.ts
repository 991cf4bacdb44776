// The one place tools are registered: each call runs through the pipeline stages in src/pipeline/, in the order below.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, McpError, type CallToolResult, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AuditLog } from '../state/audit-log.js';
import type { ConfirmGate, ElicitAnswer } from '../pipeline/confirm-gate.js';
import { formCheck } from '../pipeline/form-check.js';
import { IdempotencyStore } from '../state/idempotency-store.js';
import type { Logger } from '../log.js';
import { auditCall, auditRefusal, WritesInFlight } from '../pipeline/audit.js';
import { startCall } from '../pipeline/call.js';
import type { RequestLayer } from '../pipeline/stage-types.js';
import { confirmation, confirmTokenInput, isGated } from '../pipeline/confirmation.js';
import { withDryRun } from '../pipeline/dry-run.js';
import { claimKey, idempotencyKeyInput } from '../pipeline/idempotency.js';
import { resultShaper, runHandler } from '../pipeline/result-shaping.js';
import { SERVER_ICON } from './icon.js';
import { errorText, mapErrors } from '../pipeline/error-mapping.js';
import { registerPrompts } from './prompts.js';
import { registerResources, type ReadTool } from './resources.js';
import type { ToolContext, ToolDefinition } from './tool.js';
import { DEFAULT_WIRE_PROFILE, type WireProfile } from '../coupontools/wire-profile.js';

export { WritesInFlight, type RequestLayer };

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
  /** The account's wire profile (default: DEFAULT_WIRE_PROFILE). */
  wire?: WireProfile;
}

/** How long a human has to answer a confirmation prompt. */
export const ELICIT_TIMEOUT_MS = 10 * 60 * 1000;

/** Which tools a server offers: read-only removes every write, even an allow-listed one. */
export function selectTools(tools: readonly ToolDefinition[], readOnly: boolean, allow: ReadonlySet<string> | undefined): ToolDefinition[] {
  return tools.filter((t) => (!readOnly || t.access === 'read') && (!allow || allow.has(t.name)));
}

export function createServer(options: ServerOptions): McpServer {
  const { gate, log, audit } = options;
  const dryRun = options.dryRun === true;
  const idempotency = options.idempotency ?? new IdempotencyStore();
  const writesInFlight = options.writesInFlight ?? new WritesInFlight();
  const wire = options.wire ?? DEFAULT_WIRE_PROFILE;
  const server = new McpServer(
    { name: options.name, version: options.version, icons: [SERVER_ICON] },
    { instructions: options.instructions, capabilities: { tools: {}, logging: {} }, jsonSchemaValidator: formCheck },
  );

  const offered = selectTools(options.tools, options.readOnly === true, options.allow);
  /** Each tool's registered output schema, listed in tools/list by compactToolsList (see there). */
  const outputs = new Map<string, z.ZodObject>();
  for (const tool of offered) {
    const gated = isGated(tool, gate, dryRun);
    const tokens = gated && gate.usesTokens;
    let inputSchema = tool.input;
    if (tokens) inputSchema = inputSchema.extend({ confirm_token: confirmTokenInput });
    if (tool.idempotencyKey) inputSchema = inputSchema.extend({ idempotency_key: idempotencyKeyInput });
    // extend() drops the tool's metadata: tools/list shows extended inputs as the tool showed its own.
    if (inputSchema !== tool.input) inputSchema = inputSchema.meta({ additionalProperties: undefined });
    // A write's answer may have none of the tool's own fields: a preview, a dry run, or a write the
    // API accepted whose answer cannot be shown (it stays applied, and says so).
    const outputSchema = tokens || tool.access !== 'read' ? tool.output.partial() : tool.output;
    outputs.set(tool.name, outputSchema);
    const shape = resultShaper({ tool, output: outputSchema, sandbox: options.sandbox, redact: options.redact });

    /** The call pipeline: every rule, in this order, for every tool. */
    const handle = async (rawArgs: Record<string, unknown>, extra: CallExtra): Promise<CallToolResult> => {
      const { signal } = extra;
      const call = startCall(tool, rawArgs, options.api, dryRun, signal, wire, progressTo(extra));
      const refused = auditRefusal(call, audit, shape); // 1. audit: a write that cannot be audited is not run,
      if (refused) return refused;
      const audited = auditCall(call, audit, log, writesInFlight); //   and every write attempt gets one line
      const key = await claimKey(call, idempotency, dryRun, shape); // 2. idempotency: a repeat is answered from memory
      if (key.kind === 'answered') return audited.finish(key.step);
      const elicit = server.server.getClientCapabilities()?.elicitation?.form ? (message: string) => ask(server, message, signal) : undefined;
      const step = await mapErrors(call, log, shape, () => // 3. error mapping: any failure becomes a result; after a 2xx write, 'applied'
        withDryRun(options.api, shape, async () => // 4. dry run: a write stops before it is sent
          (await confirmation(call, gate, gated, elicit, shape)) ?? // 5. confirmation: a human's yes first
          (await runHandler(call, shape)), // 6. the handler; its answer shaped: redacted, checked, within the frame budget
        ),
      );
      await key.settle(step);
      return audited.finish(step);
    };

    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema,
        annotations: {
          readOnlyHint: tool.access === 'read',
          destructiveHint: tool.access === 'destructive',
          idempotentHint: tool.idempotent,
          openWorldHint: true,
        },
      },
      (rawArgs: Record<string, unknown>, extra) => handle(rawArgs, extra),
    );
  }
  // Resources, prompts and completions read through the same request layer, and only through offered read tools.
  const readTool: ReadTool = async (name, args, signal) => {
    const tool = offered.find((t) => t.name === name && t.access === 'read');
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `${name} is not offered by this server`);
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) throw new McpError(ErrorCode.InvalidParams, options.redact(`${name}: ${z.prettifyError(parsed.error)}`));
    // The tool's own request path: the account's wire profile and field aliases apply here too.
    const call = startCall(tool, parsed.data, options.api, false, signal ?? new AbortController().signal, wire);
    try {
      return await tool.handler(call.args, call.api, call.context);
    } catch (err) {
      throw new McpError(ErrorCode.InternalError, options.redact(errorText(err, tool)));
    }
  };
  registerResources(server, offered, readTool, options.sandbox);
  registerPrompts(server, offered, readTool, options.sandbox);
  compactToolsList(server, outputs, () => options.api.warmUp?.());
  plainInputErrors(server);
  return server;
}

type RawHandler = (request: unknown, extra: unknown) => Promise<unknown>;

/** What a tool call gets from the SDK besides its arguments (the parts the pipeline uses). */
type CallExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Progress goes out only when the client asked (a token), one after another so they arrive in order. */
function progressTo(extra: CallExtra): ToolContext['progress'] {
  const token = extra._meta?.progressToken;
  if (token === undefined) return () => undefined;
  let sent = Promise.resolve();
  return (progress, total, message) => {
    const params = { progressToken: token, progress, total, ...(message ? { message } : {}) };
    sent = sent.then(() => extra.sendNotification({ method: 'notifications/progress', params })).catch(() => undefined);
  };
}

/**
 * The SDK answers bad arguments with "MCP error -32602: Input validation error: Invalid arguments
 * for tool X: <message> at <path>" per issue. The tools' messages already name the argument and
 * end in what to do, so the model reads "X: <message>" instead, with the path only where the
 * message does not name it. Wrapped like compactToolsList; an unknown SDK text passes unchanged.
 */
function plainInputErrors(server: McpServer): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RawHandler> })._requestHandlers;
  const original = handlers?.get('tools/call');
  if (!handlers || !original) return;
  handlers.set('tools/call', async (request, extra) => {
    const result = (await original(request, extra)) as CallToolResult;
    const first = result.isError ? result.content?.[0] : undefined;
    const match = first?.type === 'text' ? /^MCP error -32602: Input validation error: Invalid arguments for tool ([\w-]+): ([\s\S]*)$/.exec(first.text) : null;
    if (!first || first.type !== 'text' || !match) return result;
    const issues = (match[2] ?? '').split('\n').map((line) => {
      const at = /^([\s\S]*) at ([\w.[\]-]+)$/.exec(line);
      if (!at) return line;
      const [, message = '', path = ''] = at;
      return message.includes(path.split('.')[0] ?? path) ? message : `${path}: ${message}`;
    });
    return { ...result, content: [{ type: 'text', text: `Invalid arguments for ${match[1]}: ${issues.join('; ')}` }, ...result.content.slice(1)] };
  });
}

/**
 * tools/list as the SDK builds it, minus what every user pays for on every turn and no client
 * needs: each schema's "$schema" URL and the default `execution: {taskSupport: "forbidden"}`.
 * The SDK has no option for this, so the registered handler is wrapped; if a future SDK stores
 * handlers elsewhere, the list is simply left whole (the byte-budget test then says so).
 *
 * Output schemas are listed here, converted as the SDK converts them, rather than registered with
 * the SDK: the SDK would check every result against its schema again, after the output-check stage
 * (src/pipeline/output-check.ts) has already made it fit that very schema.
 */
function compactToolsList(server: McpServer, outputs: ReadonlyMap<string, z.ZodObject>, afterFirst: () => void): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RawHandler> })._requestHandlers;
  const original = handlers?.get('tools/list');
  if (!handlers || !original) return;
  // The tools never change after registration: the list is built (schemas converted) once.
  let built: Promise<unknown> | undefined;
  handlers.set('tools/list', (request, extra) => {
    if (!built) {
      built = compact(original(request, extra), outputs);
      // A client lists tools, then calls one: load what the first call needs while it decides.
      // A failed build is not kept: the next request builds again.
      // Two turns later: the answer itself goes out at the end of the next turn (stdout is written
      // once per turn, see src/transports/stdio.ts), and loading undici holds the thread for a while.
      built.then(
        () => setImmediate(() => setImmediate(afterFirst)),
        () => (built = undefined),
      );
    }
    return built;
  });
}

async function compact(listed: Promise<unknown>, outputs: ReadonlyMap<string, z.ZodObject>): Promise<unknown> {
  const result = (await listed) as { tools?: Array<Record<string, unknown>> };
  for (const tool of result.tools ?? []) {
    const output = outputs.get(tool.name as string);
    if (output) tool.outputSchema = toJsonSchemaCompat(output, { strictUnions: true, pipeStrategy: 'output' });
    for (const key of ['inputSchema', 'outputSchema']) {
      const schema = tool[key] as Record<string, unknown> | undefined;
      if (schema) tool[key] = withoutDefaults(schema, true);
    }
    const execution = tool.execution as { taskSupport?: string } | undefined;
    if (execution && Object.keys(execution).length === 1 && execution.taskSupport === 'forbidden') delete tool.execution;
  }
  return result;
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
