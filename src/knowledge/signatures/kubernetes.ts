// Kubernetes container states as kubectl describe / get print them, and systemd's task accounting as
// systemctl status prints it. They carry facts about the subject (reason, exit code, restart count)
// more than a crash message: only OOMKilled proves a cause (the runtime saw the memory cgroup's OOM
// event), and "Tasks: N (limit: M)" shows a unit's pids limit.
import type { Fields, Raise, SignatureDef } from '../types.js';

const oomKilled: SignatureDef = {
  id: 'k8s.oomkilled',
  family: 'k8s',
  title: 'Kubernetes reports the container OOMKilled',
  keywords: ['OOMKilled'],
  // Not docker inspect's "OOMKilled": false, which says the opposite (OOMKILLED_FALSE below).
  pattern: /\bOOMKilled\b(?!"?\s{0,5}[:=]\s{0,5}false\b)/,
  raises: (): Raise[] => [
    {
      cause: 'memory.cgroup',
      weight: 0.95,
      why: 'The runtime marks a container OOMKilled only after the kernel reported an OOM kill in its memory cgroup: the container (or pod) memory limit was reached.',
    },
  ],
  subject: () => ({ reason: 'OOMKilled' }),
  subjectKind: 'observed',
  docs: {
    what: "lastState.terminated.reason OOMKilled (exit code 137): containerd/CRI-O saw an OOM event for the container's cgroup. The kill may have hit a child process or an exec in the same cgroup; since Kubernetes 1.28 on cgroup v2 the whole container is killed (memory.oom.group).",
    confirm: [
      "kubectl get pod -o jsonpath='{.status.containerStatuses[*].lastState}'; memory.events oom_kill of the container cgroup; dmesg shows the victim.",
    ],
    fix: [
      'Raise resources.limits.memory, or make the program fit (JVM MaxRAMPercentage with room for non-heap, Node --max-old-space-size, GOMEMLIMIT).',
    ],
    sources: [
      'containerd/containerd:internal/cri/server/events.go',
      'https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/',
      'https://github.com/stafftastic/jitsu-chart/issues/76',
    ],
  },
  cases: [
    {
      source: 'https://github.com/stafftastic/jitsu-chart/issues/76',
      log: ['      Reason:       OOMKilled'],
    },
    {
      source: 'https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/',
      log: ['memory-demo-2   0/1       OOMKilled   1          24s'],
    },
  ],
  nonMatching: [
    'OOMKilledCount=0x',
    // docker inspect of a container killed by something else (kubernetes/kubernetes#19825).
    '        "OOMKilled": false,',
    // The same state pasted without quotes (coderaiser/cloudcmd#440).
    'OOMKilled:false,',
  ],
};

/** docker inspect's State.OOMKilled false, as pasted (quoted JSON or a compact rendering). */
export const OOMKILLED_FALSE = /\bOOMKilled"?\s{0,5}[:=]\s{0,5}false\b/;

const notOomKilled: SignatureDef = {
  id: 'docker.not-oomkilled',
  family: 'docker',
  title: 'docker inspect says the container was not OOMKilled',
  keywords: ['OOMKilled'],
  pattern: OOMKILLED_FALSE,
  // Evidence against a memory-cgroup kill, not a crash: memory.cgroup reads it and weighs it.
  raises: () => [],
  subjectKind: 'observed',
  docs: {
    what: "docker inspect prints State.OOMKilled: true only when the runtime received an OOM event for the container's memory cgroup before it exited (containerd TaskOOM). false next to ExitCode 137 means another SIGKILL: docker kill/stop after the timeout, a liveness probe, a node-wide OOM kill on cgroup v1, or an old Docker that missed the event (moby/moby#18510).",
    confirm: [
      "dmesg -T | grep -E 'Memory cgroup out of memory|oom-kill:constraint'   # a kernel OOM line decides",
    ],
    fix: [],
    sources: [
      'moby/moby:daemon/monitor.go (OOMKilled set from the TaskOOM event)',
      'https://github.com/kubernetes/kubernetes/issues/19825',
      'https://github.com/docker/cli/issues/2665',
    ],
  },
  cases: [
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/19825',
      log: ['        "OOMKilled": false,'],
    },
    { source: 'https://github.com/coderaiser/cloudcmd/issues/440', log: ['OOMKilled:false,'] },
  ],
  nonMatching: ['            "OOMKilled": true,'],
};

