// `podmortem server`'s HTTP side: the agent's read API over the fleet store, plus the ingest of
// pushed batches, /metrics with the server's own counters, and /readyz from the store's health.
import type { Server } from 'node:http';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { OpenedStore } from '../store/open.js';
import type { Authenticate } from './auth.js';
import { createAgentServer } from './http.js';
import { ingestHandler } from './ingest.js';
import { limitsIngestHandler } from './ingest-limits.js';

export interface FleetOptions {
  opened: OpenedStore;
  token: string | undefined;
  /** --auth tokenreview: agents' ServiceAccount tokens verified by the Kubernetes API. */
  authenticate?: Authenticate;
  /** How often /readyz's answer is refreshed from the store (default 5 s). */
  checkMs?: number;
}

export function createFleetServer(o: FleetOptions): { server: Server; stop: () => void } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'podmortem_server_process_' });
  const incidents = new Counter({
    name: 'podmortem_server_incidents_total',
    help: 'Incidents pushed by agents, by result: accepted (new) or duplicate (already stored).',
    labelNames: ['result'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'podmortem_server_push_refused_total',
    help: 'Pushes refused, by HTTP status (401 bad token, 403 ServiceAccount not allowed, 400 invalid batch, 413 too large, 503 store down or TokenReview unanswered).',
    labelNames: ['status'],
    registers: [registry],
  });
  const readings = new Counter({
    name: 'podmortem_server_limit_readings_total',
    help: "Node limit readings pushed by agents and stored (each the node's limits at one time).",
    registers: [registry],
  });
  let problem: string | undefined;
  const check = () =>
    void o.opened.problem().then(
      (p) => (problem = p),
      () => undefined,
    );
  const timer = setInterval(check, o.checkMs ?? 5000);
  timer.unref();
  check();
  const server = createAgentServer({
    store: o.opened.store,
    metrics: { registry },
    notReady: () => problem,
    role: 'server',
    ingest: ingestHandler({
      store: o.opened.store,
      token: o.token,
      ...(o.authenticate ? { authenticate: o.authenticate } : {}),
      onBatch: (r) => {
        if ('status' in r) refused.inc({ status: String(r.status) });
        else {
          incidents.inc({ result: 'accepted' }, r.accepted);
          incidents.inc({ result: 'duplicate' }, r.duplicates);
        }
      },
    }),
    ingestLimits: limitsIngestHandler({
      store: o.opened.store,
      token: o.token,
      ...(o.authenticate ? { authenticate: o.authenticate } : {}),
      onBatch: (r) => {
        if ('status' in r) refused.inc({ status: String(r.status) });
        else readings.inc(r.accepted);
      },
    }),
  });
  return { server, stop: () => clearInterval(timer) };
}
