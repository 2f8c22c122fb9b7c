// memory.cgroup, memory.node and runtime.heap weigh the same facts against each other: who killed
// the process (the memcg OOM killer, the global one) or whether the runtime gave up on its own heap.
// Lines are real, each with its public source.
import { describe, expect, it } from 'vitest';
import { assess, dataHit, fact, hasSourcedEvidence, node, said } from './helpers.js';

// kubernetes/node-problem-detector#766 (event message of a memcg OOM kill).
const MEMCG =
  'Memory cgroup out of memory: Killed process 3504804 (kubectl) total-vm:753508kB, anon-rss:58776kB, file-rss:29400kB, shmem-rss:0kB, UID:0 pgtables:288kB oom_score_adj:999';
// dyrnq/install-docker#14 (a node-wide OOM kill of a container's java).
const GLOBAL =
  'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=aegis,mems_allowed=0,global_oom,task_memcg=/system.slice/docker-00748bf4e957f82c239a1db8a88579059b7d40c7b5fbd3f43617d31d3f646f12.scope,task=java,pid=7134,uid=1000';
// corpus argocd-controller-newosproc-errno12 (argoproj/argo-cd#4692).
const ERRNO12 = ['runtime: failed to create new OS thread (have 64 already; errno=12)'];
// kubernetes-retired/heapster#355.
const GO_OOM = ['fatal error: runtime: out of memory'];
// Oracle's troubleshooting guide, as quoted in the JVM signature module.
const HEAP = 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space';

const oomKilled = { reason: 'OOMKilled', exitCode: 137, source: 'pod.yaml' };
const killRaise = (cause: string) => ({ cause, weight: 0.5, why: `test raise of ${cause}` });

