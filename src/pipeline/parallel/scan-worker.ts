// Entry of a worker thread of the parallel scan (scan-log.ts): it scans the byte ranges the main
// thread hands it, one at a time, and posts each range's result back. It says when it is ready, so
// that the main thread, which scans too, never waits on a range given to a thread still starting.
import { parentPort, workerData } from 'node:worker_threads';
import { SIGNATURES } from '../../knowledge/signatures/index.js';
import type { ByteRange } from '../../sources/logs/parallel/ranges.js';
import { prefilterFor } from '../prefilter.js';
import { scanRange, type RangeResult } from './scan-range.js';

export interface WorkerInput {
  path: string;
  name: string;
}
export interface Task {
  index: number;
  range: ByteRange;
}
export type WorkerMessage =
  { ready: true } | { index: number; result: RangeResult } | { index: number; error: string };

const port = parentPort;
if (port) {
  const { path, name } = workerData as WorkerInput;
  const prefilter = prefilterFor(SIGNATURES);
  port.on('message', (task: Task) => {
    scanRange(path, name, task.range, prefilter).then(
      (result) => port.postMessage({ index: task.index, result } satisfies WorkerMessage),
      (err: unknown) =>
        port.postMessage({
          index: task.index,
          error: err instanceof Error ? err.message : String(err),
        } satisfies WorkerMessage),
    );
  });
  port.postMessage({ ready: true } satisfies WorkerMessage);
}
