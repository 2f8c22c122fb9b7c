// The keyword prefilter: finds the first of many literal keywords in raw bytes, so the scanner only
// cuts out and decodes the few lines that can matter. A JS regex alternation of ~60 literals runs at
// ~150-200 MiB/s in V8 (no skipping over bytes that cannot start a match); this is Wu-Manber
// (S. Wu, U. Manber, "A fast algorithm for multi-pattern searching", TR-94-17, U. of Arizona, 1994):
// it looks at 2-byte blocks and jumps ahead by up to m-1 bytes (m = shortest keyword) when the block
// cannot be part of any keyword prefix, which is almost always in a log. Measured in bench/README.md.
// Worst case is O(n × keywords × keyword length) on input crafted from keyword prefixes: linear in
// the input, with a bounded constant.

/** Blocks are 2 bytes: 65,536 entries index the shift table directly (no hashing, no collisions). */
const B = 2;

export class Prefilter {
  /** The unique non-empty keywords as UTF-8 bytes (compared with the raw bytes, whatever the encoding). */
  readonly keywords: readonly Buffer[];
  readonly longestKeyword: number;
  /** Length of the shortest keyword: the window every keyword prefix is compared on. */
  private readonly m: number;
  /** How far the window may move when its last block is this one (0: a keyword may end its prefix here). */
  private readonly shift = new Uint8Array(1 << (8 * B));
  /** 1 when some keyword starts with this block: a cheap second test before comparing keywords. */
  private readonly firstBlock = new Uint8Array(1 << (8 * B));
  /** Keywords whose m-prefix ends with this block (sparse array: faster than a Map in the hot loop). */
  private readonly buckets: Buffer[][] = [];

  constructor(keywords: Iterable<string>) {
    const unique = [...new Set(keywords)].filter((k) => k.length > 0);
    this.keywords = unique.map((k) => Buffer.from(k, 'utf8'));
    this.longestKeyword = Math.max(0, ...this.keywords.map((k) => k.length));
    // Shifts are kept in a byte: keywords longer than 255 bytes are compared on their prefix window.
    this.m = Math.min(255, ...this.keywords.map((k) => k.length));
    if (this.m < B) return; // a one-byte keyword: find() compares bytes one by one
    this.shift.fill(this.m - B + 1);
    for (const k of this.keywords) {
      for (let q = B - 1; q < this.m; q++) {
        const block = (k[q - 1]! << 8) | k[q]!;
        const s = this.m - 1 - q;
        if (s < this.shift[block]!) this.shift[block] = s;
      }
      this.firstBlock[(k[0]! << 8) | k[1]!] = 1;
      const last = (k[this.m - 2]! << 8) | k[this.m - 1]!;
      (this.buckets[last] ??= []).push(k);
    }
  }

  /** Start of the leftmost keyword lying wholly inside buf[from, to), or -1. */
  find(buf: Uint8Array, from: number, to: number): number {
    if (this.keywords.length === 0) return -1;
    if (this.m < B) return this.findShort(buf, from, to);
    const { shift, firstBlock, buckets, m } = this;
    let i = from + m - 1;
    while (i < to) {
      const block = (buf[i - 1]! << 8) | buf[i]!;
      const s = shift[block]!;
      if (s !== 0) {
        i += s;
        continue;
      }
      const start = i - m + 1;
      if (firstBlock[(buf[start]! << 8) | buf[start + 1]!] === 1) {
        const list = buckets[block]!;
        for (let x = 0; x < list.length; x++) {
          const k = list[x]!;
          if (start + k.length <= to && matchesAt(buf, start, k)) return start;
        }
      }
      i++;
    }
    return -1;
  }

  /** With a keyword of one byte there is nothing to skip: the leftmost hit of any keyword, by indexOf. */
  private findShort(buf: Uint8Array, from: number, to: number): number {
    const view = Buffer.from(buf.buffer, buf.byteOffset, to);
    let best = -1;
    for (const k of this.keywords) {
      const p = view.indexOf(k, from);
      if (p !== -1 && (best === -1 || p < best)) best = p;
    }
    return best;
  }
}

function matchesAt(buf: Uint8Array, start: number, k: Buffer): boolean {
  for (let j = 0; j < k.length; j++) if (buf[start + j] !== k[j]) return false;
  return true;
}