describe('memory.cgroup', () => {
  it('OOMKilled from the pod status confirms it', () => {
    const a = assess('memory.cgroup', { subject: oomKilled, raise: killRaise('memory.cgroup') });
    expect(a.verdict).toBe('confirmed');
    expect(said(a)).toMatch(/OOMKilled/);
    expect(a.evidence.some((e) => e.source === 'pod.yaml' && /OOMKilled/.test(e.text))).toBe(true);
  });

  it('a memcg kernel line in the incident confirms it; the same line makes memory.node unlikely', () => {
    const hit = dataHit('kernel.memcg-oom', MEMCG, {}, 'dmesg.txt', 3);
    const a = assess('memory.cgroup', { hits: [hit], raise: killRaise('memory.cgroup') });
    expect(a.verdict).toBe('confirmed');
    expect(a.evidence).toContainEqual({ source: 'dmesg.txt', line: 3, text: MEMCG });
    const b = assess('memory.node', { hits: [hit], raise: killRaise('memory.node') });
    expect(b.verdict).toBe('unlikely');
  });

  it('exit 137 without OOMKilled is only possible, and says other SIGKILLs give it too', () => {
    const a = assess('memory.cgroup', {
      subject: { exitCode: 137, reason: 'Error', source: 'pod.yaml' },
      raise: killRaise('memory.cgroup'),
    });
    expect(a.verdict).toBe('possible');
    expect(said(a)).toMatch(/liveness probe/);
    expect(a.missing.join(' ')).toMatch(/OOMKilled/);
  });

  it('errno 12 from newosproc: possible without node evidence, likely near the memory limit, unlikely far from it', () => {
    expect(assess('memory.cgroup', { lines: ERRNO12 }).verdict).toBe('possible');
    const level = (current: number) => ({
      path: '/kubepods/burstable/pod1/c1',
      level: 'container',
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
    const far = assess('memory.cgroup', { lines: ERRNO12, node: node({ cgroupChains: [level(1024 ** 3)] }) });
    expect(far.verdict).toBe('unlikely');
    expect(hasSourcedEvidence(far)).toBe(true);
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

  it('Go "out of memory" is mmap failing inside the process, not a memcg kill', () => {
    const a = assess('memory.cgroup', { lines: GO_OOM, raise: killRaise('memory.cgroup') });
    expect(a.verdict).toBe('unlikely');
    expect(said(a)).toMatch(/does not fail mmap/);
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

describe("memory.cgroup from the node's kernel log", () => {
  // leptonai/gpud#70: the summary line names the pod cgroup whose limit was enforced (oom_memcg).
  const uid = 'eded8c65-6e8e-4c6e-a889-3e427565c740';
  const podCg =
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podeded8c65_6e8e_4c6e_a889_3e427565c740.slice';
  const line = (cgroup: string) => ({
    kind: 'memcg-oom' as const,
    cgroup,
    evidence: {
      source: '/var/log/kern.log',
      line: 311,
      text: `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),oom_memcg=${cgroup},task=pt_main_thread,pid=461754,uid=0`,
    },
  });
  const raise = { cause: 'memory.cgroup', weight: 0.5, why: 'test' };

  it('a memcg kill naming this pod confirms it', () => {
    const a = assess('memory.cgroup', {
      subject: { podUid: uid },
      node: node({ kernelLines: [line(podCg)] }),
      raise,
    });
    expect(a.verdict).toBe('confirmed');
    expect(a.evidence).toContainEqual(expect.objectContaining({ source: '/var/log/kern.log', line: 311 }));
  });

  it('a memcg kill of another pod proves nothing about this one', () => {
    const other =
      '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0330b2c1_a15b_4cdd_b5e5_72d4a90bee82.slice';
    const a = assess('memory.cgroup', {
      subject: { podUid: uid },
      node: node({ kernelLines: [line(other)] }),
      raise,
    });
    expect(a.verdict).toBe('possible');
  });
});

describe('memory.node', () => {
  it('a global OOM kill line confirms it', () => {
    const hit = dataHit('kernel.oom-kill', GLOBAL, {}, 'dmesg.txt', 9);
    const a = assess('memory.node', { hits: [hit], raise: killRaise('memory.node') });
    expect(a.verdict).toBe('confirmed');
    expect(a.evidence).toContainEqual({ source: 'dmesg.txt', line: 9, text: GLOBAL });
  });

  it('a global OOM line on the node turns an OOMKilled container into likely-not-the-limit', () => {
    const n = node({
      kernelLines: [
        { kind: 'global-oom', evidence: { source: '/var/log/messages', line: 40, text: GLOBAL } },
      ],
    });
    const a = assess('memory.cgroup', { subject: oomKilled, node: n, raise: killRaise('memory.cgroup') });
    expect(a.verdict).toBe('likely');
    expect(said(a)).toMatch(/node-wide OOM/);
    expect(
      assess('memory.node', { subject: oomKilled, node: n, raise: killRaise('memory.node') }).verdict,
    ).toBe('confirmed');
  });

  it('Go "out of memory" (raised by the real go.out-of-memory signature) is likely the node or RLIMIT_AS', () => {
    const a = assess('memory.node', { lines: GO_OOM });
    expect(a.verdict).toBe('likely');
    expect(said(a)).toMatch(/overcommit/);
    expect(a.missing.join(' ')).toMatch(/overcommit_memory/);
  });

  it('errno 12 alone: possible', () => {
    const a = assess('memory.node', { lines: ERRNO12 });
    expect(a.verdict).toBe('possible');
    expect(a.missing.length).toBeGreaterThan(0);
  });
});

describe('runtime.heap', () => {
  it('the JVM\'s own "Java heap space" confirms its heap cap', () => {
    const a = assess('runtime.heap', {
      hits: [dataHit('jvm.heap', HEAP, {})],
      raise: killRaise('runtime.heap'),
    });
    expect(a.verdict).toBe('confirmed');
    expect(said(a)).toMatch(/Java heap space/);
    // ...and the container limit did not kill it.
    expect(
      assess('memory.cgroup', { hits: [dataHit('jvm.heap', HEAP, {})], raise: killRaise('memory.cgroup') })
        .verdict,
    ).toBe('unlikely');
  });

  it('an OOMKilled container reached the kernel limit first', () => {
    const a = assess('runtime.heap', { subject: oomKilled, raise: killRaise('runtime.heap') });
    expect(a.verdict).toBe('unlikely');
    expect(a.missing.join(' ')).toMatch(/JAVA_TOOL_OPTIONS/);
  });

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
