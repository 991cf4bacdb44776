// Result shaping: every answer leaves as one CallToolResult (structured data plus the same data as JSON text),
// redacted, checked against the registered output schema and within the frame budget, whatever the tool returned.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { ToolDefinition } from '../mcp/tool.js';
import { describeCuts, fitFrame, FRAME_ENVELOPE_BYTES, MAX_FRAME_BYTES } from './frame-budget.js';
import { fitSchema } from './output-check.js';
import { redactDeep, type Redact } from './redaction.js';
import type { Call, Shaper, Step } from './stage-types.js';

export interface ShapeOptions {
  tool: ToolDefinition;
  /** The output schema as registered (the SDK checks results against it). */
  output: z.ZodType;
  /** Results are labelled as simulated when true. */
  sandbox: boolean;
  redact: Redact;
}

/** Keys of a result only the seam writes; a tool's (or the API's) own value under one of them is dropped. */
const SEAM_KEYS = ['sandbox', 'replayed', 'not_shown'] as const;
/** Room kept for the seam's own keys and notes when a result is cut to fit. */
const NOTE_BYTES = 2048;
/** How much of the reason an applied write's answer could not be shown is quoted. */
const MAX_REASON_CHARS = 300;
/** An error text longer than this is cut (after redaction). */
export const MAX_MESSAGE_CHARS = 4000;

const frameBytes = (result: CallToolResult): number => Buffer.byteLength(JSON.stringify(result));
/** What a rendered result adds around its JSON text and that text as a JSON string: `{"structuredContent":…,"content":[{"type":"text","text":…}]}`. */
const RENDER_FIXED_BYTES = frameBytes({ structuredContent: {}, content: [{ type: 'text', text: '' }] }) - '{}'.length - '""'.length;

/**
 * Whether `{structuredContent, content: [text]}` rendered from `json` (the structured JSON text) is at
 * most `limit` bytes. In UTF-8 a character takes at most 3 bytes, and as a JSON string at most twice
 * that (only `"` and `\\` are escaped in a JSON text): a short text fits without being measured.
 */
function rendersWithin(json: string, limit: number): boolean {
  if (9 * json.length + 2 + RENDER_FIXED_BYTES <= limit) return true;
  return Buffer.byteLength(json) + Buffer.byteLength(JSON.stringify(json)) + RENDER_FIXED_BYTES <= limit;
}

export function resultShaper({ tool, output, sandbox, redact }: ShapeOptions): Shaper {
  const limit = MAX_FRAME_BYTES - FRAME_ENVELOPE_BYTES;
  const text = (value: string): CallToolResult['content'] => [{ type: 'text', text: redact(value) }];
  const render = (structured: Record<string, unknown>): CallToolResult => ({ structuredContent: structured, content: text(JSON.stringify(structured)) });
  const failure = (message: string): CallToolResult => {
    const clean = redact(message);
    return { isError: true, content: text(clean.length > MAX_MESSAGE_CHARS ? `${clean.slice(0, MAX_MESSAGE_CHARS)}… (cut)` : clean) };
  };
  const label = (seam: Record<string, unknown>, notes: string[]): Record<string, unknown> => ({
    ...seam,
    ...(notes.length > 0 ? { not_shown: notes.join(' ') } : {}),
    ...(sandbox ? { sandbox: true } : {}),
  });
  const more = (): string => {
    if ('limit' in tool.input.shape) return 'To see the rest, call again with a smaller limit and page through.';
    return tool.verifyHint ? `To check the rest: ${tool.verifyHint}.` : 'Narrow the request to see the rest.';
  };

  const success = (own: Record<string, unknown>, seam: Record<string, unknown> = {}): CallToolResult => {
    const mine = Object.fromEntries(Object.entries(own).filter(([k]) => !(SEAM_KEYS as readonly string[]).includes(k)));
    const data = { ...mine, ...seam };
    // The common case, serialized once: the JSON text holds every string and key of the data (escaped,
    // and the secret's escaped forms are forms too), so a text the redactor leaves alone is clean, and
    // its size gives the frame's. Anything else takes the long way: redacted value by value, then measured.
    const checkedAsIs = fitSchema(output, data);
    if (checkedAsIs && checkedAsIs.left_out.length === 0) {
      const structured = { ...checkedAsIs.data, ...label(seam, []) };
      const json = JSON.stringify(structured);
      if (redact(json) === json && rendersWithin(json, limit)) {
        return { structuredContent: structured, content: [{ type: 'text', text: json }] };
      }
    }
    const notes: string[] = [];
    const checked = fitSchema(output, redactDeep(data, redact) as Record<string, unknown>);
    if (!checked) return failure(`${tool.name}: the API's answer is not in the expected form, so it cannot be shown.`);
    if (checked.left_out.length > 0) notes.push(`Left out, not in the expected form: ${checked.left_out.join(', ')}.`);
    const whole = render({ ...checked.data, ...label(seam, notes) });
    if (frameBytes(whole) <= limit) return whole;
    const fitted = fitFrame(checked.data, (d) => frameBytes(render(d)), limit - NOTE_BYTES);
    if (!fitted) {
      const reason = 'The answer is too large for one message (64 KB) even with its lists cut.';
      if (tool.access === 'read') return failure(`${tool.name}: ${reason} Narrow the request.`);
      notes.push(reason);
      return render(label(seam, notes));
    }
    if (fitted.cuts.length > 0) notes.push(`Cut to fit one message (64 KB): ${describeCuts(fitted.cuts)}. ${more()}`);
    return render({ ...fitted.data, ...label(seam, notes) });
  };

  const replay = (first: CallToolResult): CallToolResult => {
    if (first.isError) {
      return failure(`Replay: this idempotency_key was already used with these arguments, and nothing was sent now. The first call's answer was: ${first.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ')} If the read tools show it was not applied, call again with a new idempotency_key.`);
    }
    // Already shaped once; the mark fits in the room kept for the envelope.
    return render({ ...(first.structuredContent ?? {}), replayed: true });
  };

  const applied = (reason: string): CallToolResult => {
    const check = tool.verifyHint ? ` To see the result: ${tool.verifyHint}.` : '';
    // One line: some reasons (a JSON.stringify TypeError) span several.
    const why = redact(reason).replace(/\s+/g, ' ').trim();
    const note = `The Coupontools API accepted this call, so it was applied: do not call ${tool.name} again for it. Its answer could not be shown (${why.length > MAX_REASON_CHARS ? `${why.slice(0, MAX_REASON_CHARS)}…` : why}).${check}`;
    return render(label({ status: 'applied' }, [note]));
  };

  return { redact, success, failure, replay, applied };
}

/** The tool's handler, its answer shaped: the innermost stage. */
export async function runHandler(call: Call, shape: Shaper): Promise<Step> {
  return { result: shape.success(await call.tool.handler(call.args, call.api, call.context)), outcome: 'ok' };
}
