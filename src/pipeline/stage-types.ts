// The types every call-pipeline stage shares (the call, a stage's answer, the request layer, the result shaper),
// in one file the stages import, so no two stages import each other for a type.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ApiRequest, ApiResponse } from '../coupontools/client.js';
import type { ToolApi, ToolContext, ToolDefinition } from '../mcp/tool.js';
import type { AuditOutcome } from '../state/audit-log.js';
import type { Redact } from './redaction.js';

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

export interface Shaper {
  redact: Redact;
  /** A tool's data (`own`), plus keys only the seam sets (`seam`), which no data can overwrite. */
  success(own: Record<string, unknown>, seam?: Record<string, unknown>): CallToolResult;
  failure(message: string): CallToolResult;
  /** A remembered result, said to be one. */
  replay(first: CallToolResult): CallToolResult;
  /** A write the API accepted whose answer could not be shown: applied, and said to be. */
  applied(reason: string): CallToolResult;
}
