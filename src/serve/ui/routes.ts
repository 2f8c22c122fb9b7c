// The web UI's paths, served alike by the agent (its node's history) and the server (the fleet's):
// / (the incident list), /incidents/{id}, /nodes/{node}, /workloads/{namespace}/{workload}, and the
// two files the pages load. A refused filter is a 400 page and a store that is down a 503 page, each
// one sentence; an unknown incident a 404 page.
import { QueryError, StoreUnavailable, type IncidentReader } from '../../store/types.js';
import { ASSETS } from './assets.js';
import { incidentPage } from './incident.js';
import { messagePage } from './layout.js';
import { listPage } from './list.js';
import { nodePage } from './node.js';
import { workloadPage } from './workload.js';

const ID = /^[0-9a-f]{8,64}$/;

export interface UiAnswer {
  status: number;
  type: string;
  body: string;
}

const HTML = 'text/html; charset=utf-8';

/** A path segment as text; undefined when its percent-encoding is broken. */
function segment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** The page for this URL, or undefined when the path is not the UI's. */
export async function uiAnswer(store: IncidentReader, role: string, url: URL): Promise<UiAnswer | undefined> {
  const path = url.pathname;
  const asset = ASSETS[path];
  if (asset) return { status: 200, ...asset };
  // Browsers ask for it on every page: nothing, rather than a 404 in their console.
  if (path === '/favicon.ico') return { status: 204, type: 'image/x-icon', body: '' };
  const ok = (body: string) => ({ status: 200, type: HTML, body });
  const say = (status: number, title: string, sentence: string) => ({
    status,
    type: HTML,
    body: messagePage(role, title, sentence),
  });
  try {
    if (path === '/') return ok(await listPage(store, role, url));
    let m = /^\/incidents\/([^/]+)$/.exec(path);
    if (m) {
      const item = ID.test(m[1]!) ? await store.get(m[1]!) : undefined;
      return item ? ok(incidentPage(item, role)) : say(404, 'Unknown incident', 'No incident has this id.');
    }
    m = /^\/nodes\/([^/]+)$/.exec(path);
    if (m) {
      const node = segment(m[1]!);
      if (node === undefined) return say(400, 'Bad address', 'The node name in this address is not valid.');
      return ok(await nodePage(store, role, node, url));
    }
    m = /^\/workloads\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) {
      const [ns, workload] = [segment(m[1]!), segment(m[2]!)];
      if (ns === undefined || workload === undefined)
        return say(400, 'Bad address', 'The workload in this address is not valid.');
      return ok(await workloadPage(store, role, ns, workload, url));
    }
  } catch (err) {
    if (err instanceof QueryError) return say(400, 'Filter refused', err.message);
    if (err instanceof StoreUnavailable) return say(503, 'History unavailable', err.message);
    throw err;
  }
  return undefined;
}
