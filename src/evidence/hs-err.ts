// A HotSpot fatal error log (hs_err_pid<N>.log) as the diagnosis sees it: what the JVM failed to get,
// how many threads it held, and the limits, memory and container figures it printed while dying.
// Every figure is the crashed JVM's own, read at the moment it died (`of: 'crashed'`), which no
// snapshot of the restarted instance can give. Read by src/sources/hs-err/reader.ts.
import type { ThreadDump } from './dumps.js';
import type { Evidence, Fact } from './types.js';

/** What HotSpot says it could not get, from the "#" header of the file. */
export interface HsErrFailure {
  /** mprotect: "Native memory allocation (mprotect) failed to protect 16384 bytes" (a new thread's guard pages: one more mapping, vm.max_map_count). mmap/malloc: "Native memory allocation (mmap) failed to map N bytes"; gc-thread: "Cannot create worker GC thread"; signal: a SIGSEGV-like crash; other: any other header. */
  kind: 'mmap' | 'malloc' | 'mprotect' | 'gc-thread' | 'signal' | 'other';
  /** Bytes asked for (mmap, malloc). */
  bytes?: number;
  /** "committing reserved memory", "Failed to reserve memory for metaspace", "ChunkPool::allocate". */
  purpose?: string;
  evidence: Evidence;
}

/** One rlimit of the "rlimit (soft/hard):" line; null is "infinity". Sizes in bytes, counts as counts. */
export interface HsErrRlimit {
  soft: number | null;
  hard?: number | null;
}

export interface HsErrReport {
  source: string;
  /** The line that opened the report ("# There is insufficient memory ...", "# A fatal error ..."). */
  header: Evidence;
  failure?: HsErrFailure;
  /** "Out of Memory Error (workerManager.hpp:87), pid=15808, tid=15810" or "Internal Error (...)". */
  location?: Evidence;
  /** Where the JVM said it wrote the full file ("# /tmp/hs_err_pid1.log"), when only its header was read. */
  savedAs?: string;
  /** The VM and its build, from "# Java VM: ..." or "vm_info: ...": "OpenJDK 64-Bit Server VM 17.0.15+6-Debian-1deb12u1". */
  jvm?: Evidence;
  /** The runtime flags of "Command Line:" (-X..., -XX:...): system properties and the rest are not kept (they can hold secrets). */
  flags?: Fact<string[]>;
  /** How many arguments of the command line were left out (system properties, agents, the main class). */
  flagsDropped: number;
  /** Threads listed under "Java Threads:" and "Other Threads:", bucketed by name pattern (ThreadDump runtime 'jvm'). */
  threads?: {
    java: number;
    other: number;
    /** False when HotSpot failed while printing the list ("[error occurred during error reporting (printing all threads)"). */
    complete: boolean;
    dump: ThreadDump;
    evidence: Evidence;
  };
  /** "_java_thread_list=0x..., length=32558": the Java threads, printed before the list (JDK 11+). */
  javaThreadList?: Fact<number>;
  rlimits: Record<string, HsErrRlimit>;
  rlimitLine?: Evidence;
  uname?: Evidence;
  /** "Process Memory: Virtual Size: 859656K": the address space the JVM held, in bytes. */
  virtualSize?: Fact<number>;
  /** "Memory: 4k page, physical 24684096k(18076260k free)", in bytes. */
  physical?: { total: number; free: number; evidence: Evidence };
  /** From the "/proc/meminfo:" copy, in bytes. */
  commitLimit?: Fact<number>;
  committedAs?: Fact<number>;
  memAvailable?: Fact<number>;
  threadsMax?: Fact<number>;
  maxMapCount?: Fact<number>;
  pidMax?: Fact<number>;
  /** "container (cgroup) information:" (JDK 11+). Limits null when "unlimited"; absent when "not supported". */
  container: {
    type?: string;
    memoryLimit?: Fact<number | null>;
    memoryUsage?: Fact<number>;
    pidsMax?: Fact<number | null>;
    pidsCurrent?: Fact<number>;
    processors?: Fact<number>;
  };
}
