// memory.cgroup, memory.node and runtime.heap weigh the same facts against each other: who killed
// the process (the memcg OOM killer, the global one) or whether the runtime gave up on its own heap.
// Lines are real, each with its public source; the verdict cases live in each cause's cases.ts.
import { describe, expect, it } from 'vitest';
import { assess, fact, hasSourcedEvidence, node, said } from './helpers.js';

// corpus argocd-controller-newosproc-errno12 (argoproj/argo-cd#4692).
const ERRNO12 = ['runtime: failed to create new OS thread (have 64 already; errno=12)'];
// Oracle's troubleshooting guide, as quoted in the JVM signature module.
const HEAP = 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space';

describe('memory.cgroup', () => {
  it('errno 12 from newosproc: possible without node evidence, likely near the memory limit, unlikely far from it at the pod level', () => {
    expect(assess('memory.cgroup', { lines: ERRNO12 }).verdict).toBe('possible');
    const level = (current: number, at: 'container' | 'pod' = 'container') => ({
      path: at === 'container' ? '/kubepods/burstable/pod1/c1' : '/kubepods/burstable/pod1',
      level: at,
      controller: 'memory' as const,
      max: 6 * 1024 ** 3,
      current,
      evidence: [
        {
          source: '/sys/fs/cgroup/memory/kubepods/burstable/pod1/c1/memory.usage_in_bytes',
          text: String(current),
        },
      ],
    });
    const near = assess('memory.cgroup', {
      lines: ERRNO12,
      node: node({ cgroupChains: [level(6 * 1024 ** 3 - 50 * 1024 ** 2)] }),
    });
    expect(near.verdict).toBe('likely');
    expect(said(near)).toMatch(/6 GiB/);
    const far = assess('memory.cgroup', {
      lines: ERRNO12,
      node: node({ cgroupChains: [level(1024 ** 3, 'pod')] }),
    });
    expect(far.verdict).toBe('unlikely');
    expect(hasSourcedEvidence(far)).toBe(true);
    // The container level is the restarted instance's new cgroup: far from the limit there says
    // nothing about the crashed instance, so it stays possible, with what to watch.
    const twin = assess('memory.cgroup', {
      lines: ERRNO12,
      node: node({ cgroupChains: [level(1024 ** 3)] }),
    });
    expect(twin.verdict).toBe('possible');
    expect(said(twin)).toMatch(/restarted instance's usage/);
    expect(twin.missing.join('\n')).toMatch(/just before the next crash/);
  });

  it('CentOS 7 (3.10, no oom_kill counter): memory.failcnt shows the limit was touched, not a kill: likely', () => {
    const dir = '/sys/fs/cgroup/memory/kubepods/burstable/pod1/c1';
    const level = {
      path: '/kubepods/burstable/pod1/c1',
      level: 'container',
      controller: 'memory' as const,
      max: 1073741824,
      events: 189,
      evidence: [
        { source: `${dir}/memory.limit_in_bytes`, text: '1073741824' },
        { source: `${dir}/memory.failcnt`, text: '189' },
      ],
    };
    const a = assess('memory.cgroup', {
      lines: ERRNO12,
      node: node({ cgroupVersion: 1, cgroupChains: [level] }),
    });
    expect(a.verdict).toBe('likely');
    expect(said(a)).toMatch(/failcnt .* is 189/);
    expect(said(a)).toMatch(/does not prove a kill/);
  });
});

describe('memory.cgroup from kubectl describe output (real k8s signatures)', () => {
  // kubectl describe pod of a container restarted by its liveness probe (event text as the kubelet prints it).
  const LIVENESS = [
    '    Last State:     Terminated',
    '      Reason:       Error',
    '      Exit Code:    137',
    '  Warning  Unhealthy  2m (x3 over 3m)  kubelet  Liveness probe failed: HTTP probe failed with statuscode: 503',
  ];
  it('exit 137 after failed liveness probes: the kubelet killed it, memory.cgroup unlikely', () => {
    const a = assess('memory.cgroup', { lines: LIVENESS });
    expect(a.verdict).toBe('unlikely');
    expect(said(a)).toMatch(/liveness/);
    expect(a.evidence.some((e) => /Liveness probe failed/.test(e.text))).toBe(true);
  });

  it('the jitsu-kafka describe output (corpus): OOMKilled confirms it', () => {
    // https://github.com/stafftastic/jitsu-chart/issues/76
    const a = assess('memory.cgroup', {
      lines: ['    Last State:     Terminated', '      Reason:       OOMKilled', '      Exit Code:    137'],
    });
    expect(a.verdict).toBe('confirmed');
    expect(a.evidence).toContainEqual(
      expect.objectContaining({ line: 2, text: '      Reason:       OOMKilled' }),
    );
  });
});

describe('runtime.heap', () => {
  it('memory limit facts: a container without a memory limit', () => {
    const a = assess('memory.cgroup', {
      lines: ERRNO12,
      process: { memoryLimit: fact(null, 'pod.yaml (resources.limits.memory)', 'no limit') },
    });
    expect(a.verdict).toBe('unlikely');
  });
});

describe('runtime.heap through the registered signatures', () => {
  it('JVM "Java heap space" and Node "JavaScript heap out of memory" confirm the runtime\'s own cap', () => {
    const jvm = assess('runtime.heap', { lines: [HEAP] });
    expect(jvm.verdict).toBe('confirmed');
    // A Node.js crash as printed by V8 (nodejs/node issues quote it in this form).
    const node = assess('runtime.heap', {
      lines: ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
    });
    expect(node.verdict).toBe('confirmed');
    expect(said(node)).toMatch(/JavaScript heap out of memory|Reached heap limit/);
  });
});
