// The runtime is a source, not a reason: the same crash run on Docker and on containerd must give
// the same verdicts. Two scenarios on both labs: a Go daemon as root at its pod's pids limit (the
// calico-node case), restarted and running again, and a container OOM-killed at its memory limit.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Incident, Report } from '../../src/evidence/types.js';
import { describeNeeding } from '../prerequisites.js';
import { expectValidReport } from '../schema/report-check.js';
import { ContainerdLab, labUnavailable } from './containerd/lab.js';
import { builtCli, DOCKER_LAB_NEEDS, DockerLab } from './harness/index.js';

function node(args: string[]): Report {
  const r = spawnSync(process.execPath, [builtCli(), 'node', '--root', '/', ...args, '--format', 'json'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  expect(r.status, r.stderr).toBe(0);
  expectValidReport(r.stdout);
  return JSON.parse(r.stdout) as Report;
}

const verdicts = (i: Incident | undefined) =>
  i ? i.causes.map((c) => `${c.id} ${c.verdict}`) : ['no incident'];
const byPod = (r: Report, pod: string) => r.incidents.find((i) => i.subject.pod === pod);

describeNeeding('the same crashes on Docker and on containerd', DOCKER_LAB_NEEDS, () => {
  let docker: DockerLab;
  let containerd: ContainerdLab;
  let onDocker: Report;
  let onContainerd: Report;

  beforeAll(async () => {
    const why = labUnavailable();
    if (why) throw new Error(`the containerd lab cannot run: ${why}`);
    docker = new DockerLab();
    containerd = new ContainerdLab();
    await Promise.all([docker.start(), containerd.start()]);

    // Docker: the restart policy plays the kubelet.
    const [dThreads, dOom] = await Promise.all([
      docker.run({
        pod: 'same-threads',
        container: 'daemon',
        podPidsMax: 40,
        cmd: ['/bin/crashlab', 'threads'],
        then: ['/bin/crashlab', 'hold', '5'],
      }),
      docker.run({
        pod: 'same-oom',
        container: 'hog',
        options: ['-m', '16m'],
        cmd: ['/bin/crashlab', 'memory'],
        restart: 'no',
      }),
    ]);
    await Promise.all([docker.restarted(dThreads.name), docker.oomKilled(dOom.name)]);

    // containerd: the lab plays the kubelet through CRI.
    const cThreads = await containerd.runPod({ pod: 'same-threads', namespace: 'lab', podPidsMax: 40 });
    const crashed = await containerd.runContainer(cThreads, {
      container: 'daemon',
      command: ['/bin/crashlab', 'threads'],
    });
    await containerd.exited(crashed);
    await containerd.runContainer(cThreads, {
      container: 'daemon',
      attempt: 1,
      command: ['/bin/crashlab', 'hold', '5'],
    });
    await containerd.logged(join(cThreads.logDirectory, 'daemon', '1.log'), 'crashlab: holding 5 threads');
    const cOom = await containerd.runPod({ pod: 'same-oom', namespace: 'lab' });
    const cOomId = await containerd.runContainer(cOom, {
      container: 'hog',
      command: ['/bin/crashlab', 'memory'],
      memory: 16 << 20,
    });
    await containerd.exited(cOomId);
    await containerd.oomRecorded(cOomId);

    onDocker = node(['--log-dir', docker.logDir, '--docker-socket', docker.socket]);
    onContainerd = node([
      '--log-dir',
      containerd.logDir,
      '--runtime-endpoint',
      `unix://${containerd.socket}`,
    ]);
  }, 600_000);

  afterAll(async () => {
    await Promise.all([docker?.teardown(), containerd?.teardown()]);
  }, 120_000);

  it('each report names its runtime', () => {
    expect(onDocker.node?.runtime?.name).toBe('docker');
    expect(onContainerd.node?.runtime?.name).toBe('containerd');
  });

  it('a Go daemon at its pod pids limit: the same verdicts, cgroup.pids confirmed first', () => {
    const d = byPod(onDocker, 'same-threads');
    const c = byPod(onContainerd, 'same-threads');
    expect(verdicts(c)).toEqual(verdicts(d));
    expect(d!.causes[0]).toMatchObject({ id: 'cgroup.pids', verdict: 'confirmed' });
    expect([d!.subject.exitCode, c!.subject.exitCode]).toEqual([2, 2]);
  });

  it('an OOM kill at 16 MiB: the same verdicts, memory.cgroup confirmed first, OOMKilled recorded by both', () => {
    const d = byPod(onDocker, 'same-oom');
    const c = byPod(onContainerd, 'same-oom');
    expect(verdicts(c)).toEqual(verdicts(d));
    expect(d!.causes[0]).toMatchObject({ id: 'memory.cgroup', verdict: 'confirmed' });
    expect([d!.subject.reason, c!.subject.reason]).toEqual(['OOMKilled', 'OOMKilled']);
  });
});
