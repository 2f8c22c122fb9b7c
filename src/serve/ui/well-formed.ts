// A pushed incident is checked only for what the store indexes (ingest.ts); its report fields come
// from whichever agent sent it, so the page renders a copy in which every list is a list and every
// text a string. An odd item then shows as odd text, never as a failed page.
import type { CauseAssessment, Evidence, Incident, SignatureHit } from '../../evidence/types.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

function evidence(v: unknown): Evidence[] {
  return list(v)
    .filter(isObject)
    .map((e) => ({
      source: text(e.source),
      ...(typeof e.line === 'number' ? { line: e.line } : {}),
      text: text(e.text),
      ...(e.of === 'crashed' || e.of === 'restarted' || e.of === 'node' ? { of: e.of } : {}),
    }));
}

function signature(s: Record<string, unknown>): SignatureHit {
  return {
    id: text(s.id),
    family: text(s.family),
    title: text(s.title),
    fields: (isObject(s.fields) ? s.fields : {}) as SignatureHit['fields'],
    evidence: evidence(s.evidence),
    count: typeof s.count === 'number' ? s.count : 0,
  };
}

function cause(c: Record<string, unknown>): CauseAssessment {
  return {
    id: text(c.id),
    verdict: text(c.verdict) as CauseAssessment['verdict'],
    summary: text(c.summary),
    reasons: list(c.reasons).map(text),
    evidence: evidence(c.evidence),
    missing: list(c.missing).map(text),
    remediation: list(c.remediation)
      .filter(isObject)
      .map((r) => ({ summary: text(r.summary), commands: list(r.commands).map(text) })),
    weight: typeof c.weight === 'number' ? c.weight : 0,
  };
}

export function wellFormed(inc: Incident): Incident {
  const tail = evidence(inc.tail);
  return {
    subject: isObject(inc.subject) ? inc.subject : {},
    signatures: list(inc.signatures).filter(isObject).map(signature),
    causes: list(inc.causes).filter(isObject).map(cause),
    notes: list(inc.notes).map(text),
    ...(tail.length ? { tail } : {}),
  };
}
