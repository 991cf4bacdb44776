// One tool call as the pipeline stages see it: the tool, its arguments, and what the API said to its write.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuditOutcome } from '../state/audit-log.js';
import { CoupontoolsError } from '../coupontools/errors.js';
import type { ApiRequest, ApiResponse } from '../coupontools/client.js';
import type { ToolApi, ToolContext, ToolDefinition } from '../mcp/tool.js';
import { applyFieldAliases, DEFAULT_WIRE_PROFILE, type WireProfile } from '../coupontools/wire-profile.js';
import { DryRunStop } from './dry-run.js';

export interface RequestLayer {
  request(req: ApiRequest, signal?: AbortSignal): Promise<ApiResponse>;
  /** The full URL a request goes to (never holds credentials). */
  url(req: ApiRequest): string;
  /** Loads what the first request needs, ahead of it (optional). */
  warmUp?(): void;
}

/** What a stage hands back: the result for the model and the outcome the audit line records. */
export interface Step {
  result: CallToolResult;
  outcome: AuditOutcome;
}

export interface Call {
  tool: ToolDefinition;
  /** The tool's own arguments, without confirm_token and idempotency_key. */
  args: Record<string, unknown>;
  token: unknown;
  key: unknown;
  /** Whether the tool can change anything (its calls are audited). */
  writes: boolean;
  signal: AbortSignal;
  /** performance.now() when the call arrived. */
  started: number;
  /**
   * What the API said to this call's write: its HTTP status, and whether it accepted the write
   * (a 2xx answer in JSON). Once accepted, the write counts as applied whatever fails afterwards.
   */
  wire: { status?: number; applied?: boolean };
  /** The request layer as the tool sees it: writes are stopped in a dry run and their status is kept. */
  api: ToolApi;
  /** Cancellation and progress for long-running handlers (an import). */
  context: ToolContext;
}

export function startCall(
  tool: ToolDefinition,
  rawArgs: Record<string, unknown>,
  layer: RequestLayer,
  dryRun: boolean,
  signal: AbortSignal,
  profile: WireProfile = DEFAULT_WIRE_PROFILE,
  progress: ToolContext['progress'] = () => undefined,
): Call {
  const { confirm_token: token, idempotency_key: key, ...args } = rawArgs;
  const wire: Call['wire'] = {};
  const api: ToolApi = {
    wire: profile,
    // A job that must finish what it started (an import's chunks in flight) passes its own signal.
    request: async (req, requestSignal = signal) => {
      const isWrite = req.method !== 'GET';
      if (dryRun && isWrite) throw new DryRunStop(req);
      try {
        const res = await layer.request(req, requestSignal);
        if (isWrite) {
          wire.status = res.status;
          wire.applied ||= res.status >= 200 && res.status < 300;
        }
        // The account's own names for holder fields become ours before any tool reads the answer.
        return { ...res, data: applyFieldAliases(profile, res.data) };
      } catch (err) {
        if (isWrite && err instanceof CoupontoolsError) {
          wire.status = err.status;
          wire.applied ||= err.outcome === 'applied';
        }
        throw err;
      }
    },
  };
  return { tool, args, token, key, writes: tool.access !== 'read', signal, started: performance.now(), wire, api, context: { signal, progress } };
}
