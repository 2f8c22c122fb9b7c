// JVM crashes: native thread creation (JDK <= 8 and >= 9 wording, the unified-logging warning that
// carries the errno, hs_err GC thread failures), the Java heap and its siblings (GC overhead,
// Metaspace, compressed class space, direct buffers), and native memory exhaustion. The JVM creates
// threads with glibc pthread_create, so a failed stack mmap shows up as EAGAIN too.
import { errnoFields, errnoFromName } from '../errno.js';
import type { Fields, Raise, SignatureCase, SignatureDef } from '../types.js';
import { atLineStart } from './line-start.js';
import { threadCreationRaises, unknownThreadCreationRaises } from './raises.js';

/** A thread stack this large (16 MiB, 16 times the JVM default) makes memory, not a task count, the likely limit. */
const BIG_STACK_KB = 16 * 1024;

const nativeThread: SignatureDef = {
  id: 'jvm.native-thread',
  family: 'jvm',
  title: 'JVM could not create a native thread (OutOfMemoryError)',
  // Without requiring the "java.lang.OutOfMemoryError: " prefix: test runners, build tools and
  // application loggers relay the message alone ("> unable to create native thread: ...",
  // "Out of memory: unable to create new native thread").
  keywords: ['native thread'],
  pattern:
    /[Uu]nable to create (new )?native thread(: possibly out of memory or process\/resource limits reached)?/,
  fields: (m) => ({ jdk: m[1] ? '<=8' : '>=9' }),
  // Neither wording shows the errno; the [os,thread] warning (jvm.thread-start-failed) does.
  raises: () => unknownThreadCreationRaises(),
  docs: {
    what: 'Thread.start() failed in JVM_StartThread because pthread_create failed. JDK <= 8 says "unable to create new native thread", JDK >= 9 "unable to create native thread: possibly out of memory or process/resource limits reached". It is an Error thrown to the caller: whether the JVM exits depends on the application and -XX:+ExitOnOutOfMemoryError. The heap is not involved.',
    confirm: [
      'Look for the "[os,thread] Failed to start thread ... pthread_create failed (EAGAIN)" warning just before it: it shows the errno.',
      "Count the JVM threads (ls /proc/<pid>/task | wc -l) and compare with pids.max of the container and pod cgroups and with the UID's task count.",
      'Newer JDKs log thread count, rlimits, threads-max, max_map_count and pid_max with -Xlog:os+thread=info.',
    ],
    fix: [
      "Raise the limit that was reached (see the cause pages) or cap the application's thread pools; -Xss smaller stacks help only when memory was the limit.",
    ],
    sources: [
      'openjdk/jdk8u:hotspot/src/share/vm/prims/jvm.cpp (JVM_StartThread)',
      'openjdk/jdk:src/hotspot/share/runtime/os.hpp (OS_NATIVE_THREAD_CREATION_FAILED_MSG)',
      'https://github.com/openshift/origin/issues/24360',
      'https://github.com/podman-desktop/podman-desktop/issues/5282',
    ],
  },
  cases: [
    {
      source: 'https://github.com/openshift/origin/issues/24360',
      log: ['Exception in thread "main" java.lang.OutOfMemoryError: unable to create new native thread'],
      fields: { jdk: '<=8' },
    },
    {
      source: 'https://github.com/podman-desktop/podman-desktop/issues/5282',
      log: [
        '> java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached',
      ],
      fields: { jdk: '>=9' },
    },
    {
      source:
        'https://github.com/snuspl/cruise/issues/1249 (the message relayed without the exception class)',
      log: ['Out of memory: unable to create new native thread'],
      fields: { jdk: '<=8' },
    },
    {
      source:
        'deepjavalibrary/djl:docs/development/troubleshooting.md (Gradle relays the message without the exception class)',
      log: [
        '* What went wrong:',
        "Execution failed for task ':api:formatJava'.",
        '> unable to create new native thread',
      ],
      fields: { jdk: '<=8' },
    },
  ],
  nonMatching: [
    'java.lang.OutOfMemoryError: Java heap space',
    'Failed to start the native thread for java.lang.Thread "Worker-1"',
  ],
};

