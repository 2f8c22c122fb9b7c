// memory.cgroup: the container's or pod's memory limit. Reached, the memcg OOM killer sends SIGKILL
// (exit 137) and the runtime records OOMKilled; the process itself prints nothing (a Go program
// killed this way is silent). A memory cgroup never makes mmap fail: user pages are charged when
// they are touched (mm/memcontrol.c), and at the limit the kernel reclaims or OOM-kills, so a failed
// thread-stack mmap (glibc's EAGAIN) or a failed fork commit is the node's overcommit or RLIMIT_AS,
// not this cause. What it can refuse is a kernel allocation charged to it (__GFP_ACCOUNT: the new
// task's structures and kernel stack), so clone may return ENOMEM (Go errno=12), on cgroup v1 with a
// kmem limit above all. docker inspect's "OOMKilled": false says the runtime saw no OOM event.
// A line that says an allocation was refused (HotSpot's failed mmap/malloc/commit_memory, Python's
// MemoryError) therefore rules it out: had the cgroup been at its limit, the process would have been
// killed, not told. Sources: limits.md §1.1, §3.1, §5.3; torvalds/linux:mm/memcontrol.c, kernel/fork.c.
import type { Evidence } from '../../../evidence/types.js';
import { environmentOf } from '../../environment.js';
import { defineCause, type Verdict } from '../../types.js';
import {
  afterColon,
  bytes,
  errnoOf,
  hitsWithText,
  raisedWhy,
  raisingEvidence,
  RUN_ON_NODE,
} from '../shared/common.js';
import { memoryFixes } from '../shared/fixes-by-runtime.js';
import { languageOf } from '../shared/language.js';
import { memoryFacts } from '../shared/memory-evidence.js';

/** Lines that report an allocation the kernel refused (mmap, brk or malloc returned an error). */
const REFUSED_ALLOCATION = new Set(['jvm.native-memory', 'python.memory-error']);

