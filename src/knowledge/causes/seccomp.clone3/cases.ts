// Real crashes of seccomp.clone3: glibc >= 2.34 creates threads with clone3, which old Docker and
// containerd seccomp profiles answer with EPERM; Go's own newosproc calls clone, never clone3.
import type { CauseCase } from '../../types.js';
import { fact, nodeFacts } from '../shared/case-facts.js';

const CGO_EPERM = 'runtime/cgo: pthread_create failed: Operation not permitted';
const CGO_SOURCE = 'https://github.com/docker-library/golang/issues/467';

export const cases: CauseCase[] = [
  {
    name: 'EPERM from cgo pthread_create (glibc path): likely',
    source: CGO_SOURCE,
    log: [CGO_EPERM],
    expect: { verdict: 'likely', first: true, said: [/not a resource limit/], missing: [/ldd --version/] },
  },
  {
    name: 'privileged containers run Unconfined: ruled out',
    source: CGO_SOURCE,
    log: [CGO_EPERM],
    process: { privileged: fact(true, 'pod.yaml', 'privileged: true') },
    expect: { verdict: 'ruled-out' },
  },
  {
    name: "errno=1 from Go's own newosproc: clone, not clone3, so unlikely",
    source: 'https://github.com/golang/go/issues/15476 (the same runtime line, with errno 1)',
    log: ['runtime: failed to create new OS thread (have 7 already; errno=1)'],
    expect: { verdict: 'unlikely', said: [/clone, not clone3/] },
  },
  {
    name: 'Docker 20.10.8 predates the fixed profile: likely',
    source: CGO_SOURCE,
    log: [CGO_EPERM],
    node: nodeFacts({
      runtime: fact('docker 20.10.8', '/usr/bin/dockerd --version', 'Docker version 20.10.8'),
    }),
    expect: { verdict: 'likely', said: [/older than the fix/] },
  },
  {
    name: 'containerd 1.6.20 has the fixed profile: unlikely',
    source: CGO_SOURCE,
    log: [CGO_EPERM],
    node: nodeFacts({ runtime: fact('containerd 1.6.20', 'containerd --version', 'containerd 1.6.20') }),
    expect: { verdict: 'unlikely' },
  },
  {
    name: 'the BEAM prints "Failed to create thread: Operation not permitted (1)": likely',
    source: 'https://github.com/docker-library/rabbitmq/issues/650 (Ubuntu 22.04 image on Docker 20.10.23)',
    log: ['Failed to create thread: Operation not permitted (1)', 'Aborted'],
    expect: { verdict: 'likely', first: true, notRaised: ['cgroup.pids', 'rlimit.nproc'] },
  },
  {
    name: 'strace shows clone3 itself answered with EPERM: likely, first',
    source: 'https://github.com/moby/moby/issues/42680',
    log: [
      'curl: (6) getaddrinfo() thread failed to start',
      'clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f000ec6d910, parent_tid=0x7f000ec6d910, exit_signal=0, stack=0x7f000e46d000, stack_size=0x7ffe00, tls=0x7f000ec6d640}, 88) = -1 EPERM (Operation not permitted)',
    ],
    expect: { verdict: 'likely', first: true },
  },
];
