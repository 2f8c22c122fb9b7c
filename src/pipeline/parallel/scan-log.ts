// Scans one crash log for diagnoseContainer: a large regular file on every core, anything else
// (standard input, a pipe, a gzipped or small file) on this thread. The file is cut into byte ranges
// at line boundaries (sources/logs/parallel/ranges.ts); worker threads and this thread take the next
// range as they become free (no thread waits on one slowed by a busy machine or still starting), and the results
// are merged in file order (merge.ts): the report is the one the single-threaded scan gives. Every
// crash signature is one line, so a multi-line trace cut in two is seen whole line by line; the
// thread-dump reader that needs whole traces reads the file again on its own. A failure of any thread
// stops the others, says so in one sentence, and the file is scanned again on this thread.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Recognizer } from '../../diagnose/recognize.js';
import {
  cutAtLines,
  everyBytes,
  fileSize,
  guided,
  type ByteRange,
} from '../../sources/logs/parallel/ranges.js';
import { scanStream, type Prefilter, type ScanStats } from '../../sources/logs/scanner.js';
import type { CrashLog, ScanResult } from '../container.js';
import { SIGNATURES } from '../../knowledge/signatures/index.js';
import { prefilterFor } from '../prefilter.js';
import { RangeMerge } from './merge.js';
import { scanRange, type RangeResult } from './scan-range.js';
import type { Task, WorkerInput, WorkerMessage } from './scan-worker.js';

/**
 * Below this size a second thread cannot pay for itself: a worker takes 30-100 ms to start (a V8
 * isolate plus the signatures), what the scan of 10-30 MiB costs. On a machine whose other cores are
 * busy it does not pay at 64 MiB either (bench/README.md, "Large files on every core").
 */
const MIN_BYTES = 32 << 20;
/**
 * Ranges: a third of what is left per thread, between 4 and 64 MiB (sources/logs/parallel/ranges.ts,
 * guided). Each range costs a recognizer (~1 ms) and a message; the last ones are small so that the
 * threads end together (the main thread starts scanning at once, a worker ~50 ms later).
 */
const PARTS_PER_THREAD = 3;
const MIN_RANGE = 4 << 20;
const MAX_RANGE = 64 << 20;
/** Each thread holds a V8 heap and the signatures (~15 MiB): the cap keeps peak RSS flat on a big machine. */
const MAX_THREADS = 4;
/** Next to the module that starts it: dist/pipeline/parallel/ from tsc, dist/cli/ in the bundle (scripts/bundle.mjs). */
const WORKER_URL = new URL('./scan-worker.js', import.meta.url);

/**
 * Hidden settings (environment), for tests and the benchmark: PODMORTEM_SCAN_THREADS (threads in
 * all, this one included; 1 = never parallel), PODMORTEM_SCAN_PARALLEL_MIN (bytes) and
 * PODMORTEM_SCAN_RANGE (bytes: ranges cut at every multiple of it instead of guided sizes).
 */
function settings(): { threads: number; minBytes: number; rangeBytes?: number } {
  const num = (name: string, min: number): number | undefined => {
    const v = Number(process.env[name]);
    return Number.isInteger(v) && v >= min ? v : undefined;
  };
  return {
    threads: num('PODMORTEM_SCAN_THREADS', 1) ?? Math.min(MAX_THREADS, availableParallelism()),
    minBytes: num('PODMORTEM_SCAN_PARALLEL_MIN', 0) ?? MIN_BYTES,
    // Never below 64 KiB: the last range must hold the whole tail window the scanner keeps (8 KiB).
    rangeBytes: num('PODMORTEM_SCAN_RANGE', 64 << 10),
  };
}

/** Scans the log into `rec` (which may hold records already: the log's hits come after them). */
export async function scanCrashLog(log: CrashLog, prefilter: Prefilter, rec: Recognizer): Promise<ScanStats> {
  const parallel = await (log.started ?? scanFileInParallel(log, prefilter));
  if (parallel) {
    rec.absorb(parallel.part, 0);
    return parallel.stats;
  }
  return scanStream(log.open(), log.name, prefilter, (line, keywords) => rec.add(line, keywords));
}

