// The report for people at a terminal: the answer first (and again last, so it is on screen after
// the run), then per crash the proof and the fix. Colours only when asked (a TTY), every
// log-derived string neutralized, long lines wrapped under their own indentation.
import pc from 'picocolors';
import type { CauseAssessment, Incident, Report, Verdict } from '../evidence/types.js';
import { neutralize as n } from './sanitize.js';
import { place } from '../evidence/place.js';
import { placeAndWhose } from './whose.js';
import {
  answersOf,
  commandLabel,
  repeatsAFinding,
  showsFix,
  verdictPhrase,
  type Answer,
  type Decision,
} from './answer.js';
import { defaultWidth, wrapLine } from './wrap.js';

export interface TextOptions {
  color: boolean;
  /** Columns to wrap at; the terminal's width by default, 100 when stdout is not a terminal. */
  width?: number;
}

export function renderText(report: Report, opts: TextOptions): string {
  const c = pc.createColors(opts.color);
  const verdictColor: Record<Verdict, (s: string) => string> = {
    confirmed: (s) => c.bold(c.red(s)),
    likely: (s) => c.yellow(s),
    possible: (s) => c.cyan(s),
    unlikely: (s) => c.dim(s),
    'ruled-out': (s) => c.dim(s),
  };
  const decisionColor: Record<Decision, (s: string) => string> = {
    confirmed: verdictColor.confirmed,
    likely: verdictColor.likely,
    undecided: verdictColor.possible,
    unexplained: (s) => s,
  };
  // The verdict line, then the first command on its own line (never wrapped, so it can be pasted).
  const said = (a: Answer, indent: string): string[] => [
    decisionColor[a.decision](n(`${verdictPhrase(a)} on ${a.subject}`)),
    ...(a.command
      ? a.command
          .split('\n')
          .map((l, i) => `${indent}${i === 0 ? `${c.cyan(`${commandLabel(a)}:`)} ` : '    '}${n(l)}`)
      : []),
  ];
  const answers = answersOf(report);
  const repeated = repeatsAFinding(report);
  const lines: string[] = [];
  if (report.incidents.length === 0) lines.push('No crash recognized.');
  if (answers.length === 1) {
    const a = answers[0]!;
    const [verdict, ...command] = said(a, '  ');
    lines.push(c.bold('Answer: ') + verdict);
    if (a.decision === 'confirmed' || a.decision === 'likely') lines.push(`  ${n(a.causes[0]!.summary)}`);
    lines.push(...command, '');
  } else if (answers.length > 1) {
    // One row per problem, confirmed first: the scan's answer before its details.
    lines.push(c.bold(`Answers (${answers.length}, confirmed first)`));
    for (const a of answers) {
      const [verdict, ...command] = said(a, '    ');
      lines.push(`  ${verdict}`, ...command);
    }
    lines.push('');
  }
  // Findings of scan/collect/bundles next: they answer "one cause or many?" before the details.
  // Replicas are already one answer row each.
  const findings = (report.findings ?? []).filter((f) => f.kind !== 'replicas');
  if (findings.length > 0) {
    lines.push(c.bold('Findings'));
    for (const f of findings) {
      lines.push(`  ${c.bold(f.kind.padEnd(16))} ${n(f.summary)}`);
      for (const b of f.blastRadius ?? []) lines.push(`      · ${n(b.pod)}: ${n(b.why)}`);
      for (const x of f.next) lines.push(`      ${c.cyan('next:')} ${n(x)}`);
    }
    lines.push('');
  }
  // The details in the answers' order, so the first crash described is the first answer's.
  const order = [...new Set([...answers.flatMap((a) => a.incidents), ...report.incidents.keys()])];
  for (const index of order) {
    const inc = report.incidents[index]!;
    lines.push(c.bold(`■ ${title(inc)}`));
    for (const s of inc.signatures) {
      const f = Object.entries(s.fields)
        .map(([k, v]) => `${k}=${n(String(v))}`)
        .join(' ');
      lines.push(
        `  ${c.bold(s.id)}  ${s.title}${f ? `  (${f})` : ''}${s.count > 1 ? c.dim(` ×${s.count}`) : ''}`,
      );
      const e = s.evidence[0];
      if (e) lines.push(c.dim(`    ${n(placeAndWhose(e))}  `) + n(e.text));
    }
    lines.push('');
    // The crash lines are printed once above; under each cause only the other evidence is repeated.
    const shown = new Set(inc.signatures.flatMap((x) => x.evidence.slice(0, 1)).map(place));
    for (const cause of inc.causes) lines.push(...renderCause(cause, verdictColor, c, shown));
    for (const note of inc.notes.filter((x) => !repeated(x, index)))
      lines.push(`  ${c.bold('note')}  ${n(note)}`);
    lines.push('');
  }
  // The limits table keeps its columns: a wrapped row would no longer line up.
  const table = new Set<string>();
  if (report.node && report.node.limits.length > 0) {
    lines.push(c.bold('Node limits'));
    const at = lines.length;
    lines.push(
      c.dim(
        `  ${'limit'.padEnd(22)} ${'scope'.padEnd(40)} ${'used'.padStart(10)} / ${'max'.padEnd(10)} ${'used%'.padStart(6)}  peak, hits, top consumer`,
      ),
    );
    for (const l of report.node.limits) {
      const pct = l.ratio === null ? '' : `${(l.ratio * 100).toFixed(1)}%`;
      const extra = [
        l.peak !== undefined && l.peak !== null ? `peak ${l.peak}` : '',
        l.events ? `${l.events} hit(s)` : '',
        l.topConsumers?.[0] ? `top: ${n(l.topConsumers[0].name)} (${l.topConsumers[0].used})` : '',
      ].filter(Boolean);
      const row = `  ${l.id.padEnd(22)} ${n(l.scope).padEnd(40)} ${String(l.used ?? '?').padStart(10)} / ${String(l.max ?? 'unlimited').padEnd(10)} ${pct.padStart(6)}${extra.length ? `  ${extra.join(', ')}` : ''}`;
      // A limit at 90% or more, or one the kernel says was hit, is what the reader came for.
      lines.push((l.ratio ?? 0) >= 0.9 || (l.events ?? 0) > 0 ? c.yellow(row) : row);
    }
    lines.slice(at).forEach((l) => table.add(l));
    lines.push('');
  }
  // A problem a finding already names (a refused API request) is said once, there.
  for (const w of report.warnings.filter((x) => !repeated(x))) lines.push(c.yellow(`warning: ${n(w)}`));
  if (answers[0]) {
    const [verdict, ...command] = said(answers[0], '  ');
    lines.push('', c.bold('Answer: ') + verdict, ...command);
  }
  const width = opts.width ?? defaultWidth();
  const text = lines.flatMap((l) => (table.has(l) ? [l] : l.split('\n').flatMap((x) => wrapLine(x, width))));
  return text.join('\n').replace(/\n+$/, '') + '\n';
}

