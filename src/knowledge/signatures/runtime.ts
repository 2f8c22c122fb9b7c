// Container runtime and Go-daemon failures to start processes: Go's os/exec "fork/exec PATH: errno"
// (kubelet, dockerd, containerd, runc hooks), containerd failing to start a shim, and OCI runtime
// create/exec errors that carry an errno. These are failures of the node's daemons as much as of the
// workload: a daemon unit's TasksMax or LimitNOFILE is a common culprit.
import { errnoFields, errnoFromMessage } from '../errno.js';
import type { Fields, Raise, SignatureDef } from '../types.js';
import { emfileRaises, enfileRaises, processCreationRaises } from './raises.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Raises for an errno that a process start (fork+exec, shim start) returned. */
function startRaises(f: Fields): Raise[] {
  if (f.errno === 24) return emfileRaises(true);
  if (f.errno === 23) return enfileRaises();
  if (f.errno === 11 || f.errno === 12) return processCreationRaises(num(f.errno));
  return [];
}

const ERRNO_TEXT =
  '(resource temporarily unavailable|cannot allocate memory|too many open files in system|too many open files)';

const forkExec: SignatureDef = {
  id: 'go.fork-exec',
  family: 'go',
  title: 'A Go program could not start a process (fork/exec PATH: errno)',
  keywords: ['fork/exec '],
  pattern: new RegExp(`fork/exec (\\S{1,300}): ${ERRNO_TEXT}`, 'i'),
  fields: (m): Fields => ({ path: m[1]!, ...errnoFields(errnoFromMessage(m[2]!)) }),
  raises: startRaises,
  docs: {
    what: 'Go\'s os/exec and syscall.ForkExec report a failed clone (or the pipe it needs) as "fork/exec PATH: <errno text>". From the kubelet, dockerd, containerd or runc it means the node daemon itself could not start a process: its systemd unit\'s TasksMax, its LimitNPROC/LimitNOFILE, or node-wide limits.',
    confirm: [
      'systemctl show kubelet containerd docker -p TasksMax -p LimitNPROC -p LimitNOFILE, and the unit\'s pids.current (systemctl status shows "Tasks: N (limit: M)").',
      'Node-wide: /proc/loadavg tasks against pid_max and threads-max.',
    ],
    fix: [
      'Drop-in TasksMax=infinity (and LimitNOFILE) for the daemon unit, or raise the node limit that was reached.',
    ],
    sources: [
      'golang/go:src/syscall/exec_unix.go (forkExec)',
      'https://github.com/kubernetes/kubernetes/issues/51977',
      'https://github.com/kubernetes/kubernetes/issues/79466',
    ],
  },
  cases: [
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/51977',
      log: ['fork/exec /usr/bin/docker-runc: resource temporarily unavailable'],
      fields: { path: '/usr/bin/docker-runc', errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/79466',
      log: [
        'failed to collect filesystem stats - rootDiskErr: failed to exec du - fork/exec /usr/bin/nice: resource temporarily unavailable',
      ],
      fields: { path: '/usr/bin/nice', errno: 11 },
    },
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/10793',
      log: [
        'Unable to mount volumes for pod "client-purple-g0t89_default": fork/exec /bin/mount: cannot allocate memory',
      ],
      fields: { path: '/bin/mount', errno: 12, errnoName: 'ENOMEM' },
    },
    {
      source: 'https://github.com/goharbor/harbor/issues/15944',
      log: [
        'ERROR: for registryctl  Cannot start service registryctl: : fork/exec /usr/bin/containerd-shim-runc-v2: resource temporarily unavailable: unknown',
      ],
      fields: { path: '/usr/bin/containerd-shim-runc-v2', errno: 11 },
    },
  ],
  nonMatching: ['fork/exec /usr/local/bin/app: no such file or directory'],
};

