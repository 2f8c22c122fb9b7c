// kernel.threads-max: the node-wide task count (nr_threads, the denominator of /proc/loadavg field
// 4) reached max_threads. copy_process() compares them with no exemption, root included. Sized at
// boot from RAM (set_max_threads in torvalds/linux:kernel/fork.c), so it bites on small nodes. Every
// task also needs a PID in the initial pid namespace, so a node whose pid_max is below threads-max
// runs out of PIDs first and can never reach threads-max: plain arithmetic rules it out there.
// Sources: limits.md §1.1, §1.4, §4.2.
import type { Evidence } from '../../../evidence/types.js';
import { environmentOf, sysctlCommands, SYSCTL_NOTE } from '../../environment.js';
import { defineCause } from '../../types.js';
import { raisedWhy, raisingEvidence, RUN_ON_NODE, threadsOf, usage } from '../shared/common.js';

/** Tasks within this many of threads-max count as "at the limit" (the snapshot is taken after the crash). */
const AT_LIMIT_SLACK = 300;

export const cause = defineCause({
  id: 'kernel.threads-max',
  scope: 'node',
  dominatesWhenConfirmed: true,
  title: 'Node-wide task count at kernel.threads-max',
  docs: {
    what: 'kernel.threads-max caps the number of tasks (processes and threads) on the whole node. It is sized at boot from RAM (RAM / (8 x THREAD_SIZE)), so small nodes have small values. At the limit, fork, clone and pthread_create fail with EAGAIN for every user, root included.',
    confirm: [
      'Compare /proc/loadavg field 4 (after the slash: tasks on the node) with /proc/sys/kernel/threads-max.',
      'If kernel.pid_max - 1 is below threads-max, the node runs out of PIDs first and cannot reach threads-max at all.',
    ],
    fix: [
      'Raise it now and at boot: sysctl -w kernel.threads-max=<n> and /etc/sysctl.d/90-threads-max.conf.',
      'Find the workload that holds the tasks (a thread or zombie leak).',
      "Reserve PIDs for the system in the kubelet and set a pid.available eviction threshold (the kubelet's maxpid is min(pid_max, threads-max)).",
    ],
    sources: [
      'torvalds/linux:kernel/fork.c (set_max_threads, copy_process nr_threads >= max_threads)',
      'torvalds/linux:fs/proc/loadavg.c (nr_threads in field 4)',
      'kubernetes/kubernetes:pkg/kubelet/stats/pidlimit/pidlimit_linux.go (maxpid = min(pid_max, threads-max))',
    ],
  },
  assess(ctx) {
    const node = ctx.node;
    const env = environmentOf(node);
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const threadsMax = node?.threadsMax;
    const pidMax = node?.pidMax;
    const tasks = node?.tasks;
    const remediation = [
      {
        summary: `Raise kernel.threads-max now and at boot, then find the task leak. ${SYSCTL_NOTE}`,
        commands: [
          ...sysctlCommands(
            'kernel.threads-max',
            threadsMax ? threadsMax.value * 2 : 4194304,
            '90-threads-max.conf',
          ),
          "ps -eLo pid=,comm= | awk '{print $2}' | sort | uniq -c | sort -rn | head   # threads per command",
        ],
      },
      {
        summary: `Let the kubelet protect the node (${env.kubeletConfig}): reserve PIDs and evict on pid.available.`,
        commands: [
          `# in ${env.kubeletConfig}:\n# systemReserved: { pid: "1000" }\n# evictionHard: { pid.available: "5%" }`,
          'systemctl restart kubelet',
        ],
      },
    ];
    if (threadsMax) evidence.push(threadsMax.evidence);
    if (threadsMax && pidMax && pidMax.value - 1 < threadsMax.value) {
      return {
        verdict: 'ruled-out',
        summary: `Ruled out: kernel.pid_max ${pidMax.value} is below kernel.threads-max ${threadsMax.value}, so the node runs out of PIDs before it can hold threads-max tasks.`,
        reasons: [
          ...reasons,
          `Every task needs a PID in the initial pid namespace, and at most pid_max - 1 = ${pidMax.value - 1} PIDs exist: the node can never hold ${threadsMax.value} tasks (threads-max), so pid_max is reached first.`,
        ],
        evidence: [...evidence, pidMax.evidence],
        missing: [],
        remediation: [],
      };
    }
    const threads = threadsOf(ctx);
    if (!threadsMax || !tasks) {
      return {
        verdict: 'possible',
        summary:
          'The node may have held kernel.threads-max tasks; its task count and threads-max were not read.',
        reasons: [
          ...reasons,
          ...(threads
            ? [
                `The process had ${threads.value} threads; threads-max is node-wide and counts every task of every container and daemon.`,
              ]
            : []),
        ],
        evidence,
        missing: [
          'cat /proc/sys/kernel/threads-max /proc/sys/kernel/pid_max',
          "cut -d' ' -f4 /proc/loadavg   # running/total tasks",
          RUN_ON_NODE,
        ],
        remediation,
      };
    }
    evidence.push(tasks.evidence);
    const free = threadsMax.value - tasks.value;
    if (free <= AT_LIMIT_SLACK) {
      return {
        verdict: 'confirmed',
        summary: `The node holds ${tasks.value} tasks with kernel.threads-max ${threadsMax.value}: the limit is reached.`,
        reasons: [
          ...reasons,
          // copy_process() refuses a task once nr_threads >= max_threads: the node holds at most threads-max tasks.
          free > 0
            ? `${usage(tasks.value, threadsMax.value)} of threads-max: ${free} more task(s) fit, and after them every new task on the node fails with EAGAIN, root included.`
            : `${usage(tasks.value, threadsMax.value)} of threads-max: every new task on the node fails with EAGAIN, root included.`,
        ],
        evidence,
        missing: [],
        remediation,
      };
    }
    const ratio = tasks.value / threadsMax.value;
    const verdict = ratio >= 0.9 ? 'likely' : ratio < 0.5 ? 'unlikely' : 'possible';
    return {
      verdict,
      summary: `The node holds ${usage(tasks.value, threadsMax.value)} of kernel.threads-max in this snapshot.`,
      reasons: [
        ...reasons,
        verdict === 'likely'
          ? `${free} tasks of headroom: a burst reaches it.`
          : `${free} tasks of headroom in the snapshot: only a burst between the crash and the snapshot would explain it.`,
      ],
      evidence,
      missing: ['Capture /proc/loadavg during the failure: watch -n1 cat /proc/loadavg'],
      remediation,
    };
  },
});
