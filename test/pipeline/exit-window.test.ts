// The kernel lines an exit is given by the agent: real kernel message texts (classified by the same
// reader as /dev/kmsg's records), dated around an exit, chosen by window and by whose they are.
import { describe, expect, it } from 'vitest';
import type { KernelLine } from '../../src/evidence/types.js';
import { exitWindowLines } from '../../src/pipeline/exit-window.js';
import { classifyKernelLine } from '../../src/sources/host/kernel-log.js';

const UID = '3afca834-f56a-4b83-aa3d-d264ea5de4ce';
const OTHER = '60cda34c-eedc-48f1-a371-c01572dbab10';
const CID = 'b4b24d059679707c89c21aeee7bd1e776060b97532c3a30b3e8a4c44c3dc3f77';
const PATH = `/kubepods/burstable/pod${UID}/${CID}`;
const EXIT = Date.UTC(2026, 10, 29, 23, 0, 0);

function line(text: string, secondsFromExit: number): KernelLine {
  const l = classifyKernelLine(text, '/dev/kmsg');
  if (!l) throw new Error(`not a kernel limit line: ${text}`);
  return { ...l, at: EXIT + secondsFromExit * 1000 };
}

const summary = (uid: string, pid: number) =>
  `[ 9770.654567] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=${CID},mems_allowed=0,oom_memcg=/kubepods/burstable/pod${uid}/${CID},task_memcg=/kubepods/burstable/pod${uid}/${CID},task=crashlab,pid=${pid},uid=0`;
const killed = (pid: number) =>
  `[ 9770.654607] Memory cgroup out of memory: Killed process ${pid} (crashlab) total-vm:711432kB, anon-rss:16000kB, file-rss:1184kB, shmem-rss:0kB, UID:0 pgtables:120kB oom_score_adj:0`;

describe('the kernel lines of an exit', () => {
  const all = [
    line(summary(UID, 7984), -40), // an earlier instance of the same pod: outside the window
    line(killed(7984), -40),
    line(summary(UID, 8123), -0.2),
    line(killed(8123), -0.2),
    line(summary(OTHER, 8200), -1), // another pod, same moment
    line(killed(8200), -1),
    line('[ 9801.1] cgroup: fork rejected by pids controller in /kubepods/burstable', -5), // above the pod
    line(`[ 9801.2] cgroup: fork rejected by pids controller in /kubepods/burstable/pod${OTHER}`, -5),
    line('[ 9802.0] Out of memory: Killed process 4242 (java) total-vm:9000000kB, anon-rss:8000000kB', -10),
    line('[ 9803.0] VFS: file-max limit 6590400 reached', 1.5),
    line('[ 9804.0] VFS: file-max limit 6590400 reached', 3), // after the window
  ];
  const chosen = exitWindowLines(all, EXIT, UID, [PATH]);
  const whose = chosen.map(
    (l) => `${l.evidence.of} ${l.evidence.text.replace(/^\[[^\]]*\] /, '').slice(0, 64)}`,
  );

  it("keeps the crashed container's OOM kill of this instance, both lines, as the crashed instance's", () => {
    expect(chosen.filter((l) => l.evidence.of === 'crashed').map((l) => l.evidence.text)).toEqual([
      summary(UID, 8123),
      killed(8123),
    ]);
  });

  it("keeps the node's lines in the window as the node's: a limit above the pod, a global OOM kill, file-max", () => {
    expect(whose.filter((w) => w.startsWith('node'))).toEqual([
      'node cgroup: fork rejected by pids controller in /kubepods/burstable',
      'node Out of memory: Killed process 4242 (java) total-vm:9000000kB, an',
      'node VFS: file-max limit 6590400 reached',
    ]);
  });

  it("leaves out another pod's lines, the earlier instance's and those after the window", () => {
    expect(chosen).toHaveLength(5);
    expect(chosen.some((l) => l.evidence.text.includes(OTHER))).toBe(false);
    expect(chosen.some((l) => l.evidence.text.includes('7984'))).toBe(false);
    expect(chosen.some((l) => l.evidence.text.includes('8200'))).toBe(false);
  });

  it('gives nothing for lines whose time is unknown (a saved log)', () => {
    const undated = all.map(({ at: _at, ...l }) => l);
    expect(exitWindowLines(undated, EXIT, UID, [PATH])).toEqual([]);
  });
});
