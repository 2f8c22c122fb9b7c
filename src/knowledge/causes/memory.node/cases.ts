// Real crashes of memory.node: the global OOM killer, strict overcommit refusing mmap, and the
// OOMKilled status that cgroup v2 also sets for a global kill.
import type { CauseCase } from '../../types.js';
import { fact, nodeFacts } from '../shared/case-facts.js';
import {
  ERRNO12,
  ERRNO12_SOURCE,
  GLOBAL,
  GLOBAL_SOURCE,
  GO_OOM,
  GO_OOM_SOURCE,
  OOMKILLED,
  OOMKILLED_SOURCE,
  CGO_EAGAIN,
  CGO_EAGAIN_SOURCE,
  REDIS_FORK,
  REDIS_FORK_SOURCE,
  JVM_BIG_STACK,
  JVM_BIG_STACK_SOURCE,
  JVM_GC_EPERM,
  JVM_GC_EPERM_SOURCE,
} from '../shared/memory-lines.js';

// The commit accounting as a node reports it: vm.overcommit_memory and /proc/meminfo (kB, kept in bytes).
const commitNode = (mode: number, limitKb?: number, committedKb?: number) =>
  nodeFacts({
    overcommitMemory: fact(mode, '/proc/sys/vm/overcommit_memory', String(mode), 1),
    ...(limitKb !== undefined && committedKb !== undefined
      ? {
          commitLimit: fact(limitKb * 1024, '/proc/meminfo', `CommitLimit:    ${limitKb} kB`, 30),
          committedAs: fact(committedKb * 1024, '/proc/meminfo', `Committed_AS:   ${committedKb} kB`, 31),
        }
      : {}),
  });

// A global OOM kill whose victim is in this pod (task_memcg), with the pod's uid.
const POD_UID = 'eded8c65-6e8e-4c6e-a889-3e427565c740';
const GLOBAL_OF_POD = `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podeded8c65_6e8e_4c6e_a889_3e427565c740.slice/cri-containerd-1b2c.scope,task=java,pid=7134,uid=1000`;

