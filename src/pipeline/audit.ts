// Audit stage: every write attempt gets exactly one line, and a write cut off by shutdown is recorded as unknown.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { auditFields, type AuditLog, type AuditOutcome, type AuditRecord } from '../state/audit-log.js';
import type { Logger } from '../log.js';
import type { Call, Shaper, Step } from './stage-types.js';

/**
 * Write calls that have started and not yet answered. On shutdown each one either finishes
 * within the grace period or is written to the audit log as 'unknown'; never silently lost.
 */
export class WritesInFlight {
  private readonly pending = new Set<{ settled: Promise<void>; abandon: () => void }>();

  track(abandon: () => void): () => void {
    let settle!: () => void;
    const entry = { settled: new Promise<void>((r) => (settle = r)), abandon };
    this.pending.add(entry);
    return () => {
      this.pending.delete(entry);
      settle();
    };
  }

  get size(): number {
    return this.pending.size;
  }

  /** Waits up to graceMs for writes to finish; abandons the rest. Returns how many were abandoned. */
  async drain(graceMs: number): Promise<number> {
    if (this.pending.size === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([Promise.all([...this.pending].map((e) => e.settled)), grace]);
    clearTimeout(timer);
    const left = [...this.pending];
    for (const entry of left) entry.abandon();
    this.pending.clear();
    return left.length;
  }
}

export interface AuditStage {
  /** Records the step's outcome (once) and hands its result on. */
  finish(step: Step): CallToolResult;
}

/**
 * A write that could not be audited is not run (COUPONTOOLS_AUDIT_REQUIRED): the refusal comes
 * before anything is sent, and says why. Reads never wait on the audit log.
 */
export function auditRefusal(call: Call, audit: AuditLog | undefined, shape: Shaper): CallToolResult | undefined {
  if (!call.writes || !audit) return undefined;
  try {
    audit.ensureWritable();
    return undefined;
  } catch (err) {
    return shape.failure(err instanceof Error ? err.message : String(err));
  }
}

export function auditCall(call: Call, audit: AuditLog | undefined, log: Logger, inFlight: WritesInFlight): AuditStage {
  let recorded = false;
  const record = (outcome: AuditOutcome): void => {
    if (!call.writes || recorded) return;
    recorded = true;
    if (!audit) return;
    const line: AuditRecord = { time: new Date().toISOString(), tool: call.tool.name, ...auditFields(call.args), outcome, duration_ms: Math.round(performance.now() - call.started) };
    if (call.wire.status !== undefined && outcome !== 'replayed') line.status = call.wire.status;
    try {
      audit.write(line);
    } catch (err) {
      // The call itself happened: its true result still goes back, and the gap is reported.
      log.error(`audit log write failed for ${call.tool.name} (${outcome})`, err);
    }
  };
  // Shutting down mid-call: whatever happens next, the log says the outcome is unknown.
  const untrack = call.writes ? inFlight.track(() => record('unknown')) : () => undefined;
  return {
    finish({ result, outcome }) {
      record(outcome);
      untrack();
      return result;
    },
  };
}
