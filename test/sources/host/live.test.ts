// readNodeFacts on this machine's own root, checked against what the kernel says, and a real pids
// limit reached: the lab's Go program (test/lab/crashlab, static) runs in a pod cgroup laid out as the
// kubelet's cgroupfs driver does (kubepods/burstable/pod<uid>/<container-id>) with pids.max written
// on the pod level as podPidsLimit would, and spawns OS threads until clone fails with EAGAIN.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyze } from '../../../src/pipeline/analyze.js';
import type { CgroupLevel } from '../../../src/evidence/types.js';
import { readNodeFacts } from '../../../src/sources/host/node-facts.js';
import { Cgroups, crashlab, freshUids, startIn } from '../../lab/harness/index.js';
import { describeNeeding } from '../../prerequisites.js';

const PIDS = '/sys/fs/cgroup/pids';
const POD_PIDS_LIMIT = 48;

describeNeeding('readNodeFacts on the live root', ['linux', 'root', 'prlimit'], () => {
  let watcher: FSWatcher | undefined;
  afterAll(() => watcher?.close());

  it('matches what the kernel says', async () => {
    const before = readFileSync('/proc/loadavg', 'utf8').split(' ')[3]!.split('/')[1]!;
    const facts = await readNodeFacts('/');
    const after = readFileSync('/proc/loadavg', 'utf8').split(' ')[3]!.split('/')[1]!;
    expect(facts.pidMax?.value).toBe(Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')));
    expect(facts.threadsMax?.value).toBe(Number(readFileSync('/proc/sys/kernel/threads-max', 'utf8')));
    expect(facts.kernelRelease?.value).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    // Tasks come and go while we read; the figure must sit between two readings taken around it.
    const lo = Math.min(Number(before), Number(after)) - 20;
    const hi = Math.max(Number(before), Number(after)) + 20;
    expect(facts.tasks!.value).toBeGreaterThanOrEqual(lo);
    expect(facts.tasks!.value).toBeLessThanOrEqual(hi);
    expect(facts.tasks!.evidence.source).toBe('/proc/loadavg');
    expect(facts.limits.find((l) => l.id === 'kernel.pid_max')).toMatchObject({
      scope: 'node',
      max: facts.pidMax!.value,
    });
  });

  it('counts tasks per real UID and inotify instances per user from /proc', async () => {
    watcher = watch(tmpdir()); // an inotify instance held by this very process
    const facts = await readNodeFacts('/');
    const nproc = facts.limits.find((l) => l.id === 'rlimit.nproc' && l.scope === 'uid:0');
    const ownThreads = Number(/\nThreads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
    expect(nproc!.used).toBeGreaterThanOrEqual(ownThreads);
    expect(nproc!.max).toBeNull(); // never enforced for real UID 0
    const inotify = facts.limits.find((l) => l.id === 'inotify.instances' && l.scope === 'uid:0');
    expect(inotify!.used).toBeGreaterThanOrEqual(1);
    expect(inotify!.max).toBe(Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8')));
  });

  it('counts the tasks of a non-root UID against the lowest soft Max processes of its processes', async () => {
    // A real process of an unused UID (no other job's tasks counted) with its own RLIMIT_NPROC
    // lowered to 77 (prlimit, then exec sleep).
    const uid = freshUids(1)[0]!;
    const child = spawn('prlimit', ['--nproc=77:77', 'sleep', '30'], {
      uid,
      gid: uid,
      stdio: 'ignore',
    });
    try {
      let limit;
      for (let i = 0; i < 50 && !limit?.max; i++) {
        await new Promise((r) => setTimeout(r, 50)); // until prlimit has exec'd sleep
        limit = (await readNodeFacts('/')).limits.find(
          (l) => l.id === 'rlimit.nproc' && l.scope === `uid:${uid}`,
        );
      }
      expect(limit).toMatchObject({ used: 1, max: 77, ratio: 0.013 });
      expect(limit!.evidence).toContainEqual({
        source: `/proc/${child.pid}/limits`,
        text: 'Max processes 77 (soft, sleep)',
      });
      expect(limit!.topConsumers).toEqual([{ name: `pid ${child.pid} (sleep)`, used: 1 }]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

// The lab's Go program (test/lab/crashlab) in `threads` mode: every goroutine locks an OS thread.
describeNeeding(
  'a Go program that hits the pod pids limit',
  ['linux', 'root', 'cgroup-v1-pids', 'go'],
  () => {
    const podUid = randomUUID();
    const containerId = randomBytes(32).toString('hex');
    const cgroups = new Cgroups();
    let work = '';
    let output = '';
    let exitCode: number | null = null;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'podmortem-go-'));
      // kubepods/burstable/pod<uid>/<container>: the kubelet's cgroupfs layout (fresh cgroups, so the
      // once-per-cgroup kernel line is printed for this run), the pod's pids.max as podPidsLimit writes it.
      cgroups.make('pids', `/kubepods/burstable/pod${podUid}`, { 'pids.max': POD_PIDS_LIMIT });
      const container = cgroups.make('pids', `/kubepods/burstable/pod${podUid}/${containerId}`);
      const child = startIn([container], [await crashlab(), 'threads']);
      child.stdin!.end();
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000); // never hang the suite
      await new Promise<void>((resolve) => child.on('close', (code) => ((exitCode = code), resolve())));
      clearTimeout(timer);
      writeFileSync(join(work, 'crash.log'), output);
    }, 120_000);

    afterAll(async () => {
      await cgroups.remove(); // another engineer's lab may share kubepods/burstable: only ours go
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('dies with the Go runtime newosproc crash, errno 11, exit status 2', () => {
      expect(output).toMatch(/^runtime: failed to create new OS thread \(have \d+ already; errno=11\)$/m);
      expect(output).toContain('runtime: may need to increase max user processes (ulimit -u)');
      expect(output).toContain('fatal error: newosproc');
      expect(exitCode).toBe(2);
      const have = Number(/have (\d+) already/.exec(output)![1]);
      // N is Go's count of Ms (mcount), which includes the M whose clone just failed and Ms the kernel
      // never saw as tasks: close to the pod limit, not equal to it.
      expect(have).toBeGreaterThan(POD_PIDS_LIMIT / 2);
      expect(have).toBeLessThanOrEqual(POD_PIDS_LIMIT + 4);
    });

    it('readNodeFacts reports the chain with the limit, the peak and the failure counter', async () => {
      const facts = await readNodeFacts('/', { podUids: [podUid] });
      const pids = facts.cgroupChains!.filter((l) => l.controller === 'pids');
      const byLevel = (level: string): CgroupLevel => pids.find((l) => l.level === level)!;
      expect(pids.map((l) => l.level)).toEqual(['container', 'pod', 'qos', 'kubepods']);
      expect(byLevel('container').path).toBe(`/kubepods/burstable/pod${podUid}/${containerId}`);
      expect(byLevel('pod')).toMatchObject({
        path: `/kubepods/burstable/pod${podUid}`,
        max: POD_PIDS_LIMIT,
        current: 0,
      });
      expect(byLevel('pod').peak).toBeGreaterThanOrEqual(POD_PIDS_LIMIT);
      expect(byLevel('container').max).toBeNull();
      // cgroup v1: pids.events counts failed forks in the cgroup that forked (limits.md §1.3).
      expect(byLevel('container').events).toBeGreaterThan(0);
      expect(byLevel('pod').evidence).toContainEqual({
        source: `${PIDS}/kubepods/burstable/pod${podUid}/pids.max`,
        text: String(POD_PIDS_LIMIT),
      });
      const limit = facts.limits.find(
        (l) => l.id === 'cgroup.pids' && l.scope === `cgroup:/kubepods/burstable/pod${podUid}`,
      );
      expect(limit).toMatchObject({ used: 0, max: POD_PIDS_LIMIT, ratio: 0 });
      expect(limit!.peak).toBeGreaterThanOrEqual(POD_PIDS_LIMIT);

      const dmesg = execFileSync('dmesg', { encoding: 'utf8' });
      const line = `fork rejected by pids controller in /kubepods/burstable/pod${podUid}/${containerId}`;
      if (dmesg.includes(line)) {
        expect(facts.kernelLines).toContainEqual(
          expect.objectContaining({
            kind: 'pids-rejected',
            cgroup: `/kubepods/burstable/pod${podUid}/${containerId}`,
          }),
        );
      }
    });

    it('the analyze pipeline reads the crash and the node through --node-root /', async () => {
      const podYaml = join(work, 'pod.yaml');
      writeFileSync(
        podYaml,
        [
          'apiVersion: v1',
          'kind: Pod',
          'metadata: { name: threads-0, namespace: lab, uid: ' + podUid + ' }',
          'spec:',
          '  nodeName: lab-node',
          '  containers:',
          '  - name: threads',
          '    image: lab/threads:go1.19',
          '    securityContext: { runAsUser: 0 }',
          'status:',
          '  containerStatuses:',
          '  - name: threads',
          '    restartCount: 1',
          '    lastState: { terminated: { exitCode: 2, reason: Error } }',
          '',
        ].join('\n'),
      );
      const { report, inputErrors } = await analyze({
        inputs: [join(work, 'crash.log'), podYaml],
        nodeRoot: '/',
      });
      expect(inputErrors).toEqual([]);
      const incident = report.incidents[0]!;
      expect(incident.subject).toMatchObject({ namespace: 'lab', pod: 'threads-0', podUid, exitCode: 2 });
      const hit = incident.signatures.find((s) => s.id === 'go.newosproc');
      expect(hit?.fields).toMatchObject({
        errno: 11,
        threads: Number(/have (\d+) already/.exec(output)![1]),
      });
      const limit = report.node!.limits.find(
        (l) => l.id === 'cgroup.pids' && l.scope === `cgroup:/kubepods/burstable/pod${podUid}`,
      );
      expect(limit).toMatchObject({ max: POD_PIDS_LIMIT });
      expect(limit!.peak).toBeGreaterThanOrEqual(POD_PIDS_LIMIT);
      expect(incident.causes.map((c) => c.id)).toContain('cgroup.pids');
    });
  },
);
