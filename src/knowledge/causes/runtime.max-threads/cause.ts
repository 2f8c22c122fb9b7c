// runtime.max-threads: a runtime's own thread cap, not a kernel limit. Go's is 10000 Ms (maxmcount,
// checkmcount in golang/go:src/runtime/proc.go; debug.SetMaxThreads changes it); reaching it prints
// "program exceeds 10000-thread limit" then "fatal error: thread exhaustion", never an errno.
// A clone failure that printed "have N already" with N far below the cap rules it out by arithmetic.
// Source: limits.md §3.2, §4.
import type { Evidence } from '../../../evidence/types.js';
import { defineCause, type Remediation } from '../../types.js';
import { errnoOf, hitsWithText, raisedWhy, raisingEvidence, threadsOf } from '../shared/common.js';

/** Go's default maxmcount (since about Go 1.2). */
const GO_MAX_THREADS = 10000;
const CAP_LINE = /program exceeds (\d+)-thread limit|fatal error: thread exhaustion/;

export const cause = defineCause({
  id: 'runtime.max-threads',
  scope: 'process',
  // Only a crash with thousands of threads makes anyone suspect the cap; the count decides it.
  raisedBy: [
    {
      signature: 'go.newosproc',
      when: (f) => typeof f.threads === 'number' && f.threads >= 1000,
      weight: 0.05,
      why: "With over a thousand threads, Go's own 10000-thread cap is a suspect; the count the runtime printed settles it.",
    },
  ],
  title: "A runtime's own thread cap (Go's 10000-thread limit)",
  docs: {
    what: 'The Go runtime refuses to run more than 10000 OS threads (Ms) by default: "runtime: program exceeds 10000-thread limit" then "fatal error: thread exhaustion". It is a safety cap inside the process, reached when goroutines block in syscalls or cgo calls en masse; no kernel limit is involved.',
    confirm: [
      'The log says "program exceeds N-thread limit" / "fatal error: thread exhaustion".',
      'A "failed to create new OS thread (have N already; errno=E)" crash is a kernel refusal instead: with N far below 10000 this cap is not the cause.',
    ],
    fix: [
      'Find what blocks threads (blocking syscalls, cgo calls, file I/O on slow storage) in the goroutine dump, and bound the concurrency.',
      'Only if the threads are legitimate: debug.SetMaxThreads(n) in the program.',
    ],
    sources: [
      'golang/go:src/runtime/proc.go (checkmcount, maxmcount = 10000)',
      'https://pkg.go.dev/runtime/debug#SetMaxThreads',
      'https://go.dev/issue/4056',
    ],
  },
  assess(ctx) {
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const remediation: Remediation[] = [
      {
        summary:
          'Bound what blocks OS threads (syscalls, cgo) rather than raising the cap; debug.SetMaxThreads only for legitimate load.',
        commands: [
          'kubectl logs -p <pod> -c <container> | grep -c "^goroutine "   # how many goroutines, and where they block',
        ],
      },
    ];
    const capHit = hitsWithText(ctx, CAP_LINE)[0];
    if (capHit) {
      const limit = capHit.match[1] ? Number(capHit.match[1]) : GO_MAX_THREADS;
      return {
        verdict: 'confirmed',
        summary: `The Go runtime stopped at its own ${limit}-thread cap.`,
        reasons: [
          ...reasons,
          `"${capHit.match[0]}" is printed by the runtime's checkmcount when the process reaches its thread cap (${limit}); no kernel limit refused anything.`,
        ],
        evidence: [...evidence, capHit.evidence],
        missing: [],
        remediation,
      };
    }
    const threads = threadsOf(ctx);
    const errno = errnoOf(ctx);
    if (threads) {
      evidence.push(threads.evidence);
      const ruled = threads.value < GO_MAX_THREADS / 2;
      return {
        verdict: ruled ? 'ruled-out' : 'unlikely',
        summary: `The process had ${threads.value} threads, ${ruled ? 'far ' : ''}below Go's ${GO_MAX_THREADS}-thread cap.`,
        reasons: [
          ...reasons,
          `${threads.value} of ${GO_MAX_THREADS} threads: Go's default cap was not reached${errno ? `, and the kernel itself refused the thread with errno ${errno.value}` : ''}; a cap lowered with debug.SetMaxThreads would have printed "program exceeds N-thread limit", not an errno.`,
        ],
        evidence,
        missing: [],
        remediation: [],
      };
    }
    return {
      verdict: errno ? 'unlikely' : 'possible',
      summary: errno
        ? `The kernel refused the thread (errno ${errno.value}); Go's own cap prints a message instead of an errno.`
        : 'A runtime thread cap may have been reached; the crash does not say how many threads the process had.',
      reasons,
      evidence,
      missing: [
        'kubectl logs -p <pod> -c <container> | grep -E "thread limit|thread exhaustion|have [0-9]+ already"',
      ],
      remediation,
    };
  },
});
