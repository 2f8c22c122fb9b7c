// The `analyze` pipeline: inputs -> log scan + signature recognition -> node evidence -> diagnosis
// -> one Report model that every renderer prints. Never throws for bad input: every problem becomes
// a warning sentence and the analysis carries on with what it has.
import type { Readable } from 'node:stream';
import type { Incident, NodeFacts, ProcessFacts, Report, Subject } from '../evidence/types.js';
import { SIGNATURES } from '../knowledge/signatures/index.js';
import { podContainerFacts } from '../sources/cluster/pod-facts.js';
import { readNodeFacts } from '../sources/host/node-facts.js';
import { expandInputs, type PodSource } from '../sources/logs/inputs.js';
import { scanStream } from '../sources/logs/scanner.js';
import { describeFsError } from '../sources/fs-errors.js';
import { readBundles } from './bundle.js';
import { correlate } from '../diagnose/correlate.js';
import { diagnose } from '../diagnose/engine.js';
import { notesFor } from '../diagnose/notes.js';
import { Recognizer } from '../diagnose/recognize.js';
import { prefilterFor } from './prefilter.js';

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

  const podUids = expanded.pods.map((p) => p.pod.metadata.uid).filter((u): u is string => !!u);
  for (const l of expanded.logs) if (l.subject.podUid) podUids.push(l.subject.podUid);
  let node: NodeFacts | undefined;
  if (opts.nodeRoot !== undefined) {
    node = await readNodeFacts(opts.nodeRoot, { podUids: [...new Set(podUids)] });
    for (const u of node.unreadable) warnings.push(u);
  }

  const prefilter = prefilterFor(SIGNATURES);
  const incidents: Incident[] = [...fromBundles.incidents];
  for (const log of expanded.logs) {
    const rec = new Recognizer(SIGNATURES);
    let stats;
    try {
      stats = await scanStream(log.open(), log.name, prefilter, (line) => rec.add(line));
    } catch (err) {
      inputErrors.push(describeFsError(err, log.name));
      continue;
    }
    if (stats.binary)
      warnings.push(`${log.name}: looks like binary data rather than a log; scanned it anyway.`);
    if (stats.hugeLines > 0)
      warnings.push(
        `${log.name}: ${stats.hugeLines} line(s) longer than 16 KiB were read as a window around the match.`,
      );
    const signatures = rec.result();
    if (signatures.length === 0) {
      warnings.push(
        stats.bytes === 0
          ? `${log.name}: empty input.`
          : `${log.name}: no crash recognized in ${stats.lines} line(s).`,
      );
      continue;
    }
    const pod = matchPod(expanded.pods, log.subject);
    const fromPod = pod ? podContainerFacts(pod.pod, pod.name, log.subject.container) : undefined;
    const subject: Subject = { ...fromPod?.subject, ...log.subject, ...rec.subject, source: log.name };
    // Logs read with a node root come from that node; the last timestamped line dates the crash.
    if (!subject.node && node?.hostname) subject.node = node.hostname.value;
    if (!subject.finishedAt && rec.lastTime) subject.finishedAt = rec.lastTime;
    // What the runtime recorded beats what the log implies (e.g. exit code 137 over a Go crash's 2).
    if (fromPod?.subject.exitCode !== undefined) subject.exitCode = fromPod.subject.exitCode;
    const process: ProcessFacts = { ...fromPod?.process };
    if (opts.uid !== undefined) {
      process.realUid = {
        value: opts.uid,
        evidence: { source: '--uid', text: `the process ran as real UID ${opts.uid} (given by the user)` },
      };
    }
    const base = { subject, signatures };
    const causes = diagnose({ incident: base, process, ...(node ? { node } : {}) });
    incidents.push({
      subject,
      signatures,
      causes,
      notes: [...(fromPod?.notes ?? []), ...notesFor({ causes, node })],
      tail: stats.tail.map((l) => ({ source: l.source, line: l.line, text: l.text })),
    });
  }
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