const threadStartFailed: SignatureDef = {
  id: 'jvm.thread-start-failed',
  family: 'jvm',
  title: 'JVM warning: pthread_create failed while starting a thread',
  keywords: ['Failed to start thread', 'Unable to start thread'],
  // [1.573s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 1024k, guardsize: 0k, detached.
  pattern:
    /(?:Failed|Unable) to start thread(?: "([^"]{0,200})")? - pthread_create failed \(([A-Z]{2,12})\)(?: for attributes: stacksize: (\d{1,9})k)?/,
  fields: (m) => ({
    ...(m[1] !== undefined ? { thread: m[1] } : {}),
    ...errnoFields(errnoFromName(m[2]!)),
    ...(m[3] !== undefined ? { stackKb: Number(m[3]) } : {}),
  }),
  // A stack far above the 1 MiB default (-Xss, or a tool's own setting) makes every thread commit
  // that much: under vm.overcommit_memory=2 the commit limit is reached with few threads, long
  // before a task limit, so the node's commit accounting moves up.
  raises: (f) => {
    const base = threadCreationRaises(typeof f.errno === 'number' ? f.errno : undefined, undefined, true);
    const stackKb = typeof f.stackKb === 'number' ? f.stackKb : 0;
    if (stackKb < BIG_STACK_KB) return base;
    return base.map((r) =>
      r.cause === 'memory.node'
        ? {
            ...r,
            weight: 0.45,
            why: `${r.why} Each thread asked for a ${Math.round(stackKb / 1024)} MiB stack (the default is 1 MiB), so the commit limit is reached after few threads.`,
          }
        : r,
    );
  },
  docs: {
    what: 'HotSpot unified logging (JDK >= 9, tag os,thread) prints the errno of the failed pthread_create and the stack size it asked for, before Thread.start() throws OutOfMemoryError. JDK 17+ retries EAGAIN a few times first.',
    confirm: [
      'EAGAIN: task-count limits (pids cgroup, RLIMIT_NPROC, pid_max, threads-max) or a thread stack glibc could not map; EPERM: seccomp on clone3.',
      'A large stacksize (-Xss) multiplies the memory each thread reserves.',
    ],
    fix: ['See the cause pages for the limit; reduce thread pools or -Xss when memory is the limit.'],
    sources: [
      'openjdk/jdk:src/hotspot/os/linux/os_linux.cpp (os::create_thread)',
      'https://github.com/openjdk/jdk/pull/4788',
      'https://github.com/seglo/kafka-lag-exporter/issues/436',
    ],
  },
  cases: [
    {
      source: 'https://github.com/cgroza/GraffiTE/issues/50',
      log: [
        '[1.573s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 1024k, guardsize: 0k, detached.',
      ],
      fields: { thread: 'Unknown thread', errno: 11, errnoName: 'EAGAIN', stackKb: 1024 },
    },
    {
      source: 'https://github.com/seglo/kafka-lag-exporter/issues/436',
      log: [
        '[56,420s][warning][os,thread] Unable to start thread - pthread_create failed (EAGAIN) for attributes: stacksize: 1024k, guardsize: 0k, detached.',
      ],
      fields: { errno: 11, stackKb: 1024 },
    },
    {
      source:
        'https://github.com/bitnami/containers/issues/63496 (bitnami/zookeeper on Debian 12, glibc 2.36)',
      log: [
        '[0.002s][warning][os,thread] Failed to start thread "GC Thread#0" - pthread_create failed (EPERM) for attributes: stacksize: 1024k, guardsize: 4k, detached.',
      ],
      fields: { thread: 'GC Thread#0', errno: 1, errnoName: 'EPERM' },
    },
  ],
  nonMatching: [
    '[5.196s][warning][os,thread] Failed to start the native thread for java.lang.Thread "Thread-16"',
  ],
};

