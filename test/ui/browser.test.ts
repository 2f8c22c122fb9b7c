// The web UI in a real browser (Debian's chromium through playwright-core) against the built
// `podmortem server` on SQLite, fed over HTTP as agents feed it: the list loads, the filter form
// narrows it, an incident opens from its pod name with its verdict above the fold at 1280x800, the
// copy button copies the command, the pages read the same with JavaScript off, the node page shows
// every limit's headroom and the workload page its causes and nodes; no page scrolls sideways, and
// hostile strings run nothing. Screenshots go to test-artifacts/ui/.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { render } from '../../src/report/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { IncidentItem } from '../../src/store/types.js';
import { workloadOf } from '../../src/store/workload.js';
import { describeNeeding } from '../prerequisites.js';
import type { RunningServer } from '../server/helpers.js';
import { calicoReport, fleet, hostileItem } from './fixtures.js';
import { aboveTheFold, launch, push, screenshot, scrollWidth, startUiServer, VIEWPORT } from './harness.js';

describeNeeding('the web UI in Chromium (server on SQLite)', ['chromium'], () => {
  const dir = mkdtempSync(join(tmpdir(), 'podmortem-ui-'));
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let report: Report;
  let items: IncidentItem[];
  let hostile: IncidentItem;
  const dialogs: string[] = [];

  beforeAll(async () => {
    report = calicoReport();
    const base = report.incidents[0]!;
    items = fleet(base, 40);
    hostile = hostileItem(base);
    // The node's limit readings, as the agent on node-a stores them (the server receives incidents only).
    const db = join(dir, 'server.db');
    const store = new SqliteStore(db);
    const limits = report.node!.limits.map((l) =>
      l.id === 'kernel.pid_max'
        ? { ...l, topConsumers: [{ name: 'kube-system/calico-node-56bgm', used: 30511 }] }
        : l,
    );
    store.putLimits({ node: 'node-a', recordedAt: new Date().toISOString(), limits });
    store.close();
    server = await startUiServer(`sqlite://${db}`, dir);
    await push(server.url, [...items, hostile]);
    browser = await launch();
    page = await browser.newPage({ viewport: VIEWPORT });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });
  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => page.locator('table.incidents tbody tr');

  it('lists every incident, newest first, with no sideways scrolling', async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('h1').textContent()).toContain('across the fleet');
    expect(await rows().count()).toBe(41);
    expect(await page.locator('figure.chart svg rect').count()).toBeGreaterThan(5);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'list');
  });

  it('filters with the form and opens an incident by its pod name', async () => {
    await page.fill('input[name=namespace]', 'shop');
    await page.fill('input[name=cause]', 'rlimit.nofile');
    await page.selectOption('select[name=range]', '7d');
    await Promise.all([page.waitForURL(/namespace=shop/), page.click('form.filters button[type=submit]')]);
    const expected = items.filter(
      (i) => i.subject.namespace === 'shop' && i.causes[0]!.id === 'rlimit.nofile',
    );
    expect(expected.length).toBeGreaterThan(3);
    expect(await rows().count()).toBe(expected.length);
    for (const cell of await page.locator('table.incidents tbody td:nth-child(9)').allTextContents())
      expect(cell).toBe('rlimit.nofile');
    expect(await page.inputValue('input[name=namespace]')).toBe('shop');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'list-filtered');

    const newest = [...expected].sort((a, b) => (a.subject.finishedAt! < b.subject.finishedAt! ? 1 : -1))[0]!;
    await Promise.all([
      page.waitForURL(`**/incidents/${newest.id}`),
      page.getByRole('link', { name: newest.subject.pod!, exact: true }).click(),
    ]);
    expect(await aboveTheFold(page, '.answer .verdict')).toBe(true);
    expect(await page.locator('.answer .verdict').textContent()).toBe('confirmed rlimit.nofile');
    expect(await aboveTheFold(page, '.answer .cmd pre')).toBe(true);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'incident');
  });

  it('shows the calico incident answer first, evidence and fixes in different blocks, and copies the command', async () => {
    const calico = items[0]!;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.goto(`${server.url}/incidents/${calico.id}`);
    expect(await aboveTheFold(page, '.answer .verdict')).toBe(true);
    expect(await page.locator('.answer .verdict').textContent()).toBe('confirmed kernel.pid_max');
    const bg = (sel: string) =>
      page.evaluate<string>(
        `getComputedStyle(document.querySelector(${JSON.stringify(sel)})).backgroundColor`,
      );
    expect(await bg('.cause .evidence')).not.toBe(await bg('.cause .fix'));
    expect(await page.locator('details.ruled-out article').count()).toBe(3);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'incident-calico');
    await page.locator('.answer button.copy').click();
    await expect.poll(() => page.locator('.answer button.copy').textContent()).toBe('copied');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(
      'sysctl -w kernel.pid_max=4194304',
    );
  });

  it('reads the same with JavaScript off (no copy buttons)', async () => {
    const context = await browser.newContext({ viewport: VIEWPORT, javaScriptEnabled: false });
    try {
      const off = await context.newPage();
      await off.goto(`${server.url}/incidents/${items[0]!.id}`);
      expect(await aboveTheFold(off, '.answer .verdict')).toBe(true);
      expect(await off.locator('.answer .cmd pre').textContent()).toBe('sysctl -w kernel.pid_max=4194304');
      expect(await off.locator('button.copy').count()).toBe(0);
      expect(await scrollWidth(off)).toBeLessThanOrEqual(VIEWPORT.width);
      await screenshot(off, 'incident-no-javascript');
      await off.goto(`${server.url}/?cluster=staging`);
      expect(await off.locator('table.incidents tbody tr').count()).toBe(
        items.filter((i) => i.cluster === 'staging').length,
      );
    } finally {
      await context.close();
    }
  });

  it('shows a node: every limit with its headroom and top consumer, its workloads and history', async () => {
    await page.goto(`${server.url}/nodes/node-a`);
    const limits = page.locator('table.limits tbody tr');
    expect(await limits.count()).toBe(report.node!.limits.length);
    const pid = limits.filter({ hasText: 'kernel.pid_max' });
    expect(await pid.locator('td').nth(6).textContent()).toBe('8');
    expect(await pid.textContent()).toContain('kube-system/calico-node-56bgm: 30,511');
    expect(await rows().count()).toBe(items.filter((i) => i.node === 'node-a').length);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'node');
  });

  it('shows a workload: its causes, the nodes it crashed on, its crashes over time', async () => {
    await page.goto(`${server.url}/workloads/shop/checkout`);
    const text = await page.locator('main').textContent();
    for (const s of ['memory.cgroup_oom', 'rlimit.nofile', 'node-b', 'node-c']) expect(text).toContain(s);
    expect(text).not.toContain('node-a');
    expect(await page.locator('figure.chart svg rect').count()).toBeGreaterThan(2);
    expect(await rows().count()).toBe(items.filter((i) => workloadOf(i.subject) === 'checkout').length);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'workload');
  });

  it('runs nothing from hostile strings, on any page, and keeps them within the width', async () => {
    const ns = encodeURIComponent(hostile.subject.namespace!);
    const paths = [
      '/',
      `/?namespace=${ns}`,
      `/incidents/${hostile.id}`,
      `/nodes/${encodeURIComponent(hostile.node)}`,
      `/workloads/${ns}/${encodeURIComponent(workloadOf(hostile.subject))}`,
    ];
    for (const [n, path] of paths.entries()) {
      await page.goto(`${server.url}${path}`);
      expect(await page.locator('img, iframe, object, embed').count(), path).toBe(0);
      expect(
        await page.evaluate<string[]>('[...document.scripts].map((s) => s.getAttribute("src"))'),
        path,
      ).toEqual(['/ui/copy.js']);
      expect(await scrollWidth(page), path).toBeLessThanOrEqual(VIEWPORT.width);
      await screenshot(page, `hostile-${n}`);
    }
    expect(await page.locator('main').textContent()).toContain('<img src=x onerror=alert(2)>');
    expect(dialogs).toEqual([]);
  });

  it('gives the standalone report the incident page design: verdict above the fold, no overflow', async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, render(report, 'html', { color: false }));
    await page.goto(`file://${file}`);
    expect(await aboveTheFold(page, '.answer .verdict')).toBe(true);
    expect(await page.locator('.answer .verdict').textContent()).toBe('confirmed kernel.pid_max');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'standalone');
    const { id: _i, node: _n, cluster: _c, recordedAt: _r, ...incident } = hostile;
    writeFileSync(
      file,
      render({ schemaVersion: 1, incidents: [incident], warnings: [] }, 'html', { color: false }),
    );
    await page.goto(`file://${file}`);
    expect(await page.locator('img').count()).toBe(0);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    expect(dialogs).toEqual([]);
  });
});
