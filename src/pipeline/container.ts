// diagnoseContainer: one container's evidence in, one incident out, the same whoever calls it
// (analyze, node, scan, a bundle, and the node agent). The caller gathers the evidence from its own
// sources; here the crash output is scanned and recognized, the records (kubectl describe lines, the
// runtime's record of the exit, the pod's kernel lines) go through the same recognizer, the subject
// is assembled with one precedence rule, the causes are weighed and the notes added.
import type { Readable } from 'node:stream';
import { applyDumps } from '../diagnose/dumps.js';
import { diagnose } from '../diagnose/engine.js';
import { notesFor } from '../diagnose/notes.js';
import { Recognizer, type RecognizedPart } from '../diagnose/recognize.js';
import type { Evidence, Incident, LogLine, NodeFacts, ProcessFacts, Subject } from '../evidence/types.js';
import { SIGNATURES } from '../knowledge/signatures/index.js';
import type { ThreadDump } from '../evidence/dumps.js';
import type { HsErrReport } from '../evidence/hs-err.js';
import { forEachLogLine } from '../sources/dumps/log-lines.js';
import { ThreadDumpReader } from '../sources/dumps/thread-dumps.js';
import { hsErrFacts, type HsErrNode } from '../sources/hs-err/facts.js';
import { HsErrReader } from '../sources/hs-err/reader.js';
import type { ScanStats } from '../sources/logs/scanner.js';
import { scanCrashLog } from './parallel/scan-log.js';
import { prefilterFor } from './prefilter.js';

/** Built once: every caller scans with the same keywords. */
const PREFILTER = prefilterFor(SIGNATURES);

/** A log of the crashed instance, opened when its turn comes (streams are never opened and left idle). */
export interface CrashLog {
  /** Name shown in evidence: a file path, "ns/pod/container (previous log)". */
  name: string;
  open: () => Readable;
  /** The path, when it is a regular uncompressed file: a large one is scanned by several threads. */
  file?: string;
  /** Sentences about how it was read; the parallel scan adds one when it had to fall back. */
  warnings?: string[];
  /** Its parallel scan, already under way (startCrashScan); undefined when it is not scanned that way. */
  started?: Promise<ScanResult | undefined>;
}

/** What a whole log's scan gives: its stats and what it recognized, to absorb into the container's recognizer. */
export interface ScanResult {
  stats: ScanStats;
  part: RecognizedPart;
}

export interface ContainerEvidence {
  /** Who the container is (namespace, pod, container, pod uid, node, owner): from paths, the runtime or the API. */
  identity: Partial<Subject>;
  /**
   * What a runtime or the API recorded of the exit (exit code, reason, finish time, restart count): it
   * beats what the log lines say, and what they say beats what they only imply (a Go crash implies exit 2).
   */
  recorded?: Partial<Subject>;
  /** The crashed instance's output, scanned in order. */
  logs: CrashLog[];
  /** Records that are not output: describe lines of the API objects, the runtime's record, the pod's kernel lines. */
  records?: LogLine[];
  process: ProcessFacts;
  node?: NodeFacts;
  /** What the caller knows that is not a cause (picked by the scan, pod spec remarks, node conditions). */
  notes?: string[];
  /** Make an incident even when no signature is recognized (the runtime or the API says it crashed). */
  crashed?: boolean;
}

export interface ContainerDiagnosis {
  /** Undefined when nothing was recognized and nothing says the container crashed. */
  incident?: Incident;
  /** One entry per log, in order: what the scanner saw, or the error that stopped it. */
  logs: { name: string; stats?: ScanStats; error?: unknown }[];
}

