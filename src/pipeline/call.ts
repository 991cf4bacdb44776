// Starts one tool call: splits off the seam's arguments and gives the tool a request layer that records what the API said to its write.
import { CoupontoolsError } from '../coupontools/errors.js';
import type { ToolApi, ToolContext, ToolDefinition } from '../mcp/tool.js';
import { applyFieldAliases, DEFAULT_WIRE_PROFILE, type WireProfile } from '../coupontools/wire-profile.js';
import { DryRunStop } from './dry-run.js';
import type { Call, RequestLayer } from './stage-types.js';

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
