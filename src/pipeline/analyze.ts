// The `analyze` pipeline: inputs -> node evidence -> one diagnoseContainer per log -> correlation
// -> one Report model that every renderer prints. Never throws for bad input: every problem becomes
// a warning sentence and the analysis carries on with what it has.
import type { Readable } from 'node:stream';
import type { Incident, LimitUsage, NodeFacts, ProcessFacts, Report, Subject } from '../evidence/types.js';
import type { WireObject } from '../sources/cluster/wire.js';
import { buildLimits } from '../sources/host/limits.js';
import { readTranscripts, type TranscriptFacts } from '../sources/transcripts/index.js';
import { expandInputs, type PodSource } from '../sources/logs/inputs.js';
import { describeFsError } from '../sources/fs-errors.js';
import { correlate } from '../diagnose/correlate.js';
import { diagnoseContainer, type ContainerEvidence } from './container.js';
import { startCrashScan } from './parallel/scan-log.js';
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
  // The bundle reader (tar), the pod spec parser (zod) and the node readers (YAML, zod) load only when
  // an input needs them: for a plain log they were a third of the start-up (bench/README.md, 2026-11-30).
  const fromBundles =
    expanded.bundles.length > 0
      ? await (await import('./bundle.js')).readBundles(expanded.bundles, inputErrors)
      : { incidents: [], findings: [], warnings: [] };
  const podFacts = expanded.pods.length > 0 ? await import('../sources/cluster/pod-facts.js') : undefined;
  const describe = expanded.pods.length > 0 ? await import('../sources/cluster/describe.js') : undefined;

  // The pods named by the specs and the kubelet log paths: their cgroup chains are read, and they name who holds a limit.
  const podNames = new Map<string, string>();
  for (const p of expanded.pods) if (p.defects) warnings.push(p.defects);
  for (const p of expanded.pods)
    if (p.pod.metadata.uid)
      podNames.set(p.pod.metadata.uid, `${p.pod.metadata.namespace ?? 'default'}/${p.pod.metadata.name}`);
  for (const l of expanded.logs)
    if (l.subject.podUid && !podNames.has(l.subject.podUid))
      podNames.set(l.subject.podUid, `${l.subject.namespace ?? '?'}/${l.subject.pod ?? '?'}`);
  let node: NodeFacts | undefined;
  if (opts.nodeRoot !== undefined) {
    const { readNodeFacts } = await import('../sources/host/node-facts.js');
    node = await readNodeFacts(opts.nodeRoot, { podUids: [...podNames.keys()], podNames });
    for (const u of node.unreadable) warnings.push(u);
  }

  const incidents: Incident[] = [...fromBundles.incidents];
  const pastedLimits: LimitUsage[] = [];
  const fromStatus: { key: string; input: ContainerEvidence }[] = [];
  for (const plain of expanded.logs) {
    // A large file's crash scan starts now on every core, while its head is read for transcripts.
    const log = startCrashScan(plain);
    // Command output pasted into the log (a ticket, a Markdown post): evidence under what the pod spec,
    // --uid and the snapshot say. Standard input is read once, by the crash scanner.
    const pasted = log.name === 'stdin' ? undefined : await readTranscripts(log.name);
    const pastedSubject = splitSubject(pasted?.subject.value ?? {});
    const pod = matchPod(expanded.pods, { ...pastedSubject.identity, ...log.subject });
    const fromPod =
      pod && podFacts ? podFacts.podContainerFacts(pod.pod, pod.name, log.subject.container) : undefined;
    const process: ProcessFacts = { ...pasted?.process, ...fromPod?.process };
    if (opts.uid !== undefined) {
      process.realUid = {
        value: opts.uid,
        evidence: { source: '--uid', text: `the process ran as real UID ${opts.uid} (given by the user)` },
      };
    }
    // The pod spec's status is a record of the exit (exit code 137 beats a Go crash's implied 2).
    const { identity, recorded } = splitSubject(fromPod?.subject ?? {});
    const withPasted = pasted ? mergePastedNode(node, pasted, podNames) : node;
    if (withPasted && withPasted !== node && !node) pastedLimits.push(...withPasted.limits);
    const scope = withPasted ? podScope(withPasted, log.subject.podUid ?? identity.podUid) : undefined;
    const d = await diagnoseContainer({
      identity: { ...pastedSubject.identity, ...identity, ...log.subject },
      recorded: { ...pastedSubject.recorded, ...recorded },
      logs: [
        { name: log.name, open: log.open, file: log.file, warnings: log.warnings, started: log.started },
      ],
      ...(scope ? { node: scope.node, records: scope.records } : {}),
      process,
      notes: [...(fromPod?.notes ?? []), ...(pasted ? pastedNotes(pasted) : [])],
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
      // The pod spec's status may still record a crash (OOMKilled, exit 137): decided after every
      // log is read, so a container whose crash another log shows is not diagnosed twice.
      if (pod && describe && identity.container && recordsACrash(recorded))
        fromStatus.push({
          key: containerKey({ ...identity, ...log.subject }),
          input: {
            identity: { ...pastedSubject.identity, ...identity, ...log.subject },
            recorded: { ...pastedSubject.recorded, ...recorded },
            logs: [],
            records: [
              ...describe.describeLines(pod.pod as unknown as WireObject, identity.container, []),
              ...(scope?.records ?? []),
            ],
            ...(scope ? { node: scope.node } : {}),
            process,
            notes: [
              `${log.name} shows no crash; the pod spec's status records the exit (${exitPhrase(recorded)}).`,
              ...(fromPod?.notes ?? []),
            ],
            crashed: true,
          },
        });
      continue;
    }
    incidents.push(d.incident);
  }
  // Nothing in any log, but the pod spec's status records the crash: diagnose from that record, as
  // `pod` and `scan` do, once per container.
  for (const later of fromStatus) {
    if (incidents.some((i) => containerKey(i.subject) === later.key)) continue;
    const d = await diagnoseContainer(later.input);
    if (d.incident) incidents.push(d.incident);
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
    ...(node
      ? { node: { limits: node.limits } }
      : pastedLimits.length > 0
        ? { node: { limits: pastedLimits } }
        : {}),
    warnings: [...inputErrors, ...fromBundles.warnings, ...warnings],
  };
  return { report, inputErrors };
}

