// GET /incidents/{id}: one incident, in the standalone report's design: the answer first (verdict,
// cause, whose crash, the command to run first), with where and when it was recorded and links to
// its node's and workload's pages, then the causes with evidence and fixes, the ruled-out ones, the
// crash lines. The JSON item stays at /api/v1/incidents/{id}.
import { answerLine, answersOf } from '../../report/answer.js';
import { reportBody } from '../../report/page/report.js';
import { href, html } from '../../report/page/escape.js';
import type { Report } from '../../evidence/types.js';
import type { IncidentItem } from '../../store/types.js';
import { workloadOf } from '../../store/workload.js';
import { wellFormed } from './well-formed.js';
import { page, when } from './layout.js';
import { workloadHref } from './table.js';

export function incidentPage(item: IncidentItem, role: string): string {
  const { id, node, cluster, recordedAt, ...incident } = item;
  const report: Report = { schemaVersion: 1, incidents: [wellFormed(incident)], warnings: [] };
  const s = incident.subject;
  const workload = workloadOf(s);
  const where = html`<p class="where">
    <span>node <a href="${href(['nodes', node])}">${node}</a></span
    ><span>cluster ${cluster}</span
    >${workload ? html`<span>workload <a href="${workloadHref(s.namespace, workload)}">${workload}</a></span>` : ''}${s.finishedAt ? html`<span>exited ${when(s.finishedAt)}</span>` : ''}<span
      >recorded ${when(recordedAt)}</span
    ><a href="${href(['api', 'v1', 'incidents', id])}">JSON</a>
  </p>`;
  const answer = answersOf(report)[0];
  return page({
    title: answer ? `podmortem: ${answerLine(answer)}` : `podmortem: incident ${id}`,
    role,
    body: reportBody(report, { where }),
  });
}
