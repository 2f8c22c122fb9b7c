// What the node and workload pages share: a time window chosen by links (7, 30 or 90 days), the
// exits per day chart over it, a table of counts (by cause, node or workload) and the recent
// incidents with an "older" link.
import { statsWindow } from '../../store/stats.js';
import type { CountKey, IncidentQuery, IncidentReader, KeyCount } from '../../store/types.js';
import { href, html, type Html } from '../../report/page/escape.js';
import { dayChart } from './chart.js';
import { filtersOf, queryOf } from './filters.js';
import { when } from './layout.js';
import { incidentTable, workloadHref } from './table.js';

const WINDOWS = ['7d', '30d', '90d'] as const;

/** The page's filters (only range, since, until and cursor are read from its URL) and their window. */
export function pageQuery(url: URL, fixed: IncidentQuery): { q: IncidentQuery; range: string } {
  const f = filtersOf(url);
  const range = f.range ?? (f.since ? '' : '30d');
  const q = { ...queryOf({ since: f.since, until: f.until, range, cursor: f.cursor }), ...fixed };
  return { q, range };
}

export function windowLinks(segments: string[], range: string): Html {
  return html`<p class="muted">
    Window:
    ${WINDOWS.map((w, i) => html`${i ? ' · ' : ''}${w === range ? html`<b>last ${w}</b>` : html`<a href="${href(segments, { range: w })}">last ${w}</a>`}`)}
  </p>`;
}

export function countsTable(rows: readonly KeyCount[], key: CountKey, o: { namespace?: string } = {}): Html {
  if (rows.length === 0) return html`<p class="muted">None in this window.</p>`;
  const cell = (k: string): Html => {
    if (key === 'node') return html`<a href="${href(['nodes', k])}">${k}</a>`;
    if (key === 'workload') return html`<a href="${workloadHref(o.namespace, k)}">${k}</a>`;
    if (key === 'cause')
      return k ? html`<code>${k}</code>` : html`<span class="muted">none recognized</span>`;
    return html`${k}`;
  };
  return html`<table>
    <thead>
      <tr>
        <th>${key}</th>
        <th class="num">exits</th>
        <th>latest</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) =>
          html`<tr>
            <td>${cell(r.key)}</td>
            <td class="num">${r.count}</td>
            <td>${when(r.last)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The chart and the latest incidents of `q` (its cursor pages the incidents only). */
export async function historyBlock(
  store: IncidentReader,
  q: IncidentQuery,
  segments: string[],
  range: string,
): Promise<Html> {
  const { cursor: _c, ...filters } = q;
  const [counts, list] = await Promise.all([store.countsByDay(filters), store.query({ ...q, limit: 50 })]);
  const older = list.next
    ? html`<p class="pager"><a href="${href(segments, { range, cursor: list.next })}">older incidents</a></p>`
    : '';
  return html`<h2>Exits per day, by cause</h2>
    ${dayChart(counts, statsWindow(filters))}
    <h2>Incidents</h2>
    ${incidentTable(list.items)}${older}`;
}
