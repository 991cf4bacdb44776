// Attempt deadlines that pass when the sandbox hangs the request and never by the clock, so a verdict does not depend on machine speed.
import type { ArmDeadline } from '../../src/coupontools/client.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';

export interface CuedDeadlines {
  /** Give to the request layer (`AppOverrides.client.armDeadline`). */
  arm: ArmDeadline;
  /** From now on, a hang fault of this sandbox makes the waiting attempt time out at once. */
  watch(sandbox: Sandbox): void;
}

/**
 * A hang is what a timeout exists for: the attempt whose request the sandbox holds times out as
 * soon as it is held (after the change was applied, for `apply: true`); no other attempt ever
 * does, however slow the machine. Attempts are matched by path, so a test keeps one request per
 * path in flight at a time.
 */
export function cuedDeadlines(): CuedDeadlines {
  const armed = new Map<string, Set<() => void>>();
  return {
    arm(_ms, expire, url) {
      const path = new URL(url).pathname;
      const waiting = armed.get(path) ?? new Set();
      armed.set(path, waiting.add(expire));
      return () => {
        waiting.delete(expire);
        if (waiting.size === 0 && armed.get(path) === waiting) armed.delete(path);
      };
    },
    watch(sandbox) {
      sandbox.onHang((request) => {
        for (const expire of armed.get(request.path) ?? []) expire();
      });
    },
  };
}