function containerKey(s: Partial<Subject>): string {
  return `${s.namespace ?? 'default'}/${s.pod ?? '?'}/${s.container ?? '?'}`;
}

/** A recorded exit that is a crash: a reason other than Completed, or a non-zero exit code. */
function recordsACrash(r: Partial<Subject>): boolean {
  if (r.reason !== undefined && r.reason !== 'Completed') return true;
  return r.exitCode !== undefined && r.exitCode !== 0;
}

function exitPhrase(r: Partial<Subject>): string {
  return [r.reason, r.exitCode !== undefined ? `exit ${r.exitCode}` : undefined].filter(Boolean).join(', ');
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

/** A subject's identity (who the container is) apart from what was recorded of its exit. */
function splitSubject(s: Partial<Subject>): { identity: Partial<Subject>; recorded: Partial<Subject> } {
  const { exitCode, reason, restartCount, finishedAt, ...identity } = s;
  const recorded = Object.fromEntries(
    Object.entries({ exitCode, reason, restartCount, finishedAt }).filter(([, v]) => v !== undefined),
  );
  return { identity, recorded };
}

/**
 * The node evidence with what a transcript shows: alone, a NodeFacts rooted at the transcript; with a
 * snapshot, only what the snapshot lacks (a fact it read, or a list it found non-empty, is kept).
 */
function mergePastedNode(
  node: NodeFacts | undefined,
  pasted: TranscriptFacts,
  podNames: Map<string, string>,
): NodeFacts | undefined {
  const filled: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(usableNode(pasted))) {
    const had = node?.[k as keyof NodeFacts];
    if (v !== undefined && (had === undefined || (Array.isArray(had) && had.length === 0))) filled[k] = v;
  }
  if (Object.keys(filled).length === 0) return node;
  const base = node ?? { root: `transcript ${pasted.source}`, limits: [], unreadable: [] };
  const merged = { ...base, ...filled } as NodeFacts;
  const limits = buildLimits({ node: merged, limitedCgroups: [], podNames });
  const known = new Set(base.limits.map((l) => `${l.id} ${l.scope}`));
  return { ...merged, limits: [...base.limits, ...limits.filter((l) => !known.has(`${l.id} ${l.scope}`))] };
}

/**
 * The pasted node facts the causes can weigh. A cgroup level pasted with its limit alone (a `cat
 * pids.max`, a TasksMax) is one level of a chain nobody pasted whole, without its counters: a cause
 * would read it as "0 used, never hit". It is named in a note instead (pastedNotes).
 */
function usableNode(p: TranscriptFacts): TranscriptFacts['node'] {
  const chains = p.node.cgroupChains?.filter((c) => c.current !== undefined || c.events !== undefined);
  const { cgroupChains: _all, ...rest } = p.node;
  return chains && chains.length > 0 ? { ...rest, cgroupChains: chains } : rest;
}

/** What the transcript parsers said, and one line naming what was read where. */
function pastedNotes(p: TranscriptFacts): string[] {
  const s = p.subject.value;
  const row = p.subject.evidence[0];
  const facts = [
    s.restartCount !== undefined ? `${s.restartCount} restarts` : '',
    s.node ? `node ${s.node}` : '',
    s.exitCode !== undefined ? `exit code ${s.exitCode}` : '',
    s.reason ? `reason ${s.reason}` : '',
  ].filter(Boolean);
  const parts = [
    ...(facts.length > 0 && row ? [`${facts.join(', ')} at line ${row.line}`] : []),
    ...p.files.map((f) => `${f.path} at line${f.lines.length > 1 ? 's' : ''} ${spans(f.lines)}`),
  ];
  const read = [...new Set(p.seen.map((x) => x.parser))].filter((x) => x !== 'kubectl-logs');
  const head =
    read.length > 0
      ? [
          `Read from the command output pasted in ${p.source} (${read.join(', ')})${parts.length > 0 ? `: ${parts.join('; ')}` : ''}.`,
        ]
      : [];
  const limitsOnly = (p.node.cgroupChains ?? []).filter(
    (c) => c.current === undefined && c.events === undefined,
  );
  const levels = limitsOnly.slice(0, 5).map((c) => {
    const e = c.evidence[0]!;
    return `${c.controller} limit ${c.max === null ? 'max (none)' : c.max} of ${c.path} (line ${e.line})`;
  });
  const partial =
    levels.length > 0
      ? [
          `The pasted ${levels.join(', ')} ${levels.length > 1 ? 'are limits' : 'is a limit'} on the chain, but without pids.current/pids.events (memory.events) pasted beside ${levels.length > 1 ? 'them' : 'it'} nothing says whether ${levels.length > 1 ? 'they were' : 'it was'} reached: paste those of the same cgroup, or run podmortem node on the node.`,
        ]
      : [];
  return [...head, ...partial, ...p.notes];
}

/** 70, 71, 72, 84 -> "70-72, 84". */
function spans(lines: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j]! + 1) j++;
    out.push(j > i ? `${lines[i]}-${lines[j]}` : `${lines[i]}`);
    i = j;
  }
  return out.join(', ');
}
