// Python crashes: thread start failures (the errno is never shown), os.fork()/subprocess EAGAIN, and
// MemoryError. "OSError: [Errno 24] Too many open files" is recognized by the fd family.
import type { Raise, SignatureDef } from '../types.js';
import { atLineStart } from './line-start.js';
import { processCreationRaises, unknownThreadCreationRaises } from './raises.js';

const threadStart: SignatureDef = {
  id: 'python.thread-start',
  family: 'python',
  title: "Python could not start a thread (RuntimeError: can't start new thread)",
  keywords: ["can't start new thread"],
  pattern: /(?:RuntimeError|ThreadError|_thread\.error|error): can't start new thread/,
  // CPython throws away the errno of pthread_create: EAGAIN (task limits) and EPERM (clone3 under an
  // old seccomp profile, glibc >= 2.34 images) read the same.
  raises: () => unknownThreadCreationRaises(),
  docs: {
    what: 'threading.Thread.start() failed because pthread_create failed; CPython raises RuntimeError (ThreadError, _thread.error in older versions) without the errno. Task-count limits and a seccomp profile that answers clone3 with EPERM look the same here.',
    confirm: [
      "Count the process's threads (ls /proc/<pid>/task | wc -l) and compare with pids.max of the container and pod cgroups and with the UID's task count.",
      'If the image has glibc >= 2.34 (ldd --version) and the node runs Docker < 20.10.10 or containerd < 1.4.10/1.5.6, suspect seccomp: docker run --security-opt seccomp=unconfined makes the error go away.',
    ],
    fix: [
      'Raise the limit that was reached or bound the thread pool; for seccomp upgrade the container runtime.',
    ],
    sources: [
      'python/cpython:Modules/_threadmodule.c (thread_PyThread_start_new_thread)',
      'https://github.com/domainaware/parsedmarc/issues/424',
      'shared/knowledge/limits.md §1.6',
    ],
  },
  cases: [
    {
      source: 'https://github.com/domainaware/parsedmarc/issues/424',
      log: ["RuntimeError: can't start new thread"],
    },
    {
      source: 'python/cpython:Modules/_threadmodule.c (Python 2 wording)',
      log: ["thread.error: can't start new thread"],
    },
  ],
  nonMatching: ['started new thread worker-3'],
};

const forkEagain: SignatureDef = {
  id: 'python.fork-eagain',
  family: 'python',
  title: 'Python os.fork/subprocess failed with EAGAIN (BlockingIOError: [Errno 11])',
  keywords: ['BlockingIOError: [Errno 11]'],
  pattern: /BlockingIOError: \[Errno 11\] Resource temporarily unavailable/,
  // The same exception is raised by non-blocking sockets and pipes: weigh it down.
  raises: (): Raise[] =>
    processCreationRaises(11).map((r) => ({
      ...r,
      weight: Math.round(r.weight * 0.6 * 100) / 100,
      why: `${r.why} (Python raises the same BlockingIOError for a non-blocking socket or pipe with no data, so check the traceback shows os.fork or subprocess.)`,
    })),
  docs: {
    what: 'os.fork(), subprocess.Popen and multiprocessing raise BlockingIOError: [Errno 11] when fork returns EAGAIN. A non-blocking read or write on a socket or pipe raises the same exception, so the traceback decides.',
    confirm: [
      'The traceback shows os.fork, _posixsubprocess.fork_exec or multiprocessing; then count tasks against pids.max and RLIMIT_NPROC.',
    ],
    fix: ['See the cause pages.'],
    sources: [
      'python/cpython:Modules/posixmodule.c (os_fork_impl)',
      'https://github.com/cockpit-project/cockpituous/pull/483',
      'https://github.com/gdraheim/docker-systemctl-replacement/issues/176 (the non-blocking write case)',
    ],
  },
  cases: [
    {
      source: 'https://github.com/cockpit-project/cockpituous/pull/483 (podman pids limit 4096)',
      log: [
        '    self.pid = _posixsubprocess.fork_exec(',
        'BlockingIOError: [Errno 11] Resource temporarily unavailable',
      ],
    },
  ],
};

const memoryError: SignatureDef = {
  id: 'python.memory-error',
  family: 'python',
  title: 'Python MemoryError',
  keywords: ['MemoryError'],
  pattern: atLineStart(String.raw`MemoryError(?::|\s*$)`),
  raises: (): Raise[] => [
    {
      cause: 'memory.node',
      weight: 0.5,
      why: 'MemoryError means malloc/mmap returned NULL: the node refused to commit more memory (overcommit heuristics or vm.overcommit_memory=2) or an address-space limit was hit.',
    },
    {
      cause: 'memory.cgroup',
      weight: 0.3,
      why: 'Near the container memory limit a charge made inside a system call can fail with ENOMEM instead of an OOM kill; a plain page-fault charge would have killed the process silently.',
    },
    {
      cause: 'vm.max_map_count',
      weight: 0.1,
      why: 'mmap also fails with ENOMEM once the process holds vm.max_map_count mappings.',
    },
  ],
  docs: {
    what: 'CPython raises MemoryError when an allocation fails. In a container the usual end of memory is an OOM kill with no message at all, so a MemoryError points at a refused allocation (overcommit, RLIMIT_AS, a huge single request) rather than the container limit.',
    confirm: [
      "Compare the container's memory.max and memory.events, and the node's CommitLimit / Committed_AS in /proc/meminfo.",
    ],
    fix: ['Reduce the allocation (batch sizes, data loaded at once) or give the node/container more memory.'],
    sources: [
      'python/cpython:Objects/exceptions.c (MemoryError)',
      'https://www.kernel.org/doc/html/latest/mm/overcommit-accounting.html',
    ],
  },
  cases: [
    {
      source: 'python/cpython:Objects/exceptions.c (last line of a traceback, as Python prints it)',
      log: ['MemoryError'],
    },
  ],
  nonMatching: ['java.lang.OutOfMemoryError: Java heap space', 'caught MemoryError in worker, retrying'],
};

const faulthandlerDump: SignatureDef = {
  id: 'python.faulthandler-dump',
  family: 'python',
  title: 'Python faulthandler dump (every thread, most recent call first)',
  keywords: ['most recent call first'],
  // faulthandler writes "Thread 0x7f... (most recent call first):" per thread, "Current thread ..." for the crashing one.
  pattern: atLineStart(String.raw`(Current thread|Thread) 0x[0-9a-f]{1,16} \(most recent call first\):`),
  raises: () => [],
  docs: {
    what: 'faulthandler (python -X faulthandler, PYTHONFAULTHANDLER=1, faulthandler.enable()) printed the stack of every thread when the process died of a fatal signal (SIGSEGV, SIGABRT, SIGBUS) or on request. podmortem buckets the threads by the first frame outside the standard library.',
    confirm: ['Count the "Thread 0x" headers: each is an OS thread of the process.'],
    fix: [],
    sources: [
      'python/cpython:Python/traceback.c (_Py_DumpTracebackThreads)',
      'podmortem lab: test/lab/dumplab/leak.py',
    ],
  },
  cases: [
    {
      source:
        'podmortem lab (test/lab/dumplab/leak.py on CPython 3.11, os.abort() with faulthandler enabled)',
      log: ['Thread 0x00007f38e6ffd6c0 (most recent call first):'],
    },
    {
      source: 'podmortem lab (the same dump: the thread that aborted)',
      log: ['Current thread 0x00007f38ee3c4b80 (most recent call first):'],
    },
  ],
  nonMatching: ['Traceback (most recent call last):'],
};

export const signatures: SignatureDef[] = [faulthandlerDump, threadStart, forkEagain, memoryError];
