// The keyword index must pick exactly the signatures whose keywords a line contains (what the
// Recognizer tested one `includes` at a time before): on every real case line of the registry, and
// on lines where keywords overlap, repeat, sit at the edges or share their first two characters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywordIndex } from '../../src/diagnose/keyword-index.js';
import { SIGNATURES } from '../../src/knowledge/signatures/index.js';

const INDEX = new KeywordIndex(SIGNATURES.map((s) => s.keywords));

function naive(text: string): number[] {
  return SIGNATURES.flatMap((s, i) => (s.keywords.some((k) => text.includes(k)) ? [i] : []));
}

describe('KeywordIndex', () => {
  it("lists the owners of every registry case line's keywords, in registry order", () => {
    const lines = SIGNATURES.flatMap((s) => [...s.cases.flatMap((c) => c.log), ...(s.nonMatching ?? [])]);
    expect(lines.length).toBeGreaterThan(100);
    for (const line of lines) expect([...INDEX.ownersIn(line)], line).toEqual(naive(line));
  });

  it('agrees with testing every keyword on lines built from keywords, their pieces and noise', () => {
    const keywords = [...new Set(SIGNATURES.flatMap((s) => s.keywords))];
    const piece = fc.oneof(
      fc.constantFrom(...keywords),
      fc.constantFrom(...keywords).map((k) => k.slice(0, Math.max(1, k.length - 1))),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const line = parts.join('');
        expect([...INDEX.ownersIn(line)]).toEqual(naive(line));
      }),
      { numRuns: 2000 },
    );
  });

  it('keys keywords sharing their first two characters apart, and finds one-character keywords', () => {
    const index = new KeywordIndex([['FATAL'], ['FAILED to'], ['x'], ['FATAL', 'PANIC:']]);
    expect([...index.ownersIn('FAILED to start')]).toEqual([1]);
    expect([...index.ownersIn('FATAL: x')]).toEqual([0, 2, 3]);
    expect([...index.ownersIn('PANIC:')]).toEqual([3]);
    expect([...index.ownersIn('')]).toEqual([]);
  });

  it('gives from the keywords a line holds (what the scanner hands over) the owners its search would find', () => {
    const keywords = [...new Set(SIGNATURES.flatMap((s) => s.keywords))];
    const piece = fc.oneof(fc.constantFrom(...keywords), fc.string({ maxLength: 6 }));
    const check = (line: string): void => {
      expect([...INDEX.ownersOf(keywords.filter((k) => line.includes(k)))], line).toEqual(naive(line));
    };
    for (const s of SIGNATURES) for (const c of s.cases) c.log.forEach(check);
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (parts) => check(parts.join(''))),
      { numRuns: 1000 },
    );
    expect([...INDEX.ownersOf(['not a keyword'])]).toEqual([]);
  });
});
