// What a bucket of a thread or goroutine dump means: the leak it is known to be, and what each of
// its members holds. A goroutine parked in IO wait or select holds no OS thread (the scheduler runs
// thousands on a few threads) but its socket is a descriptor; one in a system call, in a cgo call or
// locked to its thread holds an OS thread, which counts against pids.max, RLIMIT_NPROC and the
// runtime's max threads (golang/go:src/runtime/proc.go, entersyscall / LockOSThread / cgocall).
// Every JVM and Python thread is an OS thread.
import type { DumpBucket, ThreadDump } from '../evidence/dumps.js';

/** Known leaks, by the name of the bucket (Go entry function, JVM thread-name pattern). */
const KNOWN: { test: RegExp; leak: string; fix: string }[] = [
  {
    test: /^net\/http\.\(\*persistConn\)\.(?:readLoop|writeLoop)$/,
    leak: 'a leak of HTTP client connections (response bodies never closed, or a new http.Transport per request)',
    fix: 'Close every response body (defer resp.Body.Close()) and share one http.Client/Transport across requests.',
  },
  {
    test: /^net\/http\.\(\*conn\)\.serve$/,
    leak: 'HTTP server connections held open (clients that never hang up, no ReadTimeout/IdleTimeout on the server)',
    fix: 'Set ReadTimeout, WriteTimeout and IdleTimeout on the http.Server.',
  },
  {
    test: /^database\/sql\.\(\*DB\)\.connection(?:Opener|Cleaner)$/,
    leak: 'a sql.DB opened per request and never closed (each one keeps its own pool)',
    fix: 'Open one sql.DB at start-up and share it.',
  },
  {
    test: /^google\.golang\.org\/grpc/,
    leak: 'gRPC client connections dialled per call and never closed',
    fix: 'Dial one grpc.ClientConn and reuse it, or Close() it when done.',
  },
  {
    test: /^pool-N-thread-N$/,
    leak: 'thread pools created per task and never shut down (Executors.newFixedThreadPool without shutdown())',
    fix: 'Create the ExecutorService once and reuse it, or call shutdown() when the work is done.',
  },
];

const HOLDS: Record<DumpBucket['holds'], string> = {
  thread: 'each holding an OS thread',
  descriptor: 'each holding a socket (a file descriptor), not an OS thread',
  stack: 'holding memory only (no OS thread, no descriptor)',
};

function members(d: ThreadDump, n: number): string {
  const word = d.runtime === 'go' ? 'goroutine' : 'thread';
  return n === 1 ? word : `${word}s`;
}

/** "3,912 goroutines [IO wait] in net/http.(*persistConn).readLoop" */
export function bucketPhrase(d: ThreadDump, b: DumpBucket): string {
  const n = b.count.toLocaleString('en-US');
  const inTop = b.top === '?' ? '' : ` in ${b.top}`;
  if (d.runtime === 'jvm') return `${n} ${members(d, b.count)} named ${b.name} (${b.state})${inTop}`;
  const state = b.state ? ` [${b.state}${b.locked ? ', locked to thread' : ''}]` : '';
  const where =
    b.top !== b.name && d.runtime === 'go' && b.holds === 'thread' ? ` (blocked in ${b.top})` : '';
  return `${n} ${members(d, b.count)}${state}${b.name === '?' ? '' : ` in ${b.name}`}${where}`;
}

/** The leak a bucket is, when known: "a leak of HTTP client connections (...)". */
export function knownLeak(b: DumpBucket): { leak: string; fix: string } | undefined {
  const hit = KNOWN.find((k) => k.test.test(b.name));
  if (hit) return { leak: hit.leak, fix: hit.fix };
  if (b.holds === 'thread' && b.top === 'runtime.cgocall')
    return {
      leak: 'goroutines locked to OS threads in cgo calls',
      fix: 'Bound the number of concurrent cgo calls (a semaphore) or find the C call that never returns.',
    };
  return undefined;
}

/** One sentence for a bucket: what it is, what each member holds, and the leak when known. */
export function bucketSentence(d: ThreadDump, b: DumpBucket): string {
  const known = knownLeak(b);
  const share = `${Math.round((100 * b.count) / Math.max(1, d.total))}% of ${d.total.toLocaleString('en-US')}`;
  return `${bucketPhrase(d, b)} (${share}), ${HOLDS[b.holds]}${known ? `: ${known.leak}` : ''}.`;
}

/** A bucket big enough to be a leak rather than a program's usual threads. */
export function isLeakSized(d: ThreadDump, b: DumpBucket): boolean {
  return b.count >= 20 && b.count * 4 >= d.total;
}