export const cause = defineCause({
  id: 'memory.cgroup',
  scope: 'cgroup',
  title: 'Container or pod memory limit (memory cgroup)',
  docs: {
    what: "A container (resources.limits.memory) or pod memory cgroup limit. When usage cannot be reclaimed below it, the kernel's memcg OOM killer SIGKILLs a process in the cgroup: exit code 137, reason OOMKilled, and nothing printed by the victim. Kernel allocations for a new task can also fail inside the limit, so clone returns ENOMEM.",
    confirm: [
      'kubectl get pod <pod> -o jsonpath=\'{range .status.containerStatuses[*]}{.name} {.lastState.terminated.reason} {.lastState.terminated.exitCode}{"\\n"}{end}\'   # OOMKilled 137',
      "dmesg -T | grep -E 'Memory cgroup out of memory|oom-kill:constraint=CONSTRAINT_MEMCG'   # oom_memcg= names the pod cgroup (kernel 4.19+)",
      'cgroup v2: memory.events oom / oom_kill of the container and pod; v1: memory.failcnt and memory.oom_control.',
      'Exit 137 without OOMKilled is another SIGKILL (liveness probe, grace period expiry, a manual kill).',
    ],
    fix: [
      "Raise resources.limits.memory, or make the program live within it with its own runtime's setting: JVM -XX:MaxRAMPercentage (or -Xmx) leaving room for non-heap, Go GOMEMLIMIT at ~90% of the limit, Node.js --max-old-space-size, .NET DOTNET_GCHeapHardLimit; Python has no heap cap (fewer workers). podmortem picks the one the crash output, command, variables or image show.",
      "Find the growth (a leak, an unbounded cache, one thread stack per connection) with the runtime's memory profiler.",
    ],
    sources: [
      'torvalds/linux:mm/oom_kill.c (Memory cgroup out of memory, oom-kill:constraint=...)',
      'https://docs.kernel.org/admin-guide/cgroup-v2.html (memory.events)',
      'containerd/containerd:internal/cri/server/events.go (OOMKilled reason after an OOM event)',
      'https://github.com/kubernetes/kubernetes/pull/117793 (memory.oom.group on cgroup v2, 1.28)',
      'https://github.com/golang/go/issues/22419 (Go heap growing past the container limit)',
      'torvalds/linux:mm/memcontrol.c (pages charged at fault; at the limit reclaim, then the memcg OOM killer: mmap itself is never refused)',
      'torvalds/linux:mm/memcontrol.c try_charge_memcg (at the limit: reclaim, then mem_cgroup_oom kills and the charge is retried; -ENOMEM only when the OOM killer cannot make progress)',
      'torvalds/linux:kernel/fork.c (dup_task_struct, alloc_thread_stack_node: kernel memory charged to the memcg)',
      'moby/moby:daemon/monitor.go (State.OOMKilled set only on the OOM event; false otherwise)',
    ],
  },
  assess(ctx) {
    const env = environmentOf(ctx.node);
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const m = memoryFacts(ctx);
    // The fix names the language runtime the evidence shows and the limit that applied.
    const remediation = memoryFixes(ctx.incident.subject, ctx.process, languageOf(ctx));
    const limitFact = ctx.process.memoryLimit;
    const proofs = m.memcg.filter((p) => p !== m.oomKilled);
    if (m.oomKilled && m.global.length > 0 && proofs.length === 0) {
      return {
        verdict: 'likely',
        summary:
          'The container was OOMKilled, but the kernel logged a node-wide OOM kill and no memory-cgroup one.',
        reasons: [
          ...reasons,
          m.oomKilled.reason,
          'On cgroup v2 memory.events oom_kill counts kills by any OOM killer, so a node-wide OOM that picks a container process is also reported as OOMKilled.',
          ...m.global.map((g) => g.reason),
        ],
        evidence: [...evidence, ...m.oomKilled.evidence, ...m.global.flatMap((g) => g.evidence)],
        missing: [
          "dmesg -T | grep -E 'oom-kill:constraint'   # CONSTRAINT_MEMCG = the limit, CONSTRAINT_NONE = the node",
        ],
        remediation,
      };
    }
    if (m.memcg.length > 0) {
      return {
        verdict: 'confirmed',
        summary: `The container's memory cgroup limit was reached: ${afterColon(m.memcg[0]!.reason)}`,
        reasons: [
          ...reasons,
          ...m.memcg.map((p) => p.reason),
          ...(m.oomKilled
            ? [
                'An OOM kill of any process in the container (a child, an exec) also marks the container OOMKilled.',
              ]
            : []),
          ...(m.goOom
            ? [
                'The "out of memory" the Go runtime printed is a failed mmap inside the process, a separate symptom: a memcg kill itself is silent.',
              ]
            : []),
        ],
        evidence: [
          ...evidence,
          ...m.memcg.flatMap((p) => p.evidence),
          ...(limitFact ? [limitFact.evidence] : []),
        ],
        missing: [],
        remediation,
      };
    }
    if (ctx.raisedBy.every((r) => REFUSED_ALLOCATION.has(r.signature.id))) {
      return {
        verdict: 'ruled-out',
        summary:
          'The process was told an allocation failed; a memory cgroup at its limit kills instead of refusing.',
        reasons: [
          ...reasons,
          'A memory cgroup never refuses mmap, brk or malloc: user pages are charged when touched, and a charge at the limit reclaims, then runs the memcg OOM killer and retries (mm/memcontrol.c try_charge_memcg). The refusal this line reports comes from the commit accounting (vm.overcommit_memory), RLIMIT_AS or vm.max_map_count.',
        ],
        evidence,
        missing: [],
        remediation: [],
      };
    }
    const errno = errnoOf(ctx);
    const tight = m.tightest;
    const headroom = tight
      ? `The tightest memory limit read is the ${tight.level.level} level at ${bytes(tight.used)} of ${bytes(tight.level.max)} (${((tight.used / tight.level.max) * 100).toFixed(1)}%).`
      : undefined;
    if (tight) evidence.push(...tight.level.evidence.slice(0, 1));
    if (limitFact) evidence.push(limitFact.evidence);
    const missing = [
      "kubectl get pod <pod> -o jsonpath='{..lastState.terminated.reason}'   # OOMKilled?",
      "dmesg -T | grep -E 'Memory cgroup out of memory|oom-kill:constraint'",
      'cat /sys/fs/cgroup/<container cgroup>/memory.events   # v2 (v1: memory.failcnt, memory.max_usage_in_bytes)',
      RUN_ON_NODE,
    ];
    if (m.notOomKilled) {
      return {
        verdict: 'unlikely',
        summary:
          'docker inspect says "OOMKilled": false: the runtime saw no OOM kill in the container\'s memory cgroup.',
        reasons: [
          ...reasons,
          "Docker sets State.OOMKilled when the runtime reports an OOM event for the container's memory cgroup; false means the kill (if exit 137) came from elsewhere: a stop timeout, a liveness probe, a manual kill, a node-wide OOM kill (cgroup v1).",
          'Only a kernel "Memory cgroup out of memory" or CONSTRAINT_MEMCG line naming the container would overturn it (Docker < 1.10 could miss the event, moby/moby#18510).',
        ],
        evidence: [...evidence, m.notOomKilled],
        missing: missing.slice(1, 2),
        remediation,
      };
    }
    if (m.runtimeHeap) {
      return {
        verdict: 'unlikely',
        summary: 'The runtime reported its own heap limit; the container limit did not kill it.',
        reasons: [
          ...reasons,
          `"${m.runtimeHeap.what}" is thrown by a live runtime at its own heap cap; a memory-cgroup OOM kill is a silent SIGKILL (exit 137, OOMKilled).`,
        ],
        evidence: [...evidence, m.runtimeHeap.evidence],
        missing: missing.slice(0, 2),
        remediation,
      };
    }
    if (m.goOom) {
      return {
        verdict: 'unlikely',
        summary:
          'Go printed "out of memory": an mmap failed inside the process, which a memory cgroup does not do.',
        reasons: [
          ...reasons,
          'A memory cgroup does not fail mmap; at its limit the kernel kills the process silently. "fatal error: out of memory" means the address space or overcommit refused the mapping (RLIMIT_AS, vm.overcommit_memory=2).',
        ],
        evidence: [...evidence, m.goOom],
        missing: missing.slice(0, 2),
        remediation,
      };
    }
    if (limitFact && limitFact.value === null && !tight) {
      return {
        verdict: 'unlikely',
        summary: 'The container has no memory limit.',
        reasons: [
          ...reasons,
          'Without a container memory limit only a pod-level or node-wide limit remains (a pod gets a memory limit only when all its containers set one).',
        ],
        evidence,
        missing: missing.slice(0, 2),
        remediation: [],
      };
    }
    if (m.limitReached.length > 0) {
      return {
        verdict: 'likely',
        summary:
          "The container's memory usage reached its limit (memory.failcnt), though no OOM kill is recorded.",
        reasons: [...reasons, ...m.limitReached.map((p) => p.reason)],
        evidence: [...evidence, ...m.limitReached.flatMap((p) => p.evidence)],
        missing: missing.slice(0, 2),
        remediation,
      };
    }
    let verdict: Verdict = 'possible';
    const extra: string[] = [];
    const liveness = hitsWithText(ctx, /Liveness probe failed/)[0];
    if (m.sigkill && liveness) {
      return {
        verdict: 'unlikely',
        summary:
          'Exit 137 without OOMKilled, after failed liveness probes: the kubelet killed the container, not the memory limit.',
        reasons: [
          ...reasons,
          'The kubelet restarts a container whose liveness probe fails by killing it (SIGKILL after the grace period, exit 137); an OOM kill would have been recorded as OOMKilled.',
        ],
        evidence: [...evidence, m.sigkill, liveness.evidence],
        missing: missing.slice(0, 2),
        remediation: [],
      };
    }
    if (m.sigkill) {
      evidence.push(m.sigkill);
      extra.push(
        'Exit code 137 is SIGKILL; without the OOMKilled reason it may be another SIGKILL (a failed liveness probe, grace-period expiry, a manual kill), so it does not prove an OOM kill.',
      );
    }
    if (errno?.value === 12) {
      extra.push(
        "errno 12 (ENOMEM): a memory cgroup refuses only the kernel memory of a new task (its structures and kernel stack, charged when allocated); it never refuses the address space a fork copies or a stack mmap, which the node's commit accounting decides.",
      );
    }
    if (tight) {
      const ratio = tight.used / tight.level.max;
      if (headroom) extra.push(headroom);
      if (ratio >= 0.9) verdict = 'likely';
      else if (tight.level.level === 'container') {
        // The container level is the restarted instance's own new cgroup: its usage (and peak) says
        // nothing about what the crashed instance held, so it cannot make this unlikely.
        extra.push(
          "That is the restarted instance's usage, read after the crash in its own new cgroup; the limit carries over (the same spec starts both), the usage does not.",
        );
        missing.unshift(
          'watch -n5 cat <container cgroup>/memory.current   # of the running instance, until just before the next crash (v1: memory.usage_in_bytes)',
        );
      } else if (ratio < 0.5) {
        verdict = 'unlikely';
        extra.push(
          'That is far from the limit in this snapshot; the counters of the crashed container were reset by the restart, so re-check right after the next crash.',
        );
      }
    } else if (limitFact && typeof limitFact.value === 'number') {
      extra.push(
        `The container's memory limit is ${bytes(limitFact.value)}; its usage at the crash was not read.`,
      );
    }
    return {
      verdict,
      summary: m.sigkill
        ? 'Killed by SIGKILL (exit 137) without the OOMKilled reason: a memory-cgroup OOM kill is possible but not shown.'
        : "The container's memory limit may have been reached; no OOM kill or memcg counter was read to show it.",
      reasons: [
        ...reasons,
        ...extra,
        ...(env.el7
          ? [
              'On CentOS 7 (cgroup v1), memory.failcnt and memory.max_usage_in_bytes of the pod cgroup survive container restarts.',
            ]
          : []),
      ],
      evidence,
      missing,
      remediation,
    };
  },
});
