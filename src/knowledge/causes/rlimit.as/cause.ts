// rlimit.as: RLIMIT_AS ("ulimit -v", "Max address space") caps the virtual address space of one
// process. Every mmap, brk or mremap that would grow it past the soft limit fails with ENOMEM
// (mm/mmap.c may_expand_vm). A thread stack is an mmap (glibc maps RLIMIT_STACK, 8 MiB by default;
// the JVM asks for -Xss, 1 MiB), and glibc's pthread_create reports the failed stack mmap as EAGAIN
// ("err == ENOMEM ? EAGAIN : err", nptl/pthread_create.c): the JVM's "unable to create native
// thread", cgo's "pthread_create failed: Resource temporarily unavailable" and Python's "can't start
// new thread" all read like a task-count limit. Go reserves its heap with mmap, so under RLIMIT_AS
// it prints "out of memory" instead of being killed. Containers start with it unlimited unless the
// runtime (dockerd --default-ulimit as=..., a daemon unit's LimitAS=, a base_runtime_spec rlimit) or
// the entrypoint (ulimit -v) sets it; the limit carries over to the restarted instance, its address
// space does not.
import type { Evidence } from '../../../evidence/types.js';
import { environmentOf } from '../../environment.js';
import {
  bytes,
  crashedUsage,
  limitsOf,
  numberField,
  raisedWhy,
  raisingEvidence,
  RUN_ON_NODE,
} from '../shared/common.js';
import { defineCause, type CauseRaise, type Remediation } from '../../types.js';
import { asksLargeStack, largeStack } from '../shared/thread-stack.js';

const STACK_WHY =
  "glibc maps each thread's stack before clone; past RLIMIT_AS that mmap fails with ENOMEM and pthread_create returns EAGAIN, which reads like a task-count limit.";
const errnoIsEagainOrUnknown = (f: Record<string, unknown>) => f.errno === undefined || f.errno === 11;
const stackRaise = (signature: string, when = errnoIsEagainOrUnknown): CauseRaise => ({
  signature,
  when,
  weight: 0.15,
  why: STACK_WHY,
  // RLIMIT_AS is rare in containers: a candidate only once its limit is read, or the stacks are large.
  speculative: true,
});
const READ_LIMIT =
  'grep "Max address space" /proc/<pid>/limits   # of the restarted instance: the same spec starts both';

