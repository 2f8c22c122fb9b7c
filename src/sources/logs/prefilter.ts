// The keyword prefilter: finds the first of many literal keywords in raw bytes, so the scanner only
// cuts out and decodes the few lines that can matter. A JS regex alternation of ~60 literals runs at
// ~30-200 MiB/s in V8 (no skipping over bytes that cannot start a match); this is Wu-Manber
// (S. Wu, U. Manber, "A fast algorithm for multi-pattern searching", TR-94-17, U. of Arizona, 1994):
// every keyword is represented by a window of m bytes (m = shortest keyword); the search looks at
// 2-byte blocks and jumps ahead by up to m-1 bytes when the block cannot be part of any window, which
// is most of the time in a log. Unlike the textbook (which takes each keyword's prefix), the window
// is the keyword's rarest m bytes by a byte-frequency model of log text: fewer common blocks in the
// windows means longer jumps and fewer candidates to compare. Measured in bench/README.md.
// Worst case is O(n × keywords × keyword length) on input crafted from keyword pieces: linear in the
// input, with a bounded constant.

/** Blocks are 2 bytes: 65,536 entries index the shift table directly (no hashing, no collisions). */
const B = 2;

interface Windowed {
  bytes: Buffer;
  /** Where the keyword's window starts inside it. */
  offset: number;
  /** The keyword as the decoded text holds it, or undefined for a form only raw bytes hold (Docker-escaped). */
  text: string | undefined;
}

export class Prefilter {
  /** The unique non-empty keywords as UTF-8 bytes (compared with the raw bytes, whatever the encoding). */
  readonly keywords: readonly Buffer[];
  readonly longestKeyword: number;
  /** Window length: the shortest keyword, capped so shifts fit in a byte. */
  private readonly m: number;
  private readonly maxOffset: number = 0;
  /** How far the search may move when the block ending at the current position is this one. */
  private readonly shift = new Uint8Array(1 << (8 * B));
  /** 1 when some window starts with this block: a cheap second test before comparing keywords. */
  private readonly firstBlock = new Uint8Array(1 << (8 * B));
  /** Keywords whose window ends with this block (sparse array: faster than a Map in the hot loop). */
  private readonly buckets: Windowed[][] = [];
  /**
   * After findAny: the window end at which its hit was seen (every keyword whose window ends before
   * it is absent from the range searched); -1 when the search has no windows (a one-byte keyword).
   */
  resumeAt = -1;
  /**
   * keywordsIn can list a line's keywords: false with a one-byte keyword (nothing is windowed) or a
   * text keyword whose bytes do not say where the text holds it (see sameInText).
   */
  readonly canList: boolean;

  /**
   * `textKeywords`: the keywords a decoded line's text holds as they are (the others are raw-byte
   * forms, such as Docker's escapes, that keywordsIn does not list); all of them when omitted.
   */
  constructor(keywords: Iterable<string>, textKeywords?: Iterable<string>) {
    const unique = [...new Set(keywords)].filter((k) => k.length > 0);
    const inText = new Set(textKeywords ?? unique);
    this.keywords = unique.map((k) => Buffer.from(k, 'utf8'));
    this.longestKeyword = Math.max(0, ...this.keywords.map((k) => k.length));
    this.m = Math.min(255, ...this.keywords.map((k) => k.length));
    this.canList = this.m >= B && [...inText].every(sameInText);
    if (this.m < B) return; // a one-byte keyword: find() falls back to indexOf
    const m = this.m;
    this.shift.fill(m - B + 1);
    for (const [index, k] of this.keywords.entries()) {
      const offset = rarestWindow(k, m);
      this.maxOffset = Math.max(this.maxOffset, offset);
      for (let q = offset + B - 1; q < offset + m; q++) {
        const block = (k[q - 1]! << 8) | k[q]!;
        const s = offset + m - 1 - q;
        if (s < this.shift[block]!) this.shift[block] = s;
      }
      this.firstBlock[(k[offset]! << 8) | k[offset + 1]!] = 1;
      const last = (k[offset + m - 2]! << 8) | k[offset + m - 1]!;
      const word = unique[index]!;
      (this.buckets[last] ??= []).push({
        bytes: k,
        offset,
        text: inText.has(word) && sameInText(word) ? word : undefined,
      });
    }
  }

  /** Start of the leftmost keyword lying wholly inside buf[from, to), or -1. */
  find(buf: Uint8Array, from: number, to: number): number {
    if (this.keywords.length === 0) return -1;
    if (this.m < B) return this.findShort(buf, from, to);
    const { shift, firstBlock, buckets, m, maxOffset } = this;
    let best = -1;
    let limit = to;
    let i = from + m - 1; // i: the last byte of the window under test
    while (i < limit) {
      const block = (buf[i - 1]! << 8) | buf[i]!;
      const s = shift[block]!;
      if (s !== 0) {
        i += s;
        continue;
      }
      const w = i - m + 1;
      if (firstBlock[(buf[w]! << 8) | buf[w + 1]!] === 1) {
        const list = buckets[block]!;
        for (let x = 0; x < list.length; x++) {
          const { bytes, offset } = list[x]!;
          const start = w - offset;
          if (
            start >= from &&
            start + bytes.length <= to &&
            (best === -1 || start < best) &&
            matchesAt(buf, start, bytes)
          ) {
            best = start;
            // Windows sit at different offsets, so a keyword starting before `best` may still show up:
            // its window ends at most maxOffset + m - 1 bytes after its start.
            limit = Math.min(to, best + maxOffset + m - 1);
          }
        }
      }
      i++;
    }
    return best;
  }

