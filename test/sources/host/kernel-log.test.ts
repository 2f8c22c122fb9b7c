// Kernel lines as this machine's kernel (6.18) printed them during the lab runs (dmesg), classified
// and matched to the pod by the cgroup path they name.
import { describe, expect, it } from 'vitest';
import { classifyKernelLine, formatKmsgRecord, linesForPod } from '../../../src/sources/host/kernel-log.js';

const POD = '4857fbf9-147a-4f18-a38d-0d564fcac52d';
const ID = '383703439c18ff9fe8af80aec2e03ec5c92d63d971f196128515de9655c3beb4';
const lab = {
  pids: '[  534.194646] cgroup: fork rejected by pids controller in /kubepods/burstable/pod11111111-2222-3333-4444-555555555555/3c28ad039005936e258f5ccfed9a0ae25c7afbbc3a582c4ffdb46f99f6f16961',
  oomSummary: `[ 1212.158379] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=${ID},mems_allowed=0,oom_memcg=/kubepods/burstable/pod${POD}/${ID},task_memcg=/kubepods/burstable/pod${POD}/${ID},task=crashlab,pid=2773,uid=0`,
  oomKill:
    '[ 1212.158405] Memory cgroup out of memory: Killed process 2773 (crashlab) total-vm:711412kB, anon-rss:32128kB, file-rss:1156kB, shmem-rss:0kB, UID:0 pgtables:148kB oom_score_adj:0',
};

describe('classifyKernelLine', () => {
  it('takes the cgroup from a pids rejection', () => {
    const l = classifyKernelLine(lab.pids, '/dev/kmsg')!;
    expect(l.kind).toBe('pids-rejected');
    expect(l.cgroup).toBe(
      '/kubepods/burstable/pod11111111-2222-3333-4444-555555555555/3c28ad039005936e258f5ccfed9a0ae25c7afbbc3a582c4ffdb46f99f6f16961',
    );
  });

  it('takes the memcg from the oom-kill summary and marks the memcg kill', () => {
    const s = classifyKernelLine(lab.oomSummary, 'dmesg')!;
    expect(s.kind).toBe('memcg-oom');
    expect(s.cgroup).toBe(`/kubepods/burstable/pod${POD}/${ID}`);
    expect(classifyKernelLine(lab.oomKill, 'dmesg')!.kind).toBe('memcg-oom');
  });

  it('ignores unrelated lines, and on hostile half-megabyte lines still answers with bounded captures', () => {
    expect(classifyKernelLine('[    0.000000] Linux version 6.18.44', 'dmesg')).toBeUndefined();
    // 550,000 characters of a repeated prefix: a backtracking pattern would not come back from this.
    expect(classifyKernelLine('oom-kill:' + 'constraint='.repeat(50_000), 'dmesg')).toBeUndefined();
    // A memcg summary padded to 500 KB before a 10 KB memcg path: still a memcg OOM kill, and what it
    // keeps is capped (the path at PATH_MAX, the quoted evidence at 1 KiB) however long the line.
    const padded = `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=${'x'.repeat(500_000)},oom_memcg=/kubepods/${'a'.repeat(10_000)},task=crashlab`;
    const l = classifyKernelLine(padded, 'dmesg')!;
    expect(l.kind).toBe('memcg-oom');
    expect(l.cgroup).toBe(`/kubepods/${'a'.repeat(4096 - '/kubepods/'.length)}`);
    expect(l.evidence.text).toHaveLength(1024);
    const global = `oom-kill:constraint=CONSTRAINT_NONE,task_memcg=/kubepods/pod${POD}/${ID},task=x`;
    expect(classifyKernelLine(global, 'dmesg')).toMatchObject({
      kind: 'global-oom',
      cgroup: `/kubepods/pod${POD}/${ID}`,
    });
  });

  it('matches lines to a pod by its UID, dashed (cgroupfs) or underscored (systemd slices)', () => {
    const lines = [
      lab.pids,
      lab.oomSummary,
      `cgroup: fork rejected by pids controller in /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope`,
    ].map((t) => classifyKernelLine(t, 'dmesg')!);
    expect(linesForPod(lines, POD).map((l) => l.kind)).toEqual(['memcg-oom', 'pids-rejected']);
  });
});

describe('formatKmsgRecord', () => {
  it('prints a /dev/kmsg record the way dmesg does', () => {
    expect(
      formatKmsgRecord(
        '6,1234,534194646,-;cgroup: fork rejected by pids controller in /x\n SUBSYSTEM=cgroup',
      ),
    ).toBe('[  534.194646] cgroup: fork rejected by pids controller in /x');
  });
});
