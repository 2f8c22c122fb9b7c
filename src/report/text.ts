// The report for people at a terminal: verdict first, proof under it, fix last. Colours only when
// asked (a TTY), every log-derived string neutralized.
import pc from 'picocolors';
import type { CauseAssessment, Incident, Report, Verdict } from '../evidence/types.js';
import { neutralize as n } from './sanitize.js';
import { place } from '../evidence/place.js';
import { placeAndWhose } from './whose.js';

export interface TextOptions {
  color: boolean;
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
  const lines: string[] = [];
  if (report.incidents.length === 0) lines.push('No crash recognized.');
  // Findings of scan/collect/bundles first: they answer "one cause or many?" before the details.
  if (report.findings && report.findings.length > 0) {
    lines.push(c.bold('Findings'));
    for (const f of report.findings) {
      lines.push(`  ${c.bold(f.kind.padEnd(16))} ${n(f.summary)}`);
      for (const b of f.blastRadius ?? []) lines.push(`      · ${n(b.pod)}: ${n(b.why)}`);
      for (const x of f.next) lines.push(`      ${c.cyan('next:')} ${n(x)}`);
    }
    lines.push('');
  }
  for (const inc of report.incidents) {
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
    for (const note of inc.notes) lines.push(`  ${c.bold('note')}  ${n(note)}`);
    lines.push('');
  }
  if (report.node && report.node.limits.length > 0) {
    lines.push(c.bold('Node limits'));
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
    lines.push('');
  }
  for (const w of report.warnings) lines.push(c.yellow(`warning: ${n(w)}`));
  return lines.join('\n').replace(/\n+$/, '') + '\n';
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
  if (cause.verdict !== 'ruled-out' && cause.verdict !== 'unlikely') {
    for (const r of cause.remediation) {
      out.push(`      ${c.green('fix:')} ${n(r.summary)}`);
      for (const cmd of r.commands) for (const l of cmd.split('\n')) out.push(`        $ ${n(l)}`);
    }
  }
  return out;
}
