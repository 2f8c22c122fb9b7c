// The live scan: walk the cluster (gather.ts), diagnose each crashed container as its log streams
// in (incident.ts), join node snapshots, correlate. The log is never held whole: it streams from the
// API server through the scanner, bounded by limitBytes.
import type { Report } from '../evidence/types.js';
import type { ClusterApi } from '../sources/cluster/api.js';
import {
  gatherCluster,
  type ClusterEvidence,
  type Progress,
  type ScanScope,
} from '../sources/cluster/gather.js';
import { clusterDiagnosis } from './cluster-incident.js';

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
  const run = clusterDiagnosis(opts.nodeEvidenceDir);
  const evidence = await gatherCluster(api, scope, run.sink, opts.onProgress, run.beforeContainers);
  return { report: run.report(evidence), evidence };
}
