// GET /workloads/{namespace}/{workload}: one workload ("-" for any namespace): its exits per day by
// cause, the causes and the nodes they happened on, and its incidents.
import type { IncidentReader } from '../../store/types.js';
import { html } from '../../report/page/escape.js';
import { page } from './layout.js';
import { countsTable, historyBlock, pageQuery, windowLinks } from './summary.js';

export async function workloadPage(
  store: IncidentReader,
  role: string,
  namespace: string,
  workload: string,
  url: URL,
): Promise<string> {
  const ns = namespace === '-' ? undefined : namespace;
  const { q, range } = pageQuery(url, { workload, ...(ns ? { namespace: ns } : {}) });
  const segments = ['workloads', namespace, workload];
  const [causes, nodes, history] = await Promise.all([
    store.countBy(q, 'cause', 20),
    store.countBy(q, 'node', 20),
    historyBlock(store, q, segments, range),
  ]);
  const name = ns ? `${ns}/${workload}` : workload;
  const body = html`<h1>Workload ${name}</h1>
    ${windowLinks(segments, range)}
    <div class="grid2">
      <section>
        <h2>Causes</h2>
        ${countsTable(causes, 'cause')}
      </section>
      <section>
        <h2>Nodes</h2>
        ${countsTable(nodes, 'node')}
      </section>
    </div>
    ${history}`;
  return page({ title: `podmortem: workload ${name}`, role, body });
}
