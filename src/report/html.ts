// A standalone HTML page (no scripts, no external assets) for sharing a report in a browser.
import type { Report } from '../evidence/types.js';
import { neutralize } from './sanitize.js';
import { placeAndWhose } from './whose.js';
import {
  answerLine,
  answersOf,
  commandLabel,
  repeatsAFinding,
  showsFix,
  verdictPhrase,
  type Answer,
} from './answer.js';

const esc = (s: string): string =>
  neutralize(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** A <pre> block: each line escaped on its own, so the line breaks of commands survive. */
const pre = (lines: string[]): string =>
  `<pre>${lines
    .flatMap((l) => l.split('\n'))
    .map(esc)
    .join('\n')}</pre>`;

const STYLE = [
  'body{font:14px system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}',
  'pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}table{border-collapse:collapse;width:100%}',
  'td,th{border:1px solid #ddd;padding:.4rem;vertical-align:top;text-align:left}',
  'tr.confirmed td:first-child{color:#b00;font-weight:bold}tr.likely td:first-child{color:#b60}',
  'tr.ruled-out,tr.unlikely{color:#777}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}',
  '.answer{border:2px solid #333;padding:.5rem 1rem;margin-bottom:1rem}.answer .confirmed{color:#b00}',
].join('');

/** The answer first: the verdict, the cause, whose crash, the first command; one row per problem. */
function answerBlock(answers: Answer[]): string {
  const row = (a: Answer) =>
    `<p><b class="${a.decision}">${esc(verdictPhrase(a))}</b> on ${esc(a.subject)}</p>${a.command ? `<p>${esc(commandLabel(a))}:</p>${pre([a.command])}` : ''}`;
  if (answers.length === 0) return '';
  if (answers.length === 1) {
    const a = answers[0]!;
    const why =
      a.decision === 'confirmed' || a.decision === 'likely' ? `<p>${esc(a.causes[0]!.summary)}</p>` : '';
    return `<section class="answer">${row(a)}${why}</section>\n`;
  }
  return `<section class="answer"><h2>Answers, confirmed first</h2>${answers.map(row).join('')}</section>\n`;
}

export function renderHtml(report: Report): string {
  const body: string[] = [];
  const answers = answersOf(report);
  const rest = (report.findings ?? []).filter((f) => f.kind !== 'replicas');
  const repeated = repeatsAFinding(report);
  if (rest.length) {
    body.push('<h2>Findings</h2><ul>');
    for (const f of rest) {
      const sub = [
        ...(f.blastRadius ?? []).map((b) => `${b.pod}: ${b.why}`),
        ...f.next.map((x) => `next: ${x}`),
      ];
      body.push(
        `<li><b>${esc(f.kind)}</b>: ${esc(f.summary)}<ul>${sub.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></li>`,
      );
    }
    body.push('</ul>');
  }
  if (report.incidents.length === 0) body.push('<p>No crash was recognized in the input.</p>');
  const order = [...new Set([...answers.flatMap((a) => a.incidents), ...report.incidents.keys()])];
  for (const index of order) {
    const inc = report.incidents[index]!;
    const s = inc.subject;
    const name = [s.namespace, s.pod, s.container].filter(Boolean).join('/') || s.source || 'input';
    body.push(`<section><h2>${esc(name)}</h2>`);
    const facts = Object.entries(s).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(String(v))}</dd>`);
    body.push(`<dl>${facts.join('')}</dl><h3>Signatures</h3><ul>`);
    for (const sig of inc.signatures) {
      const ev = sig.evidence.map((e) => `${placeAndWhose(e)}: ${e.text}`).join('\n');
      body.push(`<li><code>${esc(sig.id)}</code> ${esc(sig.title)}${pre([ev])}</li>`);
    }
    body.push('</ul><h3>Causes</h3><table><tr><th>verdict</th><th>cause</th><th>why</th></tr>');
    for (const c of inc.causes) {
      const reasons = c.reasons.map((r) => `<li>${esc(r)}</li>`).join('');
      const ev = c.evidence.map((e) => `${placeAndWhose(e)}: ${e.text}`).join('\n');
      const fix = !showsFix(c)
        ? ''
        : c.remediation.map((r) => `<p>${esc(r.summary)}</p>${pre(r.commands)}`).join('');
      const missing = c.missing.length ? `<p>To decide:</p>${pre(c.missing)}` : '';
      body.push(
        `<tr class="${c.verdict}"><td>${c.verdict}</td><td><code>${esc(c.id)}</code></td><td><p>${esc(c.summary)}</p><ul>${reasons}</ul>${ev ? pre([ev]) : ''}${missing}${fix}</td></tr>`,
      );
    }
    body.push('</table>');
    const notes = inc.notes.filter((x) => !repeated(x, index));
    if (notes.length) body.push(`<h3>Notes</h3><ul>${notes.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`);
    body.push('</section>');
  }
  if (report.node?.limits.length) {
    body.push(
      '<h2>Node limits</h2><table><tr><th>limit</th><th>scope</th><th>used</th><th>max</th><th>%</th></tr>',
    );
    for (const l of report.node.limits) {
      body.push(
        `<tr><td>${esc(l.id)}</td><td>${esc(l.scope)}</td><td>${l.used ?? '?'}</td><td>${l.max ?? 'unlimited'}</td><td>${l.ratio === null ? '' : (l.ratio * 100).toFixed(1)}</td></tr>`,
      );
    }
    body.push('</table>');
  }
  // A problem a finding already names (a refused API request) is said once, there.
  const warnings = report.warnings.filter((w) => !repeated(w));
  if (warnings.length)
    body.push(`<h2>Warnings</h2><ul>${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);
  // The head stays on one line so the answer is within the page source's first lines too.
  const title = answers[0] ? `podmortem: ${answerLine(answers[0])}` : 'podmortem report';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body><h1>podmortem report</h1>
${answerBlock(answers)}${body.join('\n')}
</body></html>
`;
}
