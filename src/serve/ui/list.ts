// GET /: the incident list. The filters form first, then the exits per day by cause over the
// filtered window (a chart drawn on the server), then the incidents, newest first, 50 a page with an
// "older" link that keeps the filters.
import type { IncidentReader } from '../../store/types.js';
import { statsWindow } from '../../store/stats.js';
import { href, html } from '../../report/page/escape.js';
import { dayChart } from './chart.js';
import { filterForm, filtersOf, queryOf } from './filters.js';
import { page, scopeOf, when } from './layout.js';
import { incidentTable } from './table.js';

const PAGE = 50;

export async function listPage(store: IncidentReader, role: string, url: URL): Promise<string> {
  const f = filtersOf(url);
  const q = queryOf(f);
  const { cursor: _cursor, ...filters } = q;
  const window = statsWindow(filters);
  const [list, counts] = await Promise.all([store.query({ ...q, limit: PAGE }), store.countsByDay(filters)]);
  const older = list.next
    ? html`<p class="pager"><a href="${href([''], { ...f, cursor: list.next })}">older incidents</a></p>`
    : '';
  const span = `${when(new Date(window.from).toISOString())} to ${when(new Date(window.to).toISOString())}`;
  const body = html`<h1>Container exits diagnosed ${scopeOf(role)}</h1>
    ${filterForm(f)}
    <h2>Exits per day, by cause</h2>
    <p class="muted">${span}${f.since || f.range ? '' : ' (the last 30 days; choose a time to change it)'}</p>
    ${dayChart(counts, window)}
    <h2>Incidents</h2>
    <p class="muted">${list.items.length} shown, newest first${f.cursor ? ' (older page)' : ''}.</p>
    ${incidentTable(list.items, { cluster: role === 'server' })}${older}`;
  return page({ title: `podmortem: container exits ${scopeOf(role)}`, role, body });
}
