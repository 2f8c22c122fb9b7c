// The fleet end to end, every part real (issue 13): PostgreSQL 15, the built `podmortem server` on it
// with an agents' token, the built agent on the Docker lab's private dockerd and the built agent on
// the containerd lab's private containerd, each pushing with --server and --token-file under its own
// node name. One real container crashes on each node (EMFILE under nofile=64 on Docker, a Go daemon
// at its pod's pids.max on containerd, the scenarios of test/agent); both incidents reach the server,
// and Chromium lists them, filters them by node with the form and opens each by its pod's link with
// the verdict above the fold of a 1280x800 window and nothing wider than it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { IncidentItem, IncidentPage } from '../../src/store/types.js';
import { startAgent, until, type RunningAgent } from '../agent/helpers.js';
import { crashEmfile, crashPids } from '../agent/scenarios.js';
import { ContainerdLab, labUnavailable } from '../lab/containerd/lab.js';
import { DOCKER_LAB_NEEDS, DockerLab } from '../lab/harness/index.js';
import { describeNeeding } from '../prerequisites.js';
import type { RunningServer } from '../server/helpers.js';
import { postgresMissing, startPostgres, type RunningPostgres } from '../server/pg-harness.js';
import { aboveTheFold, launch, screenshot, scrollWidth, startUiServer, VIEWPORT } from './harness.js';

const containerdLab = () => {
  const why = labUnavailable();
  return why && `what the containerd lab needs (${why})`;
};

// Two nodes, one runtime each; the pods are named for this test so the list shows exactly these.
const NODES = [
  { node: 'fleet-docker-node', pod: 'thumbnailer-e2e', namespace: 'lab' },
  { node: 'fleet-containerd-node', pod: 'calico-node-e2e', namespace: 'kube-system' },
] as const;

describeNeeding(
  'the fleet end to end: agents on Docker and containerd, PostgreSQL, the web UI in Chromium',
  [...DOCKER_LAB_NEEDS, containerdLab, postgresMissing, 'chromium'],
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'podmortem-fleet-e2e-'));
    const tokenFile = join(dir, 'token'); // written by startUiServer
    let pg: RunningPostgres | undefined;
    let server: RunningServer | undefined;
    let dockerLab: DockerLab | undefined;
    let ctdLab: ContainerdLab | undefined;
    const agents: RunningAgent[] = [];
    let browser: Browser | undefined;
    let page: Page;
    let items: IncidentItem[] = [];

    const pushing = (node: string) => [
      '--db',
      join(dir, `${node}.db`),
      '--node-name',
      node,
      '--sample-interval',
      '0.5',
      '--server',
      server!.url,
      '--token-file',
      tokenFile,
    ];
    const ready = (agent: RunningAgent) =>
      until(
        () => fetch(`${agent.url}/readyz`).then((r) => r.status),
        (s) => s === 200,
        60_000,
        'readyz',
      );

    beforeAll(async () => {
      pg = await startPostgres();
      server = await startUiServer(pg.url, dir);
      dockerLab = new DockerLab();
      ctdLab = new ContainerdLab();
      await Promise.all([dockerLab.start(), ctdLab.start()]);
      const onDocker = await startAgent([
        ...pushing(NODES[0].node),
        '--root',
        '/',
        '--log-dir',
        dockerLab.logDir,
        '--runtime-endpoint',
        `unix://${dockerLab.socket}`,
      ]);
      agents.push(onDocker);
      const onContainerd = await startAgent([
        ...pushing(NODES[1].node),
        '--log-dir',
        ctdLab.logDir,
        '--runtime-endpoint',
        `unix://${ctdLab.socket}`,
      ]);
      agents.push(onContainerd);
      await Promise.all(agents.map(ready));
      await Promise.all([crashEmfile(dockerLab, NODES[0].pod), crashPids(ctdLab, NODES[1].pod)]);
      items = (
        await until(
          async () =>
            ((await (await fetch(`${server!.url}/api/v1/incidents?limit=500`)).json()) as IncidentPage).items,
          (found) => NODES.every((n) => found.some((i) => i.node === n.node && i.subject.pod === n.pod)),
          180_000,
          "both nodes' incidents on the server",
        )
      ).filter((i) => NODES.some((n) => i.subject.pod === n.pod));
      browser = await launch();
      page = await browser.newPage({ viewport: VIEWPORT });
    }, 900_000);

    afterAll(async () => {
      // Each part is stopped even when another's stop fails, so nothing is left running.
      const steps: (() => unknown)[] = [
        () => browser?.close(),
        ...agents.map((a) => () => a.stop()),
        () => server?.stop(),
        () => pg?.stop(),
        () => dockerLab?.teardown(),
        () => ctdLab?.teardown(),
        () => rmSync(dir, { recursive: true, force: true }),
      ];
      for (const step of steps)
        try {
          await step();
        } catch (e) {
          console.warn(`fleet e2e clean-up: ${(e as Error).message}`);
        }
    }, 180_000);

    it("holds one incident from each node in PostgreSQL, each with its runtime's cause first", () => {
      const of = (node: string) => items.filter((i) => i.node === node);
      expect(of(NODES[0].node).map((i) => i.subject.pod)).toEqual([NODES[0].pod]);
      expect(of(NODES[1].node).map((i) => i.subject.pod)).toEqual([NODES[1].pod]);
      const docker = of(NODES[0].node)[0]!;
      const ctd = of(NODES[1].node)[0]!;
      expect(docker.causes[0]?.id, docker.causes.map((c) => c.id).join(', ')).toBe('rlimit.nofile');
      expect(['confirmed', 'likely']).toContain(docker.causes[0]!.verdict);
      expect(ctd.causes[0]).toMatchObject({ id: 'cgroup.pids', verdict: 'confirmed' });
    });

    it('lists both pods, filters by node with the form, and opens each with its verdict above the fold', async () => {
      await page.goto(`${server!.url}/`);
      const links = page.locator('table.incidents tbody tr a[href^="/incidents/"]');
      const pods = await links.allTextContents();
      for (const n of NODES) expect(pods).toContain(n.pod);
      expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
      await screenshot(page, 'fleet-list');

      for (const n of NODES) {
        await page.goto(`${server!.url}/`);
        await page.fill('input[name=node]', n.node);
        await Promise.all([
          page.waitForURL(new RegExp(`node=${n.node}`)),
          page.click('form.filters button[type=submit]'),
        ]);
        expect(await links.allTextContents()).toEqual([n.pod]);
        expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
        await screenshot(page, `fleet-list-${n.node}`);

        const item = items.find((i) => i.node === n.node)!;
        await Promise.all([page.waitForURL(/\/incidents\/[0-9a-f]+$/), links.first().click()]);
        expect(page.url()).toBe(`${server!.url}/incidents/${item.id}`);
        expect(await page.locator('.answer .subject').textContent()).toContain(n.pod);
        expect(await aboveTheFold(page, '.answer .verdict')).toBe(true);
        expect(await page.locator('.answer .verdict').textContent()).toMatch(
          new RegExp(`^${item.causes[0]!.verdict} `),
        );
        expect(await scrollWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
        await screenshot(page, `fleet-incident-${n.node}`);
      }
    });
  },
);
