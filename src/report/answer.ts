// The answer an on-call engineer reads first: for each crash, the verdict, the cause, whose crash it
// was and the one command to run next. Every format opens with these rows; the text report also
// closes with the first one, so it is on screen after the run. Only the verdicts the analysis gave
// are used: a tie of "possible" causes is undecided, never "most likely", and its first command is
// the one that would decide it, not a fix nobody has confirmed.
import type { CauseAssessment, Incident, Report } from '../evidence/types.js';

/** confirmed/likely: the top cause has that verdict; undecided: only "possible" candidates are left. */
export type Decision = 'confirmed' | 'likely' | 'undecided' | 'unexplained';

const RANK: Record<Decision, number> = { confirmed: 0, likely: 1, undecided: 2, unexplained: 3 };

export interface Answer {
  decision: Decision;
  /** The cause (confirmed/likely), or every candidate still open (undecided). */
  causes: CauseAssessment[];
  /** "namespace/pod/container", the log's name, or what a replicas finding groups. */
  subject: string;
  /** The first command to run: a fix for confirmed/likely, what would decide it for undecided. */
  command?: string;
  commandKind?: 'fix' | 'decide';
  /** Indexes into Report.incidents this answer stands for (several for replicas). */
  incidents: number[];
  finishedAt?: string;
}

/** Only confirmed and likely causes get their fixes printed; the others print what would decide them. */
export function showsFix(c: CauseAssessment): boolean {
  return c.verdict === 'confirmed' || c.verdict === 'likely';
}

export function subjectName(inc: Incident): string {
  const s = inc.subject;
  return [s.namespace, s.pod, s.container].filter(Boolean).join('/') || s.source || 'input';
}

/** The first command of the cause's fixes that is a command, not a comment of a config snippet. */
function firstFix(c: CauseAssessment): string | undefined {
  return c.remediation.flatMap((r) => r.commands).find((cmd) => !cmd.trimStart().startsWith('#'));
}

export function answerOf(inc: Incident, index: number): Answer {
  const base = {
    subject: subjectName(inc),
    incidents: [index],
    ...(inc.subject.finishedAt ? { finishedAt: inc.subject.finishedAt } : {}),
  };
  const top = inc.causes[0];
  if (top && showsFix(top)) {
    const command = firstFix(top);
    return {
      ...base,
      decision: top.verdict as 'confirmed' | 'likely',
      causes: [top],
      ...(command ? { command, commandKind: 'fix' as const } : {}),
    };
  }
  const open = inc.causes.filter((c) => c.verdict === 'possible');
  if (open.length === 0) return { ...base, decision: 'unexplained', causes: [] };
  const command = open.flatMap((c) => c.missing)[0];
  return {
    ...base,
    decision: 'undecided',
    causes: open,
    ...(command ? { command, commandKind: 'decide' as const } : {}),
  };
}

/**
 * One answer per problem: replicas that crashed the same way are one row. Sorted by verdict, then by
 * time (the earliest crash first: on one node or one service it is the likeliest root), then by name,
 * so identical input gives identical rows whatever order the scan finished in.
 */
export function answersOf(report: Report): Answer[] {
  const rows: Answer[] = [];
  const grouped = new Set<number>();
  for (const f of report.findings ?? []) {
    if (f.kind !== 'replicas' || f.incidents.length < 2) continue;
    const members = f.incidents.filter((i) => !grouped.has(i) && report.incidents[i]);
    if (members.length === 0) continue;
    members.forEach((i) => grouped.add(i));
    const each = members.map((i) => answerOf(report.incidents[i]!, i)).sort(byRank);
    const first = each[0]!;
    const owner = report.incidents[members[0]!]!.subject.owner;
    const container = report.incidents[members[0]!]!.subject.container;
    rows.push({
      ...first,
      subject: `${owner ?? first.subject}${container ? ` (container ${container})` : ''}, ${members.length} replicas`,
      incidents: members,
    });
  }
  report.incidents.forEach((inc, i) => {
    if (!grouped.has(i)) rows.push(answerOf(inc, i));
  });
  return rows.sort(byRank);
}

function byRank(a: Answer, b: Answer): number {
  const t = (x: Answer) => {
    const ms = Date.parse(x.finishedAt ?? '');
    return Number.isFinite(ms) ? ms : Number.MAX_SAFE_INTEGER;
  };
  return (
    RANK[a.decision] - RANK[b.decision] ||
    t(a) - t(b) ||
    (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0)
  );
}

/** "confirmed kernel.pid_max", "undecided between a, b (possible)", "no cause recognized". */
export function verdictPhrase(a: Answer): string {
  switch (a.decision) {
    case 'confirmed':
    case 'likely':
      return `${a.decision} ${a.causes[0]!.id}`;
    case 'undecided':
      return a.causes.length === 1
        ? `undecided: ${a.causes[0]!.id} is possible`
        : `undecided between ${a.causes.map((c) => c.id).join(', ')} (each possible)`;
    case 'unexplained':
      return 'no cause recognized';
  }
}

/** "run first" for a fix, "to decide, run" for an undecided answer. */
export function commandLabel(a: Answer): string {
  return a.commandKind === 'decide' ? 'to decide, run' : 'run first';
}

/** A command as one line: a multi-line snippet shows its first line and an ellipsis. */
export function oneLine(cmd: string): string {
  const [first, ...rest] = cmd.split('\n');
  return rest.length > 0 ? `${first} …` : first!;
}

/** The whole answer in one line: verdict and cause, subject, first command. */
export function answerLine(a: Answer): string {
  return `${verdictPhrase(a)} on ${a.subject}${a.command ? `; ${commandLabel(a)}: ${oneLine(a.command)}` : ''}`;
}

/** "RBAC forbids get pods/log in namespace "shop"": a refusal's rule, without the object it hit. */
const ruleOf = (text: string): string => text.replace(/^Missing evidence: /, '').split(': ')[0]!;

/**
 * Whether a warning or an incident's note only repeats what a finding already says: a refused API
 * request is a finding, a warning and a note of each incident it hit, and the finding names every
 * object the same rule refused. Each problem is printed once, in the finding.
 */
export function repeatsAFinding(report: Report): (text: string, incident?: number) => boolean {
  const said = (report.findings ?? []).filter((f) => f.kind !== 'replicas');
  const refusals = said.filter((f) => f.kind === 'missing-evidence');
  return (text, incident) =>
    said.some((f) => f.summary.includes(text)) ||
    refusals.some(
      (f) => ruleOf(f.summary) === ruleOf(text) && (incident === undefined || f.incidents.includes(incident)),
    );
}
