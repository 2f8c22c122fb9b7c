// Go runtime crashes: thread creation failures (pure Go and cgo), the 10000-thread cap, out-of-memory
// from mmap, and fatal errors / panics with their goroutine dump. Pure-Go thread creation is a raw
// clone() in runtime.newosproc (go:src/runtime/os_linux.go) with a stack allocated beforehand; its
// message prints the number of Ms (threads) the process already has, which is the key to the
// differential diagnosis: a small N means the limit that was hit is shared with other tasks.
import { errnoFields, errnoFromMessage } from '../errno.js';
import type { Fields, Raise, SignatureDef } from '../types.js';
import { atLineStart } from './line-start.js';
import { threadCreationRaises } from './raises.js';

export { threadCreationRaises } from './raises.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

const newosproc: SignatureDef = {
  id: 'go.newosproc',
  family: 'go',
  title: 'Go runtime could not create an OS thread (newosproc)',
  keywords: ['failed to create new OS thread'],
  // "runtime: failed to create new OS thread (have 41 already; errno=11)"; early threads (newosproc0) print no count.
  pattern: /failed to create new OS thread(?: \(have (\d{1,9}) already; errno=(-?\d{1,4})\))?/,
  fields: (m) => ({
    ...(m[1] !== undefined ? { threads: Number(m[1]) } : {}),
    ...errnoFields(m[2] !== undefined ? Number(m[2]) : undefined),
  }),
  // A raw clone with a preallocated stack: EAGAIN here is a task-count limit, not a failed stack mmap.
  raises: (f) => threadCreationRaises(num(f.errno), num(f.threads), false),
  subject: () => ({ exitCode: 2 }),
  docs: {
    what: 'The Go runtime calls clone() itself to start a new M (OS thread). When clone fails it prints the number of threads the process already has and the errno, then throws "fatal error: newosproc" and exits with status 2. Newer Go versions retry EAGAIN about 20 times first.',
    confirm: [
      '"have N already" is this process\'s own thread count: compare it with the limits shared with other tasks (pod pids.max, pid_max, threads-max, the UID\'s task count).',
      'errno=11 (EAGAIN) points at task-count limits; errno=12 (ENOMEM) at memory or a dead pid-namespace init; errno=1 (EPERM) at a seccomp or LSM policy.',
    ],
    fix: ['Find which shared limit was reached before raising any of them; see the cause pages.'],
    sources: [
      'golang/go:src/runtime/os_linux.go (newosproc)',
      'golang/go:src/runtime/retry.go (retryOnEAGAIN)',
      'https://github.com/golang/go/issues/49438',
    ],
  },
  cases: [
    {
      source: 'shared/seed/calico-node-restart.md (calico-node v3.8.8, CentOS 7)',
      log: ['runtime: failed to create new OS thread (have 41 already; errno=11)'],
      fields: { threads: 41, errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source:
        'podmortem lab: Go 1.19.8 (CGO_ENABLED=0) locking 500 goroutines to threads in a v1 pids cgroup with pids.max 30',
      log: [
        'runtime: failed to create new OS thread (have 31 already; errno=11)',
        'runtime: may need to increase max user processes (ulimit -u)',
        'fatal error: newosproc',
      ],
      fields: { threads: 31, errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/argoproj/argo-cd/issues/4692',
      log: ['runtime: failed to create new OS thread (have 64 already; errno=12)'],
      fields: { threads: 64, errno: 12, errnoName: 'ENOMEM' },
    },
    {
      source: 'https://github.com/opencontainers/runc/issues/5332',
      log: ['failed to create new OS thread (have 2 already; errno=11)'],
      fields: { threads: 2, errno: 11 },
    },
  ],
  nonMatching: ['created new OS thread successfully', 'runtime.newosproc(0xc00062ea80)'],
};

const newosprocFatal: SignatureDef = {
  id: 'go.newosproc-fatal',
  family: 'go',
  title: 'Go runtime aborted after a failed thread creation (fatal error: newosproc)',
  keywords: ['fatal error: newosproc', 'fatal error: runtime.newosproc'],
  pattern: /fatal error: (?:runtime\.)?newosproc\b/,
  // The line before it ("failed to create new OS thread ... errno=N") carries the errno; this one
  // only says the process died of it, so it raises nothing on its own.
  raises: () => [],
  subject: () => ({ exitCode: 2 }),
  docs: {
    what: 'The throw that ends a Go process whose clone() failed; Go <= 1.4 (C runtime) printed "runtime.newosproc". Exit status 2.',
    confirm: [
      'Read the "failed to create new OS thread (have N already; errno=E)" line just above it: the errno decides the candidates.',
    ],
    fix: [],
    sources: ['golang/go:src/runtime/os_linux.go (newosproc: throw("newosproc"))'],
  },
  cases: [{ source: 'shared/seed/calico-node-restart.md', log: ['fatal error: newosproc'] }],
  nonMatching: ['runtime.newosproc(0xc00062ea80)'],
};

const ulimitHint: SignatureDef = {
  id: 'go.ulimit-hint',
  family: 'go',
  title: 'Go runtime hint to raise ulimit -u',
  keywords: ['may need to increase max user processes'],
  pattern: /may need to increase max user processes \(ulimit -u\)/,
  // Go prints this for any EAGAIN: it names RLIMIT_NPROC but proves nothing about it.
  raises: () => [],
  docs: {
    what: 'Printed by the Go runtime after any EAGAIN from clone. It names RLIMIT_NPROC because that is one possible cause, not because the runtime knows it was the one.',
    confirm: ['Do not take it as proof: the same hint follows a pids cgroup or pid_max failure.'],
    fix: [],
    sources: ['golang/go:src/runtime/os_linux.go (newosproc)'],
  },
  cases: [
    {
      source: 'shared/seed/calico-node-restart.md',
      log: ['runtime: may need to increase max user processes (ulimit -u)'],
    },
  ],
};

const cgoPthreadCreate: SignatureDef = {
  id: 'go.cgo-pthread-create',
  family: 'go',
  title: 'cgo could not create a thread (runtime/cgo: pthread_create failed)',
  keywords: ['runtime/cgo: pthread_create failed'],
  pattern: /runtime\/cgo: pthread_create failed: ([A-Za-z ]{3,40})/,
  fields: (m) => ({ message: m[1]!.trim(), ...errnoFields(errnoFromMessage(m[1]!)) }),
  // cgo goes through glibc pthread_create: a failed stack mmap shows up as EAGAIN too.
  raises: (f) => threadCreationRaises(num(f.errno), undefined, true),
  // Measured (podmortem lab, Go 1.19.8): Go's own SIGABRT handler prints "SIGABRT: abort", dumps the
  // goroutines and exits with status 2, not 134 (limits.md's 134 is for an unhandled abort).
  subject: () => ({ exitCode: 2 }),
  docs: {
    what: 'A Go binary linked with cgo creates its threads with glibc pthread_create. When it fails (after retrying EAGAIN since about Go 1.8) the runtime prints the strerror text and calls abort(); the Go signal handler reports "SIGABRT: abort", dumps the goroutines and exits with status 2 (measured with Go 1.19.8).',
    confirm: [
      '"Resource temporarily unavailable" is EAGAIN: task-count limits, or a thread stack glibc could not map.',
      '"Operation not permitted" is EPERM: a seccomp profile that answers clone3 with EPERM (glibc >= 2.34 with an old Docker/containerd).',
    ],
    fix: [
      'See the cause pages; for EPERM upgrade the container runtime (Docker >= 20.10.10, containerd >= 1.4.10/1.5.6).',
    ],
    sources: [
      'golang/go:src/runtime/cgo/gcc_libinit.c (_cgo_try_pthread_create)',
      'golang/go:src/runtime/cgo/gcc_fatalf.c',
      'https://github.com/docker-library/golang/issues/467',
      'https://github.com/golang/go/issues/24484',
    ],
  },
  cases: [
    {
      source: 'https://github.com/golang/go/issues/37006',
      log: ['runtime/cgo: pthread_create failed: Resource temporarily unavailable', 'SIGABRT: abort'],
      fields: { errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source:
        'podmortem lab: the same program built with cgo (glibc) in a v1 pids cgroup with pids.max 30; exit status 2',
      log: [
        'runtime/cgo: pthread_create failed: Resource temporarily unavailable',
        'SIGABRT: abort',
        'PC=0x7f8cd6ec0eec m=5 sigcode=18446744073709551610',
      ],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/docker-library/golang/issues/467',
      log: ['runtime/cgo: pthread_create failed: Operation not permitted'],
      fields: { errno: 1, errnoName: 'EPERM' },
    },
    {
      source: 'https://github.com/gogs/gogs/issues/4276',
      log: ['remote: runtime/cgo: pthread_create failed: Resource temporarily unavailable'],
      fields: { errno: 11 },
    },
  ],
  nonMatching: ['pthread_create failed: Resource temporarily unavailable'],
};

const maxThreads: SignatureDef = {
  id: 'go.max-threads',
  family: 'go',
  title: "Go program exceeded the runtime's own thread cap (10000 by default)",
  keywords: ['-thread limit', 'fatal error: thread exhaustion'],
  pattern: /program exceeds (\d{1,9})-thread limit|fatal error: thread exhaustion/,
  fields: (m): Fields => (m[1] !== undefined ? { limit: Number(m[1]) } : {}),
  raises: () => [
    {
      cause: 'runtime.max-threads',
      weight: 0.95,
      why: 'The Go runtime counts its own Ms and throws "thread exhaustion" past debug.SetMaxThreads (10000 by default): no kernel limit was reached.',
    },
  ],
  subject: () => ({ exitCode: 2 }),
  docs: {
    what: 'checkmcount() in the Go runtime throws when the process would hold more OS threads than maxmcount (10000 unless debug.SetMaxThreads changed it). Threads pile up when goroutines block in system calls or cgo calls.',
    confirm: [
      'The line names the limit; a goroutine dump full of [syscall] or cgo frames shows what held the threads.',
    ],
    fix: [
      'Bound the concurrency of blocking system calls or cgo calls; raise the cap with debug.SetMaxThreads only when the thread count is expected.',
    ],
    sources: [
      'golang/go:src/runtime/proc.go (checkmcount)',
      'https://pkg.go.dev/runtime/debug#SetMaxThreads',
      'https://github.com/adjust/go-wrk/issues/28',
    ],
  },
  cases: [
    {
      source: 'https://github.com/adjust/go-wrk/issues/28',
      log: ['runtime: program exceeds 10000-thread limit', 'fatal error: thread exhaustion'],
      fields: { limit: 10000 },
    },
    {
      source: 'https://github.com/KaringX/karing/issues/248',
      log: ['runtime: program exceeds 200-thread limit'],
      fields: { limit: 200 },
    },
  ],
  nonMatching: ['AddressSanitizer: Thread limit (4194304 threads) exceeeded. Dying'],
};

const outOfMemory: SignatureDef = {
  id: 'go.out-of-memory',
  family: 'go',
  title: 'Go runtime could not map memory (fatal error: out of memory)',
  keywords: ['runtime: out of memory', 'fatal error: out of memory'],
  pattern:
    /runtime: out of memory: cannot allocate (\d{1,20})-byte block \((\d{1,20}) in use\)|fatal error: (?:runtime: )?out of memory/,
  fields: (m): Fields => (m[1] !== undefined ? { bytes: Number(m[1]), inUse: Number(m[2]) } : {}),
  raises: (): Raise[] => [
    {
      cause: 'memory.node',
      weight: 0.5,
      why: 'Go throws "out of memory" only when mmap itself fails, which is the node refusing to commit more memory (vm.overcommit_memory=2, or an address-space limit); a container memory limit kills the process silently instead.',
    },
    {
      cause: 'vm.max_map_count',
      weight: 0.15,
      why: 'mmap also fails with ENOMEM once the process holds vm.max_map_count mappings.',
    },
  ],
  subject: () => ({ exitCode: 2 }),
  docs: {
    what: 'The Go heap asks the kernel for memory with mmap; when mmap fails the runtime prints the block size and the heap in use, then "fatal error: out of memory" (or "runtime: out of memory" from sysMap) and exits with status 2. An OOM kill by the memory cgroup prints nothing.',
    confirm: [
      'Compare "in use" with the container memory limit and with the node\'s CommitLimit (/proc/meminfo) and vm.overcommit_memory.',
      'wc -l /proc/<pid>/maps against vm.max_map_count.',
    ],
    fix: [
      'Lower the heap (GOMEMLIMIT, smaller caches) or allow overcommit; check RLIMIT_AS (ulimit -v) of the container.',
    ],
    sources: [
      'golang/go:src/runtime/mheap.go (grow)',
      'golang/go:src/runtime/mem_linux.go (sysMap)',
      'shared/knowledge/limits.md §3.2',
    ],
  },
  cases: [
    {
      source: 'https://github.com/kubernetes-retired/heapster/issues/355',
      log: ['fatal error: runtime: out of memory'],
    },
    {
      source: 'podmortem lab: a Go 1.19.8 program allocating 4 MiB slices under ulimit -v 800000',
      log: [
        'runtime: out of memory: cannot allocate 4194304-byte block (133988352 in use)',
        'fatal error: out of memory',
      ],
      fields: { bytes: 4194304, inUse: 133988352 },
    },
  ],
  nonMatching: ['java.lang.OutOfMemoryError: Java heap space'],
};

const fatalError: SignatureDef = {
  id: 'go.fatal-error',
  family: 'go',
  title: 'Go runtime fatal error',
  keywords: ['fatal error: '],
  pattern: atLineStart(String.raw`fatal error: (\S.{0,199})`),
  fields: (m) => ({ message: m[1]!.trim() }),
  // Generic: the specific fatal errors above carry the raises.
  raises: () => [],
  docs: {
    what: 'runtime.throw: an unrecoverable runtime error (concurrent map writes, deadlock, newosproc, out of memory, ...). The process exits with status 2 after a goroutine dump.',
    confirm: ['The message names the failure; the "runtime stack:" block that follows shows where.'],
    fix: [],
    sources: ['golang/go:src/runtime/panic.go (throw, fatal)'],
  },
  cases: [
    {
      source: 'https://github.com/adjust/go-wrk/issues/28',
      log: ['fatal error: thread exhaustion'],
      fields: { message: 'thread exhaustion' },
    },
    {
      source: 'https://github.com/golang/go/issues/24484 (typical)',
      log: ['fatal error: concurrent map writes'],
      fields: { message: 'concurrent map writes' },
    },
  ],
  nonMatching: ['main.c:1:10: fatal error: foo.h: No such file or directory'],
};

const panicSig: SignatureDef = {
  id: 'go.panic',
  family: 'go',
  title: 'Go panic',
  keywords: ['panic: '],
  // Go prints "panic: " at the start of the line; "[recovered]" and "goroutine N [running]:" follow.
  pattern: atLineStart(String.raw`panic: (\S.{0,199})`),
  fields: (m) => ({ message: m[1]!.trim() }),
  raises: () => [],
  docs: {
    what: 'An unrecovered Go panic: the message, then the goroutine dump, exit status 2. A program bug or an explicit panic on a failed call (the message may carry an errno text such as "too many open files", which its own signature recognizes).',
    confirm: ["Read the message and the first goroutine's frames."],
    fix: [],
    sources: ['golang/go:src/runtime/panic.go (printpanics)'],
  },
  cases: [
    {
      source: 'https://github.com/golang/go/issues/24484 (typical nil dereference)',
      log: ['panic: runtime error: invalid memory address or nil pointer dereference'],
      fields: { message: 'runtime error: invalid memory address or nil pointer dereference' },
    },
  ],
  nonMatching: ['kernel panic: not syncing', 'recovered from panic: foo'],
};

const goroutineDump: SignatureDef = {
  id: 'go.goroutine-dump',
  family: 'go',
  title: 'Go goroutine dump (count = goroutines printed)',
  keywords: ['goroutine '],
  // "goroutine 35 [running]:", "goroutine 1 [chan receive, 5 minutes]:", Go >= 1.23 "goroutine 0 gp=0xc7d0a0 m=0 mp=0xc7dc20 [idle]:".
  pattern: atLineStart(
    String.raw`goroutine (\d{1,12}) (?:[a-z]{1,3}=(?:0x)?[0-9a-f]{1,16} ){0,4}\[([^\]]{1,100})\]:\s*$`,
  ),
  fields: (m) => ({ goroutine: Number(m[1]), state: m[2]! }),
  raises: () => [],
  docs: {
    what: 'The header of each goroutine in a Go crash dump. The hit count is the number of goroutines printed; states like [syscall] or [semacquire] in large numbers show what held threads or memory.',
    confirm: ['Bucket the dump (panicparse) to see which stacks dominate.'],
    fix: [],
    sources: ['golang/go:src/runtime/traceback.go (goroutineheader)', 'https://github.com/maruel/panicparse'],
  },
  cases: [
    {
      source: 'shared/seed/calico-node-restart.md',
      log: ['goroutine 35 [running]:'],
      fields: { goroutine: 35, state: 'running' },
    },
    {
      source: 'https://github.com/ibm-messaging/mq-metric-samples/issues/297',
      log: ['goroutine 0 gp=0xc7d0a0 m=0 mp=0xc7dc20 [idle]:'],
      fields: { goroutine: 0, state: 'idle' },
    },
    {
      source: 'https://github.com/gogs/gogs/issues/4276',
      log: ['goroutine 1 [select, locked to thread]:'],
      fields: { state: 'select, locked to thread' },
    },
  ],
  nonMatching: ['goroutine leak detected in handler', 'started goroutine 5 for worker'],
};

const sigsegv: SignatureDef = {
  id: 'go.sigsegv',
  family: 'go',
  title: 'Go program received SIGSEGV',
  keywords: ['signal SIGSEGV'],
  pattern:
    /\[signal SIGSEGV: segmentation violation(?: code=(0x[0-9a-f]{1,8}))?(?: addr=(0x[0-9a-f]{1,16}))?/,
  fields: (m) => ({ ...(m[1] ? { code: m[1] } : {}), ...(m[2] ? { addr: m[2] } : {}) }),
  raises: () => [],
  docs: {
    what: 'A segmentation fault inside a Go process: a nil dereference in Go code (after "panic: runtime error: invalid memory address") or a crash in C code called through cgo. Not a resource limit.',
    confirm: ['addr=0x0 is a nil pointer; a PC outside the Go binary points at cgo or a shared library.'],
    fix: [],
    sources: ['golang/go:src/runtime/signal_unix.go (sigpanic)'],
  },
  cases: [
    {
      source: 'https://github.com/golang/go/issues/24484 (typical)',
      log: ['[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a4ac6]'],
      fields: { code: '0x1', addr: '0x0' },
    },
  ],
};

export const signatures: SignatureDef[] = [
  newosproc,
  newosprocFatal,
  ulimitHint,
  cgoPthreadCreate,
  maxThreads,
  outOfMemory,
  fatalError,
  panicSig,
  goroutineDump,
  sigsegv,
];
