// `podmortem agent` on a real containerd (the lab's private containerd 1.6 driven through CRI as the
// kubelet drives it): a Go daemon that reaches its pod's pids limit while the agent follows
// containerd's event stream becomes an incident in the agent's SQLite, an Event on the stand-in API
// and a counter on /metrics. Outside CI, where the lab cannot run, it is skipped with the reason;
// with CI=true a missing prerequisite fails it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentItem } from '../../src/store/types.js';
import { ContainerdLab, labUnavailable, type LabPod } from '../lab/containerd/lab.js';
import { startStandin, type Standin } from '../standin/server.mjs';
import { incidents, series, startAgent, storedRows, until, type RunningAgent } from './helpers.js';

const why = labUnavailable();
const ci = process.env.CI === 'true';
if (why && !ci) console.warn(`containerd agent lab skipped: ${why}`);

describe.skipIf(why !== undefined && !ci)('podmortem agent on the containerd lab', () => {
  let lab: ContainerdLab;
  let standin: Standin;
  let agent: RunningAgent;
  let state: string;
  let db: string;
  let pod: LabPod;
  let item: IncidentItem;

  beforeAll(async () => {
    if (why) throw new Error(`the containerd lab cannot run: ${why}`);
    lab = new ContainerdLab();
    await lab.start();
    standin = await startStandin({});
    state = mkdtempSync(join(tmpdir(), 'podmortem-agent-ctd-'));
    db = join(state, 'agent.db');
    agent = await startAgent([
      '--db',
      db,
      '--node-name',
      'ctd-node',
      '--log-dir',
      lab.logDir,
      '--runtime-endpoint',
      `unix://${lab.socket}`,
      '--kubeconfig',
      standin.kubeconfig,
      '--sample-interval',
      '0.5',
    ]);
    await until(
      () => fetch(`${agent.url}/readyz`).then((r) => r.status),
      (s) => s === 200,
      60_000,
      'readyz',
    );
    pod = await lab.runPod({ pod: 'calico-node-ctd', namespace: 'kube-system', podPidsMax: 30 });
    const crashed = await lab.runContainer(pod, {
      container: 'calico-node',
      command: ['/bin/crashlab', 'threads'],
    });
    await lab.exited(crashed);
    const found = await until(
      () => incidents(agent, '&namespace=kube-system'),
      (items) => items.some((i) => i.subject.podUid === pod.uid),
      120_000,
      'the incident',
    );
    item = found.find((i) => i.subject.podUid === pod.uid)!;
  }, 600_000);

  afterAll(async () => {
    await agent?.stop();
    await standin?.close();
    await lab?.teardown();
    if (state) rmSync(state, { recursive: true, force: true });
  }, 120_000);

  it('stores the exit in SQLite: exit 2 as containerd recorded it, cgroup.pids confirmed', () => {
    expect(
      storedRows(db)
        .filter((r) => r.pod === 'calico-node-ctd')
        .map((r) => r.id),
    ).toEqual([item.id]);
    expect(item).toMatchObject({ node: 'ctd-node', subject: { container: 'calico-node', exitCode: 2 } });
    expect(item.signatures.map((s) => s.id)).toContain('go.newosproc');
    expect(item.causes[0]).toMatchObject({ id: 'cgroup.pids', verdict: 'confirmed' });
  });

  it('posts the Event on the pod with the verdict and cause first', async () => {
    const ev = await until(
      () => standin.state.posted.find((e) => e.regarding?.uid === pod.uid),
      (e) => e !== undefined,
      30_000,
      'the Event',
    );
    expect(ev).toMatchObject({
      type: 'Warning',
      reason: 'CrashDiagnosed',
      regarding: { name: 'calico-node-ctd' },
    });
    expect(ev!.note).toMatch(/^confirmed cgroup\.pids: /);
  });

  it('counts it on /metrics', async () => {
    const text = await (await fetch(`${agent.url}/metrics`)).text();
    expect(
      series(text, 'podmortem_container_exits_total', {
        namespace: 'kube-system',
        workload: 'calico-node-ctd',
        cause: 'cgroup.pids',
        verdict: 'confirmed',
        signature: item.signatures[0]!.id,
      }),
    ).toBe(1);
  });

  it('stops cleanly on SIGTERM (exit status 0)', async () => {
    expect(await agent.stop()).toBe(0);
  });
});
