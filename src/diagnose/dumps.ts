// Ties the dumps a crash log holds to the causes: the bucket whose members hold OS threads goes into
// the evidence, the reasons and the fix of the thread and task limits; the bucket whose members hold
// descriptors into those of the open-file limits. A leak of goroutines parked in IO wait is said to
// hold no thread, so a thread limit is not blamed on it. The incident gets one note per dump.
import type { ThreadDump } from '../evidence/dumps.js';
import type { CauseAssessment } from '../evidence/types.js';
import { bucketPhrase, bucketSentence, isLeakSized, knownLeak } from '../knowledge/leaks.js';

const THREAD_CAUSES = new Set([
  'cgroup.pids',
  'rlimit.nproc',
  'kernel.pid_max',
  'kernel.threads-max',
  'runtime.max-threads',
]);
const DESCRIPTOR_CAUSES = new Set(['rlimit.nofile', 'fs.file-max']);
const KIND = { go: 'Goroutine dump', jvm: 'JVM thread dump', python: 'Python faulthandler dump' } as const;
/** Members below which a dump is the crash's own traceback, not a population worth bucketing. */
const MIN_NOTED = 10;
/** Buckets named per dump in the note. */
const NOTE_BUCKETS = 3;

export function applyDumps(causes: CauseAssessment[], dumps: ThreadDump[]): string[] {
  const notes: string[] = [];
  for (const d of dumps) {
    // A crash's own few goroutines (the one that panicked, main) are not worth a note.
    if (d.total < MIN_NOTED) continue;
    const top = d.buckets.slice(0, NOTE_BUCKETS).map((b) => bucketPhrase(d, b));
    const unit = d.runtime === 'go' ? 'goroutines' : 'threads';
    const count = d.total.toLocaleString('en-US');
    notes.push(`${KIND[d.runtime]} in ${d.source}: ${count} ${unit}; largest buckets: ${top.join('; ')}.`);
    // A leak shows as one bucket or a few (an HTTP connection is a readLoop, a writeLoop and the
    // server's conn.serve): the leak-sized buckets of each kind, largest first, at most two.
    const threadBuckets = d.buckets.filter((b) => b.holds === 'thread' && isLeakSized(d, b)).slice(0, 2);
    const fdBuckets = d.buckets.filter((b) => b.holds === 'descriptor' && isLeakSized(d, b)).slice(0, 2);
    const biggest = d.buckets[0];
    for (const c of causes) {
      if (c.verdict === 'ruled-out') continue;
      if (THREAD_CAUSES.has(c.id)) {
        if (threadBuckets.length > 0) for (const b of threadBuckets) attach(c, d, b, 'holds the threads');
        else if (biggest && isLeakSized(d, biggest) && biggest.holds !== 'thread')
          c.reasons.push(
            `The dump's largest bucket, ${bucketSentence(d, biggest)} Goroutines parked like this share a few OS threads, so this leak does not use up a thread limit by itself.`,
          );
      }
      if (DESCRIPTOR_CAUSES.has(c.id)) for (const b of fdBuckets) attach(c, d, b, 'holds the descriptors');
    }
  }
  return notes;
}

function attach(c: CauseAssessment, d: ThreadDump, b: ThreadDump['buckets'][number], what: string): void {
  c.reasons.push(`The dump shows what ${what}: ${bucketSentence(d, b)}`);
  c.evidence.push(b.first); // the header of the bucket's first member, as printed
  const known = knownLeak(b);
  // The leak's own fix comes first: raising the limit only delays the next crash (podmortem fix repeats it).
  c.remediation.unshift({
    summary: known
      ? `Stop the leak (${bucketPhrase(d, b)}): ${known.fix}`
      : `Find why ${bucketPhrase(d, b)} keep growing: raising the limit only delays the next crash.`,
    commands: [],
  });
}
