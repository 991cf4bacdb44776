// The one place tools are registered: each call runs through the pipeline stages in src/pipeline/, in the order below.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolRequest,
  type CallToolResult,
  type ListToolsResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AuditLog } from '../state/audit-log.js';
import type { ConfirmGate, ElicitAnswer } from '../pipeline/confirm-gate.js';
import { formCheck } from '../pipeline/form-check.js';
import { IdempotencyStore } from '../state/idempotency-store.js';
import { listedInput, listedOutput } from './listed-schema.js';
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
import { registerViews, type Views } from './views.js';
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
    // No `tools` here: McpServer would install its own tools handlers; ours are registered below (see serveTools).
    { instructions: options.instructions, capabilities: { logging: {} }, jsonSchemaValidator: formCheck },
  );

  const offered = selectTools(options.tools, options.readOnly === true, options.allow);
  const registered: RegisteredTool[] = [];
  for (const tool of offered) {
    const gated = isGated(tool, gate, dryRun);
    const tokens = gated && gate.usesTokens;
    let input = tool.input;
    if (tokens) input = input.extend({ confirm_token: confirmTokenInput });
    if (tool.idempotencyKey) input = input.extend({ idempotency_key: idempotencyKeyInput });
    // extend() drops the tool's metadata: tools/list shows extended inputs as the tool showed its own.
    if (input !== tool.input) input = input.meta({ additionalProperties: undefined });
    // A write's answer may have none of the tool's own fields: a preview, a dry run, or a write the
    // API accepted whose answer cannot be shown (it stays applied, and says so).
    const output = tokens || tool.access !== 'read' ? tool.output.partial() : tool.output;
    const shape = resultShaper({ tool, output, sandbox: options.sandbox, redact: options.redact });

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
    registered.push({ tool, input, output, handle });
  }
  serveTools(server, registered, () => options.api.warmUp?.(), registerViews(server, offered));
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
  return server;
}

/** A tool as this server offers it: its schemas after the seam's additions, and its call pipeline. */
interface RegisteredTool {
  tool: ToolDefinition;
  /** What the arguments are parsed with (the tool's input plus confirm_token / idempotency_key). */
  input: z.ZodObject;
  /** What the result is shaped to, and what tools/list shows as its outputSchema. */
  output: z.ZodObject;
  handle(rawArgs: Record<string, unknown>, extra: CallExtra): Promise<CallToolResult>;
}

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
 * tools/list and tools/call, registered on the SDK's low-level Server (public API) rather than
 * through McpServer.registerTool, which would list each zod schema as the SDK converts it and
 * word input errors its own way. McpServer still serves resources, prompts and completions; it
 * installs tools handlers only when a tool is registered with it or `tools` is declared in its
 * options, and neither happens here.
 */
function serveTools(server: McpServer, tools: readonly RegisteredTool[], afterFirst: () => void, views: Views): void {
  const byName = new Map(tools.map((t) => [t.tool.name, t]));
  // As McpServer declared it; the list never changes, so no list_changed is ever sent.
  server.server.registerCapabilities({ tools: { listChanged: true } });
  // The tools never change after registration: the list is built (schemas converted) once.
  let built: Promise<ListToolsResult> | undefined;
  server.server.setRequestHandler(ListToolsRequestSchema, () => {
    if (!built) {
      // A client that renders MCP Apps (it said so at initialize, before any tools/list) also learns each tool's view.
      built = Promise.resolve().then(() => ({ tools: views.withViews(tools.map(listedTool)) }));
      // A client lists tools, then calls one, often at once: what the first call needs (the HTTP
      // client, from the code cache) is loaded before this answer goes out, not after it, where it
      // would hold up that call. A failed build is not kept: the next request builds again.
      afterFirst();
      built.catch(() => (built = undefined));
    }
    return built;
  });
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    try {
      return await callTool(byName, request, extra);
    } catch (err) {
      // As McpServer answers a handler that throws: an error result, not a protocol error.
      return toolError(err instanceof Error ? err.message : String(err));
    }
  });
}

/**
 * One tool's tools/list entry: the listed schemas are converted here, inputs held to the portable
 * subset (src/mcp/listed-schema.ts). Output schemas are listed but not handed to the SDK to check
 * again: the output-check stage (src/pipeline/output-check.ts) has already made each result fit.
 */
function listedTool({ tool, input, output }: RegisteredTool): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: listedInput(tool.name, input) as Tool['inputSchema'],
    annotations: {
      readOnlyHint: tool.access === 'read',
      destructiveHint: tool.access === 'destructive',
      idempotentHint: tool.idempotent,
      openWorldHint: true,
    },
    outputSchema: listedOutput(output) as Tool['outputSchema'],
  };
}

async function callTool(byName: ReadonlyMap<string, RegisteredTool>, request: CallToolRequest, extra: CallExtra): Promise<CallToolResult> {
  const { name, arguments: rawArgs } = request.params;
  const registered = byName.get(name);
  if (!registered) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
  const parsed = parseArguments(registered.input, rawArgs ?? {});
  const args = parsed instanceof Promise ? await parsed : parsed;
  if (!args.success) return toolError(inputErrorText(name, args.error.issues));
  return registered.handle(args.data, extra);
}

/**
 * Arguments parsed at once (zod's compiled fast path; no input schema refines asynchronously
 * today), or, should one ever need to wait, the asynchronous way: the same result either way.
 */
function parseArguments(input: z.ZodObject, raw: Record<string, unknown>): ReturnType<z.ZodObject['safeParse']> | ReturnType<z.ZodObject['safeParseAsync']> {
  try {
    return input.safeParse(raw);
  } catch (err) {
    if (err instanceof z.core.$ZodAsyncError) return input.safeParseAsync(raw);
    throw err;
  }
}

const toolError = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/**
 * Bad arguments, worded for the model: the tools' messages already name the argument and end in
 * what to do, so the text is "Invalid arguments for X: <message>; <message>", each prefixed with
 * its path (users[1], filter) only where the message does not name it already.
 */
function inputErrorText(tool: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.map(({ message, path }) => {
    if (path.length === 0) return message;
    const where = path.reduce<string>((acc, seg, i) => (i === 0 ? String(seg) : typeof seg === 'number' ? `${acc}[${seg}]` : `${acc}.${String(seg)}`), '');
    return message.includes(where.split('.')[0] ?? where) ? message : `${where}: ${message}`;
  });
  return `Invalid arguments for ${tool}: ${lines.join('; ')}`;
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
