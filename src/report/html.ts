// A standalone HTML page (no scripts, no external assets) for sharing a report in a browser.
import type { Report } from '../evidence/types.js';
import { neutralize } from './sanitize.js';
import { placeAndWhose } from './whose.js';

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

export function renderHtml(report: Report): string {
  const body: string[] = [];
  if (report.findings?.length) {
    body.push('<h2>Findings</h2><ul>');
    for (const f of report.findings) {
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
  for (const inc of report.incidents) {
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
      const fix =
        c.verdict === 'ruled-out'
          ? ''
          : c.remediation.map((r) => `<p>${esc(r.summary)}</p>${pre(r.commands)}`).join('');
      const missing = c.missing.length ? `<p>To decide:</p>${pre(c.missing)}` : '';
      body.push(
        `<tr class="${c.verdict}"><td>${c.verdict}</td><td><code>${esc(c.id)}</code></td><td><p>${esc(c.summary)}</p><ul>${reasons}</ul>${ev ? pre([ev]) : ''}${missing}${fix}</td></tr>`,
      );
    }
    body.push('</table>');
    if (inc.notes.length)
      body.push(`<h3>Notes</h3><ul>${inc.notes.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`);
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
  if (report.warnings.length)
    body.push(`<h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>podmortem report</title>
<style>
body{font:14px system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ddd;padding:.4rem;vertical-align:top;text-align:left}
tr.confirmed td:first-child{color:#b00;font-weight:bold}tr.likely td:first-child{color:#b60}
tr.ruled-out,tr.unlikely{color:#777}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
</style></head><body><h1>podmortem report</h1>
${body.join('\n')}
</body></html>
`;
}