const exitCode: SignatureDef = {
  id: 'k8s.exit-code',
  family: 'k8s',
  title: 'Container exit code (kubectl describe / pod status)',
  keywords: ['Exit Code:', 'exitCode:', 'ExitCode'],
  // Non-zero only: init containers print "Exit Code: 0" first in kubectl describe, and the subject
  // takes the first hit. docker inspect prints "ExitCode": 137.
  pattern: /\b(?:Exit Code|exitCode|ExitCode)"?:\s{0,20}([1-9]\d{0,2})\b/,
  fields: (m): Fields => ({ exitCode: Number(m[1]) }),
  raises: (f): Raise[] =>
    f.exitCode === 137
      ? [
          {
            cause: 'memory.cgroup',
            weight: 0.2,
            why: 'Exit code 137 is SIGKILL; the OOM killer is the most common sender, but a liveness probe or the grace period also ends in SIGKILL: the Reason line decides.',
          },
        ]
      : [],
  subject: (f) => (typeof f.exitCode === 'number' ? { exitCode: f.exitCode } : {}),
  subjectKind: 'observed',
  docs: {
    what: 'The exit status the runtime recorded: 128+N means killed by signal N (137 SIGKILL, 134 SIGABRT, 139 SIGSEGV, 143 SIGTERM); Go panics and fatal errors exit with 2.',
    confirm: ['Read Reason next to it: OOMKilled, Error, Completed.'],
    fix: [],
    sources: [
      'https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states',
      'shared/knowledge/limits.md §5.3',
    ],
  },
  cases: [
    {
      source: 'https://github.com/stafftastic/jitsu-chart/issues/76',
      log: ['      Exit Code:    137'],
      fields: { exitCode: 137 },
    },
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/93826',
      log: ['Exit Code: 1'],
      fields: { exitCode: 1 },
    },
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/19825 (docker inspect)',
      log: ['        "ExitCode": 137,'],
      fields: { exitCode: 137 },
    },
  ],
  nonMatching: ['      Exit Code:    0'],
};

const restartCount: SignatureDef = {
  id: 'k8s.restart-count',
  family: 'k8s',
  title: 'Container restart count (kubectl describe)',
  keywords: ['Restart Count:'],
  // Non-zero only, for the same reason (init containers come first).
  pattern: /Restart Count:\s{0,20}([1-9]\d{0,8})\b/,
  fields: (m): Fields => ({ restartCount: Number(m[1]) }),
  raises: () => [],
  subject: (f) => (typeof f.restartCount === 'number' ? { restartCount: f.restartCount } : {}),
  subjectKind: 'observed',
  docs: {
    what: 'How many times the kubelet restarted the container since the pod was created.',
    confirm: [],
    fix: [],
    sources: ['https://kubernetes.io/docs/reference/kubectl/generated/kubectl_describe/'],
  },
  cases: [
    {
      source: 'https://github.com/antrea-io/antrea/issues/1171',
      log: ['    Restart Count:  5'],
      fields: { restartCount: 5 },
    },
  ],
  nonMatching: ['    Restart Count:  0'],
};