let ownPrefilter: Prefilter | undefined;

/**
 * Starts the parallel scan of a large file now, before diagnoseContainer asks for it: analyze reads
 * the head of the file for pasted transcripts first (~0.1 s for 4 MiB), and the workers need not
 * wait for that. The log comes back with the scan under way (`started`); anything else unchanged.
 */
export function startCrashScan<L extends CrashLog>(log: L): L & Pick<CrashLog, 'started'> {
  if (log.file === undefined || log.started) return log;
  ownPrefilter ??= prefilterFor(SIGNATURES);
  return { ...log, started: scanFileInParallel(log, ownPrefilter) };
}

/** The whole file's scan on every core, or undefined: not worth it, or failed (said in log.warnings). */
async function scanFileInParallel(log: CrashLog, prefilter: Prefilter): Promise<ScanResult | undefined> {
  if (log.file === undefined) return undefined;
  const plan = await planParallel(log.file);
  if (!plan) return undefined;
  try {
    return await scanInParallel(log.file, log.name, plan, prefilter);
  } catch (err) {
    log.warnings?.push(
      `${log.name}: the parallel scan failed (${reason(err)}); scanned it again on one thread.`,
    );
    return undefined;
  }
}

interface Plan {
  ranges: ByteRange[];
  workers: number;
}

/** The ranges and the worker threads for a file worth scanning in parallel, or undefined. */
async function planParallel(path: string): Promise<Plan | undefined> {
  const { threads, minBytes, rangeBytes } = settings();
  if (threads < 2) return undefined;
  try {
    const size = await fileSize(path);
    if (size === undefined || size < minBytes) return undefined;
    const ranges = rangeBytes
      ? await cutAtLines(path, size, everyBytes(rangeBytes), rangeBytes / 2)
      : await cutAtLines(path, size, guided(PARTS_PER_THREAD * threads, MIN_RANGE, MAX_RANGE), MIN_RANGE / 2);
    const workers = Math.min(threads - 1, ranges.length - 1);
    return workers > 0 ? { ranges, workers } : undefined;
  } catch {
    return undefined; // unreadable: the single-threaded scan says why, as it always has
  }
}

async function scanInParallel(
  path: string,
  name: string,
  { ranges, workers: count }: Plan,
  prefilter: Prefilter,
): Promise<ScanResult> {
  const merge = new RangeMerge(ranges.length);
  const workers: Worker[] = [];
  const stop = new AbortController();
  let next = 0;
  const take = (): number | undefined => (next < ranges.length ? next++ : undefined);

  try {
    return await new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        if (err === undefined) resolve(merge.result());
        else reject(err);
      };
      const done = (index: number, result: RangeResult): void => {
        merge.add(index, result);
        if (merge.complete) finish();
      };

      for (let k = 0; k < count; k++) {
        const worker = new Worker(WORKER_URL, { workerData: { path, name } satisfies WorkerInput });
        workers.push(worker);
        const give = (): void => {
          const index = take();
          if (index !== undefined) worker.postMessage({ index, range: ranges[index]! } satisfies Task);
        };
        worker.on('message', (m: WorkerMessage) => {
          if ('ready' in m) give();
          else if ('error' in m) finish(new Error(m.error));
          else {
            done(m.index, m.result);
            give();
          }
        });
        worker.on('error', finish);
        worker.on('messageerror', finish);
        worker.on('exit', (code) => finish(new Error(`a scan thread exited with code ${code}`)));
      }

      // This thread scans too, range after range, until none is left to take.
      void (async () => {
        for (let i = take(); i !== undefined && !settled; i = take())
          done(i, await scanRange(path, name, ranges[i]!, prefilter, stop.signal));
      })().catch(finish);
    });
  } finally {
    stop.abort(); // this thread's range in progress, after a failure
    for (const w of workers) void w.terminate(); // not awaited: the report need not wait for threads to wind down
  }
}

/** The first line of an error's message, short enough for a warning. */
function reason(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
