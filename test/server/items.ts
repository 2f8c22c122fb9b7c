// Incident items as an agent stores and pushes them: real ids (incidentId), two namespaces, a
// confirmed cause and a ruled-out one, finish times one second apart.
import { incidentId } from '../../src/store/id.js';
import type { IncidentItem } from '../../src/store/types.js';

export function item(
  n: number,
  o: { node?: string; cause?: string; verdict?: string; namespace?: string } = {},
): IncidentItem {
  const subject = {
    namespace: o.namespace ?? (n % 2 ? 'shop' : 'jobs'),
    pod: `checkout-7d9f8c6b5-x${String(n).padStart(4, '0')}`,
    container: 'app',
    podUid: `uid-${n}`,
    finishedAt: new Date(Date.UTC(2026, 10, 29, 3, 0, 0) + n * 1000).toISOString(),
  };
  return {
    id: incidentId(subject.podUid, subject.container, subject.finishedAt),
    node: o.node ?? `node-${n % 3}`,
    cluster: 'prod',
    recordedAt: new Date(Date.UTC(2026, 10, 29, 4, 0, 0)).toISOString(),
    subject,
    signatures: [],
    causes: [
      {
        id: o.cause ?? (n % 4 === 0 ? 'kernel.pid_max' : 'rlimit.nofile'),
        verdict: o.verdict ?? 'confirmed',
        summary: 'the limit was reached',
        reasons: [],
        evidence: [],
        missing: [],
        remediation: [],
      },
      {
        id: 'memory.cgroup_oom',
        verdict: 'ruled-out',
        summary: 'no OOM kill',
        reasons: [],
        evidence: [],
        missing: [],
        remediation: [],
      },
    ],
    notes: [],
  } as unknown as IncidentItem;
}
