// GET /nodes/{node}: one node. Every limit's headroom from its latest reading (the data of
// /api/v1/nodes/{node}/limits: used, max, headroom, peak, hits, top consumers), then its exits per
// day by cause, the workloads that crashed there, and its incidents.
import type { IncidentReader } from '../../store/types.js';
import { html } from '../../report/page/escape.js';
import { limitsTable } from '../../report/page/limits.js';
import { page, when } from './layout.js';
import { countsTable, historyBlock, pageQuery, windowLinks } from './summary.js';

export async function nodePage(store: IncidentReader, role: string, node: string, url: URL): Promise<string> {
  const { q, range } = pageQuery(url, { node });
  const segments = ['nodes', node];
  const [readings, workloads, history] = await Promise.all([
    store.limits(node, 1),
    store.countBy(q, 'workload', 20),
    historyBlock(store, q, segments, range),
  ]);
  const reading = readings[0];
  const limits = reading
    ? html`<p class="muted">Read ${when(reading.recordedAt)}; closest to its limit first.</p>
        ${limitsTable(reading.limits, { allConsumers: true })}`
    : html`<p class="muted">
        No limit reading was recorded for this node
        here${role === 'server' ? ' (an agent started with --server pushes its node’s readings every minute they change; none has arrived from this node)' : ''}.
      </p>`;
  const body = html`<h1>Node ${node}</h1>
    ${windowLinks(segments, range)}
    <h2>Limits and headroom</h2>
    ${limits}
    <h2>Workloads that crashed here</h2>
    ${countsTable(workloads, 'workload')} ${history}`;
  return page({ title: `podmortem: node ${node}`, role, body });
}
