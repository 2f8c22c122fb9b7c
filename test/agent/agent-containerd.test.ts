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
import { crashPids } from './scenarios.js';

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
    pod = await crashPids(lab);
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

  describe("an OOM kill: the kernel lines of the exit's window, marked whose they are", () => {
    const kmsg = (i: IncidentItem) =>
      JSON.stringify(i)
        .match(/\{"source":"\/dev\/kmsg"[^{}]*\}/g)
        ?.map((e) => JSON.parse(e) as { text: string; of?: string }) ?? [];
    let oom: LabPod;
    let other: LabPod;
    let oomItem: IncidentItem;
    let otherItem: IncidentItem;

    beforeAll(async () => {
      // Two pods killed by their memory limits in the same seconds: each incident gets its own lines.
      oom = await lab.runPod({ pod: 'cache-0', namespace: 'oom' });
      other = await lab.runPod({ pod: 'other-0', namespace: 'oom' });
      const ids = await Promise.all(
        [oom, other].map((p) =>
          lab.runContainer(p, { container: 'cache', command: ['/bin/crashlab', 'memory'], memory: 16 << 20 }),
        ),
      );
      for (const id of ids) await lab.exited(id);
      const found = await until(
        () => incidents(agent, '&namespace=oom'),
        (items) => items.length === 2,
        60_000,
        'the two OOM incidents',
      );
      oomItem = found.find((i) => i.subject.podUid === oom.uid)!;
      otherItem = found.find((i) => i.subject.podUid === other.uid)!;
    }, 180_000);

    it("quotes the kernel's OOM kill of the crashed container, as the crashed instance's", () => {
      // Quoted by the causes with whose it is (the same line as crash output, in signatures, has no owner).
      const lines = kmsg(oomItem).filter((l) => l.of !== undefined);
      const summary = lines.find((l) => l.text.includes('oom-kill:constraint=CONSTRAINT_MEMCG'));
      expect(summary, JSON.stringify(lines)).toBeDefined();
      expect(summary!.text).toContain(`pod${oom.uid}`);
      expect(summary!.of).toBe('crashed');
      // The "Killed process" line names no cgroup: it is tied to the container by the victim's pid.
      const pid = /,pid=(\d+)/.exec(summary!.text)![1];
      const killed = lines.find((l) => l.text.includes(`Killed process ${pid} (crashlab)`));
      expect(killed?.of).toBe('crashed');
      expect(oomItem.causes[0]).toMatchObject({ id: 'memory.cgroup', verdict: 'confirmed' });
    });

    it("leaves out the other pod's lines written in the same window", () => {
      expect(kmsg(oomItem).filter((l) => l.text.includes(other.uid))).toEqual([]);
      expect(kmsg(otherItem).filter((l) => l.text.includes(oom.uid))).toEqual([]);
      expect(kmsg(otherItem).some((l) => l.text.includes(`pod${other.uid}`))).toBe(true);
    });

    it('leaves out the earlier pids rejection of calico-node-ctd (another pod, minutes before)', () => {
      expect(kmsg(oomItem).filter((l) => l.text.includes(pod.uid))).toEqual([]);
    });
  });

  it('stops cleanly on SIGTERM (exit status 0)', async () => {
    expect(await agent.stop()).toBe(0);
  });
});
