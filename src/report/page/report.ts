// The body of a report page, shared by the standalone `--format html` report and the web UI's
// incident page: the answers first, then findings, each incident in detail, the node's limits and
// the warnings. Only the frame around it differs (report/html.ts, serve/ui/layout.ts).
import type { Report } from '../../evidence/types.js';
import { answersOf, repeatsAFinding } from '../answer.js';
import { answersBlock } from './answer.js';
import { html, type Html, type Part } from './escape.js';
import { incidentSection } from './incident.js';
import { limitsTable } from './limits.js';

export interface BodyOptions {
  /** Under the (single) answer's subject: where and when it was recorded (the UI's links). */
  where?: Part;
}

export function reportBody(report: Report, o: BodyOptions = {}): Html {
  const answers = answersOf(report);
  const repeated = repeatsAFinding(report);
  const findings = (report.findings ?? []).filter((f) => f.kind !== 'replicas');
  const findingsBlock = findings.length
    ? html`<h2>Findings</h2>
        <ul>
          ${findings.map((f) => {
            const sub = [
              ...(f.blastRadius ?? []).map((b) => `${b.pod}: ${b.why}`),
              ...f.next.map((x) => `next: ${x}`),
            ];
            return html`<li>
              <b>${f.kind}</b>: ${f.summary}
              <ul>
                ${sub.map((x) => html`<li>${x}</li>`)}
              </ul>
            </li>`;
          })}
        </ul>`
    : '';
  const order = [...new Set([...answers.flatMap((a) => a.incidents), ...report.incidents.keys()])];
  const incidents = order.map((index) =>
    incidentSection(
      report.incidents[index]!,
      report.incidents[index]!.notes.filter((x) => !repeated(x, index)),
    ),
  );
  // A problem a finding already names (a refused API request) is said once, there.
  const warnings = report.warnings.filter((w) => !repeated(w));
  return html`${answersBlock(answers, o.where)}
  ${findingsBlock}${report.incidents.length === 0 ? html`<p>No crash was recognized in the input.</p>` : ''}
  ${incidents}
  ${
    report.node?.limits.length
      ? html`<h2>Node limits</h2>
          ${limitsTable(report.node.limits)}`
      : ''
  }${
    warnings.length
      ? html`<h2>Warnings</h2>
          <ul class="warnings">
            ${warnings.map((w) => html`<li>${w}</li>`)}
          </ul>`
      : ''
  }`;
}
