// Turns the lines the scanner hands over into signature hits. A line is tested only against the
// signatures that own a keyword it contains: the scanner lists its keywords in the pass over the
// bytes that found the line (or, when it cannot, they are found in one pass over the text), so a log
// where every line carries a common keyword (PostgreSQL's routine `FATAL:` auth failures) costs one
// pass and one or two patterns per line, not every signature's keywords (measured in bench/README.md). Hits of one
// signature are merged (first fields win, a few evidence lines kept, every occurrence counted) so a
// log that repeats a crash 10,000 times stays a small result.
import type { Fields, LogLine, SignatureHit, Subject } from '../evidence/types.js';
import type { SignatureDef } from '../knowledge/types.js';
import { KeywordIndex } from './keyword-index.js';

const MAX_EVIDENCE_PER_SIGNATURE = 5;

export class Recognizer {
  private readonly hits = new Map<string, SignatureHit>();
  /**
   * Last line recognized per signature. The scanner hands lines in order and only a huge line's
   * overlap can come twice, always right after itself, so this dedups exactly in O(signatures)
   * memory (a Set of every hit grew to ~900 MiB on a 100 MB all-goroutine log).
   */
  private readonly lastLine = new Map<string, { source: string; line: number }>();
  /** What each signature's first hit said of the container: a later part absorbed adds only new signatures' (absorb). */
  private readonly firstSubjects = new Map<string, Partial<Subject>>();
  private readonly observed: Partial<Subject> = {};
  private readonly implied: Partial<Subject> = {};
  firstTime?: string;
  lastTime?: string;

  private readonly index: KeywordIndex;

  constructor(private readonly signatures: readonly SignatureDef[]) {
    this.index = new KeywordIndex(signatures.map((s) => s.keywords));
  }

  /**
   * `keywords`: the signature keywords the line's text holds, when the caller already knows them (the
   * scanner finds them in the same pass that finds the line); otherwise the text is searched.
   */
  add(line: LogLine, keywords?: readonly string[]): void {
    const owners = keywords ? this.index.ownersOf(keywords) : this.index.ownersIn(line.text);
    for (let o = 0; o < owners.length; o++) {
      const sig = this.signatures[owners[o]!]!;
      const m = sig.pattern.exec(line.text);
      if (!m) continue;
      const last = this.lastLine.get(sig.id);
      if (last && last.line === line.line && last.source === line.source) continue; // a huge line's overlap, again
      this.lastLine.set(sig.id, { source: line.source, line: line.line });
      const fields: Fields = sig.fields ? sig.fields(m) : {};
      if (line.time) {
        this.firstTime ??= line.time;
        this.lastTime = line.time;
      }
      // Line 0 is a record whose place has no line number (a kernel line from the ring buffer, a tail read).
      const evidence = {
        source: line.source,
        ...(line.line > 0 ? { line: line.line } : {}),
        text: line.text,
      };
      const hit = this.hits.get(sig.id);
      if (!hit) {
        this.hits.set(sig.id, {
          id: sig.id,
          family: sig.family,
          title: sig.title,
          fields,
          evidence: [evidence],
          count: 1,
        });
        if (sig.subject) {
          const given = sig.subject(fields);
          this.firstSubjects.set(sig.id, given);
          const into = sig.subjectKind === 'observed' ? this.observed : this.implied;
          for (const [k, v] of Object.entries(given)) if (!(k in into)) Object.assign(into, { [k]: v });
        }
      } else {
        hit.count++;
        for (const [k, v] of Object.entries(fields)) if (!(k in hit.fields)) hit.fields[k] = v;
        if (hit.evidence.length < MAX_EVIDENCE_PER_SIGNATURE) hit.evidence.push(evidence);
      }
    }
  }

  /** What the lines say of the container: recorded facts over implied ones, first line first. */
  get subject(): Partial<Subject> {
    return { ...this.implied, ...this.observed };
  }

  result(): SignatureHit[] {
    return [...this.hits.values()];
  }

  /** Everything recognized so far, as plain data (a worker thread posts it; see absorb). */
  part(): RecognizedPart {
    return {
      hits: this.result(),
      firstSubjects: [...this.firstSubjects],
      ...(this.firstTime ? { firstTime: this.firstTime } : {}),
      ...(this.lastTime ? { lastTime: this.lastTime } : {}),
    };
  }

  /**
   * Takes in what another recognizer saw of the lines that follow every line this one saw (the next
   * range of a log scanned in parallel), as if this one had read them itself: the same hits, fields,
   * evidence, counts and subject, in the same order. The part's line numbers count from its own start:
   * `lineOffset` (the lines before that start) is added.
   */
  absorb(part: RecognizedPart, lineOffset: number): void {
    const firstSubjects = new Map(part.firstSubjects);
    for (const h of part.hits) {
      const evidence = h.evidence.map((e) =>
        e.line === undefined ? e : { ...e, line: e.line + lineOffset },
      );
      const hit = this.hits.get(h.id);
      if (!hit) {
        this.hits.set(h.id, { ...h, fields: { ...h.fields }, evidence });
        const sig = this.signatures.find((s) => s.id === h.id);
        const given = firstSubjects.get(h.id);
        if (sig && given) {
          this.firstSubjects.set(h.id, given);
          const into = sig.subjectKind === 'observed' ? this.observed : this.implied;
          for (const [k, v] of Object.entries(given)) if (!(k in into)) Object.assign(into, { [k]: v });
        }
      } else {
        hit.count += h.count;
        for (const [k, v] of Object.entries(h.fields)) if (!(k in hit.fields)) hit.fields[k] = v;
        for (const e of evidence) if (hit.evidence.length < MAX_EVIDENCE_PER_SIGNATURE) hit.evidence.push(e);
      }
    }
    if (part.firstTime) this.firstTime ??= part.firstTime;
    if (part.lastTime) this.lastTime = part.lastTime;
  }
}

/** What a Recognizer saw, as plain data that crosses a worker thread (structured clone). */
export interface RecognizedPart {
  hits: SignatureHit[];
  /** [signature id, what its first hit said of the container], in the order of first hits. */
  firstSubjects: [string, Partial<Subject>][];
  firstTime?: string;
  lastTime?: string;
}
