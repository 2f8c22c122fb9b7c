// The scanner hands each hit line with the keywords its text holds (found in the same pass over the
// bytes that found the line), and the recognizer then skips its own search of the text: so that list
// must be exactly what a search of the decoded text finds, whatever the framing (CRI, plain; Docker
// lines say "unknown"), the chunking, a keyword cut by the CRI prefix, multibyte text or a huge line.
// Lines themselves must be the ones a naive search of the raw bytes finds.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SIGNATURES } from '../../../src/knowledge/signatures/index.js';
import { prefilterFor } from '../../../src/pipeline/prefilter.js';
import { buildPrefilter, scanStream, type LogLine } from '../../../src/sources/logs/scanner.js';
import { cutAt, prng } from './helpers.js';

const CRI_TIME = '2024-05-01T00:00:01.858749080Z';

interface Seen {
  line: LogLine;
  keywords: string[] | undefined;
}

async function scanWith(chunks: Buffer[], keywords: string[]): Promise<Seen[]> {
  const seen: Seen[] = [];
  await scanStream(Readable.from(chunks), 't.log', buildPrefilter(keywords), (line, kw) =>
    seen.push({ line, keywords: kw ? [...kw].sort() : undefined }),
  );
  return seen;
}

function inText(text: string, keywords: string[]): string[] {
  return [...new Set(keywords.filter((k) => text.includes(k)))].sort();
}

describe('the keywords handed with each hit line', () => {
  it('are the keywords its text holds, on lines built from every registry keyword and its pieces', async () => {
    const keywords = [...new Set(SIGNATURES.flatMap((s) => s.keywords))];
    const pieces = [
      ...keywords,
      ...keywords.map((k) => k.slice(1)),
      ...keywords.map((k) => k.slice(0, -1)),
      ' ',
      'é内',
      'ATAL',
      'F',
      '2024-05-01',
    ];
    const rand = prng(7);
    const texts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const parts: string[] = [];
      const n = rand() % 6;
      for (let j = 0; j < n; j++) parts.push(pieces[rand() % pieces.length]!);
      texts.push(parts.join(''));
    }
    const framed = texts.map((t, i) =>
      i % 3 === 0 ? t : `${CRI_TIME} ${i % 2 ? 'stderr' : 'stdout'} F ${t}`,
    );
    const raw = Buffer.from(framed.join('\n') + '\n');
    const rawKeywords = prefilterFor(SIGNATURES).keywords;
    const expectedLines = framed.flatMap((l, i) =>
      rawKeywords.some((k) => Buffer.from(l).includes(k)) ? [i + 1] : [],
    );
    for (const chunks of [[raw], cutAt(raw, [1000, 4096, 70_000, 70_001, raw.length - 3])]) {
      const seen: Seen[] = [];
      await scanStream(Readable.from(chunks), 't.log', prefilterFor(SIGNATURES), (line, kw) =>
        seen.push({ line, keywords: kw ? [...kw].sort() : undefined }),
      );
      expect(seen.map((s) => s.line.line)).toEqual(expectedLines);
      for (const s of seen) {
        expect(s.line.text).toBe(texts[s.line.line - 1]);
        expect(s.keywords, JSON.stringify(s.line.text)).toEqual(inText(s.line.text, keywords));
      }
    }
  });

  it('leave out a keyword that only the CRI prefix holds, or that runs from the prefix into the text', async () => {
    const seen = await scanWith(
      [Buffer.from(`${CRI_TIME} stderr F ENOSPC after a write\n${CRI_TIME} stdout F x stdout F oops\n`)],
      [' ENOSPC', 'stdout F', 'oops'],
    );
    expect(seen.map((s) => [s.line.line, s.line.text, s.keywords])).toEqual([
      [1, 'ENOSPC after a write', []],
      [2, 'x stdout F oops', ['oops', 'stdout F']],
    ]);
  });

  it('are not given for a Docker json-file line (its text is unescaped from the bytes)', async () => {
    const docker = `{"log":"Exception in thread \\"main\\" x\\n","stream":"stderr","time":"${CRI_TIME}"}`;
    const seen = await scanWith(
      [Buffer.from(`${docker}\nException in thread "main" y\n`)],
      ['Exception in thread "main"'],
    );
    expect(seen.map((s) => [s.line.format, s.line.text, s.keywords])).toEqual([
      ['docker', 'Exception in thread "main" x', undefined],
      ['plain', 'Exception in thread "main" y', ['Exception in thread "main"']],
    ]);
  });

  it("are the window's keywords for a line cut to a window, however far apart they sit", async () => {
    const line = `FATAL: ${'x'.repeat(40_000)} panic: now ${'y'.repeat(500)} FATAL: again`;
    const seen = await scanWith([Buffer.from(`ok\n${line}\n`)], ['FATAL', 'panic: ', 'never']);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.line.truncated).toBe(true);
    expect(seen[0]!.keywords).toEqual(inText(seen[0]!.line.text, ['FATAL', 'panic: ', 'never']));
    expect(seen[0]!.keywords).toEqual(['FATAL']);
  });

  it('are those the text holds when a keyword of one byte leaves nothing to skip (then not given)', async () => {
    const seen = await scanWith([Buffer.from('a # b\nFATAL x\n')], ['#', 'FATAL']);
    expect(seen.map((s) => [s.line.line, s.keywords])).toEqual([
      [1, undefined],
      [2, undefined],
    ]);
  });
});

