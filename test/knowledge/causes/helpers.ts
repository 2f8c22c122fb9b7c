// Test helpers for the cause modules: signature hits come from the real Recognizer run over real
// log lines (each with its public source in the test), the candidate list from the real engine,
// and node/process facts are plain data shaped like what the host reader produces.
import { readFileSync } from 'node:fs';
import type {
  CauseAssessment,
  CgroupLevel,
  Evidence,
  Fact,
  Instance,
  Usage,
  NodeFacts,
  ProcessFacts,
  SignatureHit,
  Subject,
} from '../../../src/evidence/types.js';
import { candidates, diagnose } from '../../../src/diagnose/engine.js';
import { Recognizer } from '../../../src/diagnose/recognize.js';
import { causeById } from '../../../src/knowledge/causes/index.js';
import { SIGNATURES } from '../../../src/knowledge/signatures/index.js';
import type { CauseContext, Raise, SignatureDef } from '../../../src/knowledge/types.js';

export const SEED_LOG = [
  'runtime: failed to create new OS thread (have 41 already; errno=11)',
  'runtime: may need to increase max user processes (ulimit -u)',
  'fatal error: newosproc',
];

/** Runs the real Recognizer over lines, as the scanner would hand them over. */
export function recognize(
  lines: string[],
  source = 'crash.log',
  signatures: readonly SignatureDef[] = SIGNATURES,
): SignatureHit[] {
  const rec = new Recognizer(signatures);
  lines.forEach((text, i) => rec.add({ source, line: i + 1, text, format: 'plain', truncated: false }));
  return rec.result();
}

export interface Case {
  lines?: string[];
  /** Hits built as data, for lines whose signature module is not registered (each quotes a real line). */
  hits?: SignatureHit[];
  /** Extra raises for this cause, when no registered signature raises it from these lines. */
  raise?: Raise;
  subject?: Subject;
  process?: ProcessFacts;
  node?: NodeFacts;
}

/** The assessment of one cause, through the engine's own candidate collection. */
export function assess(causeId: string, c: Case): CauseAssessment {
  const signatures = [...recognize(c.lines ?? []), ...(c.hits ?? [])];
  const raisedBy = candidates(signatures).get(causeId) ?? [];
  if (c.raise) {
    const on = signatures[0] ?? dataHit('test.raise', 'raised by the test', {});
    raisedBy.push({ signature: on, raise: c.raise });
  }
  if (raisedBy.length === 0) throw new Error(`no signature raises ${causeId} for this case`);
  const def = causeById(causeId);
  if (!def) throw new Error(`no cause module ${causeId}`);
  const ctx: CauseContext = {
    incident: { subject: c.subject ?? {}, signatures },
    raisedBy,
    process: c.process ?? {},
    ...(c.node ? { node: c.node } : {}),
  };
  return { id: causeId, weight: 0, ...def.assess(ctx) };
}

/** The whole diagnosis of a case, ranked, through the real engine. */
export function diagnoseCase(c: Case): CauseAssessment[] {
  const signatures = [...recognize(c.lines ?? []), ...(c.hits ?? [])];
  return diagnose({
    incident: { subject: c.subject ?? {}, signatures },
    process: c.process ?? {},
    ...(c.node ? { node: c.node } : {}),
  });
}

export function dataHit(
  id: string,
  text: string,
  fields: SignatureHit['fields'],
  source = 'crash.log',
  line = 1,
): SignatureHit {
  return { id, family: id.split('.')[0]!, title: id, fields, evidence: [{ source, line, text }], count: 1 };
}

export function fact<T>(value: T, source: string, text = String(value), line?: number): Fact<T> {
  return { value, evidence: { source, text, ...(line !== undefined ? { line } : {}) } };
}

/** A usage count with the instance it describes (crashed, restarted, or the node now). */
export function usage(
  of: Instance,
  value: number,
  source: string,
  text = String(value),
  line?: number,
): Usage {
  return { of, ...fact(value, source, text, line) };
}

export function node(partial: Partial<NodeFacts> = {}): NodeFacts {
  return { root: '/snapshot', limits: [], unreadable: [], ...partial };
}

/** A pids level as the host reader builds it from real cgroup v1 files. */
export function pidsLevel(
  level: string,
  path: string,
  files: { max: number | null; current?: number; peak?: number; events?: number; eventsLocal?: number },
): CgroupLevel {
  const dir = `/sys/fs/cgroup/pids${path}`;
  const evidence: Evidence[] = [
    { source: `${dir}/pids.max`, text: files.max === null ? 'max' : String(files.max) },
  ];
  if (files.current !== undefined)
    evidence.push({ source: `${dir}/pids.current`, text: String(files.current) });
  if (files.events !== undefined)
    evidence.push({ source: `${dir}/pids.events`, text: `max ${files.events}` });
  return {
    path,
    level,
    controller: 'pids',
    max: files.max,
    ...(files.current !== undefined ? { current: files.current } : {}),
    ...(files.peak !== undefined ? { peak: files.peak } : {}),
    ...(files.events !== undefined ? { events: files.events } : {}),
    ...(files.eventsLocal !== undefined ? { eventsLocal: files.eventsLocal } : {}),
    evidence,
  };
}

/** A real number from this machine's /proc, with its evidence. */
export function procNumber(
  path: string,
  pick: (text: string) => string = (t) => t.trim().split(/\s+/)[0]!,
): Fact<number> {
  const text = readFileSync(path, 'utf8').trim();
  return fact(Number(pick(text)), path, text, 1);
}

/** Every reason joined, for assertions on the argument's words. */
export function said(a: CauseAssessment): string {
  return [a.summary, ...a.reasons].join('\n');
}

export function hasSourcedEvidence(a: CauseAssessment): boolean {
  return a.evidence.length > 0 && a.evidence.every((e) => e.source.length > 0 && e.text.length > 0);
}
