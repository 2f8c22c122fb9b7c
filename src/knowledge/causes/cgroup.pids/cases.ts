// Real crashes of cgroup.pids: every level of the chain is read; a counter that recorded a refused
// fork, a peak or current at pids.max, or the kernel line naming a cgroup of the chain confirms it.
// Values are the files' real contents (cgroup v1 as on CentOS 7) and the odd defaults seen in the
// wild (limits.md §2.2-2.3).
import type { CauseCase } from '../../types.js';
import { fact, nodeFacts, pidsLevel, SEED_LOG, SEED_SOURCE } from '../shared/case-facts.js';

const POD = '/kubepods/burstable/pod8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813';
const CTR = `${POD}/4f9a1c3e7b2d8e6f0a5c9b1d3e7f2a4c6b8d0e1f3a5c7b9d2e4f6a8c0b1d3e5f`;
const pidMax = fact(32768, '/proc/sys/kernel/pid_max', '32768', 1);
const controllers = fact({ cpu: true, memory: true, pids: true }, '/proc/cgroups', 'pids\t8\t5\t1');

function chain(
  container: Parameters<typeof pidsLevel>[2],
  pod: Parameters<typeof pidsLevel>[2] = { max: null },
) {
  return [
    pidsLevel('container', CTR, container),
    pidsLevel('pod', POD, pod),
    pidsLevel('qos', '/kubepods/burstable', { max: null }),
    pidsLevel('kubepods', '/kubepods', { max: null }),
  ];
}

// The kernel line as quoted in twosigma/nsncd#24.
const REJECTED = 'cgroup: fork rejected by pids controller in /system.slice/nsncd.service';

export const cases: CauseCase[] = [
  {
    name: 'no node evidence: possible, with the commands that decide it',
    source: SEED_SOURCE,
    log: SEED_LOG,
    expect: { verdict: 'possible', said: [/cgroup chain was not read/] },
  },
  {
    name: 'no pids controller in /proc/cgroups (RHEL 7.2 kernel): no pids limit can exist',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ controllers: fact({ cpu: true, memory: true }, '/proc/cgroups', 'no pids line') }),
    expect: { verdict: 'ruled-out', said: [/does not list "pids"/] },
  },
  {
    name: 'v1 container pids.events "max 3": the kernel counted refused forks',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ controllers, cgroupChains: chain({ max: 4096, current: 12, events: 3 }) }),
    expect: { verdict: 'confirmed', said: [/records max 3/, /cgroup v1/] },
  },
  {
    name: 'v2 pod level pids.events.local counts its own limit hits (podPidsLimit 100)',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({
      controllers,
      cgroupVersion: 2,
      kubelet: {
        source: '/var/lib/kubelet/config.yaml',
        podPidsLimit: fact(100, '/var/lib/kubelet/config.yaml', 'podPidsLimit: 100', 31),
      },
      cgroupChains: chain(
        { max: null, current: 3, events: 0 },
        { max: 100, current: 58, events: 0, eventsLocal: 4 },
      ),
    }),
    expect: { verdict: 'confirmed', said: [/pids\.events\.local of the pod level/, /podPidsLimit 100/] },
  },
  {
    name: 'pod pids.peak reached pids.max',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({
      controllers,
      cgroupChains: chain({ max: null, current: 40 }, { max: 1024, current: 300, peak: 1024 }),
    }),
    expect: { verdict: 'confirmed', said: [/pids\.peak 1024 .* reached pids\.max 1024/] },
  },
  {
    name: 'pids.max 0 from CRI-O 1.28 + runc 1.4 (opencontainers/runc#5332)',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ controllers, cgroupChains: chain({ max: 0, current: 0 }) }),
    expect: { verdict: 'confirmed', said: [/allows no new task/, /runc#5332/] },
  },
  {
    name: 'unlimited at every level including the container: ruled out',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ controllers, cgroupChains: chain({ max: null, current: 45 }) }),
    expect: { verdict: 'ruled-out', said: [/"max" at every level/] },
  },
  {
    name: 'kubepods at pid_max cannot be reached before pid_max (the seed snapshot)',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({
      controllers,
      pidMax,
      cgroupChains: [
        ...chain({ max: null }).slice(0, 3),
        pidsLevel('kubepods', '/kubepods', { max: 32768, current: 31874 }),
      ],
    }),
    expect: {
      verdict: 'ruled-out',
      said: [
        /pids\.max 32768 is not below the 32767 tasks the node can hold \(kernel\.pid_max 32768 allows PIDs 1 to 32767\)/,
      ],
    },
  },
  {
    name: 'container scope at 4915 = systemd DefaultTasksMax 15% of pid_max 32768, with big headroom',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ controllers, pidMax, cgroupChains: chain({ max: 4915, current: 212 }) }),
    expect: {
      verdict: 'unlikely',
      said: [/DefaultTasksMax=15%/, /container 212\/4915 \(4\.3%\)/, /41 threads/],
    },
  },
  {
    name: 'RHEL docker-1.13.1 container limit 4096 nearly full',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ controllers, cgroupChains: chain({ max: 4096, current: 4020 }) }),
    expect: { verdict: 'likely', said: [/RHEL's docker-1\.13\.1/] },
  },
  {
    name: 'a "fork rejected by pids controller" line in the incident names the cgroup: confirmed',
    source: 'https://github.com/twosigma/nsncd/issues/24',
    log: [...SEED_LOG, REJECTED],
    expect: { verdict: 'confirmed', evidence: [REJECTED] },
  },
  {
    name: 'libc++ "thread constructor failed" under systemd TasksMax=2: a task-count limit, first',
    source: 'https://github.com/ggml-org/llama.cpp/issues/17168',
    log: [
      'libc++abi: terminating due to uncaught exception of type std::__1::system_error: thread constructor failed: Resource temporarily unavailable',
    ],
    expect: { verdict: 'possible', first: true, notRaised: ['rlimit.nofile', 'memory.cgroup'] },
  },
  {
    name: 'the BEAM\'s "Failed to create thread: Resource temporarily unavailable (11)": task limits, no seccomp',
    source: 'https://github.com/rabbitmq/rabbitmq-server/issues/8795',
    log: ['Failed to create thread: Resource temporarily unavailable (11)'],
    expect: { verdict: 'possible', first: true, notRaised: ['seccomp.clone3', 'memory.cgroup'] },
  },
];
