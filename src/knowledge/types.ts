// The shape of the knowledge: every crash signature and every cause is one module of this shape,
// with its docs and its real cases beside its logic (ESLint's rule model).
import type {
  CauseAssessment,
  Evidence,
  Fields,
  Incident,
  NodeFacts,
  ProcessFacts,
  Remediation,
  SignatureHit,
  Subject,
  Verdict,
} from '../evidence/types.js';

/** A reference page: what it is, how to confirm it, how to fix it, and where that knowledge comes from. */
export interface Docs {
  what: string;
  confirm: string[];
  fix: string[];
  /** Public sources: owner/repo:path, URLs, issue threads. */
  sources: string[];
}

/** A cause that a signature raises, with a prior weight (0..1) used to rank causes of equal verdict. */
export interface Raise {
  cause: string;
  weight: number;
  /** Why this signature points at this cause, in one sentence. */
  why: string;
}

/** A real log excerpt and what the signature must extract from it. */
export interface SignatureCase {
  /** Where the excerpt was published (issue thread, page), or "podmortem lab" for lines produced here. */
  source: string;
  log: string[];
  /** Fields the hit must carry (subset match). */
  fields?: Fields;
}

export interface SignatureDef {
  id: string;
  family: string;
  title: string;
  /**
   * Literal substrings, case-sensitive, of which a line must contain at least one to be tested.
   * They feed the one prefilter pass over the raw bytes, so keep them specific and free of
   * characters that JSON escapes (<, >, &, quotes, backslash).
   */
  keywords: string[];
  /** Linear-time pattern (no nested quantifiers over overlapping classes); logs are untrusted. */
  pattern: RegExp;
  /** Fields extracted from a match. */
  fields?: (m: RegExpExecArray) => Fields;
  /** Candidate causes this crash points at; may depend on the fields (errno 11 vs 12 vs 1). */
  raises: (fields: Fields) => Raise[];
  /** Subject facts the line gives (exit code, reason, restart count). */
  subject?: (fields: Fields) => Partial<Subject>;
  /**
   * 'observed' when the line is a record of the fact (kubectl describe's Exit Code, Reason); by
   * default the fact is 'implied' (a Go crash implies exit 2). An observed fact beats an implied one
   * whatever the line order; among equals the first line wins.
   */
  subjectKind?: 'observed' | 'implied';
  docs: Docs;
  /** Real cases (invalid ones = lines that must NOT match). */
  cases: SignatureCase[];
  nonMatching?: string[];
}

/** What a cause's assessment can look at. */
export interface CauseContext {
  incident: Pick<Incident, 'subject' | 'signatures'>;
  /** The raises that put this cause on the list, from every signature of the incident. */
  raisedBy: { signature: SignatureHit; raise: Raise }[];
  process: ProcessFacts;
  node?: NodeFacts;
}

export interface CauseDef {
  id: string;
  title: string;
  docs: Docs;
  assess: (ctx: CauseContext) => Omit<CauseAssessment, 'id' | 'weight'>;
}

export type { CauseAssessment, Evidence, Fields, Remediation, Verdict };
