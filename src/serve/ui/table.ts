// Incidents as table rows, shared by the list, node and workload pages: when it exited, where, the
// pod (linked to its incident page by its pod name, as the contract says), the workload and node
// (linked to their pages), and the top cause with its verdict.
import { workloadOf } from '../../store/workload.js';
import type { IncidentItem } from '../../store/types.js';
import { href, html, type Html } from '../../report/page/escape.js';
import { when } from './layout.js';

/** The workload page of an item: /workloads/{namespace}/{workload} ("-" for no namespace). */
export function workloadHref(namespace: string | undefined, workload: string): Html {
  return href(['workloads', namespace || '-', workload]);
}

export function incidentTable(items: readonly IncidentItem[], o: { cluster?: boolean } = {}): Html {
  if (items.length === 0) return html`<p class="muted">No incident matches.</p>`;
  const rows = items.map((i) => {
    const s = i.subject;
    const top = i.causes[0];
    const workload = workloadOf(s);
    return html`<tr>
      <td class="t">${when(s.finishedAt ?? i.recordedAt).replace(' UTC', '')}</td>
      ${o.cluster ? html`<td>${i.cluster}</td>` : ''}
      <td><a href="${href(['nodes', i.node])}">${i.node}</a></td>
      <td>${s.namespace ?? ''}</td>
      <td>${workload ? html`<a href="${workloadHref(s.namespace, workload)}">${workload}</a>` : ''}</td>
      <td><a href="${href(['incidents', i.id])}">${s.pod ?? i.id}</a></td>
      <td>${s.container ?? ''}</td>
      <td>${top ? html`<span class="badge v-${top.verdict}">${top.verdict}</span>` : ''}</td>
      <td>${top ? html`<code>${top.id}</code>` : html`<span class="muted">none recognized</span>`}</td>
    </tr>`;
  });
  return html`<table class="incidents">
    <thead>
      <tr>
        <th class="w-time">exited (UTC)</th>
        ${o.cluster ? html`<th class="w-cluster">cluster</th>` : ''}
        <th class="w-node">node</th>
        <th class="w-ns">namespace</th>
        <th class="w-wl">workload</th>
        <th>pod</th>
        <th class="w-ctr">container</th>
        <th class="w-verdict">verdict</th>
        <th class="w-cause">cause</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}
