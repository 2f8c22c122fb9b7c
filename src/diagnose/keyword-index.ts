// Which signatures a line can match, from the keywords it contains. Testing each signature's
// keywords with `includes` costs (signatures × keywords) passes over every candidate line: ~23 MB/s
// on a log where every line has a keyword. Here the line is read once: at each position, the two
// characters there pick the few keywords that start with them (a 65,536-entry table, most entries
// empty), and only those are compared. The owners come back in registry order, deduplicated, so
// hits are listed in the same order as before.

/** Key of a keyword start: two UTF-16 units folded to 16 bits (collisions are resolved by comparing). */
function pairKey(a: number, b: number): number {
  return ((a & 0xff) << 8) | (b & 0xff);
}

interface Entry {
  keyword: string;
  /** Indexes of the signatures that list this keyword. */
  owners: number[];
}

export class KeywordIndex {
  /** Keywords by the key of their first two characters (sparse array: faster than a Map here). */
  private readonly byPair: Entry[][] = [];
  /** Keywords of one character cannot be keyed by a pair: they are looked for with includes. */
  private readonly single: Entry[] = [];
  /** Per signature, the call that last listed it (dedup without clearing a set per line). */
  private readonly listedAt: Uint32Array;
  private call = 0;
  private readonly found: number[] = [];

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
    for (const e of entries.values()) {
      if (e.keyword.length === 1) this.single.push(e);
      else (this.byPair[pairKey(e.keyword.charCodeAt(0), e.keyword.charCodeAt(1))] ??= []).push(e);
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
    const { byPair } = this;
    const n = text.length;
    let next = n > 0 ? text.charCodeAt(0) : 0;
    for (let i = 0; i + 1 < n; i++) {
      const c = next;
      next = text.charCodeAt(i + 1);
      const list = byPair[pairKey(c, next)];
      if (list === undefined) continue;
      for (let x = 0; x < list.length; x++) {
        const e = list[x]!;
        if (text.startsWith(e.keyword, i)) this.list(e.owners);
      }
    }
    for (const e of this.single) if (text.includes(e.keyword)) this.list(e.owners);
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