const gcThread: SignatureDef = {
  id: 'jvm.gc-thread',
  family: 'jvm',
  title: 'JVM could not create a GC thread (hs_err: Out of system resources)',
  keywords: ['GC thread. Out of system resources'],
  pattern: /Cannot create (?:worker )?GC thread\. Out of system resources/,
  raises: () => unknownThreadCreationRaises(),
  docs: {
    what: 'At start-up or when the GC grows its worker gang, HotSpot could not create a GC thread and aborted with an hs_err file. Same candidates as any pthread_create failure whose errno is not shown; at start-up (GC Thread#0) with EPERM in the [os,thread] warning just before it, it is the clone3/seccomp case (eclipse-temurin jammy images on Docker < 20.10, adoptium/temurin-build#3020).',
    confirm: ['The hs_err_pid<N>.log file lists the rlimits and the thread count.'],
    fix: ['See the cause pages; -XX:ParallelGCThreads lowers the number of GC threads.'],
    sources: [
      'openjdk/jdk:src/hotspot/share/gc/shared/workerManager.hpp (WorkerManager::add_workers; JDK 11 hs_err: "Out of Memory Error (workerManager.hpp:70)")',
      'https://github.com/adoptium/temurin-build/issues/3020',
      'https://github.com/bitnami/containers/issues/63496',
    ],
  },
  cases: [
    {
      source: 'https://github.com/bitnami/containers/issues/63496',
      log: [
        '# There is insufficient memory for the Java Runtime Environment to continue.',
        '# Cannot create worker GC thread. Out of system resources.',
      ],
    },
  ],
};

const ORACLE_OOM = 'https://docs.oracle.com/javase/8/docs/technotes/guides/troubleshoot/memleaks002.html';

/** The Java heap and the other memory areas the JVM caps itself: runtime.heap, not the container. */
function heapArea(
  id: string,
  area: string,
  keyword: string,
  pattern: RegExp,
  weight: number,
  what: string,
  fix: string,
  cases: SignatureCase[],
): SignatureDef {
  const raise: Raise = {
    cause: 'runtime.heap',
    weight,
    why: `"${area}" is a limit the JVM sets itself (${fix}); the container memory limit was not reached, or the kernel would have killed the process silently.`,
  };
  return {
    id,
    family: 'jvm',
    title: `JVM OutOfMemoryError: ${area}`,
    keywords: [keyword],
    pattern,
    raises: () => [
      raise,
      {
        cause: 'memory.cgroup',
        weight: 0.1,
        why: 'When the JVM sizes its heap from the container limit (MaxRAMPercentage), a small container limit makes a small heap.',
      },
    ],
    docs: {
      what,
      confirm: [
        'Compare the configured maximum (java -XX:+PrintFlagsFinal -version | grep -E "MaxHeapSize|MaxMetaspaceSize|MaxDirectMemorySize") with the live usage (jcmd <pid> GC.heap_info).',
      ],
      fix: [`Raise ${fix}, or find what fills it (a heap dump with -XX:+HeapDumpOnOutOfMemoryError).`],
      sources: [ORACLE_OOM, ...new Set(cases.map((c) => c.source))],
    },
    cases,
    nonMatching: ['java.lang.OutOfMemoryError: unable to create new native thread'],
  };
}

const heapSpace = heapArea(
  'jvm.heap-space',
  'Java heap space',
  'OutOfMemoryError: ',
  /OutOfMemoryError: Java heap space/,
  0.85,
  'The Java heap reached its maximum (-Xmx, or MaxRAMPercentage of the container limit) and a full GC could not free enough for an allocation.',
  '-Xmx / -XX:MaxRAMPercentage',
  [{ source: ORACLE_OOM, log: ['Exception in thread "main" java.lang.OutOfMemoryError: Java heap space'] }],
);

