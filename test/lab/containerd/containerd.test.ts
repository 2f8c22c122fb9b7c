// The containerd lab: real limits reached by real containers that a private containerd 1.6 runs
// through CRI, read back by podmortem's CRI source (--runtime-endpoint) and its event stream.
// Outside CI, where it cannot run (not Linux, not root, no containerd), it is skipped with the reason;
// with CI=true a missing prerequisite fails it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostRoot } from '../../../src/sources/host/root.js';
import { runtimeExits, type RuntimeExit } from '../../../src/sources/runtime/cri/events.js';
import { cgroupDirOf } from '../../../src/sources/runtime/cgroups-path.js';
import { readRuntime } from '../../../src/sources/runtime/endpoint.js';
import type { RuntimeContainer } from '../../../src/sources/runtime/types.js';
import { ContainerdLab, labUnavailable, pidsMax, type LabPod } from './lab.js';

const why = labUnavailable();
const ci = process.env.CI === 'true';
if (why && !ci) console.warn(`containerd lab skipped: ${why}`);

const RFC3339_NANOS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

describe.skipIf(why !== undefined && !ci)('containerd lab (CRI source, event stream)', () => {
  let lab: ContainerdLab;
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    if (why) throw new Error(`the containerd lab cannot run: ${why}`);
    lab = new ContainerdLab();
    await lab.start();
    figures['containerd start (ms)'] = Math.round(lab.startMs);
  }, 300_000);

  afterAll(async () => {
    await lab?.teardown();
    if (Object.keys(figures).length) console.info('containerd lab figures', figures);
  });

  /** What the CRI source reads for one pod, through the same call `podmortem node` makes. */
  async function readPod(pod: LabPod): Promise<RuntimeContainer[]> {
    const sel = await readRuntime(new HostRoot('/'), { endpoint: `unix://${lab.socket}` });
    expect(sel.explicitFailed).toBeUndefined();
    expect(sel.read?.runtime).toBe('containerd');
    expect(sel.read?.endpoint).toBe(`unix://${lab.socket}`);
    return (sel.read?.containers ?? [])
      .filter((c) => c.kube.podUid === pod.uid)
      .sort((a, b) => a.kube.attempt - b.kube.attempt);
  }

  /** Collects the stream's events until `done` holds or the time bound ends it. */
  async function collect(
    stream: AsyncIterable<RuntimeExit>,
    ctl: AbortController,
    done: (seen: RuntimeExit[]) => boolean,
  ): Promise<RuntimeExit[]> {
    const seen: RuntimeExit[] = [];
    const bound = setTimeout(() => ctl.abort(), 60_000);
    for await (const e of stream) {
      seen.push(e);
      if (done(seen)) break;
    }
    clearTimeout(bound);
    ctl.abort();
    return seen;
  }

  it('a Go program at its pod pids limit: exit 2 read through CRI, then the restarted twin', async () => {
    const t0 = performance.now();
    const pod = await lab.runPod({ pod: 'calico-node-lab', namespace: 'kube-system', podPidsMax: 30 });
    expect(pidsMax(pod.cgroupParent)).toBe('30');
    const crashed = await lab.runContainer(pod, {
      container: 'calico-node',
      command: ['/bin/crashlab', 'threads'],
    });
    await lab.exited(crashed);
    figures['sandbox + crashing container (ms)'] = Math.round(performance.now() - t0);
    // The kubelet's restart: attempt 1, restartCount 1, 1.log; it holds a few threads and stays up.
    const twin = await lab.runContainer(pod, {
      container: 'calico-node',
      attempt: 1,
      command: ['/bin/crashlab', 'hold', '3'],
    });
    const folder = join(pod.logDirectory, 'calico-node');
    await lab.logged(join(folder, '1.log'), 'crashlab: holding 3 threads');

    const [first, second] = await readPod(pod);
    expect(first).toMatchObject({
      id: crashed,
      kube: {
        namespace: 'kube-system',
        pod: 'calico-node-lab',
        podUid: pod.uid,
        container: 'calico-node',
        attempt: 0,
      },
      running: false,
      exitCode: 2,
      reason: 'Error',
      oomKilled: false,
      restartCount: 0,
      logPath: join(folder, '0.log'),
      cgroupsPath: `${pod.cgroupParent}/${crashed}`,
      user: '0:0',
      runtime: 'containerd',
      source: `crictl inspect ${crashed.slice(0, 12)}`,
    });
    expect(first!.finishedAt).toMatch(RFC3339_NANOS);
    expect(first!.pid).toBeUndefined();
    // The CRI log in the kubelet's layout holds the Go runtime's own words.
    expect(readFileSync(first!.logPath!, 'utf8')).toMatch(
      / stderr F runtime: failed to create new OS thread \(have \d+ already; errno=11\)\n/,
    );
    expect(second).toMatchObject({
      id: twin,
      running: true,
      restartCount: 1,
      logPath: join(folder, '1.log'),
    });
    expect(second!.finishedAt).toBeUndefined();
    // The live twin's pid is a real process in the cgroup the spec names.
    const cgroups = readFileSync(`/proc/${second!.pid}/cgroup`, 'utf8');
    expect(cgroups).toContain(`:pids:${cgroupDirOf(second!.cgroupsPath!)}\n`);
  });

  it('a 16 MiB memory limit: OOMKilled read through CRI, /tasks/oom then /tasks/exit on the event stream', async () => {
    const ctl = new AbortController();
    const vias: string[] = [];
    const stream = runtimeExits(lab.socket, { signal: ctl.signal, onSource: (v) => vias.push(v) });
    const pod = await lab.runPod({ pod: 'hog', namespace: 'lab' });
    const id = await lab.runContainer(pod, {
      container: 'hog',
      command: ['/bin/crashlab', 'memory'],
      memory: 16 << 20,
    });
    const events = await collect(stream, ctl, (s) =>
      s.some((e) => e.containerId === id && e.kind === 'exit'),
    );
    expect(vias).toEqual(['containerd-events']);
    const mine = events.filter((e) => e.containerId === id);
    expect(mine.map((e) => e.kind)).toEqual(['oom', 'exit']);
    expect(mine[1]).toMatchObject({ exitStatus: 137, via: 'containerd-events' });
    expect(mine[1]!.exitedAt).toMatch(RFC3339_NANOS);

    await lab.exited(id);
    const [hog] = await readPod(pod);
    expect(hog).toMatchObject({
      id,
      exitCode: 137,
      reason: 'OOMKilled',
      oomKilled: true,
      memoryLimit: 16 << 20,
      cgroupsPath: `${pod.cgroupParent}/${id}`,
      logPath: join(pod.logDirectory, 'hog/0.log'),
      restartCount: 0,
    });
    expect(hog!.finishedAt).toMatch(RFC3339_NANOS);
  });

  it('a shell fork loop at its pod pids limit: busybox cannot fork and exits 2', async () => {
    const pod = await lab.runPod({ pod: 'forker', namespace: 'lab', podPidsMax: 10 });
    const id = await lab.runContainer(pod, {
      container: 'loop',
      command: ['/bin/sh', '-c', 'while :; do sleep 1000 & done'],
    });
    await lab.exited(id);
    const [loop] = await readPod(pod);
    expect(loop).toMatchObject({
      id,
      exitCode: 2,
      reason: 'Error',
      oomKilled: false,
      cgroupsPath: `${pod.cgroupParent}/${id}`,
      logPath: join(pod.logDirectory, 'loop/0.log'),
    });
    expect(loop!.finishedAt).toMatch(RFC3339_NANOS);
    expect(readFileSync(loop!.logPath!, 'utf8')).toContain(
      " stderr F /bin/sh: can't fork: Resource temporarily unavailable\n",
    );
  });

  // containerd 1.6 answers GetContainerEvents UNIMPLEMENTED: asking for the CRI stream falls back to polling.
  it.each([
    { ask: undefined, used: ['containerd-events'] },
    { ask: 'cri-events' as const, used: ['cri-events', 'cri-poll'] },
  ])(
    'a burst of 20 crashes, listening with $used: every exit is delivered exactly once, with its status',
    async ({ ask, used }) => {
      const trigger = join(lab.tmp, `trigger-${used.length}`);
      mkdirSync(trigger, { recursive: true });
      const pod = await lab.runPod({ pod: `burst-${used.length}`, namespace: 'lab' });
      const wait = 'while [ ! -e /trigger/go ]; do sleep 0.05; done';
      const ids: string[] = [];
      for (let i = 0; i < 20; i++)
        ids.push(
          await lab.runContainer(pod, {
            container: `crash-${i}`,
            command: ['/bin/sh', '-c', `${wait}; exec /bin/crashlab exit ${10 + i}`],
            trigger,
          }),
        );
      const ctl = new AbortController();
      const vias: string[] = [];
      const stream = runtimeExits(lab.socket, {
        signal: ctl.signal,
        ...(ask ? { via: ask } : {}),
        pollMs: 200,
        onSource: (v) => vias.push(v),
      });
      // The subscription is live once it delivers something: a canary exit, retried until one is seen.
      const events: RuntimeExit[] = [];
      const iterator = stream[Symbol.asyncIterator]();
      const bound = setTimeout(() => ctl.abort(), 90_000);
      // One next() in flight at a time, kept across a timed-out wait so no event is dropped.
      let pending = iterator.next();
      let ended = false;
      const take = async (waitMs?: number): Promise<void> => {
        const r = await Promise.race([
          pending,
          ...(waitMs ? [new Promise<'later'>((res) => setTimeout(() => res('later'), waitMs))] : []),
        ]);
        if (r === 'later') return;
        if (r.done) ended = true;
        else events.push(r.value);
        pending = iterator.next();
      };
      // The subscription is live once it delivers something: a canary exit, retried until one is seen.
      const canaries: string[] = [];
      while (!ended && !events.some((e) => canaries.includes(e.containerId))) {
        canaries.push(
          await lab.runContainer(pod, { container: `canary-${canaries.length}`, command: ['/bin/true'] }),
        );
        await take(2000);
      }
      writeFileSync(join(trigger, 'go'), '');
      while (!ended && ids.some((id) => !events.some((e) => e.containerId === id))) await take();
      clearTimeout(bound);
      ctl.abort();
      expect(vias).toEqual(used);
      const burst = events.filter((e) => ids.includes(e.containerId));
      expect(burst).toHaveLength(20);
      expect(new Set(burst.map((e) => e.containerId)).size).toBe(20);
      for (const [i, id] of ids.entries())
        expect(burst.find((e) => e.containerId === id)).toMatchObject({
          kind: 'exit',
          exitStatus: 10 + i,
          via: used.at(-1),
        });
      // And the CRI source reads the same 20 exits, once CRI has recorded them: containerd publishes
      // /tasks/exit before its CRI plugin updates the container's status.
      for (const id of ids) await lab.exited(id);
      const read = await readPod(pod);
      for (const [i, id] of ids.entries()) expect(read.find((c) => c.id === id)?.exitCode).toBe(10 + i);
      expect(existsSync(join(pod.logDirectory, 'crash-0/0.log'))).toBe(true);
    },
  );
});
