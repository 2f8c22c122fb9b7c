// The fleet's web UI on PostgreSQL: a real PostgreSQL 15 (test/server/pg-harness.ts), the built
// `podmortem server --store postgres://...`, incidents pushed over HTTP as agents push them, and
// Chromium loading the list, filtering it by cluster with the form and opening an incident whose
// verdict is above the fold. The UI's summaries (per day and cause, per node, cause and workload)
// answer on PostgreSQL exactly what they answer on SQLite for the same incidents.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { CountKey, IncidentItem, IncidentQuery } from '../../src/store/types.js';
import { describeNeeding } from '../prerequisites.js';
import type { RunningServer } from '../server/helpers.js';
import { IN_CI, postgresMissing, startPostgres, type RunningPostgres } from '../server/pg-harness.js';
import { calicoIncident, fleet, hostileItem } from './fixtures.js';
import { aboveTheFold, launch, push, screenshot, scrollWidth, startUiServer, VIEWPORT } from './harness.js';

const why = postgresMissing();
const suite = () => {
  const dir = mkdtempSync(join(tmpdir(), 'podmortem-ui-pg-'));
  let pgServer: RunningPostgres;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let items: IncidentItem[];
  beforeAll(async () => {
    pgServer = await startPostgres();
    const base = calicoIncident();
    items = [...fleet(base, 30), hostileItem(base)];
    server = await startUiServer(pgServer.url, dir);
    await push(server.url, items.slice(0, 20));
    await push(server.url, items.slice(20));
    browser = await launch();
    page = await browser.newPage({ viewport: VIEWPORT });
  });
  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
    pgServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the summaries as SQLite does', async () => {
    const pg = await PgStore.open(pgServer.url);
    const lite = new SqliteStore(':memory:');
    try {
      lite.put(items);
      const now = Date.now();
      const queries: IncidentQuery[] = [
        {},
        { cluster: 'staging' },
        { namespace: 'shop', cause: 'rlimit.nofile' },
        { node: 'node-a', verdict: 'confirmed' },
        { since: new Date(now - 3 * 86_400_000).toISOString(), until: new Date(now).toISOString() },
      ];
      for (const q of queries) {
        const days = await pg.countsByDay(q);
        expect(days, JSON.stringify(q)).toEqual(lite.countsByDay(q));
        for (const key of ['node', 'cause', 'workload', 'namespace', 'cluster'] as CountKey[])
          expect(await pg.countBy(q, key, 10), `${key} ${JSON.stringify(q)}`).toEqual(
            lite.countBy(q, key, 10),
          );
      }
      expect((await pg.countsByDay({})).reduce((n, d) => n + d.count, 0)).toBe(items.length);
      expect((await pg.query({ cluster: 'staging', limit: 500 })).items.map((i) => i.id).sort()).toEqual(
        items
          .filter((i) => i.cluster === 'staging')
          .map((i) => i.id)
          .sort(),
      );
    } finally {
      await pg.close();
      lite.close();
    }
  });

  it('lists, filters by cluster with the form, and opens an incident with its verdict above the fold', async () => {
    await page.goto(`${server.url}/`);
    const rows = page.locator('table.incidents tbody tr');
    expect(await rows.count()).toBe(items.length);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'pg-list');
    await page.fill('input[name=cluster]', 'staging');
    await Promise.all([page.waitForURL(/cluster=staging/), page.click('form.filters button[type=submit]')]);
    const staging = items.filter((i) => i.cluster === 'staging');
    expect(await rows.count()).toBe(staging.length);
    for (const cell of await page.locator('table.incidents tbody td:nth-child(2)').allTextContents())
      expect(cell).toBe('staging');
    await screenshot(page, 'pg-list-staging');
    const first = await page.locator('table.incidents tbody tr a[href^="/incidents/"]').first();
    const pod = await first.textContent();
    await Promise.all([page.waitForURL(/\/incidents\/[0-9a-f]+$/), first.click()]);
    expect(await page.locator('.answer .subject').textContent()).toContain(pod!);
    expect(await aboveTheFold(page, '.answer .verdict')).toBe(true);
    expect(await page.locator('.answer .verdict').textContent()).toMatch(/^confirmed /);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'pg-incident');
    for (const path of ['/nodes/node-b', '/workloads/shop/checkout']) {
      await page.goto(`${server.url}${path}`);
      expect(await page.locator('table.incidents tbody tr').count(), path).toBeGreaterThan(0);
      expect(await scrollWidth(page), path).toBeLessThanOrEqual(VIEWPORT.width);
    }
  });
};

if (why && IN_CI)
  describe('the web UI on PostgreSQL', () => {
    it('has PostgreSQL on this machine', () => {
      throw new Error(`CI=true and this machine lacks ${why}: .ci/run must install it.`);
    });
  });
else if (why) describe.skip('the web UI on PostgreSQL', suite);
else describeNeeding('the web UI on PostgreSQL, in Chromium', ['chromium'], suite);
