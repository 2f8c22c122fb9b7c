// The bundle format: a folder (or the same folder as a .tar.gz) that `analyze` reads back offline.
//
//   podmortem-bundle.json         the manifest below
//   objects/pods.json             List of the pods read (crashed ones, not-ready ones on their nodes)
//   objects/nodes.json            List of their nodes
//   objects/owners.json           List of owner objects (ReplicaSet, Deployment, DaemonSet, ...)
//   objects/events.json           { "namespace/pod": [Event, ...] }
//   logs/<ns>/<pod>/<container>.log   the previous log, bounded and redacted
//   nodes/<node name>/...         node snapshots given with --node-evidence, redacted
//
// Objects are the API server's wire JSON, so any tool (jq, kubectl) can read them too.
import type { CrashedContainer } from '../cluster/crashed.js';
import type { Problem } from '../../evidence/problem.js';

export const MANIFEST = 'podmortem-bundle.json';
export const BUNDLE_KIND = 'podmortem-bundle';

export interface BundleManifest {
  kind: typeof BUNDLE_KIND;
  formatVersion: 1;
  createdAt: string;
  podmortemVersion: string;
  server: string;
  scope: { namespace?: string; labelSelector?: string; sinceMs?: number };
  redaction: {
    enabled: boolean;
    /** How many values were removed, by kind; never the values. */
    counts: Record<string, number>;
    total: number;
  };
  containers: (CrashedContainer & { log: string | null })[];
  problems: Problem[];
  stats: { pods: number; pages: number; requests: number; retries: number };
  nodeSnapshots: string[];
}

/** A path inside the bundle for a container log; names are DNS labels, but a bundle is untrusted: no separators. */
export function logPath(ns: string, pod: string, container: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `logs/${safe(ns)}/${safe(pod)}/${safe(container)}.log`;
}
