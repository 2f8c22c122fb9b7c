// `podmortem pod NAME`: one pod read through the API (sources/cluster/pod.ts), each crashed container
// diagnosed by containerIncident exactly as the scan does, node snapshots joined, one report.
import type { Report } from '../evidence/types.js';
import type { ClusterApi } from '../sources/cluster/api.js';
import { gatherPod, type PodEvidence, type PodTarget } from '../sources/cluster/pod.js';
import { clusterDiagnosis } from './cluster-incident.js';

export async function diagnosePod(
  api: ClusterApi,
  target: PodTarget,
  opts: { nodeEvidenceDir?: string } = {},
): Promise<{ report: Report; evidence: PodEvidence }> {
  const run = clusterDiagnosis(opts.nodeEvidenceDir);
  const evidence = await gatherPod(api, target, run.sink, run.beforeContainers);
  return { report: run.report(evidence), evidence };
}
