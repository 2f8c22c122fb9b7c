// The live scan: walk the cluster (gather.ts), diagnose each crashed container as its log streams
// in (incident.ts), join node snapshots, correlate. The log is never held whole: it streams from the
// API server through the scanner, bounded by limitBytes.
import type { Incident, NodeFacts, Report } from '../evidence/types.js';
import type { ClusterApi } from '../sources/cluster/api.js';
import { assembleReport, readNodeEvidence } from './cluster-report.js';
import {
  gatherCluster,
  type ClusterEvidence,
  type Progress,
  type ScanScope,
} from '../sources/cluster/gather.js';
import { containerIncident } from './cluster-incident.js';

export interface ScanOptions {
  /** Folder with one node snapshot per node name (--node-evidence). */
  nodeEvidenceDir?: string;
  onProgress?: (p: Progress) => void;
}

export async function scanCluster(
  api: ClusterApi,
  scope: ScanScope,
  opts: ScanOptions = {},
): Promise<{ report: Report; evidence: ClusterEvidence }> {
  const incidents: Incident[] = [];
  const warnings: string[] = [];
  let nodeEvidence: Map<string, NodeFacts> | undefined;
  const evidence = await gatherCluster(
    api,
    scope,
    async (ctx, log) => {
      const c = ctx.crashed;
      const name = `${c.namespace}/${c.pod}/${c.container} (${c.previous ? 'previous' : 'last'} log)`;
      const snapshot = c.node ? nodeEvidence?.get(c.node) : undefined;
      const { incident, warnings: w } = await containerIncident(
        ctx,
        log ? { name, stream: log } : undefined,
        snapshot,
      );
      incidents.push(incident);
      warnings.push(...w);
    },
    opts.onProgress,
    async (ev) => {
      if (opts.nodeEvidenceDir !== undefined)
        nodeEvidence = await readNodeEvidence(opts.nodeEvidenceDir, ev, warnings);
    },
  );
  return { report: assembleReport(evidence, incidents, warnings, nodeEvidence), evidence };
}
