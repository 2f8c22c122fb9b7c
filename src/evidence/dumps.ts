// A thread or goroutine dump read from a crash log, bucketed (src/sources/dumps/thread-dumps.ts),
// as the diagnosis sees it: which stacks hold the threads or descriptors that ran out.
import type { Evidence } from './types.js';

export type DumpRuntime = 'go' | 'jvm' | 'python';

/** What each member of a bucket holds besides its stack, which decides the limit it can use up. */
export type Holding = 'thread' | 'descriptor' | 'stack';

export interface DumpBucket {
  count: number;
  /** Go "IO wait", "syscall"; JVM "WAITING (parking)"; Python "" (faulthandler prints no state). */
  state: string;
  /** Go: the goroutine's entry function (or the first frame of the program when the entry is a closure); JVM: the thread name with numbers as N; Python: the first frame outside the standard library. */
  name: string;
  /** The frame the members are blocked in (most recent call). */
  top: string;
  /** Go: goroutines locked to their OS thread (LockOSThread, cgo callbacks). */
  locked?: boolean;
  holds: Holding;
  /** The header line of the bucket's first member. */
  first: Evidence;
}

export interface ThreadDump {
  runtime: DumpRuntime;
  source: string;
  /** Goroutines or threads in the dump. */
  total: number;
  /** Largest first. */
  buckets: DumpBucket[];
}
