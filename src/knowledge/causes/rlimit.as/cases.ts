// Real crashes of rlimit.as. The JVM lines were produced on this machine: OpenJDK 17.0.15 starting
// threads in a loop (-Xmx64m) under "ulimit -v 1500000" (1536000000 bytes).
import type { CauseCase } from '../../types.js';
import { limitEntry, nodeFacts } from '../shared/case-facts.js';

const LAB = 'podmortem lab (OpenJDK 17.0.15 starting threads under ulimit -v 1500000)';
const JVM = [
  '[0.094s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 1024k, guardsize: 0k, detached.',
  '[0.094s][warning][os,thread] Failed to start the native thread for java.lang.Thread "Thread-89"',
  'Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached',
];
const limitLine = (soft: string) => ({
  source: '/proc/4711/limits',
  line: 10,
  text: `Max address space         ${soft}           unlimited            bytes`,
});

export const cases: CauseCase[] = [
  {
    name: 'the JVM under a 1.4 GiB address-space limit: likely and first, above the task-count limits',
    source: LAB,
    log: JVM,
    node: nodeFacts({
      limits: [
        limitEntry('rlimit.as', 'process:4711', 310_000_000, 1_536_000_000, [
          limitLine('1536000000'),
          { source: '/proc/4711/status', text: 'VmSize:\t  302734 kB' },
        ]),
      ],
    }),
    expect: {
      verdict: 'likely',
      first: true,
      above: ['cgroup.pids', 'rlimit.nproc', 'kernel.pid_max'],
      said: [/RLIMIT_AS 1\.4 GiB/, /restarted instance's address space/],
      evidence: ['Max address space         1536000000'],
      missing: [/VmSize/],
    },
  },
  {
    name: 'the same crash with "Max address space unlimited": ruled out',
    source: LAB,
    log: JVM,
    node: nodeFacts({
      limits: [
        {
          id: 'rlimit.as',
          scope: 'process:4711',
          used: 310_000_000,
          max: null,
          ratio: null,
          evidence: [limitLine('unlimited')],
        },
      ],
    }),
    expect: { verdict: 'ruled-out', said: [/unlimited/] },
  },
  {
    name: 'dockerd gives every container an address-space limit (default-ulimits "as"): likely',
    source: LAB,
    log: JVM,
    node: nodeFacts({
      runtimeDefaults: {
        ulimits: [
          {
            name: 'as',
            soft: 1_536_000_000,
            hard: 1_536_000_000,
            evidence: {
              source: '/etc/docker/daemon.json',
              line: 4,
              text: '"as": { "Name": "as", "Soft": 1536000000, "Hard": 1536000000 }',
            },
          },
        ],
      },
    }),
    expect: { verdict: 'likely', said: [/default-ulimits "as"/] },
  },
  {
    name: '24 MiB JVM thread stacks refused with EAGAIN (-Xss24m): possible, above the task limits',
    source:
      'https://github.com/ctlab/metacherchant/issues/16 (a cluster job; more memory for the job fixed it)',
    log: [
      '[5.196s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 24576k, guardsize: 0k, detached.',
    ],
    expect: {
      verdict: 'possible',
      above: ['cgroup.pids', 'rlimit.nproc', 'kernel.pid_max', 'kernel.threads-max'],
      said: [/24 MiB stack/, /h_vmem/],
      missing: [/Max address space/],
    },
  },
  {
    name: 'Go "out of memory" is a failed mmap: possible until the limit is read',
    source: 'https://github.com/kubernetes-retired/heapster/issues/355',
    log: ['fatal error: runtime: out of memory'],
    expect: { verdict: 'possible', missing: [/Max address space/] },
  },
];
