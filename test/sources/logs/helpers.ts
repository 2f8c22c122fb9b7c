// Feeds real bytes through the real scanStream, in the chunks a test chooses (a file's reads, a pipe's
// writes), and collects what a user would see: the hit lines and the stats.
import { Readable } from 'node:stream';
import {
  buildPrefilter,
  scanStream,
  type LogLine,
  type ScanStats,
} from '../../../src/sources/logs/scanner.js';

/** Real crash lines, from the threads they were posted in. */
export const SEED = [
  // shared/seed/calico-node-restart.md (calico-node v3.8.8, `kubectl logs -p`)
  'runtime: failed to create new OS thread (have 41 already; errno=11)',
  'runtime: may need to increase max user processes (ulimit -u)',
  'fatal error: newosproc',
];
/** corpus ocp42-crio-pids-1024-java (OpenShift 4.2, CRI-O pids limit 1024) */
export const JAVA_OOM =
  'Exception in thread "main" java.lang.OutOfMemoryError: unable to create new native thread';
/** What Node.js prints before a heap OOM abort (https://github.com/nodejs/node/issues/29800); Docker escapes its < and >. */
export const NODE_GC_BANNER = '<--- Last few GCs --->';

export const KEYWORDS = [
  'failed to create new OS thread',
  'fatal error: newosproc',
  'java.lang.OutOfMemoryError',
  'Last few GCs',
];

export interface Scan {
  hits: LogLine[];
  stats: ScanStats;
}

export async function scan(
  chunks: Iterable<Buffer> | AsyncIterable<Buffer>,
  keywords = KEYWORDS,
): Promise<Scan> {
  const hits: LogLine[] = [];
  const stats = await scanStream(Readable.from(chunks), 'test.log', buildPrefilter(keywords), (l) =>
    hits.push(l),
  );
  return { hits, stats };
}

/** Cuts bytes into chunks at the given offsets (what a pipe delivering odd-sized writes does). */
export function cutAt(bytes: Buffer, offsets: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const o of [...offsets].sort((a, b) => a - b)) {
    if (o > prev && o < bytes.length) {
      out.push(bytes.subarray(prev, o));
      prev = o;
    }
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Filler lines an app prints between crashes (klog style, no keyword), numbered so none repeats. */
export function filler(n: number, from = 0): string[] {
  return Array.from(
    { length: n },
    (_, i) =>
      `I0501 10:00:00.000000       1 controller.go:${from + i}] synced endpoints namespace="default" name="web-${from + i}"`,
  );
}

/** A deterministic number generator (mulberry32), so a failing chunking or line mix can be replayed. */
export function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}
