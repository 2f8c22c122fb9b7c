// kernel.pid_max: the pid namespace ran out of PID numbers. Every task (thread or process) needs a
// PID in the initial namespace, so the node-wide task count (/proc/loadavg field 4) against
// /proc/sys/kernel/pid_max decides it. 32768 is the kernel default and what CentOS 7 runs with,
// since its systemd 219 predates systemd's 50-pid-max.conf (4194304).
import { environmentOf, kernelVersion, SYSCTL_NOTE } from '../../environment.js';
import { defineCause } from '../../types.js';
import { raisedWhy, raisingEvidence, RUN_ON_NODE, threadsOf } from '../shared/common.js';

/**
 * Tasks within this many PIDs of the last one count as "at the limit": it is also RESERVED_PIDS, where
 * allocation restarts after it wraps (kernel/pid.c), so the numbers below it are not handed out again.
 */
const AT_LIMIT_SLACK = 300;

/** The largest pid_max a 64-bit kernel accepts (PID_MAX_LIMIT, 4194304): the value systemd >= 243 sets. */
export const PID_MAX_LIMIT = 4194304;

export const cause = defineCause({
  id: 'kernel.pid_max',
  scope: 'node',
  dominatesWhenConfirmed: true,
  title: 'PID numbers exhausted (kernel.pid_max)',
  docs: {
    what: 'Every task (process or thread) needs a PID number in each pid namespace it lives in. When all numbers below kernel.pid_max are in use, alloc_pid() fails and fork, clone and pthread_create return EAGAIN, for every user, root included.',
    confirm: [
      'Compare the task count (4th field of /proc/loadavg, after the slash) with /proc/sys/kernel/pid_max.',
      'ps -eLf | wc -l gives the same figure; find the holder with ps -eLo pid= | awk ... or count threads per process.',
    ],
    fix: [
      'Raise the limit: sysctl -w kernel.pid_max=4194304 and persist it in /etc/sysctl.d/90-pid-max.conf.',
      'Reserve PIDs for the system in the kubelet (systemReserved pid) and set an eviction threshold on pid.available.',
      'Find the workload that holds the tasks (a thread or zombie leak) and fix it.',
    ],
    sources: [
      'torvalds/linux:kernel/pid.c (alloc_pid: -ENOSPC becomes -EAGAIN)',
      'torvalds/linux:include/linux/threads.h (PID_MAX_DEFAULT 0x8000)',
      'systemd/systemd:sysctl.d/50-pid-max.conf',
      'https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/',
    ],
  },
  assess(ctx) {
    const node = ctx.node;
    const env = environmentOf(node);
    const v = kernelVersion(env);
    const perNamespace = !!v && (v[0] > 6 || (v[0] === 6 && v[1] >= 14));
    const reasons = raisedWhy(ctx);
    const crash = raisingEvidence(ctx);
    const threads = threadsOf(ctx);
    if (threads)
      reasons.push(
        `The process had ${threads.value} threads; PIDs are a node-wide pool shared with every container and daemon.`,
      );
    const remediation = [
      {
        summary: `Raise kernel.pid_max to 4194304 now and at boot${env.el7 ? ' (CentOS/RHEL 7 keeps the kernel default 32768: its systemd 219 has no 50-pid-max.conf)' : ''}. ${SYSCTL_NOTE}${perNamespace ? ' From kernel 6.14 each pid namespace has its own pid_max, copied when it is created: containers started before keep the old value inside their own namespace.' : ''}`,
        commands: [
          'sysctl -w kernel.pid_max=4194304',
          "echo 'kernel.pid_max = 4194304' > /etc/sysctl.d/90-pid-max.conf",
        ],
      },
      {
        summary: `Let the kubelet protect the node: reserve PIDs and evict before they run out (${env.kubeletConfig}); the kubelet applies it when restarted.`,
        commands: [
          `# in ${env.kubeletConfig}:\n# systemReserved: { pid: "1000" }\n# evictionHard: { pid.available: "5%" }`,
          'systemctl restart kubelet',
        ],
      },
    ];
    const pidMax = node?.pidMax;
    const tasks = node?.tasks;
    const threadsMax = node?.threadsMax;
    if (pidMax && !tasks && pidMax.value >= PID_MAX_LIMIT) {
      return {
        verdict: 'unlikely',
        summary: `kernel.pid_max is ${pidMax.value}, the largest value the kernel allows; exhausting it takes millions of tasks.`,
        reasons: [
          ...reasons,
          `With pid_max ${pidMax.value}, threads-max or a pids cgroup is reached long before the PID numbers run out.`,
        ],
        evidence: [...crash, pidMax.evidence],
        missing: ["cut -d' ' -f4 /proc/loadavg   # running/total tasks"],
        remediation: [],
      };
    }
    if (!pidMax || !tasks) {
      return {
        verdict: 'possible',
        summary: 'The node may have run out of PID numbers; no node evidence was read to check it.',
        reasons: [
          ...reasons,
          ...(env.el7
            ? [
                'This CentOS/RHEL 7 node keeps the kernel default pid_max 32768 (its systemd 219 has no 50-pid-max.conf), which a busy node reaches.',
              ]
            : !node
              ? [
                  'On CentOS/RHEL 7 nodes pid_max stays at the kernel default 32768 (systemd 219 has no 50-pid-max.conf), which a busy node reaches.',
                ]
              : []),
        ],
        evidence: [...crash, ...(pidMax ? [pidMax.evidence] : [])],
        missing: [
          'cat /proc/sys/kernel/pid_max',
          "cut -d' ' -f4 /proc/loadavg   # running/total tasks",
          RUN_ON_NODE,
        ],
        remediation,
      };
    }
    const evidence = [
      ...crash,
      pidMax.evidence,
      tasks.evidence,
      ...(node?.lastPid ? [node.lastPid.evidence] : []),
    ];
    // Every task holds a PID and threads-max caps tasks, so a threads-max well below pid_max leaves PIDs
    // to spare (only pidfd or /proc references can pin a reaped task's PID).
    if (
      threadsMax &&
      threadsMax.value < pidMax.value - AT_LIMIT_SLACK &&
      tasks.value < threadsMax.value - AT_LIMIT_SLACK
    ) {
      evidence.push(threadsMax.evidence);
      reasons.push(
        `threads-max ${threadsMax.value} is below pid_max ${pidMax.value}: the node cannot hold enough tasks to use every PID, so threads-max would be reached first.`,
      );
    }
    // alloc_pid() takes numbers from [1, pid_max) (from [RESERVED_PIDS, pid_max) once the cursor has
    // wrapped): pid_max 32768 allows 32767 PIDs, 1 to 32767. PID 0 is the idle task's and never handed out.
    const numbers = pidMax.value - 1;
    const free = Math.max(0, numbers - tasks.value);
    if (free <= AT_LIMIT_SLACK) {
      return {
        verdict: 'confirmed',
        summary: `The node holds ${tasks.value} tasks with kernel.pid_max ${pidMax.value}: PID numbers are exhausted.`,
        reasons: [
          ...reasons,
          free > 0
            ? `Each of the node's ${tasks.value} tasks holds a PID, and kernel.pid_max ${pidMax.value} allows ${numbers} PIDs (1 to ${numbers}; PID 0 is never handed out): at most ${free} are left, fewer once allocation has wrapped (it then skips the numbers below ${AT_LIMIT_SLACK}), and after them every new thread or process on the node fails with EAGAIN, root included.`
            : `Each of the node's ${tasks.value} tasks holds a PID, and kernel.pid_max ${pidMax.value} allows ${numbers} PIDs (1 to ${numbers}; PID 0 is never handed out): none is left, so every new thread or process on the node fails with EAGAIN, root included.`,
        ],
        evidence,
        missing: [],
        remediation,
      };
    }
    const ratio = tasks.value / pidMax.value;
    if (ratio >= 0.9) {
      return {
        verdict: 'likely',
        summary: `The node is at ${(ratio * 100).toFixed(1)}% of kernel.pid_max (${tasks.value}/${pidMax.value}).`,
        reasons: [...reasons, 'Usage this close to the limit reaches it with a burst of threads.'],
        evidence,
        missing: ['Sample again during the failure: watch -n1 cat /proc/loadavg'],
        remediation,
      };
    }
    const belowThreadsMax = !!threadsMax && threadsMax.value < pidMax.value - AT_LIMIT_SLACK;
    return {
      verdict: ratio < 0.5 || belowThreadsMax ? 'unlikely' : 'possible',
      summary: `The node uses ${tasks.value} of ${pidMax.value} PIDs (${(ratio * 100).toFixed(1)}%) in this snapshot.`,
      reasons: [
        ...reasons,
        `Far from the limit when the snapshot was taken; only a burst of ${free} tasks between the crash and the snapshot would explain it.`,
      ],
      evidence,
      missing: ['Capture /proc/loadavg at the time of the crash (podmortem node right after a restart).'],
      remediation,
    };
  },
});