export const cause = defineCause({
  id: 'rlimit.as',
  scope: 'process',
  inheritedFromRuntime: true,
  raisedBy: [
    stackRaise('jvm.native-thread'),
    stackRaise('jvm.thread-start-failed'),
    stackRaise('glibc.pthread-create'),
    stackRaise('go.cgo-pthread-create'),
    stackRaise('python.thread-start'),
    {
      signature: 'jvm.thread-start-failed',
      when: asksLargeStack,
      // Just below memory.node: containers rarely have RLIMIT_AS, batch jobs often do (h_vmem).
      weight: 0.55,
      why: "The thread asked for a stack larger than glibc's 8 MiB default: every thread reserves that much address space, so an address-space limit (ulimit -v, a batch scheduler's h_vmem) is reached after few threads.",
    },
    {
      // HotSpot's "Native memory allocation (mmap) failed" is the ENOMEM RLIMIT_AS gives any mmap.
      signature: 'jvm.native-memory',
      when: (f) => f.call === 'mmap' || f.call === 'malloc' || f.call === 'commit_memory',
      weight: 0.2,
      why: 'mmap (and malloc, which maps its arenas) fails with ENOMEM once the address space would pass RLIMIT_AS: HotSpot reserves its heap, metaspace and code cache up front, so the limit is reached with little memory used.',
    },
    {
      signature: 'go.out-of-memory',
      weight: 0.3,
      why: 'Go reserves its heap with mmap: under RLIMIT_AS the mmap fails and the runtime prints "out of memory" where a memory cgroup would have killed it silently.',
    },
  ],
  title: 'Address space of the process (RLIMIT_AS, ulimit -v)',
  docs: {
    what: 'RLIMIT_AS caps the virtual address space of one process ("Max address space" in /proc/<pid>/limits, ulimit -v in KiB). Past the soft limit mmap, brk and mremap fail with ENOMEM. Thread stacks are mappings, so thread creation fails first in programs with many threads: glibc returns EAGAIN from pthread_create for the failed stack mmap (the JVM says "unable to create native thread"), and Go prints "out of memory". Virtual size counts reservations that use no memory (the JVM reserves its heap and code cache up front; Go reserves heap arenas), so it is reached long before the memory limit. Containers start with it unlimited unless the runtime or the entrypoint sets it.',
    confirm: [
      'grep "Max address space" /proc/<pid>/limits of the restarted instance: the limit carries over (the same spec starts both); "unlimited" rules it out.',
      'grep VmSize /proc/<pid>/status of the running instance, sampled up to the next crash: at the limit, mmap fails.',
      'docker info / /etc/docker/daemon.json default-ulimits "as", LimitAS= in the runtime unit (systemctl show containerd docker -p LimitAS), "ulimit -v" in the entrypoint.',
    ],
    fix: [
      'Remove the limit: drop "ulimit -v" from the entrypoint, the "as" default-ulimit from dockerd, LimitAS= from the daemon unit; then recreate the containers.',
      'Bound memory with the memory cgroup (resources.limits.memory) instead: it counts memory used, not address space reserved.',
    ],
    sources: [
      'https://man7.org/linux/man-pages/man2/setrlimit.2.html (RLIMIT_AS: brk, mmap, mremap fail with ENOMEM)',
      'torvalds/linux:mm/mmap.c (may_expand_vm checks RLIMIT_AS)',
      'bminor/glibc:nptl/pthread_create.c (retval = err == ENOMEM ? EAGAIN : err after allocate_stack)',
      'bminor/glibc:nptl/allocatestack.c (the thread stack is an mmap)',
      'https://docs.docker.com/reference/cli/dockerd/#default-ulimit-settings',
      'podmortem lab: OpenJDK 17 starting threads under ulimit -v 1500000 fails with pthread_create EAGAIN',
      'https://github.com/ctlab/metacherchant/issues/16 (24 MiB JVM thread stacks refused with EAGAIN on a cluster job; more memory for the job fixed it)',
    ],
  },
  assess(ctx) {
    const env = environmentOf(ctx.node);
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const remediation: Remediation[] = [
      {
        summary:
          'Remove the address-space limit where it is set (entrypoint ulimit -v, dockerd default-ulimits "as", LimitAS= in the runtime unit), then recreate the containers; bound memory with the memory cgroup instead.',
        commands: [
          READ_LIMIT,
          `systemctl show ${env.runtimeUnits.join(' ')} -p LimitAS`,
          // dockerd's default-ulimits is the only runtime default that sets one.
          ...(env.runtime && !/docker/i.test(env.runtime)
            ? []
            : ['grep -A3 \'"as"\' /etc/docker/daemon.json']),
        ],
      },
    ];
    // The crashed process's own limit (an hs_err file's rlimit line) decides first: it is the one that applied.
    const own = ctx.process.asLimit;
    if (own && own.value === null) {
      return {
        verdict: 'ruled-out',
        summary: 'The crashed process had no RLIMIT_AS (AS infinity in its own rlimit line).',
        reasons: [...reasons, 'An unlimited RLIMIT_AS cannot be reached.'],
        evidence: [...evidence, own.evidence],
        missing: [],
        remediation: [],
      };
    }
    if (own && own.value !== null) {
      const max = own.value;
      evidence.push(own.evidence);
      const vsize = crashedUsage(ctx.process.virtualSize);
      const asked = numberField(ctx, 'bytes')?.value;
      if (vsize) evidence.push(vsize.evidence);
      const held = vsize ? `${bytes(vsize.value)} mapped` : undefined;
      const past = vsize && asked !== undefined && vsize.value + asked > max;
      const at = vsize && vsize.value >= max * 0.95;
      if (past || at) {
        return {
          verdict: 'confirmed',
          summary: `The process reached its RLIMIT_AS ${bytes(max)}: ${held}${asked !== undefined ? ` and ${bytes(asked)} more asked for` : ''}.`,
          reasons: [
            ...reasons,
            past
              ? `The crashed process held ${bytes(vsize.value)} of address space and asked to map ${bytes(asked!)} more: ${bytes(vsize.value + asked!)} passes its RLIMIT_AS ${bytes(max)}, so the kernel refused the mmap with ENOMEM (may_expand_vm).`
              : `The crashed process held ${bytes(vsize.value)} of address space, within 5% of its RLIMIT_AS ${bytes(max)}: the next mapping (a thread stack, a heap or metaspace reservation) is refused with ENOMEM.`,
            'Address space counts reservations that use no memory (the heap, metaspace and code cache reserved at start, 1 MiB per thread stack), so a limit that looks generous is reached with little memory in use.',
          ],
          evidence,
          missing: [],
          remediation,
        };
      }
      return {
        verdict: 'likely',
        summary: `The crashed process ran under RLIMIT_AS ${bytes(max)}: a thread stack or heap mapping past it fails with ENOMEM.`,
        reasons: [
          ...reasons,
          `Its own rlimit line shows AS ${bytes(max)}: containers are normally unlimited, and a finite address-space limit is reached by reservations alone.${held ? ` It held ${held} when it died.` : ''}`,
        ],
        evidence,
        missing: [
          'grep VmSize /proc/<pid>/status   # of the running instance, until just before the next crash',
        ],
        remediation,
      };
    }
    // The limit as the host reader saw it on the container's processes (node.limits, scope
    // process:<pid>), else the runtime's default for every container (dockerd default-ulimits "as").
    const entries = limitsOf(ctx.node, 'rlimit.as');
    const docker = ctx.node?.runtimeDefaults?.ulimits.find((u) => u.name === 'as');
    const finite = entries.find((e) => e.max !== null);
    if (entries.length > 0 && !finite) {
      return {
        verdict: 'ruled-out',
        summary: 'The process has no RLIMIT_AS ("Max address space" unlimited).',
        reasons: [
          ...reasons,
          'An unlimited RLIMIT_AS cannot be reached; the limit is the same for the restarted instance as for the crashed one.',
        ],
        evidence: [...evidence, ...entries.flatMap((e) => e.evidence.slice(0, 1))],
        missing: [],
        remediation: [],
      };
    }
    const max = finite?.max ?? (docker ? docker.soft : undefined);
    if (max !== undefined && max !== null) {
      evidence.push(...(finite ? finite.evidence : [docker!.evidence]));
      const where = finite
        ? `"Max address space" ${bytes(max)} (${finite.scope})`
        : `dockerd gives every container RLIMIT_AS ${bytes(max)} (default-ulimits "as")`;
      const now =
        finite && finite.used !== null
          ? [
              `The process running now maps ${bytes(finite.used)}; that is the restarted instance's address space, not what the crashed one held, so it neither confirms nor excludes this cause.`,
            ]
          : [];
      return {
        verdict: 'likely',
        summary: `The process runs under RLIMIT_AS ${bytes(max)}: a thread stack or heap mapping past it fails with ENOMEM.`,
        reasons: [
          ...reasons,
          `${where}: containers are normally unlimited, and a finite address-space limit is reached by reservations alone (heap, code cache, arenas, 1-8 MiB per thread stack), long before memory runs out.`,
          ...now,
        ],
        evidence,
        missing: [
          'watch -n5 "grep VmSize /proc/<pid>/status"   # of the running instance, until just before the next crash: does it reach the limit?',
        ],
        remediation,
      };
    }
    const goOom = ctx.raisedBy.some((r) => r.signature.id === 'go.out-of-memory');
    const big = largeStack(ctx);
    if (big) evidence.push(big.hit.evidence[0]!);
    return {
      verdict: goOom || big ? 'possible' : 'unlikely',
      summary: goOom
        ? 'mmap failed inside the process: RLIMIT_AS, if the process has one, refuses exactly that; its limit was not read.'
        : big
          ? `Each thread reserves a ${Math.round(big.kb / 1024)} MiB stack: an address-space limit, if the process has one, is reached after few threads; the limit was not read.`
          : 'Containers start without RLIMIT_AS unless the runtime or the entrypoint sets one; the limit was not read.',
      reasons: [
        ...reasons,
        'Neither containerd, CRI-O nor Docker sets RLIMIT_AS by default: only dockerd --default-ulimit as=..., a LimitAS= in the runtime unit, a base_runtime_spec rlimit or "ulimit -v" in the entrypoint does.',
      ],
      evidence,
      missing: [READ_LIMIT, RUN_ON_NODE],
      remediation,
    };
  },
});
