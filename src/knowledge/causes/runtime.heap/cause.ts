// runtime.heap: the language runtime's own heap cap (JVM -Xmx / MaxRAMPercentage, Node
// --max-old-space-size, Go GOMEMLIMIT pressure), reached before any kernel limit. A runtime at its
// cap is still alive and says so ("Java heap space", "JavaScript heap out of memory"): that message
// is the proof. When the container is OOMKilled instead, the heap cap was set too close to (or
// above) the container limit, and the kernel limit is the cause. Sources: limits.md §3.2, §5.3;
// corpus cases jitsu-kafka-xmx-exceeds-limit, vcell-api-maxram80-nonheap-oomkill.
import type { Evidence } from '../../../evidence/types.js';
import { defineCause } from '../../types.js';
import { raisedWhy, raisingEvidence } from '../shared/common.js';
import { heapFixes } from '../shared/fixes-by-runtime.js';
import { languageOf } from '../shared/language.js';
import { memoryFacts } from '../shared/memory-evidence.js';

export const cause = defineCause({
  id: 'runtime.heap',
  scope: 'process',
  title: "A runtime's own heap limit (JVM -Xmx, Node --max-old-space-size, GOMEMLIMIT)",
  docs: {
    what: 'Managed runtimes cap their own heap: the JVM at -Xmx (or MaxRAMPercentage of the container limit), Node.js at --max-old-space-size, Go softly at GOMEMLIMIT. At the cap the runtime throws or aborts by itself ("java.lang.OutOfMemoryError: Java heap space", "FATAL ERROR: ... JavaScript heap out of memory") while the container limit is not reached.',
    confirm: [
      'The runtime\'s own message: OutOfMemoryError: Java heap space / GC overhead limit exceeded / Metaspace, or Node\'s "JavaScript heap out of memory".',
      'The effective cap: java -XX:+PrintFlagsFinal -version | grep -E "MaxHeapSize|MaxRAMPercentage"; node -e "console.log(v8.getHeapStatistics().heap_size_limit)"; env | grep -E "JAVA_TOOL_OPTIONS|JAVA_OPTS|NODE_OPTIONS|GOMEMLIMIT".',
      'If the container was OOMKilled instead, heap cap + non-heap (metaspace, thread stacks, direct buffers) exceeded the container limit: see memory.cgroup.',
    ],
    fix: [
      'Size the heap for the workload (or fix the leak it reveals) and keep heap + non-heap below the container limit: -XX:MaxRAMPercentage=60-75 rather than 80+, --max-old-space-size below the limit, GOMEMLIMIT ~90% of it.',
      'JVM: add -XX:+ExitOnOutOfMemoryError (and a heap dump path) so a dead JVM restarts instead of limping.',
    ],
    sources: [
      'openjdk/jdk:src/hotspot/share/gc/shared (OutOfMemoryError: Java heap space)',
      'https://nodejs.org/api/cli.html#--max-old-space-sizesize-in-mib',
      'https://pkg.go.dev/runtime/debug#SetMemoryLimit (GOMEMLIMIT, Go 1.19)',
      'corpus: vcell-api-maxram80-nonheap-oomkill (MaxRAMPercentage=80 + ~700Mi non-heap > 2000Mi limit)',
    ],
  },
  assess(ctx) {
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const m = memoryFacts(ctx);
    // The fix follows the cap the runtime named (heap, metaspace, direct buffers) and the runtime the evidence shows.
    const remediation = heapFixes(ctx.incident.subject, ctx.process, languageOf(ctx), m.runtimeHeap?.what);
    if (m.runtimeHeap) {
      return {
        verdict: 'confirmed',
        summary: `The runtime reached its own heap limit: "${m.runtimeHeap.what}".`,
        reasons: [
          ...reasons,
          `"${m.runtimeHeap.what}" is printed by the runtime itself when its heap cap is reached: the process was alive and gave up, the kernel did not kill it.`,
        ],
        evidence: [...evidence, m.runtimeHeap.evidence],
        missing: [],
        remediation,
      };
    }
    if (m.memcg.length > 0) {
      return {
        verdict: 'unlikely',
        summary:
          'The kernel killed the container at its memory limit before the runtime reached its own heap cap.',
        reasons: [
          ...reasons,
          'An OOM kill means the container limit was reached first; a heap cap at or above the limit (or heap + non-heap above it) makes that happen while the heap still has room.',
          ...m.memcg.slice(0, 1).map((p) => p.reason),
        ],
        evidence: [...evidence, ...m.memcg.flatMap((p) => p.evidence).slice(0, 2)],
        missing: [
          'env | grep -E "JAVA_TOOL_OPTIONS|JAVA_OPTS|NODE_OPTIONS|GOMEMLIMIT"   # is the heap cap above the container limit?',
        ],
        remediation,
      };
    }
    return {
      verdict: 'possible',
      summary: "A runtime heap limit may have been reached; the runtime's own message was not found.",
      reasons,
      evidence,
      missing: [
        'kubectl logs -p <pod> -c <container> | grep -E "OutOfMemoryError|heap out of memory"',
        'env | grep -E "JAVA_TOOL_OPTIONS|JAVA_OPTS|NODE_OPTIONS|GOMEMLIMIT"',
      ],
      remediation,
    };
  },
});
