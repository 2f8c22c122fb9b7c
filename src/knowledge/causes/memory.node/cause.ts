// memory.node: the node itself ran out of memory (a global OOM kill, CONSTRAINT_NONE) or refused to
// commit more, so mmap or fork fails inside the process: Go prints "fatal error: out of memory",
// fork returns ENOMEM. The commit accounting (mm/util.c __vm_enough_memory) decides every mmap and,
// at fork, every private writable mapping of the parent again (kernel/fork.c dup_mmap): mode 1
// never refuses, mode 0 (the heuristic) refuses a request larger than RAM plus swap, mode 2 refuses
// once Committed_AS would pass CommitLimit (swap + overcommit_ratio% of RAM). Told apart from the
// container limit by the kernel line. A failed glibc thread creation (EAGAIN) reaches it only through
// the stack mapping: a candidate when the stack is large or the node's overcommit mode was read,
// ruled out when that mode is 1 (which commits everything: kubelet sets it on every node it runs)
// or when the failure's errno is EPERM. Sources: limits.md §3.1, §3.2 (Go OOM), §5.3.
import type { Evidence } from '../../../evidence/types.js';
import { RECREATE_NOTE } from '../../environment.js';
import { defineCause, type Remediation } from '../../types.js';
import { afterColon, errnoOf, raisedWhy, raisingEvidence, RUN_ON_NODE } from '../shared/common.js';
import { commitAccounting } from '../shared/commit-accounting.js';
import { memoryFacts } from '../shared/memory-evidence.js';
import { CONTAINER_RUNTIMES, containerRuntimeOf } from '../shared/fixes-by-runtime.js';
import { asksLargeStack, largeStack, notAMemoryErrno, onlyThreadStacks } from '../shared/thread-stack.js';

const commitRemediation: Remediation = {
  summary:
    'Let the node commit what fork and mmap ask for: vm.overcommit_memory=1 (what Redis asks for), or under mode 2 a larger vm.overcommit_ratio or more swap; or make the parent smaller.',
  commands: [
    'sysctl -w vm.overcommit_memory=1   # persist in /etc/sysctl.d/',
    'grep -E "CommitLimit|Committed_AS" /proc/meminfo',
  ],
};