export const cases: CauseCase[] = [
  {
    name: 'a global OOM kill line in the incident confirms it',
    source: GLOBAL_SOURCE,
    log: [GLOBAL],
    expect: { verdict: 'confirmed', first: true, evidence: [GLOBAL] },
  },
  {
    name: "an OOMKilled container and a global OOM line in the node's kernel log: the node ran out",
    source: `${OOMKILLED_SOURCE}; the node's line from ${GLOBAL_SOURCE}`,
    log: [OOMKILLED],
    node: nodeFacts({
      kernelLines: [
        { kind: 'global-oom', evidence: { source: '/var/log/messages', line: 40, text: GLOBAL } },
      ],
    }),
    expect: { verdict: 'confirmed', first: true, above: ['memory.cgroup'], evidence: [GLOBAL] },
  },
  {
    name: 'OOMKilled with no kernel log: unlikely, the container limit is the usual killer',
    source: OOMKILLED_SOURCE,
    log: [OOMKILLED],
    expect: { verdict: 'unlikely', said: [/memory\.events oom_kill, which also counts global kills/] },
  },
  {
    name: 'Go "out of memory" is likely the node (overcommit) or RLIMIT_AS',
    source: GO_OOM_SOURCE,
    log: [GO_OOM],
    expect: {
      verdict: 'likely',
      said: [/overcommit/],
      missing: [/overcommit_memory/],
      // mmap failing inside the process is not a memcg kill: the memory limit is not a candidate.
      notRaised: ['memory.cgroup'],
    },
  },
  {
    name: 'errno 12 alone: possible',
    source: ERRNO12_SOURCE,
    log: [ERRNO12],
    expect: { verdict: 'possible', missing: [/./] },
  },
  {
    name: 'fork ENOMEM (Redis BGSAVE): the commit accounting is the first candidate, above the memory cgroup',
    source: REDIS_FORK_SOURCE,
    log: [REDIS_FORK],
    expect: {
      verdict: 'possible',
      first: true,
      above: ['memory.cgroup', 'pidns.init-exited'],
      said: [/Redis at BGSAVE/, /overcommit/],
      missing: [/Committed_AS/],
    },
  },
  {
    name: "fork ENOMEM in a pod, nothing read: possible, and says the kubelet's vm.overcommit_memory=1 refuses nothing",
    source: `${REDIS_FORK_SOURCE}; kubernetes/kubernetes:pkg/kubelet/cm/container_manager_linux.go setupKernelTunables`,
    log: [REDIS_FORK],
    subject: { namespace: 'default', pod: 'redis-0' },
    expect: { verdict: 'possible', said: [/kubelet sets vm\.overcommit_memory=1/] },
  },
  {
    name: 'fork ENOMEM under vm.overcommit_memory=2 with Committed_AS at 90% of CommitLimit: likely',
    source: `${REDIS_FORK_SOURCE}; the meminfo figures from https://github.com/rr-debugger/rr/issues/3721, mode 2 as in https://github.com/moby/moby/issues/31834`,
    log: [REDIS_FORK],
    node: commitNode(2, 19590800, 17708860),
    expect: {
      verdict: 'likely',
      first: true,
      said: [/CommitLimit/, /90\.4%/],
      evidence: ['Committed_AS:   17708860 kB', '2'],
    },
  },
  {
    name: 'fork ENOMEM under vm.overcommit_memory=2 far from CommitLimit: possible, with the headroom',
    source: `${REDIS_FORK_SOURCE}; the meminfo figures and mode 2 from https://github.com/hakavlad/nohang/issues/50`,
    log: [REDIS_FORK],
    node: commitNode(2, 25149116, 1909064),
    expect: { verdict: 'possible', said: [/strict/, /left is refused/] },
  },
  {
    name: 'fork ENOMEM with vm.overcommit_memory=1: unlikely, the node commits everything',
    source: `${REDIS_FORK_SOURCE}; mode 1 as the Redis FAQ asks for`,
    log: [REDIS_FORK],
    node: commitNode(1),
    expect: { verdict: 'unlikely', said: [/accepts every mmap and fork/] },
  },
  {
    name: 'a failed glibc thread creation (EAGAIN) on a node with strict overcommit: possible for the stack mmap, not the memory cgroup',
    source: `${CGO_EAGAIN_SOURCE}; mode 2 as in https://github.com/moby/moby/issues/31834`,
    log: [CGO_EAGAIN],
    node: commitNode(2),
    expect: {
      verdict: 'possible',
      said: [/thread-stack mmap/, /strict commit accounting/],
      notRaised: ['memory.cgroup'],
    },
  },
  {
    name: 'the same thread failure with vm.overcommit_memory=1 (what the kubelet sets): ruled out',
    source: `${CGO_EAGAIN_SOURCE}; mode 1 as kubernetes/kubernetes:pkg/kubelet/cm/container_manager_linux.go sets it`,
    log: [CGO_EAGAIN],
    node: commitNode(1),
    expect: { verdict: 'ruled-out', said: [/commits every thread stack/] },
  },
  {
    name: '24 MiB JVM thread stacks refused with EAGAIN (-Xss24m): first, above the task limits',
    source: JVM_BIG_STACK_SOURCE,
    log: JVM_BIG_STACK,
    expect: {
      verdict: 'possible',
      first: true,
      above: ['cgroup.pids', 'rlimit.nproc', 'kernel.pid_max', 'kernel.threads-max'],
      said: [/24 MiB/, /vm\.overcommit_memory=2/],
      missing: [/CommitLimit/],
    },
  },
  {
    name: 'HotSpot\'s "insufficient memory" banner over a GC thread refused with EPERM: ruled out',
    source: JVM_GC_EPERM_SOURCE,
    log: JVM_GC_EPERM,
    expect: { verdict: 'ruled-out', said: [/EPERM/], evidence: ['pthread_create failed (EPERM)'] },
  },
  {
    name: "OOMKilled and a global OOM kill of this pod's task in the node's kernel log: confirmed, above the memory cgroup",
    source: `${OOMKILLED_SOURCE}; the node's line from ${GLOBAL_SOURCE}, its task_memcg set to this pod's cgroup`,
    log: [OOMKILLED],
    subject: { podUid: POD_UID },
    node: nodeFacts({
      kernelLines: [
        {
          kind: 'global-oom',
          cgroup: GLOBAL_OF_POD.split('task_memcg=')[1]!.split(',')[0]!,
          evidence: { source: '/var/log/messages', line: 40, text: GLOBAL_OF_POD },
        },
      ],
    }),
    expect: {
      verdict: 'confirmed',
      first: true,
      above: ['memory.cgroup'],
      evidence: ['task_memcg=/kubepods.slice'],
    },
  },
];
