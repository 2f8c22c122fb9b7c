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
import type { CauseId } from './causes/index.js';

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
  /** A registered cause id: a raise naming a cause nobody wrote fails to compile. */
  cause: CauseId;
  weight: number;
  /** Why this signature points at this cause, in one sentence. */
  why: string;
  /**
   * The line alone does not make this cause a candidate, only a mechanism that evidence must show
   * (a thread stack glibc could not map: the node's commit accounting, RLIMIT_AS, the map count).
   * The engine reports a cause raised only this way when its assessment decided something from
   * evidence of its own (confirmed, likely, ruled out, or figures beyond the crash lines).
   */
  speculative?: true;
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

/** Whose resource a cause is: the node's, a UID's (counted node-wide), a cgroup's, one process's, or none (a rule, not a count). */
export type CauseScope = 'node' | 'uid' | 'cgroup' | 'process' | 'none';

/**
 * A signature that points at this cause, declared by the cause itself: the engine merges these with
 * the signatures' own `raises`, so a new cause needs no edit to a signature module.
 */
export interface CauseRaise {
  /** The id of the signature whose hits raise this cause. */
  signature: string;
  /** Only when the hit's fields say so (e.g. errno 12); every hit of the signature when absent. */
  when?: (fields: Fields) => boolean;
  weight: number;
  why: string;
  /** See Raise.speculative. */
  speculative?: true;
}

/** What a cause's notes hook sees: its own assessment, every candidate of the incident, the node. */
export interface NotesContext {
  self: CauseAssessment;
  causes: CauseAssessment[];
  node: NodeFacts | undefined;
}

export interface CauseDef<Id extends string = string> {
  id: Id;
  title: string;
  docs: Docs;
  /** Whose resource it is; `node` and `uid` limits are shared by every container of the node, which correlation uses. */
  scope: CauseScope;
  /** Confirmed, it explains every other candidate (no PID numbers left: every fork fails whatever the other counters say). */
  dominatesWhenConfirmed?: boolean;
  /** The limit comes from the runtime daemon (LimitNPROC, LimitNOFILE, default-ulimits): the daemons' own rlimits are worth printing. */
  inheritedFromRuntime?: boolean;
  /** Signatures that raise this cause, beside those whose `raises` name it. */
  raisedBy?: CauseRaise[];
  /** Remarks that are not verdicts but change what an engineer does next (identical notes are printed once). */
  notes?: (ctx: NotesContext) => string[];
  assess: (ctx: CauseContext) => Omit<CauseAssessment, 'id' | 'weight'>;
}

/** A cause's module, with the literal id kept so the registry's ids are a type. */
export function defineCause<const Id extends string>(def: CauseDef<Id>): CauseDef<Id> {
  return def;
}

/**
 * A real crash of this cause, checked by the generic cause tester through the real Recognizer and
 * the real engine: the lines as printed, the facts shaped as the readers produce them, the verdict.
 */
export interface CauseCase {
  name: string;
  /** Where the lines were published (issue thread, page), or "podmortem lab" for lines produced here. */
  source: string;
  log: string[];
  subject?: Subject;
  process?: ProcessFacts;
  node?: NodeFacts;
  expect: {
    verdict: Verdict;
    /** This cause ranks first among the incident's candidates. */
    first?: boolean;
    /** Causes this one ranks above (when they are candidates at all). */
    above?: string[];
    /** Causes the lines must not raise at all. */
    notRaised?: string[];
    /** Patterns the summary or a reason must match. */
    said?: RegExp[];
    /** Patterns no summary or reason may match. */
    notSaid?: RegExp[];
    /** Texts some evidence line must contain. */
    evidence?: string[];
    /** Patterns some missing-evidence entry must match. */
    missing?: RegExp[];
  };
}

export type { CauseAssessment, Evidence, Fields, Remediation, Verdict };
