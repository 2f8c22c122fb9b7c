// Candidate precision: a cause from another family stays a live candidate only when the evidence
// allows it. A thread creation that failed with EAGAIN (or no errno) is a task limit unless something
// shows its stack mapping could have been refused (a large -Xss, the node's overcommit mode, the map
// count, an address-space limit); a refused allocation is never the memory cgroup; open-file limits
// never answer a thread failure, task limits never an OOM kill. Every line is a real one, with the
// thread it was published in (the corpus cases of ../../corpus and ../../heldout).
import { describe, expect, it } from 'vitest';
import { diagnoseCase, fact, node, usage } from './helpers.js';

const TASKS = ['cgroup.pids', 'rlimit.nproc', 'kernel.pid_max', 'kernel.threads-max'];
const MEMORY = ['memory.cgroup', 'memory.node', 'rlimit.as', 'vm.max_map_count'];
const FILES = ['rlimit.nofile', 'fs.file-max', 'inotify.instances', 'inotify.watches'];

/** https://github.com/seglo/kafka-lag-exporter/issues/436: the user's nproc limit, 1 MiB stacks. */
const KAFKA = [
  '[56,420s][warning][os,thread] Unable to start thread - pthread_create failed (EAGAIN) for attributes: stacksize: 1024k, guardsize: 0k, detached.',
];
/** https://github.com/openshift/origin/issues/24360: CRI-O's pids limit of 1024. */
const OPENSHIFT = [
  'Exception in thread "main" java.lang.OutOfMemoryError: unable to create new native thread',
];
/** podmortem lab: Python 3.11 under a pids limit of 60. */
const PYTHON = ["RuntimeError: can't start new thread"];
/** https://github.com/golang/go/issues/37006: cgo's pthread_create. */
const CGO = ['runtime/cgo: pthread_create failed: Resource temporarily unavailable'];
/** https://github.com/ctlab/metacherchant/issues/16: 24 MiB stacks; more memory for the job fixed it. */
const BIG_STACK = [
  '[5.196s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 24576k, guardsize: 0k, detached.',
  '[5.196s][warning][os,thread] Failed to start the native thread for java.lang.Thread "Thread-16"',
];

const ids = (lines: string[], extra: Parameters<typeof diagnoseCase>[0] = {}) =>
  diagnoseCase({ lines, ...extra }).map((a) => a.id);
const live = (lines: string[]) =>
  diagnoseCase({ lines })
    .filter((a) => a.verdict !== 'ruled-out')
    .map((a) => a.id);

describe('a thread creation refused with EAGAIN and nothing else read', () => {
  for (const [name, lines] of [
    ['HotSpot [os,thread] warning, 1 MiB stacks (kafka-lag-exporter)', KAFKA],
    ['JDK 8 "unable to create new native thread" (openshift/origin#24360)', OPENSHIFT],
    ['Python "can\'t start new thread" (lab)', PYTHON],
    ['cgo pthread_create EAGAIN (golang/go#37006)', CGO],
  ] as const) {
    it(`${name}: the task limits, and no memory or open-file cause`, () => {
      const got = ids([...lines]);
      expect(got).toEqual(expect.arrayContaining(['cgroup.pids', 'rlimit.nproc']));
      for (const other of [...MEMORY, ...FILES]) expect(got, other).not.toContain(other);
    });
  }
});

describe('the evidence that lets a memory cause back in', () => {
  it('the node runs strict overcommit (vm.overcommit_memory=2): memory.node is a candidate again', () => {
    const a = diagnoseCase({
      lines: KAFKA,
      node: node({ overcommitMemory: fact(2, '/proc/sys/vm/overcommit_memory', '2', 1) }),
    }).find((x) => x.id === 'memory.node');
    expect(a?.verdict).toBe('possible');
    expect(a?.evidence.some((e) => e.source === '/proc/sys/vm/overcommit_memory')).toBe(true);
  });

  it('the crashed instance held 65000 mappings: vm.max_map_count is a candidate, likely', () => {
    const a = diagnoseCase({
      lines: KAFKA,
      process: { mapCount: usage('crashed', 65000, '/proc/811/maps', '65000 lines') },
    }).find((x) => x.id === 'vm.max_map_count');
    expect(a?.verdict).toBe('likely');
  });

  it('24 MiB stacks (-Xss24m, metacherchant): memory.node and rlimit.as rank first, above every task limit', () => {
    const ranked = diagnoseCase({ lines: BIG_STACK });
    expect(ranked.slice(0, 2).map((a) => a.id)).toEqual(['memory.node', 'rlimit.as']);
    for (const t of TASKS) expect(ranked.findIndex((a) => a.id === t)).toBeGreaterThan(1);
    // The map count does not depend on the stack size: it stays out.
    expect(ranked.map((a) => a.id)).not.toContain('vm.max_map_count');
  });
});

describe('reasoning that excludes a cause from another family', () => {
  it('an EPERM GC thread under HotSpot\'s "insufficient memory" banner (bitnami/containers#63496): no memory cause stays live', () => {
    const lines = [
      '[0.002s][warning][os,thread] Failed to start thread "GC Thread#0" - pthread_create failed (EPERM) for attributes: stacksize: 1024k, guardsize: 4k, detached.',
      '#',
      '# There is insufficient memory for the Java Runtime Environment to continue.',
      '# Cannot create worker GC thread. Out of system resources.',
    ];
    const ranked = diagnoseCase({ lines });
    expect(ranked[0]!.id).toBe('seccomp.clone3');
    for (const m of MEMORY) expect(live(lines), m).not.toContain(m);
  });

  it('Go newosproc errno=12 (argoproj/argo-cd#4692): memory causes only, pidns.init-exited ruled out', () => {
    const ranked = diagnoseCase({
      lines: ['runtime: failed to create new OS thread (have 64 already; errno=12)'],
    });
    const liveIds = ranked.filter((a) => a.verdict !== 'ruled-out').map((a) => a.id);
    expect(liveIds.sort()).toEqual(['memory.cgroup', 'memory.node']);
    expect(ranked.find((a) => a.id === 'pidns.init-exited')?.verdict).toBe('ruled-out');
  });

  it('an OOM kill raises no task limit and no open-file limit', () => {
    for (const lines of [
      ['      Reason:       OOMKilled'],
      [
        '[  981.857669] Memory cgroup out of memory: Killed process 17744 (python3) total-vm:118968kB, anon-rss:32488kB, file-rss:6604kB, shmem-rss:0kB',
      ],
    ]) {
      const got = ids(lines);
      expect(got.length).toBeGreaterThan(0);
      for (const other of [...TASKS, ...FILES]) expect(got, other).not.toContain(other);
    }
  });
});