const backOff: SignatureDef = {
  id: 'k8s.back-off',
  family: 'k8s',
  title: 'Kubelet back-off restarting a failed container (CrashLoopBackOff)',
  keywords: ['Back-off restarting failed container', 'CrashLoopBackOff'],
  pattern: /Back-off restarting failed container|CrashLoopBackOff/,
  raises: () => [],
  docs: {
    what: "The container keeps exiting and the kubelet waits longer between restarts (up to 5 minutes). A symptom, not a cause: the previous run's log (kubectl logs -p) says why it exited.",
    confirm: ['kubectl logs -p <pod> -c <container>; kubectl describe pod for Last State.'],
    fix: [],
    sources: ['https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts'],
  },
  cases: [
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/17460',
      log: ['elasticsearch-attiy   0/1       CrashLoopBackOff   25         1h'],
    },
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/113215',
      log: [
        '  Warning  BackOff    4m53s (x72 over 20m)  kubelet            Back-off restarting failed container manager',
      ],
    },
    {
      source: 'https://github.com/portainer/portainer/issues/5314',
      log: ['      Reason:       CrashLoopBackOff'],
    },
  ],
};

const livenessFailed: SignatureDef = {
  id: 'k8s.liveness-failed',
  family: 'k8s',
  title: 'Liveness probe failed (the kubelet kills the container)',
  keywords: ['Liveness probe failed'],
  pattern: /Liveness probe failed:?\s{0,5}([^\n]{0,200})/,
  fields: (m): Fields => (m[1] ? { message: m[1].trim() } : {}),
  raises: () => [],
  docs: {
    what: 'After failureThreshold failed probes the kubelet kills the container (SIGTERM, then SIGKILL: exit 137 without OOMKilled). A slow or starved process fails its probe too, so look for the resource crash before it.',
    confirm: ['kubectl describe pod events: "Container ... failed liveness probe, will be restarted".'],
    fix: [],
    sources: [
      'https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/',
    ],
  },
  cases: [
    {
      source:
        'https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/',
      log: ["Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"],
    },
  ],
};

const systemdTasks: SignatureDef = {
  id: 'systemd.tasks-limit',
  family: 'systemd',
  title: 'systemd unit task count against its TasksMax (systemctl status)',
  keywords: ['(limit: '],
  pattern: /Tasks: (\d{1,9}) \(limit: (\d{1,9})\)/,
  fields: (m): Fields => ({ tasks: Number(m[1]), limit: Number(m[2]) }),
  raises: (f): Raise[] => {
    const tasks = typeof f.tasks === 'number' ? f.tasks : 0;
    const limit = typeof f.limit === 'number' ? f.limit : 0;
    const near = limit > 0 && tasks >= limit * 0.9;
    return [
      {
        cause: 'cgroup.pids',
        weight: near ? 0.8 : 0.3,
        why: near
          ? `The unit holds ${tasks} tasks of its TasksMax ${limit}: everything it starts (containers under docker.service, shims under containerd.service) shares that pids limit.`
          : `The unit has a TasksMax of ${limit} (${tasks} tasks when this was printed); a burst of threads reaches it.`,
      },
    ];
  },
  docs: {
    what: "systemctl status prints the unit's pids cgroup: tasks in it and TasksMax. A runtime daemon's unit (docker.service with systemd 228's DefaultTasksMax=512, SLES containerd TasksMax=512) caps every container it starts.",
    confirm: [
      'systemctl show <unit> -p TasksMax -p TasksCurrent; cat /sys/fs/cgroup/pids/system.slice/<unit>/pids.max.',
    ],
    fix: [
      'A drop-in with TasksMax=infinity for the unit (systemctl edit <unit>), daemon-reload, restart; or raise DefaultTasksMax in /etc/systemd/system.conf.d/.',
    ],
    sources: [
      'systemd/systemd:NEWS (v227, v228 DefaultTasksMax=512, v231 15%)',
      'https://github.com/kubernetes/kubernetes/issues/51977',
      'https://github.com/Azure/AKS/issues/2709',
    ],
  },
  cases: [
    {
      source:
        'https://newbe.dev/index.php/creating-threads-fails-with-resource-temporarily-unavailable-with-4-3-kernel',
      log: ['    Tasks: 502 (limit: 512)'],
      fields: { tasks: 502, limit: 512 },
    },
  ],
  nonMatching: ['Memory: 1.2G (limit: 2G)'],
};

export const signatures: SignatureDef[] = [
  oomKilled,
  notOomKilled,
  exitCode,
  restartCount,
  backOff,
  livenessFailed,
  systemdTasks,
];
