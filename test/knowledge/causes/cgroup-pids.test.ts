// cgroup.pids: every level of the chain is read; a counter that recorded a refused fork, a peak or
// current at pids.max, or the kernel line naming a cgroup of the chain confirms it. Values are the
// files' real contents (cgroup v1 as on CentOS 7 and this machine) and the odd defaults seen in the
// wild (limits.md §2.2-2.3).
import { describe, expect, it } from 'vitest';
import { assess, dataHit, fact, hasSourcedEvidence, node, pidsLevel, said, SEED_LOG } from './helpers.js';

const POD = '/kubepods/burstable/pod8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813';
const CTR = `${POD}/4f9a1c3e7b2d8e6f0a5c9b1d3e7f2a4c6b8d0e1f3a5c7b9d2e4f6a8c0b1d3e5f`;
const pidMax = fact(32768, '/proc/sys/kernel/pid_max', '32768', 1);
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
  const cases = [
    {
      name: 'no node evidence: possible, with the commands that decide it',
      node: undefined,
      verdict: 'possible',
      words: [/cgroup chain was not read/],
    },
    {
      name: 'no pids controller in /proc/cgroups (RHEL 7.2 kernel): no pids limit can exist',
      node: node({ controllers: fact({ cpu: true, memory: true }, '/proc/cgroups', 'no pids line') }),
      verdict: 'ruled-out',
      words: [/does not list "pids"/],
    },
    {
      name: 'v1 container pids.events "max 3": the kernel counted refused forks',
      node: node({ controllers, cgroupChains: chain({ max: 4096, current: 12, events: 3 }) }),
      verdict: 'confirmed',
      words: [/records max 3/, /cgroup v1/],
    },
    {
      name: 'v2 pod level pids.events.local counts its own limit hits (podPidsLimit 100)',
      node: node({
        controllers,
        cgroupVersion: 2,
        kubelet: {
          source: '/var/lib/kubelet/config.yaml',
          podPidsLimit: fact(100, '/var/lib/kubelet/config.yaml', 'podPidsLimit: 100', 31),
        },
        cgroupChains: chain(
          { max: null, current: 3, events: 0 },
          { max: 100, current: 58, events: 0, eventsLocal: 4 },
        ),
      }),
      verdict: 'confirmed',
      words: [/pids\.events\.local of the pod level/, /podPidsLimit 100/],
    },
    {
      name: 'pod pids.peak reached pids.max',
      node: node({
        controllers,
        cgroupChains: chain({ max: null, current: 40 }, { max: 1024, current: 300, peak: 1024 }),
      }),
      verdict: 'confirmed',
      words: [/pids\.peak 1024 .* reached pids\.max 1024/],
    },
    {
      name: 'pids.max 0 from CRI-O 1.28 + runc 1.4 (opencontainers/runc#5332)',
      node: node({ controllers, cgroupChains: chain({ max: 0, current: 0 }) }),
      verdict: 'confirmed',
      words: [/allows no new task/, /runc#5332/],
    },
    {
      name: 'unlimited at every level including the container: ruled out',
      node: node({ controllers, cgroupChains: chain({ max: null, current: 45 }) }),
      verdict: 'ruled-out',
      words: [/"max" at every level/],
    },
    {
      name: 'kubepods at pid_max cannot be reached before pid_max (the seed snapshot)',
      node: node({
        controllers,
        pidMax,
        cgroupChains: [
          ...chain({ max: null }).slice(0, 3),
          pidsLevel('kubepods', '/kubepods', { max: 32768, current: 31874 }),
        ],
      }),
      verdict: 'ruled-out',
      words: [/pids\.max 32768 is not below kernel\.pid_max 32768/],
    },
    {
      name: 'container scope at 4915 = systemd DefaultTasksMax 15% of pid_max 32768, with big headroom',
      node: node({ controllers, pidMax, cgroupChains: chain({ max: 4915, current: 212 }) }),
      verdict: 'unlikely',
      words: [/DefaultTasksMax=15%/, /container 212\/4915 \(4\.3%\)/, /41 threads/],
    },
    {
      name: 'RHEL docker-1.13.1 container limit 4096 nearly full',
      node: node({ controllers, cgroupChains: chain({ max: 4096, current: 4020 }) }),
      verdict: 'likely',
      words: [/RHEL's docker-1\.13\.1/],
    },
  ] as const;

  for (const c of cases) {
    it(c.name, () => {
      const a = assess('cgroup.pids', { lines: SEED_LOG, ...(c.node ? { node: c.node } : {}) });
      expect(a.verdict).toBe(c.verdict);
      for (const w of c.words) expect(said(a)).toMatch(w);
      expect(hasSourcedEvidence(a)).toBe(true);
      if (c.verdict === 'possible' || c.verdict === 'likely') expect(a.missing.length).toBeGreaterThan(0);
      if (c.verdict === 'confirmed') expect(a.remediation.length).toBeGreaterThan(0);
    });
  }

  it('a "fork rejected by pids controller" line in the incident names the cgroup: confirmed', () => {
    // Line as quoted in the kind/podman thread (corpus kind-rootless-podman-nginx-tasksmax-675), with its path.
    const text =
      'cgroup: fork rejected by pids controller in /user.slice/user-1000.slice/user@1000.service/user.slice/libpod-2b3f.scope';
    const hit = dataHit(
      'kernel.pids-rejected',
      text,
      { cgroup: '/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-2b3f.scope' },
      'dmesg.txt',
      7,
    );
    const a = assess('cgroup.pids', { lines: SEED_LOG, hits: [hit] });
    expect(a.verdict).toBe('confirmed');
    expect(a.evidence).toContainEqual({ source: 'dmesg.txt', line: 7, text });
  });

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
