// One byte range of a log, scanned and recognized on its own: the unit of work of a parallel scan,
// run by a worker thread (scan-worker.ts) or by the main thread itself. Its line numbers count from
// the range's start; the merge (merge.ts) moves them to the file's.
import { Recognizer, type RecognizedPart } from '../../diagnose/recognize.js';
import { SIGNATURES } from '../../knowledge/signatures/index.js';
import { readRange, type ByteRange } from '../../sources/logs/parallel/ranges.js';
import { scanStream, type Prefilter, type ScanStats } from '../../sources/logs/scanner.js';

export interface RangeResult {
  stats: ScanStats;
  part: RecognizedPart;
}

export async function scanRange(
  path: string,
  name: string,
  range: ByteRange,
  prefilter: Prefilter,
  signal?: AbortSignal,
): Promise<RangeResult> {
  const rec = new Recognizer(SIGNATURES);
  const stats = await scanStream(readRange(path, range, signal), name, prefilter, (line, keywords) =>
    rec.add(line, keywords),
  );
  return { stats, part: rec.part() };
}