describe('CRI prefixes read from the bytes', () => {
  // What containerd and CRI-O write, and the near misses that must stay plain text.
  const cases: [string, { format: string; time?: string; stream?: string; text: string }][] = [
    [`${CRI_TIME} stderr F FATAL: a`, { format: 'cri', time: CRI_TIME, stream: 'stderr', text: 'FATAL: a' }],
    [
      '2024-05-01T10:00:00.5+02:00 stdout P FATAL: b',
      { format: 'cri', time: '2024-05-01T10:00:00.5+02:00', stream: 'stdout', text: 'FATAL: b' },
    ],
    ['2024-05-01T10:00:00-05:30 stdout FFATAL: c', { format: 'cri', stream: 'stdout', text: 'FATAL: c' }],
    ['2024-05-01T10:00:00Z stdout F  FATAL: d', { format: 'cri', text: ' FATAL: d' }],
    ['2024-05-01T10:00:00Z stdout F', { format: 'cri', text: '' }],
    [
      '2024-05-01 10:00:00Z stdout F FATAL: e',
      { format: 'plain', text: '2024-05-01 10:00:00Z stdout F FATAL: e' },
    ],
    ['2024-05-01TZ stdout F FATAL: f', { format: 'plain', text: '2024-05-01TZ stdout F FATAL: f' }],
    [
      '2024-05-01T10:00:00+0200 stdout F FATAL: g',
      { format: 'plain', text: '2024-05-01T10:00:00+0200 stdout F FATAL: g' },
    ],
    [
      '2024-05-01T10:00:00Z stdin F FATAL: h',
      { format: 'plain', text: '2024-05-01T10:00:00Z stdin F FATAL: h' },
    ],
    [
      '2024-05-01T10:00:00Z stdout X FATAL: i',
      { format: 'plain', text: '2024-05-01T10:00:00Z stdout X FATAL: i' },
    ],
    [
      '2024-05-01T10:00:00Z  stdout F FATAL: j',
      { format: 'plain', text: '2024-05-01T10:00:00Z  stdout F FATAL: j' },
    ],
    [
      '２024-05-01T10:00:00Z stdout F FATAL: k',
      { format: 'plain', text: '２024-05-01T10:00:00Z stdout F FATAL: k' },
    ],
    ['2024-05-01T10:00:00Z stdout F FATAL: ünïcode', { format: 'cri', text: 'FATAL: ünïcode' }],
  ];
  it('give the same time, stream and text as the CRI grammar, and leave near misses plain', async () => {
    // "stdout F" makes a hit of the line whose message is empty.
    const seen = await scanWith(
      [Buffer.from(cases.map(([l]) => l).join('\n') + '\n')],
      ['FATAL', 'stdout F'],
    );
    expect(seen).toHaveLength(cases.length);
    cases.forEach(([raw, want], i) => expect(seen[i]!.line, raw).toMatchObject(want));
  });
});
