// Test helpers for the cause modules: signature hits come from the real Recognizer run over real
// log lines (each with its public source in the test), the candidate list from the real engine,
// and node/process facts are plain data shaped like what the host reader produces.
import { readFileSync } from 'node:fs';
import type {
  CauseAssessment,
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
import { fact, nodeFacts } from '../../../src/knowledge/causes/shared/case-facts.js';

export { fact, pidsLevel, SEED_LOG } from '../../../src/knowledge/causes/shared/case-facts.js';
import type { CauseContext, Raise, SignatureDef } from '../../../src/knowledge/types.js';

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
  /** A raise on top of what the lines raise (the lab's checks of facts read from this machine). */
  raise?: { cause: string; weight: number; why: string };
  subject?: Subject;
  process?: ProcessFacts;
  node?: NodeFacts;
}

/** The assessment of one cause, through the engine's own candidate collection. */
export function assess(causeId: string, c: Case): CauseAssessment {
  const signatures = recognize(c.lines ?? []);
  const raisedBy = candidates(signatures).get(causeId) ?? [];
  if (c.raise) {
    const on = signatures[0] ?? dataHit('test.raise', 'raised by the test', {});
    raisedBy.push({ signature: on, raise: c.raise as Raise });
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
  const signatures = recognize(c.lines ?? []);
  return diagnose({
    incident: { subject: c.subject ?? {}, signatures },
    process: c.process ?? {},
    ...(c.node ? { node: c.node } : {}),
  });
}

function dataHit(
  id: string,
  text: string,
  fields: SignatureHit['fields'],
  source = 'crash.log',
  line = 1,
): SignatureHit {
  return { id, family: id.split('.')[0]!, title: id, fields, evidence: [{ source, line, text }], count: 1 };
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

export const node = nodeFacts;

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
