// .NET crashes. On Linux CoreCLR reports a failed pthread_create as a plain OutOfMemoryException
// thrown from Thread.StartInternal/StartCore (dotnet/runtime#55964), so an OutOfMemoryException is
// not always about memory: the stack frame decides. The inotify messages live in the inotify family.
import type { Raise, SignatureDef } from '../types.js';
import { unknownThreadCreationRaises } from './raises.js';

const outOfMemory: SignatureDef = {
  id: 'dotnet.out-of-memory',
  family: 'dotnet',
  title: '.NET OutOfMemoryException',
  keywords: ['System.OutOfMemoryException'],
  pattern: /System\.OutOfMemoryException/,
  raises: (): Raise[] => [
    {
      cause: 'runtime.heap',
      weight: 0.45,
      why: 'The GC throws OutOfMemoryException when the managed heap reaches its hard limit (GCHeapHardLimit, 75% of the container memory limit by default).',
    },
    {
      cause: 'memory.cgroup',
      weight: 0.3,
      why: 'The GC derives its limit from the container memory limit, so a small limit makes a small heap.',
    },
    {
      cause: 'cgroup.pids',
      weight: 0.25,
      why: 'CoreCLR on Linux also throws OutOfMemoryException when pthread_create fails (a pids limit, for instance); a Thread.StartInternal/StartCore frame below it says so (dotnet/runtime#55964).',
    },
    {
      cause: 'memory.node',
      weight: 0.15,
      why: 'A refused mmap on the node (overcommit) also ends as OutOfMemoryException.',
    },
  ],
  docs: {
    what: 'The .NET runtime could not allocate: the managed heap hit its hard limit, the OS refused memory, or (on Linux) a thread could not be created. The frames under the exception tell which.',
    confirm: [
      'A System.Threading.Thread.StartInternal or StartCore frame means thread creation failed: count threads against pids.max.',
      'Otherwise compare the GC heap (dotnet-counters "GC Heap Size") with GCHeapHardLimit / the container limit.',
    ],
    fix: ['Raise the container limit or DOTNET_GCHeapHardLimitPercent, or find the leak (dotnet-dump).'],
    sources: [
      'https://learn.microsoft.com/en-us/dotnet/core/runtime-config/garbage-collector#heap-hard-limit',
      'https://github.com/dotnet/runtime/issues/55964',
      'https://github.com/dotnet/coreclr/issues/25645',
    ],
  },
  cases: [
    {
      source: 'https://github.com/dotnet/corefx/issues/30652',
      log: [
        "Type=System.OutOfMemoryException Exception=System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.",
      ],
    },
  ],
  nonMatching: ['java.lang.OutOfMemoryError: Java heap space'],
};

const threadStart: SignatureDef = {
  id: 'dotnet.thread-start',
  family: 'dotnet',
  title: '.NET could not start a thread (Thread.StartInternal / ThreadStartException)',
  keywords: ['System.Threading.Thread.Start', 'ThreadStartException', 'Thread failed to start'],
  // The frame under an OutOfMemoryException, or the older ThreadStartException wording; StartCallback frames (every thread has one) do not count.
  pattern: /System\.Threading\.Thread\.Start(?:Internal|Core)\(|ThreadStartException|Thread failed to start/,
  raises: () => unknownThreadCreationRaises(),
  docs: {
    what: 'CoreCLR could not create an OS thread (pthread_create failed) and threw from Thread.StartInternal/StartCore; the errno is not shown. Reported in containers with a low pids limit.',
    confirm: [
      "Count the process's threads (ls /proc/<pid>/task | wc -l) against pids.max of the container and pod and the UID's task count.",
    ],
    fix: ['Raise the pids limit or cap thread creation (ThreadPool settings, fewer dedicated threads).'],
    sources: [
      'dotnet/runtime:src/coreclr/vm/comsynchronizable.cpp (ThreadNative::Start)',
      'https://github.com/dotnet/runtime/issues/55964',
      'https://github.com/microsoft/VFSForGit/issues/539',
    ],
  },
  cases: [
    {
      source: 'https://github.com/dotnet/runtime/issues/130228',
      log: [
        '   at System.Threading.Thread.StartInternal(ThreadHandle t, Int32 stackSize, Int32 priority, BOOL isThreadPool, Char* pThreadName, ObjectHandleOnStack exception)',
      ],
    },
    {
      source: 'https://github.com/dotnet/runtime/issues/115929',
      log: ['   at System.Threading.Thread.StartCore()'],
    },
  ],
  nonMatching: ['   at System.Threading.Thread.StartCallback(Thread* pThread)'],
};

export const signatures: SignatureDef[] = [outOfMemory, threadStart];