const gcOverhead = heapArea(
  'jvm.gc-overhead',
  'GC overhead limit exceeded',
  'OutOfMemoryError: ',
  /OutOfMemoryError: GC overhead limit exceeded/,
  0.8,
  'The parallel collector spent more than 98% of the time in GC while recovering less than 2% of the heap: the heap is effectively full.',
  '-Xmx / -XX:MaxRAMPercentage',
  [
    {
      source: ORACLE_OOM,
      log: ['Exception in thread "main" java.lang.OutOfMemoryError: GC overhead limit exceeded'],
    },
  ],
);

const metaspace = heapArea(
  'jvm.metaspace',
  'Metaspace',
  'OutOfMemoryError: ',
  /OutOfMemoryError: Metaspace/,
  0.7,
  'Class metadata reached -XX:MaxMetaspaceSize (unlimited by default, so usually set by the image or a class-loader leak).',
  '-XX:MaxMetaspaceSize',
  [{ source: ORACLE_OOM, log: ['java.lang.OutOfMemoryError: Metaspace'] }],
);

const compressedClassSpace = heapArea(
  'jvm.compressed-class-space',
  'Compressed class space',
  'OutOfMemoryError: ',
  /OutOfMemoryError: Compressed class space/,
  0.7,
  'Class metadata in the compressed class space reached -XX:CompressedClassSpaceSize (1 GiB by default).',
  '-XX:CompressedClassSpaceSize',
  [{ source: ORACLE_OOM, log: ['java.lang.OutOfMemoryError: Compressed class space'] }],
);

const directBuffer = heapArea(
  'jvm.direct-buffer',
  'Direct buffer memory',
  'OutOfMemoryError: ',
  /OutOfMemoryError: (?:Cannot reserve \d{1,20} bytes of )?[Dd]irect buffer memory/,
  0.7,
  'NIO direct buffers reached -XX:MaxDirectMemorySize (the heap size by default).',
  '-XX:MaxDirectMemorySize',
  [
    {
      source: 'https://github.com/tchiotludo/akhq/issues/1214',
      log: ['java.lang.OutOfMemoryError: Direct buffer memory'],
    },
    {
      source: 'https://github.com/sentry-kubernetes/charts/issues/1733',
      log: [
        'java.lang.OutOfMemoryError: Cannot reserve 369295617 bytes of direct buffer memory (allocated: 1866930914, limit: 2147483648)',
      ],
    },
  ],
);

