// The agent serves the same web UI over its own node's history: its HTTP server (as `podmortem
// agent` builds it) on the agent's SQLite store, with the limit readings the agent records. The list
// speaks of this node, links each incident by its pod name, and the node page shows the headroom.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentServer } from '../../src/serve/http.js';
import { ResilientStore } from '../../src/store/resilient.js';
import type { IncidentItem } from '../../src/store/types.js';
import { calicoReport, fleet } from './fixtures.js';
import { markupProblems } from './markup.js';

describe("the agent's web UI", () => {
  const dir = mkdtempSync(join(tmpdir(), 'podmortem-agent-ui-'));
  const store = new ResilientStore(join(dir, 'agent.db'));
  let server: Server;
  let url: string;
  let items: IncidentItem[];
  beforeAll(async () => {
    const report = calicoReport();
    items = fleet(report.incidents[0]!, 6).map((i) => ({ ...i, node: 'node-a', cluster: 'default' }));
    store.put(items);
    store.putLimits({ node: 'node-a', recordedAt: new Date().toISOString(), limits: report.node!.limits });
    server = createAgentServer({ store, metrics: { registry: new Registry() }, notReady: () => undefined });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists this node’s incidents, each linked by its pod name', async () => {
    const r = await fetch(`${url}/`);
    expect(r.status).toBe(200);
    const page = await r.text();
    expect(page).toContain('Container exits diagnosed on this node');
    for (const i of items) expect(page).toContain(`<a href="/incidents/${i.id}">${i.subject.pod}</a>`);
    expect(markupProblems(page)).toEqual([]);
  });

  it('serves the incident page, the node page with its headroom, and the two files the pages load', async () => {
    const incident = await (await fetch(`${url}/incidents/${items[0]!.id}`)).text();
    expect(incident).toContain('<p class="verdict">confirmed kernel.pid_max</p>');
    const node = await (await fetch(`${url}/nodes/node-a`)).text();
    expect(node).toMatch(/<code>kernel\.pid_max<\/code><\/td>\s*<td>node<\/td>/);
    expect(node).toContain('<td class="num">8</td>');
    const css = await fetch(`${url}/ui/style.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const js = await fetch(`${url}/ui/copy.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await js.text()).toContain("querySelectorAll('div.cmd')");
  });

  it('keeps the JSON API as it was', async () => {
    const r = await fetch(`${url}/api/v1/incidents?limit=2`);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await r.json()) as { items: IncidentItem[]; next: string | null };
    expect(body.items).toHaveLength(2);
    expect(typeof body.next).toBe('string');
    // The UI's cluster filter is not the API's: the API ignores it, as it always has.
    const all = (await (await fetch(`${url}/api/v1/incidents?cluster=nope`)).json()) as { items: unknown[] };
    expect(all.items).toHaveLength(items.length);
  });
});
