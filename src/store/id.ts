// The incident id: one container exit gets the same id whoever records it (the node agent at the
// exit, the agent reconciling after a restart, a fleet server, a scan reading the Kubernetes API).
// It is derived from what every recorder can see: the pod's uid, the container's name and the exit's
// finish time. The finish time is cut to whole seconds in UTC because the Kubernetes API
// (lastState.terminated.finishedAt) keeps no more; two exits of one container within one second
// would share an id, which a kubelet's crash-loop back-off (10 s and up) never produces.
import { createHash } from 'node:crypto';

/** Hex characters kept of the SHA-256: 96 bits, no collision in any fleet's lifetime. */
const ID_HEX = 24;

/** The finish time as RFC 3339 UTC in whole seconds ("2026-11-29T03:14:15Z"), or undefined when unparsable. */
export function finishSecond(finishedAt: string): string | undefined {
  // Date.parse keeps milliseconds only and rejects 9 fractional digits on some engines: cut the fraction first.
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(finishedAt.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[2]}`);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The id of one container exit: sha256("<pod uid>\n<container>\n<finish second>"), first 24 hex characters. */
export function incidentId(podUid: string, container: string, finishedAt: string): string {
  const second = finishSecond(finishedAt) ?? finishedAt;
  return createHash('sha256').update(`${podUid}\n${container}\n${second}`).digest('hex').slice(0, ID_HEX);
}
