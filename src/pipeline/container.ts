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
import { readThreadDumps } from '../sources/dumps/thread-dumps.js';
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

  const causes = diagnose({
    incident: { subject, signatures },
    process: ev.process,
    ...(ev.node ? { node: ev.node } : {}),
  });
  const dumps = signatures.some((s) => DUMP_SIGNATURES.has(s.id)) ? await readDumps(ev.logs) : [];
  const dumpNotes = applyDumps(causes, dumps);
  const incident: Incident = {
    subject,
    signatures,
    causes,
    notes: [...(ev.notes ?? []), ...notesFor({ causes, node: ev.node }), ...dumpNotes],
    ...(tail.length > 0 ? { tail } : {}),
  };
  return { incident, logs };
}

/** Signatures that mark a thread or goroutine dump: only then is the log read a second time, to bucket it. */
const DUMP_SIGNATURES = new Set(['go.goroutine-dump', 'jvm.thread-dump', 'python.faulthandler-dump']);

/** The dumps of every log, read again from the start; a log that cannot be reopened gives none (its scan already said why). */
async function readDumps(logs: CrashLog[]): Promise<ThreadDump[]> {
  const out: ThreadDump[] = [];
  for (const log of logs) {
    try {
      out.push(...(await readThreadDumps(log.open(), log.name)));
    } catch {
      // The first pass reported this log's error; the dump is a refinement, not a second warning.
    }
  }
  return out;
}
