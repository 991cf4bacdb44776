// What a tool file declares: data (name, schemas, access) plus one small handler. The seam does the rest.
import type { z } from 'zod';
import type { ApiRequest, ApiResponse } from '../coupontools/client.js';
import type { WireProfile } from '../coupontools/wire-profile.js';

/** What a call can do at worst; drives annotations, confirmation and (later) read-only filtering. */
export type Access = 'read' | 'write' | 'destructive';

export interface ToolApi {
  /** Answers come back with the profile's field aliases applied. `signal` replaces the call's own (a job that must finish what it started passes one that never fires). */
  request(req: ApiRequest, signal?: AbortSignal): Promise<ApiResponse>;
  /** How this account's API wants list queries and bulk bodies (encodeListQuery, bulkBody). */
  wire: WireProfile;
}

/** What a long-running handler gets from the seam besides the API: the call's cancellation and a progress channel. */
export interface ToolContext {
  signal: AbortSignal;
  /** Reports progress to the client when it asked for it (a progress token); a no-op otherwise. Calls arrive in order. */
  progress(done: number, total: number, message?: string): void;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: Input;
  output: Output;
  /** What the tool does in general; drives the annotation hints and read-only filtering. */
  access: Access;
  /** The access of one call when it depends on the arguments (a push to everyone is destructive) or on what they find (an import's plan). */
  accessFor?: (args: z.output<Input>, api: ToolApi) => Access | Promise<Access>;
  idempotent: boolean;
  /** Takes an optional idempotency_key: a repeat with the same key is answered from memory, not sent. */
  idempotencyKey?: boolean;
  /** For gated calls: one sentence naming the target and what is lost, looked up through the API. */
  describeEffect?: (args: z.output<Input>, api: ToolApi) => Promise<string>;
  /** For writes: how the model can check whether an unknown-outcome call took effect. */
  verifyHint?: string;
  handler: (args: z.output<Input>, api: ToolApi, context: ToolContext) => Promise<z.input<Output>>;
}

/** Keeps each tool's handler typed against its own schemas while the list stays homogeneous. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(tool: ToolDefinition<Input, Output>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}
