// The agent's HTTP side (the contract's paths): /healthz, /readyz, /metrics, GET /api/v1/incidents
// (filters, paging), /api/v1/incidents/{id}, /api/v1/nodes/{node}/limits, and the web UI (ui/: GET /
// lists incidents linking each by its pod name, /incidents/{id}, /nodes/{node}, /workloads/...).
// Read-only: any other method is refused, except POST /api/v1/incidents and POST
// /api/v1/nodes/{node}/limits when the caller (the fleet server) handles them. Bounded: short URLs, no bodies, timeouts, a cap on connections; every string
// that reaches HTML is escaped, pages forbid inline script (UI_CSP), JSON is application/json.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { QueryError, StoreUnavailable, type IncidentQuery, type IncidentReader } from '../store/types.js';
import { UI_CSP } from './ui/layout.js';
import { uiAnswer } from './ui/routes.js';

const MAX_URL = 4096;
const ID = /^[0-9a-f]{8,64}$/;

export interface ServeOptions {
  /** The agent's SQLite (answers at once) or a fleet server's store (answers later): both are awaited. */
  store: IncidentReader;
  metrics: { registry: Registry };
  /** undefined when ready; else the sentence /readyz answers with. */
  notReady: () => string | undefined;
  /** POST /api/v1/incidents (the fleet server's ingest); without it every method but GET is refused. */
  ingest?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** POST /api/v1/nodes/{node}/limits (the fleet server's ingest of agents' limit readings). */
  ingestLimits?: (req: IncomingMessage, res: ServerResponse, node: string) => Promise<void>;
  /** Who answers, in sentences ("agent", "server"). */
  role?: string;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(type.startsWith('text/html')
      ? { 'content-security-policy': UI_CSP, 'referrer-policy': 'no-referrer' }
      : {}),
  });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
const problem = (res: ServerResponse, status: number, message: string) =>
  json(res, status, { error: message });

export function createAgentServer(o: ServeOptions): Server {
  const server = createServer({ requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    void handle(o, req, res).catch((err: unknown) => {
      if (!res.headersSent) problem(res, 500, err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });
  server.maxConnections = 256;
  server.keepAliveTimeout = 5000;
  return server;
}

async function handle(o: ServeOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if ((req.url ?? '').length > MAX_URL) return problem(res, 414, 'The URL is too long.');
  if (o.ingest && req.method === 'POST' && (req.url ?? '').split('?')[0] === '/api/v1/incidents')
    return o.ingest(req, res);
  const pushedLimits = /^\/api\/v1\/nodes\/([^/?]+)\/limits$/.exec((req.url ?? '').split('?')[0]!);
  if (o.ingestLimits && req.method === 'POST' && pushedLimits) {
    let node: string;
    try {
      node = decodeURIComponent(pushedLimits[1]!);
    } catch {
      req.resume();
      return problem(res, 400, 'The node name in the URL is not valid percent-encoding.');
    }
    return o.ingestLimits(req, res, node);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', o.ingest ? 'GET, HEAD, POST' : 'GET, HEAD');
    req.resume();
    return problem(
      res,
      405,
      o.ingest
        ? `Only GET is served here, and POST on /api/v1/incidents${o.ingestLimits ? ' and /api/v1/nodes/{node}/limits' : ''}.`
        : `Only GET is served by the ${o.role ?? 'agent'}.`,
    );
  }
  const url = new URL(req.url ?? '/', 'http://agent');
  const path = url.pathname;
  if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
  if (path === '/readyz') {
    const why = o.notReady();
    return send(res, why ? 503 : 200, 'text/plain; charset=utf-8', `${why ?? 'ready'}\n`);
  }
  if (path === '/metrics')
    return send(res, 200, o.metrics.registry.contentType, await o.metrics.registry.metrics());
  try {
    if (path === '/api/v1/incidents') return json(res, 200, await o.store.query(queryOf(url)));
    let m = /^\/api\/v1\/incidents\/([^/]+)$/.exec(path);
    if (m) {
      const item = ID.test(m[1]!) ? await o.store.get(m[1]!) : undefined;
      return item ? json(res, 200, item) : problem(res, 404, 'No incident has this id.');
    }
    m = /^\/api\/v1\/nodes\/([^/]+)\/limits$/.exec(path);
    if (m) {
      const node = decodeURIComponent(m[1]!);
      const history = Number(url.searchParams.get('history') ?? '1');
      const readings = await o.store.limits(
        node,
        Number.isInteger(history) && history > 0 ? Math.min(history, 1000) : 1,
      );
      if (readings.length === 0) return problem(res, 404, 'No limits were recorded for this node.');
      return json(res, 200, url.searchParams.has('history') ? { items: readings } : readings[0]);
    }
    const page = await uiAnswer(o.store, o.role ?? 'agent', url);
    if (page) return send(res, page.status, page.type, page.body);
  } catch (err) {
    if (err instanceof QueryError) return problem(res, 400, err.message);
    if (err instanceof StoreUnavailable) return problem(res, 503, err.message);
    throw err;
  }
  return problem(
    res,
    404,
    `Not found: the ${o.role ?? 'agent'} serves /api/v1/incidents, /api/v1/nodes/{node}/limits, /metrics, /healthz, /readyz and the web UI at /.`,
  );
}

function queryOf(url: URL): IncidentQuery {
  const q: IncidentQuery = {};
  for (const k of [
    'namespace',
    'workload',
    'node',
    'cause',
    'verdict',
    'since',
    'until',
    'cursor',
  ] as const) {
    const v = url.searchParams.get(k);
    if (v !== null && v !== '') {
      if (v.length > 512) throw new QueryError(`${k} is too long.`);
      q[k] = v;
    }
  }
  const limit = url.searchParams.get('limit');
  if (limit !== null && limit !== '') {
    if (!/^\d{1,4}$/.test(limit)) throw new QueryError('limit must be a whole number from 1 to 500.');
    q.limit = Number(limit);
  }
  return q;
}
