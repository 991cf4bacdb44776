// What a tool file declares: data (name, schemas, access) plus one small handler. The seam does the rest.
import type { z } from 'zod';
import type { ApiRequest, ApiResponse } from './http.js';
import type { WireProfile } from './wire-profile.js';

/** What a call can do at worst; drives annotations, confirmation and (later) read-only filtering. */
export type Access = 'read' | 'write' | 'destructive';

export interface ToolApi {
  /** Answers come back with the profile's field aliases applied. */
  request(req: ApiRequest): Promise<ApiResponse>;
  /** How this account's API wants list queries and bulk bodies (encodeListQuery, bulkBody). */
  wire: WireProfile;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: Input;
  output: Output;
  /** What the tool does in general; drives the annotation hints and read-only filtering. */
  access: Access;
  /** The access of one call when it depends on the arguments (a push to everyone is destructive). */
  accessFor?: (args: z.output<Input>) => Access;
  idempotent: boolean;
  /** Takes an optional idempotency_key: a repeat with the same key is answered from memory, not sent. */
  idempotencyKey?: boolean;
  /** For gated calls: one sentence naming the target and what is lost, looked up through the API. */
  describeEffect?: (args: z.output<Input>, api: ToolApi) => Promise<string>;
  /** For writes: how the model can check whether an unknown-outcome call took effect. */
  verifyHint?: string;
  handler: (args: z.output<Input>, api: ToolApi) => Promise<z.input<Output>>;
}

/** Keeps each tool's handler typed against its own schemas while the list stays homogeneous. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(tool: ToolDefinition<Input, Output>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}
