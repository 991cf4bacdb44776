// Result shaping: every answer leaves as one CallToolResult, structured data plus the same data as JSON text.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Call, Step } from './call.js';

export interface Shaper {
  success(structured: Record<string, unknown>): CallToolResult;
  failure(message: string): CallToolResult;
  /** A remembered result, said to be one. */
  replay(first: CallToolResult): CallToolResult;
}

export interface ShapeOptions {
  /** Results are labelled as simulated when true. */
  sandbox: boolean;
  redact: (text: string) => string;
}

export function resultShaper({ sandbox, redact }: ShapeOptions): Shaper {
  const text = (value: string): CallToolResult['content'] => [{ type: 'text', text: redact(value) }];
  const failure = (message: string): CallToolResult => ({ isError: true, content: text(message) });
  const success = (structured: Record<string, unknown>): CallToolResult => {
    const labelled = sandbox ? { ...structured, sandbox: true } : structured;
    return { structuredContent: labelled, content: text(JSON.stringify(labelled)) };
  };
  const replay = (first: CallToolResult): CallToolResult => {
    if (first.isError) {
      return failure(`Replay: this idempotency_key was already used with these arguments, and nothing was sent now. The first call's answer was: ${first.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ')}`);
    }
    return success({ ...(first.structuredContent ?? {}), replayed: true });
  };
  return { success, failure, replay };
}

/** The tool's handler, its answer shaped: the innermost stage. */
export async function runHandler(call: Call, shape: Shaper): Promise<Step> {
  return { result: shape.success(await call.tool.handler(call.args, call.api)), outcome: 'ok' };
}