const nativeMemory: SignatureDef = {
  id: 'jvm.native-memory',
  family: 'jvm',
  title: 'JVM ran out of native memory (insufficient memory for the Java Runtime Environment)',
  keywords: [
    'insufficient memory for the Java Runtime Environment',
    'Native memory allocation',
    'os::commit_memory(',
  ],
  // hs_err header; "Native memory allocation (mmap) failed to map N bytes ..."; the VM warning
  // "os::commit_memory(0x..., 12288, 0) failed; error='Cannot allocate memory' (errno=12)".
  pattern:
    /insufficient memory for the Java Runtime Environment|Native memory allocation \((mmap|malloc)\) failed to (?:map|allocate) (\d{1,20}) bytes|os::commit_memory\([^)\n]{0,80}\) failed; error='[^'\n]{0,60}' \(errno=(\d{1,4})\)/,
  fields: (m): Fields => {
    if (m[1] !== undefined) return { call: m[1], bytes: Number(m[2]) };
    if (m[3] !== undefined) return { call: 'commit_memory', ...errnoFields(Number(m[3])) };
    return {};
  },
  raises: (f): Raise[] => {
    // The header alone is also printed when a GC thread cannot be created (jvm.gc-thread): weak until a line says what failed.
    const known = typeof f.call === 'string';
    return [
      {
        cause: 'memory.node',
        weight: known ? 0.5 : 0.2,
        why: 'The JVM aborts like this when mmap or malloc fails, which is the node refusing to commit more memory (vm.overcommit_memory=2) or an address-space limit.',
      },
      {
        cause: 'vm.max_map_count',
        weight: f.call === 'mmap' || f.call === 'commit_memory' ? 0.4 : known ? 0.25 : 0.15,
        why: 'mmap also fails with ENOMEM once the process holds vm.max_map_count mappings; JVMs with many threads or mapped files reach the default 65530.',
      },
      {
        cause: 'memory.cgroup',
        weight: known ? 0.2 : 0.1,
        why: 'Near the container memory limit a memory charge made inside a system call can fail with ENOMEM instead of an OOM kill.',
      },
    ];
  },
  docs: {
    what: 'HotSpot could not get memory from the operating system for its own structures, thread stacks or the heap commit, and wrote an hs_err file. The Java heap is not full.',
    confirm: [
      'wc -l /proc/<pid>/maps against /proc/sys/vm/max_map_count.',
      'grep -E "Commit|overcommit" /proc/meminfo; sysctl vm.overcommit_memory.',
      'The hs_err file lists the failed size and the memory map.',
    ],
    fix: [
      'Raise vm.max_map_count (262144) when the map count is at the limit; otherwise lower -Xmx / thread counts or give the node more memory.',
    ],
    sources: ['openjdk/jdk:src/hotspot/share/utilities/vmError.cpp', 'shared/knowledge/limits.md §1.5'],
  },
  cases: [
    {
      source: 'https://github.com/chaosblade-io/chaosblade-box/issues/102',
      log: [
        'There is insufficient memory for the Java Runtime Environment to continue.',
        'Native memory allocation (mmap) failed to map 12288 bytes for committing reserved memory.',
      ],
      fields: { call: 'mmap', bytes: 12288 },
    },
    {
      source: 'https://github.com/chaosblade-io/chaosblade-box/issues/102',
      log: [
        "OpenJDK 64-Bit Server VM warning: INFO: os::commit_memory(0x00007f4a6c2b2000, 12288, 0) failed; error='Cannot allocate memory' (errno=12)",
      ],
      fields: { call: 'commit_memory', errno: 12, errnoName: 'ENOMEM' },
    },
  ],
};

const threadDump: SignatureDef = {
  id: 'jvm.thread-dump',
  family: 'jvm',
  title: 'JVM thread dump (jstack, kill -3)',
  keywords: ['Full thread dump'],
  pattern: atLineStart(String.raw`Full thread dump (.{1,200}?):?\s*$`),
  fields: (m): Fields => ({ vm: m[1]! }),
  raises: () => [],
  docs: {
    what: 'A JVM printed every thread with its state and stack (SIGQUIT / kill -3 on its stdout, or jstack). podmortem buckets the threads by name pattern and state: a pool that grows without bound (pool-N-thread-N) is the usual thread leak behind "unable to create native thread".',
    confirm: ['jstack <pid> | grep -c "^\\"" counts the threads; compare with pids.max and RLIMIT_NPROC.'],
    fix: [],
    sources: [
      'openjdk/jdk:src/hotspot/share/runtime/threads.cpp (Threads::print_on)',
      'podmortem lab: test/lab/dumplab/Leak.java',
    ],
  },
  cases: [
    {
      source: 'podmortem lab (test/lab/dumplab/Leak.java on OpenJDK 17, kill -3)',
      log: ['Full thread dump OpenJDK 64-Bit Server VM (17.0.15+6-Debian-1deb12u1 mixed mode, sharing):'],
      fields: { vm: 'OpenJDK 64-Bit Server VM (17.0.15+6-Debian-1deb12u1 mixed mode, sharing)' },
    },
  ],
};

export const signatures: SignatureDef[] = [
  threadDump,
  nativeThread,
  threadStartFailed,
  gcThread,
  heapSpace,
  gcOverhead,
  metaspace,
  compressedClassSpace,
  directBuffer,
  nativeMemory,
];