const shimStart: SignatureDef = {
  id: 'containerd.shim-start',
  family: 'containerd',
  title: 'containerd could not start a shim',
  keywords: ['failed to start shim'],
  pattern: new RegExp(`failed to start shim: [^\\n]{0,300}?${ERRNO_TEXT}`, 'i'),
  fields: (m): Fields => errnoFields(errnoFromMessage(m[1]!)),
  raises: startRaises,
  docs: {
    what: 'containerd starts one shim process per container (or pod). "too many open files" means containerd itself ran out of descriptors (its LimitNOFILE, or an fd leak); "resource temporarily unavailable" that containerd.service hit its TasksMax or the node its task limits. Every new container on the node fails until it is fixed.',
    confirm: [
      'ls /proc/$(pidof containerd)/fd | wc -l against "Max open files" in /proc/$(pidof containerd)/limits.',
      'systemctl status containerd: "Tasks: N (limit: M)".',
    ],
    fix: [
      'Drop-in LimitNOFILE / TasksMax=infinity for containerd.service, restart containerd; upgrade if an fd leak is known for the version.',
    ],
    sources: [
      'containerd/containerd:runtime/v2/shim.go',
      'https://github.com/containerd/cri/issues/448',
      'https://github.com/Azure/AKS/issues/2709',
    ],
  },
  cases: [
    {
      source: 'https://github.com/containerd/cri/issues/448',
      log: [
        'failed to create containerd task: failed to start shim: open /dev/null: too many open files: unknown',
      ],
      fields: { errno: 24, errnoName: 'EMFILE' },
    },
  ],
};

const ociRuntime: SignatureDef = {
  id: 'runc.create-failed',
  family: 'runc',
  title: 'The OCI runtime could not create or exec a container process (errno shown)',
  keywords: ['OCI runtime ', 'runc create failed'],
  pattern: new RegExp(
    `(?:OCI runtime (?:create|start|exec)|runc create) failed:[^\\n]{0,2000}?${ERRNO_TEXT}`,
    'i',
  ),
  fields: (m): Fields => errnoFields(errnoFromMessage(m[1]!)),
  raises: (f): Raise[] => {
    const base = startRaises(f);
    if (f.errno !== 11) return base;
    // runc's init execs the entrypoint after switching UID: execve fails with EAGAIN when that UID is over RLIMIT_NPROC.
    return base.map((r) =>
      r.cause === 'rlimit.nproc'
        ? {
            ...r,
            weight: 0.45,
            why: `${r.why} After runc switches to the container's UID, execve also fails with EAGAIN when that UID is already over RLIMIT_NPROC (PF_NPROC_EXCEEDED).`,
          }
        : r,
    );
  },
  docs: {
    what: 'runc failed while setting up the container process (creating its init, running a hook, or exec-ing the entrypoint) and the error carries an errno: EAGAIN for task limits of the container cgroup, the daemon unit or the UID; EMFILE for runtime descriptors; ENOMEM for memory.',
    confirm: [
      "pids.current of the pod cgroup against pids.max; the UID's task count against its RLIMIT_NPROC; systemctl status of the runtime daemon for TasksMax.",
    ],
    fix: ['See the cause pages.'],
    sources: [
      'opencontainers/runc:libcontainer/process_linux.go',
      'torvalds/linux:kernel/sys.c (set_user: PF_NPROC_EXCEEDED)',
      'https://github.com/goharbor/harbor/issues/15944',
    ],
  },
  cases: [
    {
      source: 'https://github.com/goharbor/harbor/issues/15944',
      log: [
        'ERROR: for harbor-portal  Cannot start service portal: OCI runtime create failed: container_linux.go:370: starting container process caused: process_linux.go:459: container init caused: Running hook #0:: fork/exec /proc/24330/exe: resource temporarily unavailable: unknown',
      ],
      fields: { errno: 11, errnoName: 'EAGAIN' },
    },
  ],
  nonMatching: [
    'Error response from daemon: OCI runtime create failed: container_linux.go:348: starting container process caused "process_linux.go:301: running exec setns process for init caused \\"exit status 27\\"": unknown',
  ],
};

export const signatures: SignatureDef[] = [forkExec, shimStart, ociRuntime];
