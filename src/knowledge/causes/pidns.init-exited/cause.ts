// pidns.init-exited: not a resource limit. alloc_pid() refuses new PIDs in a pid namespace whose init
// (the container's PID 1) has exited, and returns ENOMEM "for historical reasons"
// (torvalds/linux:kernel/pid.c). It happens while a container is torn down, typically to a process
// exec'd into it, or to the children of a PID 1 that died; a running program's own thread creation
// while PID 1 lives never gets it, and once PID 1 has exited the kernel kills every task of the
// namespace (kernel/pid_namespace.c zap_pid_ns_processes: disable_pid_allocation, then SIGKILL to
// all), so a program's own thread or forked child is ruled out as the cause: the container stopped
// because its PID 1 exited. It stays open for shells and exec helpers, whose children can go into
// another namespace (unshare -p without --fork, setns). Sources: limits.md §1.4, §3.1.
import type { Evidence } from '../../../evidence/types.js';
import { defineCause } from '../../types.js';
import { errnoOf, raisedWhy, raisingEvidence } from '../shared/common.js';

/** Language runtimes and servers forking children for themselves (not a shell, not a runtime's exec helper). */
const PROGRAM_FORKS = new Set([
  'ruby.fork-failed',
  'php.fork-failed',
  'node.spawn-error',
  'python.fork-eagain',
  'postgres.fork-failed',
  'nginx.create-failed',
]);

export const cause = defineCause({
  id: 'pidns.init-exited',
  scope: 'none',
  title: 'fork in a pid namespace whose init has exited (ENOMEM)',
  docs: {
    what: 'Not a resource limit. Once the init (PID 1) of a pid namespace exits, the kernel refuses new PIDs there and fork/clone return ENOMEM, which looks like a memory problem. In a container this happens during teardown: a kubectl exec into a terminating container, or the children of a PID 1 that died.',
    confirm: [
      'Was the failing process PID 1 of its container, or a child / an exec? kubectl exec <pod> -- cat /proc/1/cmdline of the restarted container.',
      "Was the container terminating at that time? kubectl get events --field-selector involvedObject.name=<pod>; the previous container's exit time against the error's.",
    ],
    fix: [
      'Nothing to raise: it is expected during teardown. Make PID 1 an init that outlives its children (tini, dumb-init) if a wrapper script dies first.',
    ],
    sources: [
      'torvalds/linux:kernel/pid.c (alloc_pid: PIDNS_ADDING cleared -> -ENOMEM)',
      'https://man7.org/linux/man-pages/man7/pid_namespaces.7.html',
      'torvalds/linux:kernel/pid_namespace.c (zap_pid_ns_processes: disable_pid_allocation, then SIGKILL to every task of the namespace)',
    ],
  },
  assess(ctx) {
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const errno = errnoOf(ctx);
    if (errno && errno.value !== 12) {
      return {
        verdict: 'ruled-out',
        summary: `The errno is ${errno.value}; a dead pid-namespace init gives ENOMEM (12).`,
        reasons: [
          ...reasons,
          `alloc_pid() in a namespace whose init has exited returns ENOMEM; errno ${errno.value} comes from something else.`,
        ],
        evidence,
        missing: [],
        remediation: [],
      };
    }
    // A thread, or a child a language runtime forks for itself, goes into the program's own pid
    // namespace: while the program runs, that namespace's PID 1 lives (or the program was killed with
    // it). Only a process whose children go into another namespace meets a dead init and lives on: a
    // runtime's exec helper after setns (runc's nsenter), a shell under "unshare -p" without --fork.
    const ownChildren = ctx.raisedBy.every(
      (r) => /newosproc|pthread|thread/.test(r.signature.id) || PROGRAM_FORKS.has(r.signature.id),
    );
    if (ownChildren) {
      return {
        verdict: 'ruled-out',
        summary:
          'A running program failed to create its own thread or child: a dead pid-namespace init cannot be why its container stopped.',
        reasons: [
          ...reasons,
          "A program's threads and forked children go into its own pid namespace, where it is PID 1 or a descendant of PID 1. While PID 1 lives, PIDs are handed out; once it exits, the kernel stops handing them out and sends SIGKILL to every task of the namespace in the same step (zap_pid_ns_processes), so the container stopped because its PID 1 exited, not because of this failure. Only a process whose children go into another namespace (a runtime's exec helper after setns, a shell under unshare -p without --fork) gets this ENOMEM and lives on.",
        ],
        evidence,
        missing: [],
        remediation: [],
      };
    }
    return {
      verdict: 'possible',
      summary:
        "Only if the failing process outlived its container's PID 1 (teardown, an exec into a terminating container).",
      reasons: [
        ...reasons,
        'A fork that fails with ENOMEM from a shell or helper process is what a kubectl exec into a terminating container (PID 1 gone) gets; the memory limits are the other explanation.',
      ],
      evidence,
      missing: [
        'kubectl exec <pod> -c <container> -- cat /proc/1/cmdline   # is the crashing program PID 1, or a child of a wrapper?',
        'kubectl get events --field-selector involvedObject.name=<pod>   # was the container terminating at the time?',
      ],
      remediation: [
        {
          summary:
            'Nothing to raise: make PID 1 an init that outlives its children (tini, dumb-init) when a wrapper script runs the program.',
          commands: ['# Dockerfile: ENTRYPOINT ["/usr/bin/tini", "--", "<program>"]'],
        },
      ],
    };
  },
});
