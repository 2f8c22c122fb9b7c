// One incident in detail, after its answer: who crashed (facts with readable names), the causes
// still standing with their argument, evidence and fixes (evidence and fixes in visibly different
// blocks, fixes only for confirmed and likely causes), what would decide the open ones, the causes
// ruled out and why, the crash lines recognized, and notes.
import type { CauseAssessment, Evidence, Incident, Subject } from '../../evidence/types.js';
import { showsFix, subjectName } from '../answer.js';
import { placeAndWhose } from '../whose.js';
import { commandBlock } from './answer.js';
import { html, lines, type Html, type Part } from './escape.js';

const LABELS: Record<keyof Subject, string> = {
  namespace: 'Namespace',
  pod: 'Pod',
  container: 'Container',
  podUid: 'Pod UID',
  node: 'Node',
  restartCount: 'Restarts',
  exitCode: 'Exit code',
  reason: 'Reason',
  source: 'Read from',
  owner: 'Owner',
  finishedAt: 'Finished at',
};

/** "restartCount" → "Restart count" for a field this renderer has no label for. */
const humanize = (k: string): string =>
  k
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/^./, (c) => c.toUpperCase())
    .replace(/ ([A-Z])/g, (_, c: string) => ` ${c.toLowerCase()}`);

export function factsList(s: Subject, extra: [string, Part][] = []): Html {
  const rows = Object.entries(s).map(
    ([k, v]) =>
      html`<div>
        <dt>${LABELS[k as keyof Subject] ?? humanize(k)}</dt>
        <dd>${String(v)}</dd>
      </div>`,
  );
  return html`<dl class="facts">
    ${rows}${extra.map(
      ([k, v]) =>
        html`<div>
          <dt>${k}</dt>
          <dd>${v}</dd>
        </div>`,
    )}
  </dl>`;
}

/** Evidence lines as "place (whose): text", in a grey block labelled as evidence. */
export function evidenceBlock(evidence: readonly Evidence[], label = 'evidence'): Html {
  if (evidence.length === 0) return html``;
  return html`<div class="evidence">
    <p class="label">${label}</p>
    <pre>${lines(evidence.map((e) => `${placeAndWhose(e)}: ${e.text}`))}</pre>
  </div>`;
}

function causeCard(c: CauseAssessment): Html {
  const reasons = c.reasons.length
    ? html`<ul>
        ${c.reasons.map((r) => html`<li>${r}</li>`)}
      </ul>`
    : '';
  const decide = c.missing.length
    ? html`<div class="decide">
        <p class="label">to decide</p>
        ${c.missing.map((m) => commandBlock(m))}
      </div>`
    : '';
  const fixes = showsFix(c)
    ? c.remediation.map(
        (r) =>
          html`<div class="fix">
            <p class="label">fix</p>
            <p>${r.summary}</p>
            ${r.commands.length ? commandBlock(r.commands) : ''}
          </div>`,
      )
    : [];
  return html`<article class="cause c-${c.verdict}">
    <h3><span class="badge v-${c.verdict}">${c.verdict}</span> <code>${c.id}</code></h3>
    <p>${c.summary}</p>
    ${reasons}${evidenceBlock(c.evidence)}${decide}${fixes}
  </article>`;
}

export function incidentSection(
  inc: Incident,
  notes: readonly string[],
  o: { heading?: boolean } = {},
): Html {
  const standing = inc.causes.filter((c) => c.verdict !== 'ruled-out');
  const ruledOut = inc.causes.filter((c) => c.verdict === 'ruled-out');
  const sigs = inc.signatures.map(
    (sig) =>
      html`<div class="evidence">
        <p>
          <code>${sig.id}</code> ${sig.title}${
            Object.keys(sig.fields).length
              ? html` <span class="muted"
                  >(${Object.entries(sig.fields)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join(' ')})</span
                >`
              : ''
          }
        </p>
        <pre>${lines(sig.evidence.map((e) => `${placeAndWhose(e)}: ${e.text}`))}</pre>
      </div>`,
  );
  return html`<section class="incident">
    ${o.heading === false ? '' : html`<h2>${subjectName(inc)}</h2>`}${factsList(inc.subject)}
    <h3>Causes</h3>
    ${standing.length ? standing.map(causeCard) : html`<p class="muted">No cause is left standing.</p>`}
    ${
      ruledOut.length
        ? html`<details open class="ruled-out">
            <summary>Ruled out (${ruledOut.length})</summary>
            ${ruledOut.map(causeCard)}
          </details>`
        : ''
    }
    ${
      sigs.length
        ? html`<h3>Crash lines recognized</h3>
            ${sigs}`
        : ''
    }${
      inc.tail?.length
        ? html`<h3>Last lines printed</h3>
            ${evidenceBlock(inc.tail, 'log tail')}`
        : ''
    }${
      notes.length
        ? html`<h3>Notes</h3>
            <ul>
              ${notes.map((x) => html`<li>${x}</li>`)}
            </ul>`
        : ''
    }
  </section>`;
}