function title(inc: Incident): string {
  const s = inc.subject;
  const who = [s.namespace, s.pod, s.container].filter(Boolean).join('/');
  const extra = [
    s.node ? `node ${s.node}` : '',
    s.restartCount !== undefined ? `${s.restartCount} restarts` : '',
    s.exitCode !== undefined ? `exit ${s.exitCode}` : '',
    s.reason ?? '',
  ].filter(Boolean);
  return n(`${who || s.source || 'input'}${extra.length ? ` (${extra.join(', ')})` : ''}`);
}

function renderCause(
  cause: CauseAssessment,
  verdictColor: Record<Verdict, (s: string) => string>,
  c: ReturnType<typeof pc.createColors>,
  shown: Set<string>,
): string[] {
  const out = [
    `  ${verdictColor[cause.verdict](cause.verdict.padEnd(10))} ${c.bold(cause.id)}  ${n(cause.summary)}`,
  ];
  for (const r of cause.reasons) out.push(`      · ${n(r)}`);
  for (const e of cause.evidence.filter((x) => !shown.has(place(x))))
    out.push(c.dim(`      ${n(placeAndWhose(e))}: `) + n(e.text));
  for (const m of cause.missing) out.push(`      ${c.cyan('to decide:')} ${n(m)}`);
  if (showsFix(cause)) {
    for (const r of cause.remediation) {
      out.push(`      ${c.green('fix:')} ${n(r.summary)}`);
      for (const cmd of r.commands) for (const l of cmd.split('\n')) out.push(`        $ ${n(l)}`);
    }
  }
  return out;
}
