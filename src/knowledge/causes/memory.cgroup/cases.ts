// Real crashes of memory.cgroup: who killed the process (the memcg OOM killer, the global one) or
// whether the runtime gave up on its own heap first.
import type { CauseCase } from '../../types.js';
import { nodeFacts } from '../shared/case-facts.js';
import {
  ERRNO12,
  ERRNO12_SOURCE,
  GLOBAL,
  GLOBAL_SOURCE,
  CGO_EAGAIN,
  CGO_EAGAIN_SOURCE,
  HEAP,
  HEAP_SOURCE,
  INSPECT_NOT_OOM,
  INSPECT_NOT_OOM_SOURCE,
  MEMCG,
  MEMCG_SOURCE,
  OOMKILLED,
  OOMKILLED_SOURCE,
  REDIS_FORK,
  REDIS_FORK_SOURCE,
  JVM_GC_EPERM,
  JVM_GC_EPERM_SOURCE,
  JVM_MMAP_FAILED,
  JVM_MMAP_FAILED_SOURCE,
} from '../shared/memory-lines.js';

// leptonai/gpud#70: the summary line names the pod cgroup whose limit was enforced (oom_memcg).
const POD_UID = 'eded8c65-6e8e-4c6e-a889-3e427565c740';
const POD_CGROUP =
  '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podeded8c65_6e8e_4c6e_a889_3e427565c740.slice';
const OTHER_POD_CGROUP =
  '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0330b2c1_a15b_4cdd_b5e5_72d4a90bee82.slice';
const memcgKill = (cgroup: string) =>
  nodeFacts({
    kernelLines: [
      {
        kind: 'memcg-oom',
        cgroup,
        evidence: {
          source: '/var/log/kern.log',
          line: 311,
          text: `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),oom_memcg=${cgroup},task=pt_main_thread,pid=461754,uid=0`,
        },
      },
    ],
  });

export const cases: CauseCase[] = [
  {
    name: "errno 12 and a memcg kill naming this pod in the node's kernel log: confirmed",
    source: `${ERRNO12_SOURCE}; the kernel line from https://github.com/leptonai/gpud/issues/70`,
    log: [ERRNO12],
    subject: { podUid: POD_UID },
    node: memcgKill(POD_CGROUP),
    expect: { verdict: 'confirmed', evidence: ['oom_memcg=/kubepods.slice'] },
  },
  {
    name: 'a memcg kill of another pod proves nothing about this one',
    source: `${ERRNO12_SOURCE}; the kernel line from https://github.com/leptonai/gpud/issues/70`,
    log: [ERRNO12],
    subject: { podUid: POD_UID },
    node: memcgKill(OTHER_POD_CGROUP),
    expect: { verdict: 'possible' },
  },
  {
    name: 'OOMKilled in the pod status confirms it',
    source: OOMKILLED_SOURCE,
    log: [OOMKILLED],
    expect: { verdict: 'confirmed', first: true, said: [/OOMKilled/], evidence: ['OOMKilled'] },
  },
  {
    name: 'a memcg kernel line in the incident confirms it, and does not raise memory.node',
    source: MEMCG_SOURCE,
    log: [MEMCG],
    expect: { verdict: 'confirmed', evidence: [MEMCG], notRaised: ['memory.node'] },
  },
  {
    name: 'exit 137 without OOMKilled is only possible, and says other SIGKILLs give it too',
    source: OOMKILLED_SOURCE,
    log: ['      Exit Code:    137'],
    subject: { reason: 'Error', source: 'pod.yaml' },
    expect: { verdict: 'possible', said: [/liveness probe/], missing: [/OOMKilled/] },
  },
  {
    name: 'a global OOM line on the node turns an OOMKilled container into likely-not-the-limit',
    source: `${OOMKILLED_SOURCE}; the node's line from ${GLOBAL_SOURCE}`,
    log: [OOMKILLED],
    node: nodeFacts({
      kernelLines: [
        { kind: 'global-oom', evidence: { source: '/var/log/messages', line: 40, text: GLOBAL } },
      ],
    }),
    expect: { verdict: 'likely', said: [/node-wide OOM/] },
  },
  {
    name: 'the JVM gave up on its own heap: the container limit did not kill it',
    source: HEAP_SOURCE,
    log: [HEAP],
    expect: { verdict: 'unlikely' },
  },
  {
    name: 'a pasted docker inspect with "OOMKilled": false never confirms it: unlikely',
    source: INSPECT_NOT_OOM_SOURCE,
    log: INSPECT_NOT_OOM,
    expect: {
      verdict: 'unlikely',
      said: [/saw no OOM kill/],
      notSaid: [/recorded reason OOMKilled/],
      evidence: ['"OOMKilled": false'],
    },
  },
  {
    name: 'fork ENOMEM (Redis BGSAVE): possible, below the commit accounting, never "most often the memory cgroup"',
    source: REDIS_FORK_SOURCE,
    log: [REDIS_FORK],
    expect: {
      verdict: 'possible',
      said: [/never refuses the address space a fork copies/],
      notSaid: [/most often/],
    },
  },
  {
    name: 'a failed glibc thread creation (EAGAIN) does not raise it: a memory cgroup never fails the stack mmap',
    source: CGO_EAGAIN_SOURCE,
    // OOMKilled keeps it a candidate; the thread line must add no "stack mmap" argument to it.
    log: [CGO_EAGAIN, OOMKILLED],
    expect: { verdict: 'confirmed', notSaid: [/thread-stack mmap/] },
  },
  {
    name: 'HotSpot reports a refused mmap: ruled out, a memory cgroup kills instead of refusing',
    source: JVM_MMAP_FAILED_SOURCE,
    log: JVM_MMAP_FAILED,
    expect: { verdict: 'ruled-out', said: [/try_charge_memcg/] },
  },
  {
    name: 'HotSpot\'s "insufficient memory" banner over a GC thread refused with EPERM: ruled out',
    source: JVM_GC_EPERM_SOURCE,
    log: JVM_GC_EPERM,
    expect: { verdict: 'ruled-out' },
  },
  {
    name: "OOMKilled and a global OOM kill of this pod's task in the node's kernel log: likely, not confirmed",
    source: `${OOMKILLED_SOURCE}; the node's line from ${GLOBAL_SOURCE}, its task_memcg set to this pod's cgroup`,
    log: [OOMKILLED],
    subject: { podUid: POD_UID },
    node: nodeFacts({
      kernelLines: [
        {
          kind: 'global-oom',
          cgroup: `${POD_CGROUP}/cri-containerd-1b2c.scope`,
          evidence: {
            source: '/var/log/messages',
            line: 40,
            text: `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=${POD_CGROUP}/cri-containerd-1b2c.scope,task=java,pid=7134,uid=1000`,
          },
        },
      ],
    }),
    expect: { verdict: 'likely', said: [/node-wide OOM/] },
  },
];
