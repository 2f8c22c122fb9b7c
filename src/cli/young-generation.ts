// A bound on V8's young generation for the commands that walk a cluster (scan, collect).
//
// Why: under a scan's allocation rate (a page of 500 pods parsed every few milliseconds, 300 logs
// streamed) V8 doubles the young generation's semi-spaces up to 2 x 16 MiB, and keeps them: a
// third of the scan's peak RSS, mostly empty (bench/README-scan.md). `--max-semi-space-size` would
// bound it, but V8 reads that flag only when the heap is created: `v8.setFlagsFromString` is too
// late for it, and a NODE_OPTIONS the user must remember is no fix. The growth factor, however, is
// read each time V8 decides to grow the young generation, and Node leaves flags writable after
// start-up: so the young generation grows as usual until it reaches the bound, and the factor is
// then set to 1 (no further growth). test/cli/young-generation.test.ts checks that this takes effect
// on the Node that runs the tests.
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** Both semi-spaces together: 2 x 8 MiB (V8's default bound is 2 x 16 MiB on 64-bit). */
export const YOUNG_GENERATION_BYTES = 16 << 20;

/** The young generation's size now (both semi-spaces), in bytes. */
export function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Stops the young generation's growth once it reaches `bytes`. The check runs after each garbage
 * collection (V8 grows the young generation only then) until the bound is set, then stops
 * observing. A user's own young-generation flags win: then nothing is done.
 */
export function boundYoungGeneration(bytes = YOUNG_GENERATION_BYTES): void {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (flags.some((f) => /^--(max-semi-space-size|semi-space-growth-factor|max-heap-size)\b/.test(f))) return;
  const observer = new PerformanceObserver(() => void reached());
  function reached(): boolean {
    if (youngGenerationBytes() < bytes) return false;
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    observer.disconnect();
    return true;
  }
  if (reached()) return;
  observer.observe({ entryTypes: ['gc'] });
}
