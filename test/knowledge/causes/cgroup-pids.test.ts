// cgroup.pids: every level of the chain is read; a counter that recorded a refused fork, a peak or
// current at pids.max, or the kernel line naming a cgroup of the chain confirms it. Values are the
// files' real contents (cgroup v1 as on CentOS 7 and this machine) and the odd defaults seen in the
// wild (limits.md §2.2-2.3).
import { describe, expect, it } from 'vitest';
import { assess, fact, node, pidsLevel, said, SEED_LOG } from './helpers.js';

const POD = '/kubepods/burstable/pod8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813';
const CTR = `${POD}/4f9a1c3e7b2d8e6f0a5c9b1d3e7f2a4c6b8d0e1f3a5c7b9d2e4f6a8c0b1d3e5f`;
const controllers = fact({ cpu: true, memory: true, pids: true }, '/proc/cgroups', 'pids\t8\t5\t1');

function chain(
  container: Parameters<typeof pidsLevel>[2],
  pod: Parameters<typeof pidsLevel>[2] = { max: null },
) {
  return [
    pidsLevel('container', CTR, container),
    pidsLevel('pod', POD, pod),
    pidsLevel('qos', '/kubepods/burstable', { max: null }),
    pidsLevel('kubepods', '/kubepods', { max: null }),
  ];
}

describe('cgroup.pids', () => {
  // The verdict cases of the chain live in src/knowledge/causes/cgroup.pids/cases.ts.
  it('systemctl status "Tasks: 502 (limit: 512)" (corpus so-docker-tasksmax-kernel43): likely, at the limit: confirmed', () => {
    const a = assess('cgroup.pids', {
      lines: ['● docker.service - Docker Application Container Engine', '    Tasks: 502 (limit: 512)'],
    });
    expect(a.verdict).toBe('likely');
    expect(said(a)).toMatch(/502\/512 \(98\.0%\)/);
    expect(said(a)).toMatch(/v228/);
    const full = assess('cgroup.pids', { lines: ['    Tasks: 512 (limit: 512)'] });
    expect(full.verdict).toBe('confirmed');
  });

  it("a refusal counted at the QoS level may be another pod's: likely, not confirmed", () => {
    const chainV2 = [
      pidsLevel('container', CTR, { max: null, current: 41, events: 0 }),
      pidsLevel('pod', POD, { max: null, current: 45, events: 0 }),
      pidsLevel('qos', '/kubepods/burstable', { max: 20000, current: 800, events: 6 }),
    ];
    const a = assess('cgroup.pids', {
      lines: SEED_LOG,
      node: node({ controllers, cgroupVersion: 2, cgroupChains: chainV2 }),
    });
    expect(a.verdict).toBe('likely');
    expect(said(a)).toMatch(/shared by every pod under it/);
  });

  it('a kernel line about another cgroup of the node does not confirm this container', () => {
    const other = {
      kind: 'pids-rejected' as const,
      cgroup: '/system.slice/docker-1f2e.scope',
      evidence: {
        source: '/var/log/messages',
        line: 88,
        text: 'cgroup: fork rejected by pids controller in /system.slice/docker-1f2e.scope',
      },
    };
    const a = assess('cgroup.pids', {
      lines: SEED_LOG,
      node: node({ controllers, kernelLines: [other], cgroupChains: chain({ max: 4096, current: 30 }) }),
    });
    expect(a.verdict).not.toBe('confirmed');
    expect(said(a)).toMatch(/outside this container's chain/);
  });

  it("a kernel line naming the pod's cgroup confirms it even when the counters were reset", () => {
    const line = {
      kind: 'pids-rejected' as const,
      cgroup: CTR,
      evidence: {
        source: '/var/log/messages',
        line: 12,
        text: `cgroup: fork rejected by pids controller in ${CTR}`,
      },
    };
    const a = assess('cgroup.pids', {
      lines: SEED_LOG,
      subject: { podUid: '8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813' },
      node: node({ controllers, kernelLines: [line] }),
    });
    expect(a.verdict).toBe('confirmed');
  });
});
