// The Wu-Manber prefilter must find exactly what a naive search finds: the leftmost keyword wholly
// inside the range. Checked against Buffer.indexOf on texts built from keyword fragments (where
// skipping is hardest) and on every kind of keyword set (one byte, shared prefixes, multibyte UTF-8).
import { describe, expect, it } from 'vitest';
import { Prefilter } from '../../../src/sources/logs/prefilter.js';
import { prng } from './helpers.js';

function naive(buf: Buffer, keywords: string[], from: number, to: number): number {
  const view = buf.subarray(0, to);
  let best = -1;
  for (const k of keywords) {
    if (k.length === 0) continue;
    const p = view.indexOf(Buffer.from(k), from);
    if (p !== -1 && (best === -1 || p < best)) best = p;
  }
  return best;
}

const SETS: Record<string, string[]> = {
  'go runtime': [
    'failed to create new OS thread',
    'fatal error: newosproc',
    'fatal error: ',
    'panic: ',
    'goroutine ',
  ],
  'short and shared prefixes': ['EMFILE', 'ENFILE', 'EAGAIN', 'OOMKilled', 'OOM', 'Killed'],
  'one byte': ['#', 'fatal error: '],
  'multibyte UTF-8': ['内存不足', 'Speicher erschöpft', 'fatal error: '],
  'a keyword longer than 255 bytes': ['x'.repeat(300) + 'END', 'fatal error: '],
  empty: [],
};

describe('Prefilter.find', () => {
  for (const [name, keywords] of Object.entries(SETS)) {
    it(`agrees with a naive search: ${name}`, () => {
      const pf = new Prefilter(keywords);
      const rand = prng(name.length);
      const pieces = [
        ...keywords.flatMap((k) => [k, k.slice(0, -1), k.slice(1)]),
        ' ',
        '\n',
        'fatal',
        'E',
        'x'.repeat(40),
      ];
      for (let round = 0; round < 300; round++) {
        const parts: string[] = [];
        for (let i = 0; i < 30; i++) parts.push(pieces[rand() % pieces.length]!);
        const buf = Buffer.from(parts.join(''));
        const from = rand() % (buf.length + 1);
        const to = from + (rand() % (buf.length - from + 1));
        let a = from;
        // Every hit in the range, in order, as the scanner walks them.
        for (;;) {
          const got = pf.find(buf, a, to);
          expect(got, `round ${round}: ${JSON.stringify(buf.toString())} [${a}, ${to})`).toBe(
            naive(buf, keywords, a, to),
          );
          if (got === -1) break;
          a = got + 1;
        }
      }
    });
  }

  it("returns the leftmost start even when a later keyword's window is seen first", () => {
    // Windows are each keyword's rarest bytes: the long keyword's window is its capitals at the end,
    // so the short keyword inside it (starting later) is seen first.
    const pf = new Prefilter(['aaaaaaaaaaaaaaaaaaaaXYZW', 'aaXYZ']);
    const buf = Buffer.from('-- aaaaaaaaaaaaaaaaaaaaXYZW --');
    expect(pf.find(buf, 0, buf.length)).toBe(3);
    expect(pf.find(buf, 4, buf.length)).toBe(3 + 18);
  });

  it('a keyword that runs past the end of the range is not a hit', () => {
    const pf = new Prefilter(['fatal error: newosproc']);
    const buf = Buffer.from('xx fatal error: newosproc\n');
    expect(pf.find(buf, 0, buf.length)).toBe(3);
    expect(pf.find(buf, 0, 20)).toBe(-1);
    expect(pf.find(buf, 4, buf.length)).toBe(-1);
  });

  it('exposes the longest keyword in bytes (the scanner keeps that much overlap)', () => {
    expect(new Prefilter(['panic: ', 'Speicher erschöpft']).longestKeyword).toBe(
      Buffer.byteLength('Speicher erschöpft'),
    );
  });
});
