// The headroom audit: which limits of the node are close to or at their maximum, or were hit by the
// kernel's own count, so the node that will crash next is visible before it does. Reads node.limits
// only; the limits themselves are built once by the node-evidence reader.
import { HEADROOM_WARN_RATIO as WARN_RATIO } from '../evidence/headroom.js';
import type { LimitUsage } from '../evidence/types.js';

/** One sentence per limit at or above WARN_RATIO, or hit according to the kernel's counters. */
export function headroomWarnings(limits: LimitUsage[]): string[] {
  const out: string[] = [];
  for (const l of limits) {
    const hitByCounter = (l.events ?? 0) > 0;
    const peakAtMax = l.peak !== undefined && l.peak !== null && l.max !== null && l.peak >= l.max;
    if ((l.ratio ?? 0) >= 1 || hitByCounter || peakAtMax) {
      const how =
        (l.ratio ?? 0) >= 1
          ? `is at its limit (${l.used}/${l.max})`
          : hitByCounter
            ? `was hit ${l.events} time(s) (kernel counter), now ${l.used}/${l.max}`
            : `peaked at its limit (${l.peak}/${l.max}), now ${l.used}`;
      out.push(`${l.id} ${l.scope} ${how}.`);
    } else if ((l.ratio ?? 0) >= WARN_RATIO) {
      out.push(
        `${l.id} ${l.scope} is close to its limit: ${l.used}/${l.max} (${Math.round((l.ratio ?? 0) * 100)}%).`,
      );
    }
  }
  return out;
}
