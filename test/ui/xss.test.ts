// Hostile logs are normal. A crashed program (or a rogue agent) chooses the pod's log lines, and an
// agent the node, cluster, namespace and cause ids it pushes: each carries `<script>`, a
// `"><img onerror=...>` breakout, a `javascript:` URL, terminal escapes and bidirectional controls.
// Every page of the web UI (list, filtered list, incident, node, workload, error pages) and the
// standalone HTML report (rendered, and from the real CLI) must show them as text, never as markup,
// under a policy that forbids inline script.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/report/index.js';
import type { IncidentItem } from '../../src/store/types.js';
import { workloadOf } from '../../src/store/workload.js';
import type { RunningServer } from '../server/helpers.js';
import { podmortem } from '../cli/helpers.js';
import { calicoIncident, fleet, HOSTILE, hostileItem } from './fixtures.js';
import { push, startUiServer } from './harness.js';
import { markupProblems } from './markup.js';

const ESCAPED = ['&lt;script&gt;alert(1)&lt;/script&gt;', '&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'];

/** Every hostile string of the item, as the pages must show it: escaped, with escapes visible. */
function expectShownAsText(page: string, what: string): void {
  expect(markupProblems(page), what).toEqual([]);
  for (const e of ESCAPED) expect(page, `${what}: ${e}`).toContain(e);
}

describe('the markup check', () => {
  it('finds what an unescaped page would let through', () => {
    expect(markupProblems(`<p>${HOSTILE.img}</p>`)).toEqual(
      expect.arrayContaining(['unexpected tag <img src=x onerror=alert(2)>']),
    );
    expect(markupProblems('<a href="javascript:alert(3)">x</a>')).toHaveLength(1);
    expect(markupProblems(`<script>alert(1)</script>`)).toEqual(['script <script>', 'inline script']);
    expect(markupProblems(`<p>${HOSTILE.esc}</p>`)).toEqual(['raw control character U+001b']);
    expect(markupProblems(`<p>${HOSTILE.bidi}</p>`)).toEqual(['raw control character U+202e']);
  });
});

describe('hostile strings through every page', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podmortem-ui-xss-'));
  let server: RunningServer;
  let hostile: IncidentItem;
  beforeAll(async () => {
    const base = calicoIncident();
    hostile = hostileItem(base);
    server = await startUiServer(`sqlite://${join(dir, 'server.db')}`, dir);
    await push(server.url, [...fleet(base, 12), hostile]);
  });
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const r = await fetch(`${server.url}${path}`);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    return { status: r.status, page: await r.text() };
  };

  it('the list, with the hostile incident among the others and in the chart', async () => {
    const { status, page } = await get('/');
    expect(status).toBe(200);
    expectShownAsText(page, 'list');
    expect(page).toContain('\\x1b[31mRED');
    expect(page).toContain('\\u202e');
  });

  it('the list filtered by hostile values, echoed in the form', async () => {
    const q = new URLSearchParams({
      cluster: hostile.cluster,
      namespace: hostile.subject.namespace!,
      cause: hostile.causes[0]!.id,
      until: new Date(Date.now() + 3600_000).toISOString(),
    });
    const { status, page } = await get(`/?${q}`);
    expect(status).toBe(200);
    expectShownAsText(page, 'filtered list');
    expect(page).toContain(`<a href="/incidents/${hostile.id}">pod&lt;script&gt;`);
  });

  it('the incident page', async () => {
    const { status, page } = await get(`/incidents/${hostile.id}`);
    expect(status).toBe(200);
    expectShownAsText(page, 'incident');
    expect(page).toContain('javascript:alert(3)');
    expect(page).toContain('\\x1b]0;title\\x07');
  });

  it('the node page', async () => {
    const { status, page } = await get(`/nodes/${encodeURIComponent(hostile.node)}`);
    expect(status).toBe(200);
    expectShownAsText(page, 'node');
  });

  it('the workload page', async () => {
    const ns = encodeURIComponent(hostile.subject.namespace!);
    const { status, page } = await get(`/workloads/${ns}/${encodeURIComponent(workloadOf(hostile.subject))}`);
    expect(status).toBe(200);
    expectShownAsText(page, 'workload');
  });

  it('the pages that refuse: a bad filter, an unknown incident', async () => {
    const bad = await get(`/?verdict=${encodeURIComponent(HOSTILE.script)}`);
    expect(bad.status).toBe(400);
    expect(markupProblems(bad.page)).toEqual([]);
    expect(bad.page).toContain('verdict must be one of');
    const unknown = await get('/incidents/0123456789abcdef01234567');
    expect(unknown.status).toBe(404);
    expect(markupProblems(unknown.page)).toEqual([]);
  });

  it('the standalone report, rendered from the stored item', () => {
    const { id: _i, node: _n, cluster: _c, recordedAt: _r, ...incident } = hostile;
    const page = render({ schemaVersion: 1, incidents: [incident], warnings: [] }, 'html', { color: false });
    expectShownAsText(page, 'standalone');
    expect(page).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'none'; style-src 'sha256-/,
    );
  });

  it('the standalone report of a hostile log, from the CLI', () => {
    const log = [
      `runtime: failed to create new OS thread (have 41 already; errno=11) ${HOSTILE.script}`,
      `fatal error: newosproc ${HOSTILE.img} ${HOSTILE.link} ${HOSTILE.esc} ${HOSTILE.bidi}`,
      '',
    ].join('\n');
    const r = podmortem(['analyze', '-', '--format', 'html'], { input: log });
    expect(r.status, r.stderr).toBe(0);
    expectShownAsText(r.stdout, 'standalone from the CLI');
  });
});