  /**
   * The start of a keyword lying wholly inside buf[from, to), or -1: the first one the search meets,
   * which is not always the leftmost (windows sit at different offsets) but always lies in the first
   * line holding one (a keyword holds no newline, so a line break between the leftmost and the one met
   * first would put the latter's window after the leftmost's). The scanner needs the line, not the
   * column: this stops at the hit instead of searching on for an earlier start. Sets resumeAt.
   */
  findAny(buf: Uint8Array, from: number, to: number): number {
    this.resumeAt = -1;
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
      const w = i - m + 1;
      if (firstBlock[(buf[w]! << 8) | buf[w + 1]!] === 1) {
        const list = buckets[block]!;
        for (let x = 0; x < list.length; x++) {
          const { bytes, offset } = list[x]!;
          const start = w - offset;
          if (start >= from && start + bytes.length <= to && matchesAt(buf, start, bytes)) {
            this.resumeAt = i;
            return start;
          }
        }
      }
      i++;
    }
    return -1;
  }

  /**
   * Writes to out[0, n) the text keywords lying wholly inside buf[from, to), each once, and returns n
   * (out's length is left alone: setting it costs more than the search on a short line). The search
   * starts at the window end `resumeAt` (the findAny that found the line's first keyword leaves it in
   * this.resumeAt; pass -1 to search the whole range). Needs canList.
   */
  keywordsIn(buf: Uint8Array, resumeAt: number, from: number, to: number, out: string[]): number {
    const { shift, firstBlock, buckets, m } = this;
    let n = 0;
    let i = Math.max(resumeAt, from + m - 1);
    while (i < to) {
      const block = (buf[i - 1]! << 8) | buf[i]!;
      const s = shift[block]!;
      if (s !== 0) {
        i += s;
        continue;
      }
      const w = i - m + 1;
      if (firstBlock[(buf[w]! << 8) | buf[w + 1]!] === 1) {
        const list = buckets[block]!;
        for (let x = 0; x < list.length; x++) {
          const { bytes, offset, text } = list[x]!;
          const start = w - offset;
          if (
            text !== undefined &&
            start >= from &&
            start + bytes.length <= to &&
            matchesAt(buf, start, bytes)
          ) {
            let seen = false;
            for (let y = 0; y < n; y++) if (out[y] === text) seen = true;
            if (!seen) out[n++] = text;
          }
        }
      }
      i++;
    }
    return n;
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

/**
 * A keyword whose UTF-8 bytes stand in a line exactly where the decoded text holds it: any string that
 * survives the UTF-8 round trip and has no U+FFFD (which invalid bytes also decode to). A keyword
 * starts with a lead or ASCII byte, which the decoder never takes as the continuation of bytes before it.
 */
function sameInText(k: string): boolean {
  return !k.includes('\uFFFD') && Buffer.from(k, 'utf8').toString('utf8') === k;
}

function matchesAt(buf: Uint8Array, start: number, k: Buffer): boolean {
  for (let j = 0; j < k.length; j++) if (buf[start + j] !== k[j]) return false;
  return true;
}

/**
 * Rough share of each byte in container logs (English-like messages, JSON, timestamps): lowercase
 * letters by English frequency, then spaces, digits and JSON/log punctuation; capitals and the rest
 * are rare. Only the ranking matters: it picks which m bytes of a keyword represent it.
 */
const FREQ: Float64Array = (() => {
  const f = new Float64Array(256).fill(0.0005);
  // Letter frequencies of English text (%), in this order.
  const lower = 'etaoinshrdlcumwfgypbvkjxqz';
  const english = [
    12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0, 2.0, 1.9, 1.5, 1.0,
    0.8, 0.15, 0.15, 0.1, 0.07,
  ];
  for (let i = 0; i < lower.length; i++) f[lower.charCodeAt(i)] = (english[i]! / 100) * 0.6;
  f[32] = 0.13; // space
  for (let d = 48; d <= 57; d++) f[d] = 0.012;
  for (let u = 65; u <= 90; u++) f[u] = 0.004;
  for (const c of '."/:=-_,[]{}()') f[c.charCodeAt(0)] = 0.008;
  return f;
})();

/** The offset of the keyword's m-byte window made of the rarest blocks (its last block counts double). */
function rarestWindow(k: Buffer, m: number): number {
  let best = 0;
  let bestScore = Infinity;
  for (let o = 0; o + m <= k.length; o++) {
    let score = 0;
    for (let q = o + 1; q < o + m; q++) score += FREQ[k[q - 1]!]! * FREQ[k[q]!]!;
    score += FREQ[k[o + m - 2]!]! * FREQ[k[o + m - 1]!]!;
    if (score < bestScore) {
      bestScore = score;
      best = o;
    }
  }
  return best;
}
