// `podmortem pod NAME`: one pod read through the API (sources/cluster/pod.ts), each crashed container
// diagnosed by containerIncident exactly as the scan does, node snapshots joined, one report.
import type { Incident, NodeFacts, Report } from '../evidence/types.js';
import type { ClusterApi } from '../sources/cluster/api.js';
import { gatherPod, type PodEvidence, type PodTarget } from '../sources/cluster/pod.js';
import { assembleReport, readNodeEvidence } from './cluster-report.js';
import { containerIncident } from './cluster-incident.js';

export async function diagnosePod(
  api: ClusterApi,
  target: PodTarget,
  opts: { nodeEvidenceDir?: string } = {},
): Promise<{ report: Report; evidence: PodEvidence }> {
  const incidents: Incident[] = [];
  const warnings: string[] = [];
  let nodeEvidence: Map<string, NodeFacts> | undefined;
  const evidence = await gatherPod(
    api,
    target,
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
    async (ev) => {
      if (opts.nodeEvidenceDir !== undefined)
        nodeEvidence = await readNodeEvidence(opts.nodeEvidenceDir, ev, warnings);
    },
  );
  return { report: assembleReport(evidence, incidents, warnings, nodeEvidence), evidence };
}
