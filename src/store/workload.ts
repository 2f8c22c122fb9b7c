// The workload an incident belongs to, for metrics labels and the `workload` filter: the owner the
// pipeline found (scan: "Deployment shop/checkout"), else the pod name without the suffixes the
// controllers add (ReplicaSet "-<hash>-<5>", DaemonSet and Job "-<5>", StatefulSet "-<ordinal>").
// A workload, not a pod, bounds the metric's cardinality across restarts and rollouts.
import type { Subject } from '../evidence/types.js';

const RS_POD = /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/;
const SUFFIXED_POD = /^(.+)-[a-z0-9]{5}$/;
const ORDINAL_POD = /^(.+)-\d{1,5}$/;

export function workloadOf(subject: Subject): string {
  if (subject.owner) return subject.owner.replace(/^\S+ /, '').replace(/^[^/]+\//, '');
  const pod = subject.pod ?? '';
  const m = RS_POD.exec(pod) ?? ORDINAL_POD.exec(pod) ?? SUFFIXED_POD.exec(pod);
  return m ? m[1]! : pod;
}
