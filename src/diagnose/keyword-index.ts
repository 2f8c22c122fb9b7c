// Which signatures a line can match, from the keywords it contains. Testing each signature's
// keywords with `includes` costs (signatures × keywords) passes over every candidate line: ~23 MB/s
// on a log where every line has a keyword. Here the line is read once, with the prefilter's method
// (Wu-Manber, see src/sources/logs/prefilter.ts) over the line's characters: every keyword is
// represented by its first m characters (m = the shortest keyword); the two characters ending the
// window under test either move it ahead by up to m-1 characters (most places in a line) or pick
// the few keywords whose window ends with them, which are compared. The owners come back in
// registry order, deduplicated, so hits are listed in the same order as before.

/** Blocks are two characters, each folded to its low byte: 65,536 table entries, collisions compared away. */
function blockKey(a: number, b: number): number {
  return ((a & 0xff) << 8) | (b & 0xff);
}

interface Entry {
  keyword: string;
  /** Indexes of the signatures that list this keyword. */
  owners: number[];
}

const NONE: readonly number[] = [];

export class KeywordIndex {
  /** Window length: the shortest keyword of two characters or more, capped so shifts fit in a byte. */
  private readonly m: number;
  /** How far the window may move when the block ending it is this one (0: compare the bucket). */
  private readonly shift = new Uint8Array(1 << 16);
  /**
   * Per block, 1 + the index in `buckets` of the keywords whose window ends with it, or 0. Typed
   * arrays: a sparse JS array of 65,536 slots is a dictionary, slow to look up at every character.
   */
  private readonly bucketOf = new Uint16Array(1 << 16);
  private readonly buckets: Entry[][] = [];
  /** Keywords of one character have no block: they are looked for with includes. */
  private readonly single: Entry[] = [];
  /** Per signature, the call that last listed it (dedup without clearing a set per line). */
  private readonly listedAt: Uint32Array;
  private call = 0;
  private readonly found: number[] = [];
  /** Every keyword's entry, for ownersOf. */
  private readonly byKeyword: ReadonlyMap<string, Entry>;

  /** keywordsOf[i] are the keywords of signature i. */
  constructor(keywordsOf: readonly (readonly string[])[]) {
    this.listedAt = new Uint32Array(keywordsOf.length);
    const entries = new Map<string, Entry>();
    keywordsOf.forEach((keywords, sig) => {
      for (const keyword of keywords) {
        if (keyword.length === 0) continue;
        let e = entries.get(keyword);
        if (!e) entries.set(keyword, (e = { keyword, owners: [] }));
        if (!e.owners.includes(sig)) e.owners.push(sig);
      }
    });
    this.byKeyword = entries;
    const blocked = [...entries.values()].filter((e) => e.keyword.length >= 2);
    this.single = [...entries.values()].filter((e) => e.keyword.length === 1);
    const m = Math.min(255, ...blocked.map((e) => e.keyword.length));
    this.m = m;
    this.shift.fill(m - 1);
    for (const e of blocked) {
      const k = e.keyword;
      for (let q = 1; q < m; q++) {
        const key = blockKey(k.charCodeAt(q - 1), k.charCodeAt(q));
        const s = m - 1 - q;
        if (s < this.shift[key]!) this.shift[key] = s;
      }
      const last = blockKey(k.charCodeAt(m - 2), k.charCodeAt(m - 1));
      if (this.bucketOf[last] === 0) this.bucketOf[last] = this.buckets.push([]);
      this.buckets[this.bucketOf[last]! - 1]!.push(e);
    }
  }

  /**
   * The signatures owning a keyword found in `text`, ascending, each once. The array is reused by
   * the next call: read it before calling again.
   */
  ownersIn(text: string): readonly number[] {
    const found = this.found;
    found.length = 0;
    if (++this.call === 0xffffffff) {
      this.listedAt.fill(0);
      this.call = 1;
    }
    const { shift, bucketOf, buckets, m } = this;
    const n = text.length;
    if (this.buckets.length > 0) {
      let i = m - 1; // the last character of the window under test
      while (i < n) {
        const key = blockKey(text.charCodeAt(i - 1), text.charCodeAt(i));
        const s = shift[key]!;
        if (s !== 0) {
          i += s;
          continue;
        }
        const list = buckets[bucketOf[key]! - 1]!;
        const start = i - m + 1;
        for (let x = 0; x < list.length; x++) {
          const e = list[x]!;
          if (text.startsWith(e.keyword, start)) this.list(e.owners);
        }
        i++;
      }
    }
    for (const e of this.single) if (text.includes(e.keyword)) this.list(e.owners);
    if (found.length > 1) found.sort((a, b) => a - b);
    return found;
  }

  /**
   * ownersIn for a line whose keywords are already known (the scanner found them in the bytes while
   * finding the line): the same answer without reading the text. Keywords no signature lists are
   * ignored. The array may be reused by the next call.
   */
  ownersOf(keywords: readonly string[]): readonly number[] {
    // One keyword (the usual case): its owners, ascending since signatures were added in order.
    if (keywords.length === 1) return this.byKeyword.get(keywords[0]!)?.owners ?? NONE;
    const found = this.found;
    found.length = 0;
    if (++this.call === 0xffffffff) {
      this.listedAt.fill(0);
      this.call = 1;
    }
    for (let k = 0; k < keywords.length; k++) {
      const e = this.byKeyword.get(keywords[k]!);
      if (e) this.list(e.owners);
    }
    if (found.length > 1) found.sort((a, b) => a - b);
    return found;
  }

  private list(owners: readonly number[]): void {
    for (let o = 0; o < owners.length; o++) {
      const sig = owners[o]!;
      if (this.listedAt[sig] === this.call) continue;
      this.listedAt[sig] = this.call;
      this.found.push(sig);
    }
  }
}