export async function diagnoseContainer(ev: ContainerEvidence): Promise<ContainerDiagnosis> {
  const rec = new Recognizer(SIGNATURES);
  for (const line of ev.records ?? []) rec.add(line);
  const logs: ContainerDiagnosis['logs'] = [];
  let tail: Evidence[] = [];
  for (const log of ev.logs) {
    try {
      const stats = await scanCrashLog(log, PREFILTER, rec);
      if (stats.tail.length > 0)
        tail = stats.tail.map((l) => ({ source: l.source, line: l.line, text: l.text }));
      logs.push({ name: log.name, stats });
    } catch (error) {
      logs.push({ name: log.name, error });
    }
  }
  const signatures = rec.result();
  if (signatures.length === 0 && !ev.crashed) return { logs };

  const subject: Subject = { ...rec.subject, ...ev.identity, ...ev.recorded };
  subject.source ??= ev.logs[0]?.name ?? ev.identity.source;
  // A log read with a node's evidence comes from that node; its last timestamped crash line dates the crash.
  if (!subject.node && ev.node?.hostname) subject.node = ev.node.hostname.value;
  if (!subject.finishedAt && rec.lastTime) subject.finishedAt = rec.lastTime;

  // A JVM crash may carry its hs_err file (the file itself, or pasted): its limits, thread count and
  // memory figures are the crashed JVM's own, so they are read before the causes are weighed.
  const wantDumps = signatures.some((s) => DUMP_SIGNATURES.has(s.id));
  const wantHsErr = signatures.some((s) => s.family === 'jvm');
  const second = wantDumps || wantHsErr ? await readSecondPass(ev.logs, wantDumps, wantHsErr) : undefined;
  const hsErr = second?.hsErr.find((r) => r.failure) ?? second?.hsErr[0];
  const facts = hsErr ? hsErrFacts(hsErr) : undefined;
  const process: ProcessFacts = facts
    ? { ...ev.process, ...facts.process, ...(ev.process.command ? { command: ev.process.command } : {}) }
    : ev.process;
  const node = facts ? withHsErrNode(ev.node, facts.node, hsErr!.source) : ev.node;

  const causes = diagnose({
    incident: { subject, signatures },
    process,
    ...(node ? { node } : {}),
  });
  const dumps = [...(second?.dumps ?? []), ...(facts?.dump ? [facts.dump] : [])];
  const dumpNotes = applyDumps(causes, dumps);
  const hsErrNotes = facts ? [facts.note] : [];
  const incident: Incident = {
    subject,
    signatures,
    causes,
    notes: [
      ...(ev.notes ?? []),
      ...notesFor({ causes, node: ev.node, signatures }),
      ...hsErrNotes,
      ...dumpNotes,
    ],
    ...(tail.length > 0 ? { tail } : {}),
  };
  return { incident, logs };
}

/** Signatures that mark a thread or goroutine dump: only then is the log read a second time, to bucket it. */
const DUMP_SIGNATURES = new Set(['go.goroutine-dump', 'jvm.thread-dump', 'python.faulthandler-dump']);

/**
 * The dumps and hs_err reports of every log, read again from the start in one pass; a log that cannot
 * be reopened gives none (its scan already said why).
 */
async function readSecondPass(
  logs: CrashLog[],
  dumps: boolean,
  hsErr: boolean,
): Promise<{ dumps: ThreadDump[]; hsErr: HsErrReport[] }> {
  const out = { dumps: [] as ThreadDump[], hsErr: [] as HsErrReport[] };
  for (const log of logs) {
    const d = dumps ? new ThreadDumpReader(log.name) : undefined;
    const h = hsErr ? new HsErrReader(log.name) : undefined;
    try {
      await forEachLogLine(log.open(), log.name, (text, n) => {
        d?.line(text, n);
        h?.line(text, n);
      });
    } catch {
      // The first pass reported this log's error; the second pass is a refinement, not a second warning.
    }
    if (d) out.dumps.push(...d.result());
    if (h) out.hsErr.push(...h.result());
  }
  return out;
}

/**
 * The node evidence with what the hs_err file shows: alone, a NodeFacts rooted at the file; with a
 * node's own evidence, only what it lacks (a pids level of the JVM's own cgroup joins a chain that
 * has no pids level).
 */
function withHsErrNode(node: NodeFacts | undefined, from: HsErrNode, source: string): NodeFacts {
  const base: NodeFacts = node ?? { root: `hs_err file ${source}`, limits: [], unreadable: [] };
  const merged: NodeFacts = { ...base };
  for (const [k, v] of Object.entries(from) as [keyof HsErrNode, unknown][]) {
    if (k === 'cgroupChains' || v === undefined || base[k] !== undefined) continue;
    (merged as unknown as Record<string, unknown>)[k] = v;
  }
  const pids = from.cgroupChains ?? [];
  if (pids.length > 0 && !(base.cgroupChains ?? []).some((l) => l.controller === 'pids'))
    merged.cgroupChains = [...pids, ...(base.cgroupChains ?? [])];
  return merged;
}
