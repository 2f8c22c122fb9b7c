// The diagnosis: signatures raise candidate causes, each cause's module weighs the evidence, and the
// candidates are ranked by verdict, then by how strongly the crash points at them. Small on purpose:
// the expertise lives in src/knowledge.
import {
  VERDICT_ORDER,
  type CauseAssessment,
  type Evidence,
  type Incident,
  type NodeFacts,
  type ProcessFacts,
  type SignatureHit,
} from '../evidence/types.js';
import { CAUSES, causeById } from '../knowledge/causes/index.js';
import { signatureById } from '../knowledge/signatures/index.js';
import type { CauseContext, Raise } from '../knowledge/types.js';

export interface DiagnosisInput {
  incident: Pick<Incident, 'subject' | 'signatures'>;
  process: ProcessFacts;
  node?: NodeFacts;
}

/**
 * Collects every cause the incident's signatures raise, with the signatures that raised it: the
 * signatures' own `raises`, then the causes' `raisedBy` declarations (a new cause declares what
 * raises it in its own folder).
 */
export function candidates(signatures: SignatureHit[]): Map<string, CauseContext['raisedBy']> {
  const out = new Map<string, CauseContext['raisedBy']>();
  for (const hit of signatures) {
    const def = signatureById(hit.id);
    const raises: Raise[] = def ? [...def.raises(hit.fields), ...declaredRaises(hit)] : [];
    for (const raise of raises) {
      const list = out.get(raise.cause) ?? [];
      list.push({ signature: hit, raise });
      out.set(raise.cause, list);
    }
  }
  return out;
}

/** The raises causes declare for this signature hit (CauseDef.raisedBy). */
function declaredRaises(hit: SignatureHit): Raise[] {
  return CAUSES.flatMap((c) =>
    (c.raisedBy ?? [])
      .filter((r) => r.signature === hit.id && (!r.when || r.when(hit.fields)))
      .map((r) => ({
        cause: c.id,
        weight: r.weight,
        why: r.why,
        ...(r.speculative ? { speculative: r.speculative } : {}),
      })),
  );
}

export function diagnose(input: DiagnosisInput): CauseAssessment[] {
  const out: CauseAssessment[] = [];
  for (const [id, raisedBy] of candidates(input.incident.signatures)) {
    const weight = Math.max(...raisedBy.map((r) => r.raise.weight));
    const def = causeById(id);
    if (!def) {
      // A signature names a cause nobody has written a module for yet: keep it open, say why it was raised.
      out.push({
        id,
        verdict: 'possible',
        summary: `Raised by ${raisedBy.map((r) => r.signature.id).join(', ')}; no checks are known for this cause yet.`,
        reasons: raisedBy.map((r) => r.raise.why),
        evidence: raisedBy.flatMap((r) => r.signature.evidence.slice(0, 1)),
        missing: [],
        remediation: [],
        weight,
      });
      continue;
    }
    const ctx: CauseContext = {
      incident: input.incident,
      raisedBy,
      process: input.process,
      ...(input.node ? { node: input.node } : {}),
    };
    const assessed = def.assess(ctx);
    assessed.evidence = uniqueEvidence(assessed.evidence);
    if (unsupported(raisedBy, assessed, input.incident.signatures)) continue;
    out.push({
      id,
      // A cause that explains every other candidate when confirmed ranks above the other confirmed ones.
      weight: assessed.verdict === 'confirmed' && def.dominatesWhenConfirmed ? weight + 1 : weight,
      ...assessed,
    });
  }
  return rank(out);
}

/**
 * A cause only speculatively raised (a mechanism the crash line allows but does not show, such as a
 * thread stack the node refused to commit) stays out of the report unless its assessment found
 * something: a verdict other than possible/unlikely, or evidence beyond the crash lines that raised
 * it (the node's overcommit mode, the process's map count). Otherwise every thread failure would
 * list every memory cause as "possible" on the strength of the errno alone.
 */
function unsupported(
  raisedBy: CauseContext['raisedBy'],
  assessed: Omit<CauseAssessment, 'id' | 'weight'>,
  signatures: SignatureHit[],
): boolean {
  if (!raisedBy.every((r) => r.raise.speculative)) return false;
  if (assessed.verdict !== 'possible' && assessed.verdict !== 'unlikely') return false;
  const crashLines = new Set(signatures.flatMap((s) => s.evidence.map(evidenceKey)));
  return assessed.evidence.every((e) => crashLines.has(evidenceKey(e)));
}

const evidenceKey = (e: Evidence): string => `${e.source}\u0000${e.line ?? ''}\u0000${e.text}`;

/**
 * The same line quoted twice (a crash line that raised several arguments) is shown once, saying whose
 * it is when any quote says (a kernel line is both crash output and the agent's line of the exit).
 */
function uniqueEvidence(evidence: Evidence[]): Evidence[] {
  const seen = new Map<string, Evidence>();
  const out: Evidence[] = [];
  for (const e of evidence) {
    const key = evidenceKey(e);
    const kept = seen.get(key);
    if (!kept) {
      const copy = { ...e };
      seen.set(key, copy);
      out.push(copy);
    } else if (kept.of === undefined && e.of !== undefined) kept.of = e.of;
  }
  return out;
}

export function rank(causes: CauseAssessment[]): CauseAssessment[] {
  return [...causes].sort(
    (a, b) =>
      VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict) ||
      b.weight - a.weight ||
      a.id.localeCompare(b.id),
  );
}
