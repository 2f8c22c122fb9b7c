// What a transcript parser reads and what it produces. A transcript is command output pasted into a
// log, a ticket or a Markdown post; each parser module reads one kind of output and writes the facts
// it proves into a Sink, every fact with the transcript file and line it came from.
import type {
  CgroupLevel,
  Evidence,
  KernelLine,
  NodeFacts,
  PamLimitLine,
  ProcessFacts,
  Subject,
} from '../../evidence/types.js';

/** One line of the transcript: its 1-based number and its text, control characters removed. */
export interface TLine {
  n: number;
  text: string;
}

/** A command line found in the transcript (after a prompt, or a known command at the start of a line). */
export interface Command {
  /** The command as written, prompt removed. */
  text: string;
  /** Words of the first pipeline stage; for `kubectl exec ... -- cmd`, the inner command. */
  argv: string[];
  /** Later pipeline stages, e.g. [["grep", "calico"], ["wc", "-l"]]. */
  pipes: string[][];
  /** It ran inside the container (kubectl/docker/crictl exec, or a prompt naming a container id). */
  inContainer: boolean;
  /** The words before `--` of an exec, or the whole line otherwise (kubectl flags: -n, -c, pod name). */
  outer: string[];
  line: TLine;
}

/** Reads the output lines of one command (or of one self-describing block). */
export interface Reader {
  /** One output line; false when it is not this reader's (the block ends and the line is offered again). */
  line(l: TLine): boolean;
  /** A blank line does not end the block (a config file printed with cat has blank lines). */
  keepsBlank?: boolean;
  /** The block ended (next command, blank line, fence, end of input). */
  end?(): void;
}

export interface TranscriptParser {
  id: string;
  /** A reader for this command's output, when it is a command this parser reads. */
  forCommand?(cmd: Command, sink: Sink): Reader | undefined;
  /** A reader started by a line that says by itself what it is (a table header, "kernel.pid_max = 32768"); the line is consumed. */
  forLine?(l: TLine, sink: Sink): Reader | undefined;
}

/** A row of `kubectl get pod`. */
export interface PodRow {
  namespace?: string;
  pod: string;
  status: string;
  restarts: number;
  node?: string;
  evidence: Evidence;
}

/** Facts about the crashed container's subject, with the lines that show them. */
export interface SubjectFacts {
  value: Partial<Subject>;
  evidence: Evidence[];
}

/** Node facts a transcript can show: a NodeFacts without its root, limits and unreadable list. */
export type TranscriptNode = Partial<
  Pick<
    NodeFacts,
    | 'pidMax'
    | 'threadsMax'
    | 'tasks'
    | 'maxMapCount'
    | 'fileMax'
    | 'filesAllocated'
    | 'nrOpen'
    | 'inotifyMaxUserInstances'
    | 'inotifyMaxUserWatches'
  >
> & {
  pamLimits?: PamLimitLine[];
  kernelLines?: KernelLine[];
  cgroupChains?: CgroupLevel[];
};

export interface TranscriptFacts {
  /** The transcript file. */
  source: string;
  subject: SubjectFacts;
  process: ProcessFacts;
  node: TranscriptNode;
  /** Remarks about what was pasted that are not facts of the model (zombies, a login shell's ulimit). */
  notes: string[];
  /** Files printed with cat whose lines became facts, with those lines. */
  files: { path: string; lines: number[] }[];
  /** Which parsers read something, with the lines (for tests and the report's note). */
  seen: { parser: string; line: number }[];
  /** True when the file was longer than the transcript reader reads. */
  truncated: boolean;
}

/** Where parsers put what they read. */
export class Sink {
  readonly process: ProcessFacts = {};
  readonly node: TranscriptNode = {};
  readonly notes: string[] = [];
  readonly pods: PodRow[] = [];
  readonly seen: { parser: string; line: number }[] = [];
  /** Subject facts read from describe and inspect output (exit code, reason, restarts, identity). */
  readonly subject: Partial<Subject> = {};
  readonly subjectEvidence: Evidence[] = [];
  /** The pod a command names (`kubectl logs -p <pod>`, `kubectl describe pod <pod>`), to pick among rows. */
  named?: { namespace?: string; pod: string; container?: string };
  /** Files printed with cat whose lines became facts, with those lines (limits.conf pasted under its name). */
  readonly files = new Map<string, number[]>();
  private readonly chains = new Map<string, CgroupLevel>();

  constructor(readonly source: string) {}

  ev(l: TLine): Evidence {
    return { source: this.source, line: l.n, text: l.text.trim().slice(0, 512) };
  }

  saw(parser: string, l: TLine): void {
    if (this.seen.length < 1000) this.seen.push({ parser, line: l.n });
  }

  /** A subject fact; the first one read wins (a transcript shows the crash before later retries). */
  setSubject(parser: string, l: TLine, facts: Partial<Subject>): void {
    let added = false;
    for (const [k, v] of Object.entries(facts) as [keyof Subject, Subject[keyof Subject]][]) {
      if (v === undefined || this.subject[k] !== undefined) continue;
      (this.subject as Record<string, unknown>)[k] = v;
      added = true;
    }
    if (added) {
      this.subjectEvidence.push(this.ev(l));
      this.saw(parser, l);
    }
  }

  /** One value of a cgroup level; values of the same level (pids.max, pids.current) merge into one entry. */
  cgroup(
    parser: string,
    l: TLine,
    level: Omit<CgroupLevel, 'evidence' | 'max' | 'current' | 'events'>,
    value: Partial<Pick<CgroupLevel, 'max' | 'current' | 'events'>>,
  ): void {
    const key = `${level.controller}:${level.path}`;
    let entry = this.chains.get(key);
    if (!entry) {
      if (this.chains.size >= 200) return;
      entry = { ...level, evidence: [] };
      this.chains.set(key, entry);
    }
    Object.assign(entry, value);
    if (entry.evidence.length < 10) entry.evidence.push(this.ev(l));
    this.saw(parser, l);
  }

  cgroupChains(): CgroupLevel[] {
    return [...this.chains.values()];
  }

  note(text: string): void {
    if (!this.notes.includes(text) && this.notes.length < 20) this.notes.push(text);
  }
}
