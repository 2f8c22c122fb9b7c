// Puts the ranges of a parallel scan back together in file order, as they finish in any order: the
// recognized hits, the line count, the tail and the flags come out as the single-threaded scan of
// the whole file gives them. A range is absorbed as soon as every range before it is, so what waits
// is at most the few results that finished early (each is small: a recognizer keeps a few lines per
// signature).
import { Recognizer, type RecognizedPart } from '../../diagnose/recognize.js';
import { SIGNATURES } from '../../knowledge/signatures/index.js';
import type { ScanStats } from '../../sources/logs/scanner.js';
import type { RangeResult } from './scan-range.js';

export class RangeMerge {
  private readonly rec = new Recognizer(SIGNATURES);
  private readonly waiting = new Map<number, RangeResult>();
  private next = 0;
  private readonly stats: ScanStats = { bytes: 0, lines: 0, tail: [], binary: false, hugeLines: 0 };

  constructor(private readonly count: number) {}

  get complete(): boolean {
    return this.next === this.count;
  }

  add(index: number, result: RangeResult): void {
    this.waiting.set(index, result);
    for (let r = this.waiting.get(this.next); r; r = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.absorb(r, this.next === 0);
      this.next++;
    }
  }

  /** The whole file's scan: valid once complete. */
  result(): { stats: ScanStats; part: RecognizedPart } {
    return { stats: this.stats, part: this.rec.part() };
  }

  private absorb({ stats, part }: RangeResult, first: boolean): void {
    // Every range but the last ends with a newline: its line count is its newline count.
    const before = this.stats.lines;
    this.rec.absorb(part, before);
    this.stats.bytes += stats.bytes;
    this.stats.lines += stats.lines;
    this.stats.hugeLines += stats.hugeLines;
    // The file looks binary by its first bytes, which only the first range read.
    if (first) this.stats.binary = stats.binary;
    // The tail is the last lines of the file: the last range's (every range is longer than the tail window).
    this.stats.tail = stats.tail.map((l) => ({ ...l, line: l.line + before }));
  }
}
