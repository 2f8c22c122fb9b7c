// vm.max_map_count: memory mappings (VMAs) per process, 65530 by default. Every thread stack costs
// about two (the stack and its guard page), so thread creation fails (mmap ENOMEM, which glibc
// reports as EAGAIN) once a process holds ~65530 mappings; mmap-heavy programs (Elasticsearch,
// databases) refuse to start below their requirement. It is the process's own ceiling: a crash that
// printed only N threads is far from it unless the heap itself is fragmented into mappings.
// Sources: limits.md §1.1, §4.2.
import type { Evidence } from '../../../evidence/types.js';
import { sysctlCommands, SYSCTL_NOTE } from '../../environment.js';
import { defineCause, type Remediation } from '../../types.js';
import {
  crashedUsage,
  hitsWithText,
  raisedWhy,
  raisingEvidence,
  restartedSaid,
  restartedThreads,
  RUN_ON_NODE,
  threadsOf,
  usage,
} from '../shared/common.js';
import { notAMemoryErrno } from '../shared/thread-stack.js';

const DEFAULT_MAX_MAP_COUNT = 65530;
/** Mappings one thread adds: its stack and the guard area below it. */
const MAPS_PER_THREAD = 2;
const TOO_LOW_LINE = /vm\.max_map_count \[(\d+)\] is too low, increase to at least \[(\d+)\]/;

export const cause = defineCause({
  id: 'vm.max_map_count',
  scope: 'process',
  title: 'Memory mappings of one process (vm.max_map_count)',
  docs: {
    what: 'vm.max_map_count caps the memory mappings (VMAs) of each process, 65530 by default. mmap fails with ENOMEM at the cap; a thread stack is a mapping plus a guard area, so pthread_create fails (EAGAIN) too. Node-wide sysctl, not namespaced: a pod cannot raise it for itself.',
    confirm: [
      'wc -l /proc/<pid>/maps against sysctl vm.max_map_count.',
      'Elasticsearch/OpenSearch say it at start-up: "max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]".',
    ],
    fix: [
      'sysctl -w vm.max_map_count=262144 and persist it in /etc/sysctl.d/ on every node that runs the workload (or a privileged init container / node tuning DaemonSet).',
    ],
    sources: [
      'torvalds/linux:mm/mmap.c (mm->map_count > sysctl_max_map_count -> ENOMEM)',
      'https://www.kernel.org/doc/Documentation/sysctl/vm.txt (max_map_count)',
      'https://www.elastic.co/guide/en/elasticsearch/reference/current/vm-max-map-count.html',
    ],
  },
  assess(ctx) {
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const node = ctx.node;
    const nodeMax = node?.maxMapCount;
    const remediation: Remediation[] = [
      {
        summary: `Raise vm.max_map_count on the node (it is node-wide and not namespaced). ${SYSCTL_NOTE}`,
        commands: sysctlCommands('vm.max_map_count', 262144, '90-max-map-count.conf'),
      },
    ];
    const tooLow = hitsWithText(ctx, TOO_LOW_LINE)[0];
    if (tooLow) {
      const [, have, need] = tooLow.match;
      return {
        verdict: 'confirmed',
        summary: `The program requires vm.max_map_count ${need} and the node has ${have}.`,
        reasons: [
          ...reasons,
          `The program read vm.max_map_count ${have} and refused to start below its requirement ${need}: ${have} < ${need}.`,
        ],
        evidence: [...evidence, tooLow.evidence],
        missing: [],
        remediation,
      };
    }
    const eperm = notAMemoryErrno(ctx);
    if (eperm) {
      return {
        verdict: 'ruled-out',
        summary: `The failure's errno is EPERM (${eperm.value}); mmap at vm.max_map_count fails with ENOMEM.`,
        reasons: [
          ...reasons,
          'mmap returns ENOMEM once the process holds vm.max_map_count mappings (mm/mmap.c), and pthread_create reports that as EAGAIN; the EPERM shown beside this line comes from a policy (seccomp on clone3).',
        ],
        evidence: [...evidence, eperm.hit.evidence[0]!],
        missing: [],
        remediation: [],
      };
    }
    const max = nodeMax?.value ?? DEFAULT_MAX_MAP_COUNT;
    const maxText = nodeMax
      ? `vm.max_map_count ${max}`
      : `the default vm.max_map_count ${DEFAULT_MAX_MAP_COUNT}`;
    if (nodeMax) evidence.push(nodeMax.evidence);
    // The restarted instance's mappings are its own: quoted, never an argument about the crashed one.
    const maps = crashedUsage(ctx.process.mapCount);
    const twin = ctx.process.mapCount?.of === 'restarted' ? ctx.process.mapCount : undefined;
    if (twin) {
      evidence.push(twin.evidence);
      reasons.push(restartedSaid(twin, 'mappings', max));
    }
    if (maps) {
      evidence.push(maps.evidence);
      const ratio = maps.value / max;
      const verdict =
        maps.value >= max - 10
          ? 'confirmed'
          : ratio >= 0.9
            ? 'likely'
            : ratio < 0.5
              ? 'unlikely'
              : 'possible';
      return {
        verdict,
        summary: `The process holds ${usage(maps.value, max)} of ${maxText}.`,
        reasons: [
          ...reasons,
          `${maps.value} mappings against ${maxText}: ${verdict === 'confirmed' ? 'at the cap, mmap and thread creation fail' : `${max - maps.value} to spare in this snapshot`}.`,
        ],
        evidence,
        missing:
          verdict === 'confirmed'
            ? []
            : ['watch -n5 "wc -l < /proc/<pid>/maps"   # does it grow towards the cap?'],
        remediation,
      };
    }
    const twinThreads = restartedThreads(ctx);
    if (twinThreads) {
      evidence.push(twinThreads.evidence);
      reasons.push(restartedSaid(twinThreads, 'threads'));
    }
    const threads = threadsOf(ctx);
    if (threads) {
      evidence.push(threads.evidence);
      const stacks = threads.value * MAPS_PER_THREAD;
      if (stacks < max / 10) {
        return {
          verdict: 'unlikely',
          summary: `${threads.value} threads use about ${stacks} mappings of ${maxText}.`,
          reasons: [
            ...reasons,
            `${threads.value} threads × ${MAPS_PER_THREAD} mappings (stack + guard) ≈ ${stacks}, far below ${max}: only a heap fragmented into tens of thousands of mappings would reach it.`,
          ],
          evidence,
          missing: ['wc -l /proc/<pid>/maps   # of the running instance, before the next crash'],
          remediation: [],
        };
      }
    }
    return {
      verdict: 'possible',
      summary: 'The process may have reached vm.max_map_count; its mapping count was not read.',
      reasons,
      evidence,
      missing: [
        twin
          ? 'watch -n5 "wc -l < /proc/<pid>/maps"   # of the running instance, until just before the next crash'
          : 'wc -l /proc/<pid>/maps; sysctl vm.max_map_count',
        RUN_ON_NODE,
      ],
      remediation,
    };
  },
});