export const cause = defineCause({
  id: 'memory.node',
  scope: 'node',
  raisedBy: [
    {
      signature: 'k8s.oomkilled',
      weight: 0.3,
      why: 'On cgroup v2 the runtime (containerd, CRI-O, Docker through containerd) reports OOMKilled from memory.events oom_kill, which counts kills by the global OOM killer too: a node out of memory can look like a container at its limit.',
    },
    {
      signature: 'jvm.thread-start-failed',
      when: asksLargeStack,
      // Above the task limits: they do not depend on stack size, the commit accounting does.
      weight: 0.6,
      why: "The thread asked for a stack larger than glibc's 8 MiB default: each thread commits that much, so under strict overcommit (vm.overcommit_memory=2) CommitLimit is passed after few threads, and glibc reports the refused stack mapping as EAGAIN.",
    },
  ],
  title: 'Node memory exhausted (global OOM, overcommit)',
  docs: {
    what: "The node as a whole ran out of memory: the global OOM killer picks a victim anywhere on the node (oom-kill:constraint=CONSTRAINT_NONE); or the kernel's commit accounting refused an mmap or a fork: with vm.overcommit_memory=2 once Committed_AS would pass CommitLimit, with the default heuristic (0) a request larger than RAM plus swap. fork charges the parent's private writable memory again for the child, so a large parent (Redis at BGSAVE: \"Can't save in background: fork: Cannot allocate memory\") is the classic fork ENOMEM; a failed thread-stack mmap reaches glibc's pthread_create as EAGAIN.",
    confirm: [
      "dmesg -T | grep -E 'Out of memory: Kill|oom-kill:constraint=CONSTRAINT_NONE'   # a node-wide OOM kill",
      'sysctl vm.overcommit_memory; grep -E "MemAvailable|Committed_AS|CommitLimit" /proc/meminfo',
      'grep "Max address space" /proc/<pid>/limits   # RLIMIT_AS makes mmap fail inside the process',
      'kubectl describe node <node> | grep -A5 Conditions   # MemoryPressure, evictions',
    ],
    fix: [
      'Set memory requests and limits on every pod so the scheduler does not overcommit the node; reserve memory for the system (systemReserved, kubeReserved) and set memory.available eviction thresholds.',
      'With vm.overcommit_memory=2, raise vm.overcommit_ratio or go back to the heuristic mode 0.',
    ],
    sources: [
      'torvalds/linux:mm/oom_kill.c (constraint CONSTRAINT_NONE vs CONSTRAINT_MEMCG)',
      'golang/go:src/runtime/mheap.go ("out of memory" when the OS refuses memory)',
      'https://www.kernel.org/doc/Documentation/vm/overcommit-accounting',
      'torvalds/linux:mm/util.c (__vm_enough_memory: OVERCOMMIT_ALWAYS, the GUESS heuristic, vm_commit_limit against vm_committed_as)',
      'torvalds/linux:kernel/fork.c (dup_mmap: security_vm_enough_memory_mm for each VM_ACCOUNT mapping, else -ENOMEM)',
      'https://redis.io/docs/latest/operate/oss_and_stack/management/admin/ (fork fails at BGSAVE without vm.overcommit_memory=1)',
      'https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/',
      'bminor/glibc:nptl/allocatestack.c (the stack is mapped PROT_NONE, then mprotect makes it writable: the commit is charged there, and its ENOMEM is returned) and nptl/pthread_create.c (ENOMEM becomes EAGAIN)',
      'torvalds/linux:mm/mprotect.c (mprotect_fixup: security_vm_enough_memory_mm when a private mapping becomes writable)',
      'kubernetes/kubernetes:pkg/kubelet/cm/container_manager_linux.go (setupKernelTunables: desiredState vm/overcommit_memory = 1, set at start or, with protectKernelDefaults, required)',
    ],
  },
  assess(ctx) {
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const m = memoryFacts(ctx);
    const remediation: Remediation[] = [
      {
        summary: `Stop the node from overcommitting: requests and limits on every pod, system memory reserved, memory.available eviction. ${RECREATE_NOTE}`,
        commands: [
          '# in /var/lib/kubelet/config.yaml: systemReserved: { memory: "1Gi" }, evictionHard: { memory.available: "500Mi" }',
          'systemctl restart kubelet',
          'kubectl top pods -A --sort-by=memory | head',
        ],
      },
    ];
    if (m.global.length > 0) {
      return {
        verdict: 'confirmed',
        summary: `The node ran out of memory: ${afterColon(m.global[0]!.reason)}`,
        reasons: [
          ...reasons,
          ...m.global.map((g) => g.reason),
          'A global OOM kill picks the victim by oom_score across the whole node, whatever the container limits.',
        ],
        evidence: [...evidence, ...m.global.flatMap((g) => g.evidence)],
        missing: [],
        remediation,
      };
    }
    const kernelMemcg = m.memcg.filter((p) => p !== m.oomKilled);
    if (kernelMemcg.length > 0) {
      return {
        verdict: 'unlikely',
        summary: 'The kill happened inside a memory cgroup limit, not for lack of node memory.',
        reasons: [
          ...reasons,
          ...kernelMemcg.map((p) => p.reason),
          'A memory-cgroup OOM (CONSTRAINT_MEMCG) means the container or pod reached its own limit first.',
        ],
        evidence: [...evidence, ...kernelMemcg.flatMap((p) => p.evidence)],
        missing: [],
        remediation: [],
      };
    }
    const eperm = notAMemoryErrno(ctx);
    if (eperm) {
      return {
        verdict: 'ruled-out',
        summary: `The failure's errno is EPERM (${eperm.value}): a refused memory mapping gives ENOMEM (EAGAIN from pthread_create), never EPERM.`,
        reasons: [
          ...reasons,
          'HotSpot prints its "insufficient memory" banner for any failed GC thread creation; the [os,thread] warning beside it gives the real errno, and EPERM comes from a policy (seccomp on clone3), not from the commit accounting.',
        ],
        evidence: [...evidence, eperm.hit.evidence[0]!],
        missing: [],
        remediation: [],
      };
    }
    const missing = [
      "dmesg -T | grep -E 'Out of memory: Kill|oom-kill:constraint'   # CONSTRAINT_NONE = node, CONSTRAINT_MEMCG = container/pod",
      'sysctl vm.overcommit_memory; grep -E "MemAvailable|Committed_AS|CommitLimit" /proc/meminfo',
      RUN_ON_NODE,
    ];
    const extra: string[] = [];
    // A thread stack glibc could not map is an mmap refusal the commit accounting decides.
    const stacks = onlyThreadStacks(ctx);
    const commit = commitAccounting(ctx, m.goOom !== undefined || stacks);
    if (commit) {
      evidence.push(...commit.evidence);
      extra.push(...commit.reasons);
    }
    if (commit?.verdict === 'unlikely' && stacks) {
      return {
        verdict: 'ruled-out',
        summary:
          'vm.overcommit_memory is 1: the node commits every thread stack, so it did not refuse this one.',
        reasons: [...reasons, ...extra],
        evidence,
        missing: [],
        remediation: [],
      };
    }
    if (commit?.verdict === 'unlikely') {
      return {
        verdict: 'unlikely',
        summary: ctx.node?.overcommitMemory
          ? 'vm.overcommit_memory is 1: the node commits every request, so it did not refuse this one.'
          : commit.summary,
        reasons: [...reasons, ...extra],
        evidence,
        missing: missing.slice(0, 1),
        remediation: [],
      };
    }
    if (m.goOom) {
      evidence.push(m.goOom);
      extra.push(
        'Go printed "out of memory": mmap itself failed, which a memory cgroup never does (it kills instead). That points at strict overcommit (vm.overcommit_memory=2) on the node, or an RLIMIT_AS on the process.',
      );
      missing.splice(2, 0, 'grep "Max address space" /proc/<pid>/limits');
      return {
        verdict: 'likely',
        summary:
          'The Go runtime could not get memory from the OS: the node (overcommit) or an address-space limit refused it.',
        reasons: [...reasons, ...extra],
        evidence,
        missing,
        remediation: [commitRemediation, ...remediation],
      };
    }
    if (commit?.verdict === 'likely') {
      return {
        verdict: 'likely',
        summary: commit.summary,
        reasons: [...reasons, ...extra],
        evidence,
        missing: missing.slice(0, 1),
        remediation: [commitRemediation, ...remediation],
      };
    }
    if (m.oomKilled) {
      extra.push(
        `The container was OOMKilled and no kernel line says whether the memcg or the global OOM killer did it: on cgroup v1 ${runtimeName(ctx.node?.runtime?.value)} learns of the kill from the memcg's own OOM notification, on v2 from memory.events oom_kill, which also counts global kills.`,
      );
      evidence.push(...m.oomKilled.evidence);
    }
    const big = largeStack(ctx);
    if (big && !commit) {
      evidence.push(big.hit.evidence[0]!);
      extra.push(
        `A ${Math.round(big.kb / 1024)} MiB stack per thread is refused long before a task-count limit is near under strict overcommit, or by the heuristic of an old kernel short of memory; a smaller -Xss, or more memory for the node or the job, is the usual way out.`,
      );
      // The overcommit mode decides it: ask for it first.
      missing.unshift(missing.splice(1, 1)[0]!);
    }
    if (errnoOf(ctx)?.value === 12 && !commit)
      extra.push(
        "errno 12 (ENOMEM) from fork or an mmap is the node's commit accounting refusing it (vm.overcommit_memory 2 past CommitLimit, or the heuristic refusing a large parent); from a thread's clone, the node out of memory for kernel allocations.",
      );
    // The kubelet makes the commit accounting accept everything on the nodes it runs; read it anyway.
    if (!commit && (big || stacks || errnoOf(ctx)?.value === 12) && ctx.incident.subject.pod)
      extra.push(
        'On a Kubernetes node the kubelet sets vm.overcommit_memory=1 when it starts (with protectKernelDefaults it refuses to start unless it is 1), and mode 1 refuses no fork or mmap: the commit accounting is this cause only if the sysctl was changed after the kubelet started.',
      );
    return {
      verdict: m.oomKilled ? 'unlikely' : 'possible',
      summary: m.oomKilled
        ? 'OOMKilled most often means the container limit; a node-wide OOM is not excluded without the kernel log.'
        : commit
          ? commit.summary
          : big
            ? `The node may have refused to commit a ${Math.round(big.kb / 1024)} MiB thread stack; its overcommit settings were not read.`
            : 'The node may have been out of memory; no kernel OOM line or memory figures were read.',
      reasons: [...reasons, ...extra],
      evidence,
      missing,
      remediation,
    };
  },
});

/** The runtime that records OOMKilled on this node, as a sentence names it. */
function runtimeName(runtime: string | undefined): string {
  const known = containerRuntimeOf(runtime);
  return known ? CONTAINER_RUNTIMES[known].name : 'the runtime';
}
