// Confirmation gate stage: a destructive call runs only after a human's yes (elicitation or preview + token).
import { z } from 'zod';
import type { ConfirmGate, ElicitAnswer } from './confirm-gate.js';
import type { ToolDefinition } from '../mcp/tool.js';
import { promptLine } from './prompt-text.js';
import type { Call, Shaper, Step } from './stage-types.js';

/** The argument gated tools take when the gate uses tokens. */
// Bounds checked but not shown: the tool descriptions and the preview's `next` say what this is.
export const confirmTokenInput = z.string().refine((s) => s.length <= 64, { error: 'not a confirm_token from a preview' }).optional();

/** Asks the human; absent when the client cannot elicit. */
export type Elicit = (message: string) => Promise<ElicitAnswer>;

/** Whether any call of this tool may need a human's yes (nothing would happen in a dry run). */
export function isGated(tool: ToolDefinition, gate: ConfirmGate, dryRun: boolean): boolean {
  return (tool.access === 'destructive' || tool.accessFor !== undefined) && gate.mode !== 'off' && !dryRun;
}

/** A Step when the call stops here (refused, declined or previewed); undefined when it may go on. */
export async function confirmation(call: Call, gate: ConfirmGate, gated: boolean, elicit: Elicit | undefined, shape: Shaper): Promise<Step | undefined> {
  const { tool, args } = call;
  if (!gated || ((await tool.accessFor?.(args, call.api)) ?? tool.access) !== 'destructive') return undefined;
  const decision = await gate.check({
    tool: tool.name,
    args,
    token: typeof call.token === 'string' ? call.token : undefined,
    // The effect carries API text to a human: redacted, then one bounded line of plain characters.
    describe: async () => promptLine(shape.redact(tool.describeEffect ? await tool.describeEffect(args, call.api) : `${tool.title} with ${JSON.stringify(args)}.`)),
    elicit,
  });
  if (decision.kind === 'refuse') return { result: shape.failure(decision.message), outcome: decision.declined ? 'declined' : 'error' };
  if (decision.kind === 'preview') {
    const next = `Nothing was done yet. Show the user the effect; only if they agree, call ${tool.name} again with the same arguments plus confirm_token.`;
    return { result: shape.success({ ...decision.preview, next }), outcome: 'confirmation_required' };
  }
  return undefined;
}
