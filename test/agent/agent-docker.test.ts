// `podmortem agent` on a real Docker engine (the lab's private dockerd in the dockershim layout), its
// Events posted to the HTTPS stand-in API and its /metrics scraped over HTTP. The EMFILE crash is
// judged from the recorder's last sample of the crashed instance (61 descriptors under nofile=64),
// not from the restarted twin (3 descriptors). A kill -9 of the agent during a burst of crashes
// loses none and records none twice once it is started again.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentItem } from '../../src/store/types.js';
import { DOCKER_LAB_NEEDS, DockerLab, type Pod } from '../lab/harness/index.js';
import { describeNeeding } from '../prerequisites.js';
import { one, render, type K8sObject } from '../deploy/render.js';
import { unauthorized, type RbacRule } from '../deploy/rbac.js';
import { startStandin, type Standin } from '../standin/server.mjs';
import { incidents, series, startAgent, storedRows, until, type RunningAgent } from './helpers.js';
import { crashEmfile } from './scenarios.js';

describeNeeding('podmortem agent on the Docker lab', DOCKER_LAB_NEEDS, () => {
  let lab: DockerLab;
  let standin: Standin;
  let agent: RunningAgent;
  let state: string;
  let db: string;
  const agentArgs = () => [
    '--db',
    db,
    '--node-name',
    'lab-node',
    '--root',
    '/',
    '--log-dir',
    lab.logDir,
    '--runtime-endpoint',
    `unix://${lab.socket}`,
    '--kubeconfig',
    standin.kubeconfig,
    '--sample-interval',
    '0.5',
  ];

  beforeAll(async () => {
    lab = new DockerLab();
    await lab.start();
    standin = await startStandin({});
    state = mkdtempSync(join(tmpdir(), 'podmortem-agent-'));
    db = join(state, 'agent.db');
    agent = await startAgent(agentArgs());
    await until(
      () => fetch(`${agent.url}/readyz`).then((r) => r.status),
      (s) => s === 200,
      60_000,
      'readyz',
    );
  }, 600_000);

  afterAll(async () => {
    await agent?.stop();
    await standin?.close();
    await lab?.teardown();
    if (state) rmSync(state, { recursive: true, force: true });
  }, 120_000);

  describe('EMFILE under nofile=64, the twin holding 3 descriptors', () => {
    let pod: Pod;
    let item: IncidentItem;

    beforeAll(async () => {
      pod = await crashEmfile(lab);
      const found = await until(
        () => incidents(agent, '&namespace=lab'),
        (items) => items.some((i) => i.subject.podUid === pod.uid),
        120_000,
        'the EMFILE incident',
      );
      item = found.find((i) => i.subject.podUid === pod.uid)!;
    }, 180_000);

    it("is an incident in the agent's SQLite file with the contract's id, node and recording time", () => {
      const rows = storedRows(db).filter((r) => r.pod === 'thumbnailer-0');
      expect(rows).toHaveLength(1);
      expect(rows[0]!.id).toBe(item.id);
      expect(item).toMatchObject({
        node: 'lab-node',
        subject: { namespace: 'lab', container: 'worker', exitCode: 1 },
      });
      expect(Date.parse(item.recordedAt)).not.toBeNaN();
    });

    it("puts rlimit.nofile first, confirmed or likely, from the crashed instance's last sample", () => {
      const first = item.causes[0]!;
      expect(first.id, item.causes.map((c) => `${c.id}=${c.verdict}`).join(', ')).toBe('rlimit.nofile');
      expect(['confirmed', 'likely']).toContain(first.verdict);
      const crashed = first.evidence.find((e) => e.of === 'crashed' && /open files/.test(e.text));
      expect(crashed?.text).toMatch(/^6[0-4] open files \(the crashed instance\)/);
      expect(first.evidence.map((e) => e.text).join('\n')).toMatch(/Max open files\s+64/);
    });

    it('posts a Warning Event CrashDiagnosed on the pod through the API', async () => {
      const ev = await until(
        () => standin.state.posted.find((e) => e.regarding?.uid === pod.uid),
        (e) => e !== undefined,
        30_000,
        'the Event',
      );
      expect(ev).toMatchObject({
        type: 'Warning',
        reason: 'CrashDiagnosed',
        reportingController: 'podmortem.io/agent',
        regarding: { kind: 'Pod', name: 'thumbnailer-0', namespace: 'lab' },
        metadata: { namespace: 'lab' },
      });
      expect(ev!.note).toMatch(new RegExp(`^${item.causes[0]!.verdict} rlimit\\.nofile: `));
      // Every request the agent really sent is allowed by deploy/agent's least-privilege ClusterRole.
      const role = one<K8sObject & { rules: RbacRule[] }>(render('deploy/agent'), 'ClusterRole');
      const sent = standin.requests.filter((r) => !/^\/(version|api|apis)(\/[^/]+){0,2}$/.test(r.path));
      expect(sent.length).toBeGreaterThan(0);
      expect(unauthorized(role.rules, sent)).toEqual([]);
    });

    it('counts the exit on /metrics by workload, cause, verdict and signature', async () => {
      const text = await (await fetch(`${agent.url}/metrics`)).text();
      expect(
        series(text, 'podmortem_container_exits_total', {
          namespace: 'lab',
          workload: 'thumbnailer',
          container: 'worker',
          cause: 'rlimit.nofile',
          verdict: item.causes[0]!.verdict,
        }),
      ).toBe(1);
      expect(text).toMatch(/^podmortem_limit_max\{limit="kernel.pid_max",scope="node"\} \d+/m);
      expect(text).toMatch(/^podmortem_agent_store_up 1$/m);
    });

    it('serves the incident by id as JSON and as an HTML report', async () => {
      const one = (await (await fetch(`${agent.url}/api/v1/incidents/${item.id}`)).json()) as IncidentItem;
      expect(one.id).toBe(item.id);
      const html = await (await fetch(`${agent.url}/incidents/${item.id}`)).text();
      expect(html).toContain('rlimit.nofile');
      expect((await fetch(`${agent.url}/api/v1/incidents/ffffffffffffffffffffffff`)).status).toBe(404);
      expect((await fetch(`${agent.url}/api/v1/incidents?since=yesterday`)).status).toBe(400);
      expect((await fetch(`${agent.url}/api/v1/incidents`, { method: 'POST' })).status).toBe(405);
    });
  });

  describe('kill -9 of the agent during a burst of crashes', () => {
    const BURST = 12;
    const pods: Pod[] = [];

    beforeAll(async () => {
      const started = Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          lab
            .run({
              namespace: 'burst',
              pod: `burst-${i}`,
              container: 'app',
              restart: 'no',
              cmd: ['/bin/sh', '-c', `sleep ${1 + (i % 4)}; exec /bin/crashlab exit 3`],
            })
            .then((p) => pods.push(p)),
        ),
      );
      // Some exits reach the agent, the rest happen while it is dead.
      await until(
        () => incidents(agent, '&namespace=burst'),
        (items) => items.length >= 1,
        60_000,
        'a first burst incident',
      );
      await agent.kill();
      await started;
      await Promise.all(pods.map((p) => lab.exited(p.name)));
      agent = await startAgent(agentArgs());
    }, 300_000);

    it("records every crash exactly once after its restart (reconciled from the runtime's records)", async () => {
      const items = await until(
        () => incidents(agent, '&namespace=burst'),
        (items) => items.length >= BURST,
        120_000,
        'every burst incident',
      );
      expect(items).toHaveLength(BURST);
      expect(new Set(items.map((i) => i.subject.pod)).size).toBe(BURST);
      const rows = storedRows(db).filter((r) => r.namespace === 'burst');
      expect(rows).toHaveLength(BURST);
      expect(new Set(rows.map((r) => r.id)).size).toBe(BURST);
    });

    it('a restart does not record the earlier EMFILE exit again', () => {
      expect(storedRows(db).filter((r) => r.pod === 'thumbnailer-0')).toHaveLength(1);
    });
  });

  describe('the database folder read-only (a full or broken disk)', () => {
    let ro: string;
    let second: RunningAgent;
    let pod: Pod;

    beforeAll(async () => {
      ro = join(state, 'ro');
      mkdirSync(ro);
      // Root ignores file modes: a read-only bind mount is what makes the folder unwritable for root.
      execFileSync('mount', ['--bind', ro, ro]);
      execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
      second = await startAgent([
        ...agentArgs().filter((_, i, a) => a[i - 1] !== '--db' && a[i] !== '--db'),
        '--db',
        join(ro, 'agent.db'),
      ]);
    }, 120_000);

    afterAll(async () => {
      await second?.stop();
      try {
        execFileSync('umount', [ro]);
      } catch {
        // already unmounted by the test
      }
    });

    it('says so in one sentence and keeps serving /metrics with the store down', async () => {
      await until(
        () => second.stderr(),
        (e) => /agent\.db cannot be written/.test(e),
        30_000,
        'the sentence',
      );
      const text = await (await fetch(`${second.url}/metrics`)).text();
      expect(text).toMatch(/^podmortem_agent_store_up 0$/m);
      const r = await fetch(`${second.url}/api/v1/incidents`);
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: string }).error).toMatch(/cannot be written/);
      expect(second.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    });

    it('keeps the crash recorded meanwhile and stores it once the folder is writable again', async () => {
      pod = await lab.run({
        namespace: 'rofs',
        pod: 'writer-0',
        container: 'app',
        restart: 'no',
        cmd: ['/bin/sh', '-c', 'sleep 1; exec /bin/crashlab exit 3'],
      });
      await lab.exited(pod.name);
      await until(
        () => fetch(`${second.url}/metrics`).then((r) => r.text()),
        (t) => /^podmortem_agent_store_pending [1-9]/m.test(t),
        60_000,
        'the incident held in memory',
      );
      execFileSync('mount', ['-o', 'remount,bind,rw', ro]);
      const rows = await until(
        () => storedRows(join(ro, 'agent.db')),
        (r) => r.some((x) => x.pod === 'writer-0'),
        60_000,
        'the incident in the database',
      );
      expect(rows.filter((x) => x.pod === 'writer-0')).toHaveLength(1);
    });
  });
});
