// The `analyze` pipeline: inputs -> node evidence -> one diagnoseContainer per log -> correlation
// -> one Report model that every renderer prints. Never throws for bad input: every problem becomes
// a warning sentence and the analysis carries on with what it has.
import type { Readable } from 'node:stream';
import type { Incident, NodeFacts, ProcessFacts, Report, Subject } from '../evidence/types.js';
import { podContainerFacts } from '../sources/cluster/pod-facts.js';
import { readNodeFacts } from '../sources/host/node-facts.js';
import { expandInputs, type PodSource } from '../sources/logs/inputs.js';
import { describeFsError } from '../sources/fs-errors.js';
import { readBundles } from './bundle.js';
import { correlate } from '../diagnose/correlate.js';
import { diagnoseContainer } from './container.js';
import { podScope } from './pod-scope.js';

export interface AnalyzeOptions {
  inputs: string[];
  nodeRoot?: string;
  /** Real UID the process ran as, when the user knows it (--uid). */
  uid?: number;
  stdin?: Readable;
}

export interface AnalyzeResult {
  report: Report;
  /** Inputs that could not be read at all (exit status 1 when any). */
  inputErrors: string[];
}

export async function analyze(opts: AnalyzeOptions): Promise<AnalyzeResult> {
  const warnings: string[] = [];
  const expanded = await expandInputs(opts.inputs, opts.stdin);
  const inputErrors = [...expanded.errors];
  // Bundles (podmortem collect) go through the bundle reader: the same incidents and findings the scan gave.
  const fromBundles = await readBundles(expanded.bundles, inputErrors);

  // The pods named by the specs and the kubelet log paths: their cgroup chains are read, and they name who holds a limit.
  const podNames = new Map<string, string>();
  for (const p of expanded.pods)
    if (p.pod.metadata.uid)
      podNames.set(p.pod.metadata.uid, `${p.pod.metadata.namespace ?? 'default'}/${p.pod.metadata.name}`);
  for (const l of expanded.logs)
    if (l.subject.podUid && !podNames.has(l.subject.podUid))
      podNames.set(l.subject.podUid, `${l.subject.namespace ?? '?'}/${l.subject.pod ?? '?'}`);
  let node: NodeFacts | undefined;
  if (opts.nodeRoot !== undefined) {
    node = await readNodeFacts(opts.nodeRoot, { podUids: [...podNames.keys()], podNames });
    for (const u of node.unreadable) warnings.push(u);
  }

  const incidents: Incident[] = [...fromBundles.incidents];
  for (const log of expanded.logs) {
    const pod = matchPod(expanded.pods, log.subject);
    const fromPod = pod ? podContainerFacts(pod.pod, pod.name, log.subject.container) : undefined;
    const process: ProcessFacts = { ...fromPod?.process };
    if (opts.uid !== undefined) {
      process.realUid = {
        value: opts.uid,
        evidence: { source: '--uid', text: `the process ran as real UID ${opts.uid} (given by the user)` },
      };
    }
    // The pod spec's status is a record of the exit (exit code 137 beats a Go crash's implied 2).
    const { exitCode, reason, restartCount, finishedAt, ...identity } = fromPod?.subject ?? {};
    const recorded = Object.fromEntries(
      Object.entries({ exitCode, reason, restartCount, finishedAt }).filter(([, v]) => v !== undefined),
    );
    const scope = node ? podScope(node, log.subject.podUid ?? identity.podUid) : undefined;
    const d = await diagnoseContainer({
      identity: { ...identity, ...log.subject },
      recorded,
      logs: [{ name: log.name, open: log.open }],
      ...(scope ? { node: scope.node, records: scope.records } : {}),
      process,
      notes: fromPod?.notes ?? [],
    });
    const scanned = d.logs[0]!;
    if (scanned.error !== undefined) {
      inputErrors.push(describeFsError(scanned.error, log.name));
      continue;
    }
    const stats = scanned.stats!;
    if (log.warnings) warnings.push(...log.warnings); // how it was read (a gzip cap reached)
    if (stats.binary)
      warnings.push(`${log.name}: looks like binary data rather than a log; scanned it anyway.`);
    if (stats.hugeLines > 0)
      warnings.push(
        `${log.name}: ${stats.hugeLines} line(s) longer than 16 KiB were read as a window around the match.`,
      );
    if (!d.incident) {
      warnings.push(
        stats.bytes === 0
          ? `${log.name}: empty input.`
          : `${log.name}: no crash recognized in ${stats.lines} line(s).`,
      );
      continue;
    }
    incidents.push(d.incident);
  }
  // A pod spec alone (often piped on stdin) tells who crashed, not how: say what else to give.
  if (expanded.logs.length === 0 && expanded.pods.length > 0)
    warnings.push(
      `${[...new Set(expanded.pods.map((p) => p.name))].join(', ')}: a pod spec without the crashed container's log; give both: kubectl logs -p POD > crash.log, then podmortem analyze crash.log pod.yaml (or pipe the spec: kubectl get pod POD -o yaml | podmortem analyze crash.log -).`,
    );
  // Incidents read from logs are grouped like a scan's (same owner, same node and window); bundle
  // incidents come first and were grouped when collected, so indices are shifted past them.
  const offset = fromBundles.incidents.length;
  const nodeEvidence = node?.hostname ? new Map([[node.hostname.value, node]]) : undefined;
  const fromLogs = correlate({
    incidents: incidents.slice(offset),
    notReady: [],
    problems: [],
    ...(nodeEvidence ? { nodeEvidence } : {}),
  }).map((f) => ({
    ...f,
    incidents: f.incidents.map((i) => i + offset),
    ...(f.root !== undefined ? { root: f.root + offset } : {}),
  }));
  const findings = [...fromBundles.findings, ...fromLogs];
  const report: Report = {
    schemaVersion: 1,
    incidents,
    ...(findings.length > 0 ? { findings } : {}),
    ...(node ? { node: { limits: node.limits } } : {}),
    warnings: [...inputErrors, ...fromBundles.warnings, ...warnings],
  };
  return { report, inputErrors };
}

/** The pod spec given with a log: the one whose name/uid matches the log's path, or the only one given. */
function matchPod(pods: PodSource[], s: Subject): PodSource | undefined {
  if (pods.length === 0) return undefined;
  const exact = pods.find(
    (p) => (s.podUid && p.pod.metadata.uid === s.podUid) || (s.pod && p.pod.metadata.name === s.pod),
  );
  if (exact) return exact;
  return pods.length === 1 && !s.pod ? pods[0] : undefined;
}
