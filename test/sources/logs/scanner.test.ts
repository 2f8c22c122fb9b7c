// The scanner as the analyzer uses it: real log bytes in, the crash lines out with their exact line
// numbers, whatever the framing, the chunking, the line lengths or the garbage around them.
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildPrefilter,
  scanStream,
  SCAN_CHUNK_BYTES,
  type LogLine,
} from '../../../src/sources/logs/scanner.js';
import { cutAt, filler, JAVA_OOM, KEYWORDS, NODE_GC_BANNER, prng, scan, SEED } from './helpers.js';

const MiB = 1 << 20;
const CRI_TIME = '2024-01-02T03:04:05.123456789Z';
/** Docker json-file framing as moby writes it: <, > and & escaped as \u003c \u003e \u0026
 * (moby/moby:daemon/logger/jsonfilelog/jsonlog/jsonlogbytes.go, ffjsonWriteJSONBytesAsString). */
function docker(msg: string, stream = 'stderr'): string {
  const log = JSON.stringify(msg + '\n')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
  return `{"log":${log},"stream":"${stream}","time":"${CRI_TIME}"}`;
}
const lines = (...l: string[]): Buffer => Buffer.from(l.join('\n') + '\n');
const brief = (h: LogLine[]) => h.map((l) => ({ line: l.line, text: l.text }));

describe('line formats', () => {
  it('plain kubectl logs output: the calico-node crash at lines 1 and 3', async () => {
    const { hits, stats } = await scan([lines(...SEED, '', 'runtime stack:')]);
    expect(hits.map((h) => [h.line, h.format, h.text])).toEqual([
      [1, 'plain', SEED[0]],
      [3, 'plain', SEED[2]],
    ]);
    expect(stats.lines).toBe(5);
    expect(stats.tail.map((t) => t.text)).toEqual([...SEED, 'runtime stack:']);
  });

  it('CRI lines (containerd, CRI-O): time, stream and message unwrapped', async () => {
    const { hits } = await scan([
      lines(`${CRI_TIME} stderr F ${SEED[0]}`, `${CRI_TIME} stderr P ${JAVA_OOM}`),
    ]);
    expect(hits[0]).toMatchObject({
      line: 1,
      format: 'cri',
      stream: 'stderr',
      time: CRI_TIME,
      text: SEED[0],
    });
    expect(hits[1]).toMatchObject({ line: 2, format: 'cri', text: JAVA_OOM });
  });

  it('Docker json-file lines: escapes undone (quotes, \\u003c, \\u003e), trailing newline dropped', async () => {
    const raw = lines(docker(JAVA_OOM), docker(NODE_GC_BANNER));
    expect(raw.toString()).toContain('\\u003c--- Last few GCs ---\\u003e'); // the bytes really are escaped
    const { hits } = await scan([raw]);
    expect(hits).toHaveLength(2);
    expect(hits[0]).toMatchObject({
      line: 1,
      format: 'docker',
      stream: 'stderr',
      time: CRI_TIME,
      text: JAVA_OOM,
    });
    expect(hits[1]).toMatchObject({ line: 2, format: 'docker', text: NODE_GC_BANNER });
  });

  it('a keyword with characters Docker escapes (quotes, <, &) is found in Docker and plain lines alike', async () => {
    const kw = ['Exception in thread "main"', '<--- Last few GCs'];
    const { hits } = await scan(
      [lines(docker(JAVA_OOM), JAVA_OOM, docker(NODE_GC_BANNER), NODE_GC_BANNER)],
      kw,
    );
    expect(hits.map((h) => [h.line, h.format, h.text])).toEqual([
      [1, 'docker', JAVA_OOM],
      [2, 'plain', JAVA_OOM],
      [3, 'docker', NODE_GC_BANNER],
      [4, 'plain', NODE_GC_BANNER],
    ]);
  });

  it('a mixed file: each line is detected on its own, numbers count every line', async () => {
    const raw = lines(
      ...filler(3),
      `${CRI_TIME} stdout F ${SEED[0]}`,
      ...filler(2, 3),
      docker(JAVA_OOM),
      SEED[2]!,
      ...filler(1, 5),
    );
    const { hits, stats } = await scan([raw]);
    expect(hits.map((h) => [h.line, h.format, h.text])).toEqual([
      [4, 'cri', SEED[0]],
      [7, 'docker', JAVA_OOM],
      [8, 'plain', SEED[2]],
    ]);
    expect(stats.lines).toBe(9);
  });

  it('keywords come from the signatures: the registry prefilter finds the seed crash', async () => {
    const { prefilterFor } = await import('../../../src/pipeline/prefilter.js');
    const { SIGNATURES } = await import('../../../src/knowledge/signatures/index.js');
    const hits: LogLine[] = [];
    const { Readable } = await import('node:stream');
    await scanStream(Readable.from([lines(...filler(2), ...SEED)]), 's', prefilterFor(SIGNATURES), (l) =>
      hits.push(l),
    );
    expect(hits.map((h) => h.line)).toContain(3);
  });
});

describe('line numbers across chunks', () => {
  it('exact at the 1 MiB read edge: lines straddling, starting at and ending at the chunk boundary', async () => {
    expect(SCAN_CHUNK_BYTES).toBe(MiB);
    const parts: string[] = [];
    let size = 0;
    let lineNo = 0;
    const expected: number[] = [];
    const push = (s: string) => {
      parts.push(s + '\n');
      size += Buffer.byteLength(s) + 1;
      lineNo++;
    };
    const fillTo = (offset: number) => {
      let i = 0;
      while (size + 200 < offset) push(filler(1, i++)[0]!);
      push('x'.repeat(offset - size - 1)); // lands exactly on offset
    };
    fillTo(MiB - 10); // the crash line straddles the first edge
    push(SEED[0]!);
    expected.push(lineNo);
    fillTo(2 * MiB); // the crash line starts exactly at the second edge
    push(SEED[2]!);
    expected.push(lineNo);
    fillTo(3 * MiB - JAVA_OOM.length - 1); // ...and this one ends with its newline at the third edge
    push(JAVA_OOM);
    expected.push(lineNo);
    push(filler(1)[0]!);
    const dir = mkdtempSync(join(tmpdir(), 'pm-scan-'));
    const file = join(dir, 'edge.log');
    writeFileSync(file, parts.join(''));
    const hits: LogLine[] = [];
    const stats = await scanStream(
      createReadStream(file, { highWaterMark: SCAN_CHUNK_BYTES }),
      file,
      buildPrefilter(KEYWORDS),
      (l) => hits.push(l),
    );
    expect(brief(hits)).toEqual([
      { line: expected[0], text: SEED[0] },
      { line: expected[1], text: SEED[2] },
      { line: expected[2], text: JAVA_OOM },
    ]);
    expect(stats.lines).toBe(lineNo);
    expect(stats.bytes).toBe(size);
  });

  it('a two-chunk split at every byte of a crash excerpt gives the same hits and count', async () => {
    const raw = lines(filler(1)[0]!, ...SEED, docker(JAVA_OOM), 'done');
    const whole = await scan([raw]);
    expect(brief(whole.hits).map((h) => h.line)).toEqual([2, 4, 5]);
    for (let cut = 1; cut < raw.length; cut++) {
      const r = await scan(cutAt(raw, [cut]));
      expect(brief(r.hits), `cut at ${cut}`).toEqual(brief(whole.hits));
      expect(r.stats.lines).toBe(whole.stats.lines);
    }
  });

  it('random chunkings of a 3 MiB log agree with reading it whole', async () => {
    const body: string[] = [];
    for (let i = 0; i < 30_000; i++) body.push(i % 997 === 0 ? SEED[i % 3]! : filler(1, i)[0]!);
    const raw = lines(...body);
    const whole = await scan([raw]);
    expect(whole.hits.length).toBeGreaterThan(10);
    for (let seed = 1; seed <= 8; seed++) {
      const rand = prng(seed);
      const offsets = Array.from({ length: 40 }, () => rand() % raw.length);
      const r = await scan(cutAt(raw, offsets));
      expect(brief(r.hits), `seed ${seed}`).toEqual(brief(whole.hits));
      expect(r.stats.lines).toBe(30_000);
    }
  });
});

describe('huge lines', () => {
  it('a crash after a 64 MiB line without newline is found at line 2', async () => {
    const block = Buffer.alloc(MiB, 'A');
    async function* source() {
      for (let i = 0; i < 64; i++) yield block;
      yield Buffer.from(`\n${SEED[0]}\n`);
    }
    const { hits, stats } = await scan(source());
    expect(brief(hits)).toEqual([{ line: 2, text: SEED[0] }]);
    expect(hits[0]!.truncated).toBe(false);
    expect(stats.lines).toBe(2);
    expect(stats.bytes).toBe(64 * MiB + SEED[0]!.length + 2);
  });

  it('a keyword cut by a chunk boundary deep inside a huge line is still found, as line 1', async () => {
    const kw = KEYWORDS[0]!;
    const chunk = 64 * 1024;
    // Boundaries early (the carry still grows) and late (the carry was trimmed to an overlap).
    for (const boundary of [2 * chunk, 5 * chunk, 9 * chunk]) {
      for (const into of [1, kw.length >> 1, kw.length - 1]) {
        const start = boundary - into;
        const raw = Buffer.alloc(12 * chunk, 'b');
        raw.write(kw, start);
        raw.write('\nend\n', raw.length - 5);
        const offsets = Array.from({ length: 12 }, (_, i) => i * chunk);
        const { hits, stats } = await scan(cutAt(raw, offsets));
        expect(hits.length, `keyword at ${start}`).toBeGreaterThanOrEqual(1);
        expect(hits.every((h) => h.line === 1 && h.truncated && h.text.includes(kw))).toBe(true);
        expect(stats.lines).toBe(2);
      }
    }
  });

  it('a matched line longer than 16 KiB is reported as a window around the keyword', async () => {
    const huge = 'x'.repeat(100_000) + ' ' + SEED[0] + ' ' + 'y'.repeat(100_000);
    const { hits, stats } = await scan([lines(filler(1)[0]!, huge, SEED[2]!)]);
    expect(hits.map((h) => [h.line, h.truncated])).toEqual([
      [2, true],
      [3, false],
    ]);
    expect(hits[0]!.text).toContain(SEED[0]);
    expect(Buffer.byteLength(hits[0]!.text)).toBeLessThanOrEqual(16 * 1024);
    expect(stats.hugeLines).toBe(1);
  });
});

describe('bad input is normal input', () => {
  it('CRLF line ends: no \\r in the text, lines counted once', async () => {
    const { hits, stats } = await scan([Buffer.from(SEED.join('\r\n') + '\r\n')]);
    expect(brief(hits)).toEqual([
      { line: 1, text: SEED[0] },
      { line: 3, text: SEED[2] },
    ]);
    expect(stats.lines).toBe(3);
    expect(stats.tail.map((t) => t.text)).toEqual(SEED);
  });

  it('invalid UTF-8 becomes U+FFFD, without throwing', async () => {
    const raw = Buffer.concat([
      Buffer.from(`${SEED[2]} `),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('\n'),
    ]);
    const { hits } = await scan([raw]);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.text.startsWith(SEED[2]!)).toBe(true);
    expect(hits[0]!.text).toContain('\uFFFD');
  });

  it('NUL-laden binary garbage is flagged, scanned, and a crash after it still found', async () => {
    const rand = prng(42);
    const garbage = Buffer.alloc(256 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = rand() & 0xff;
    const nl = garbage.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
    const { hits, stats } = await scan([garbage, Buffer.from(`\n${SEED[0]}\n`)]);
    expect(stats.binary).toBe(true);
    expect(brief(hits)).toEqual([{ line: nl + 2, text: SEED[0] }]);
  });

  it('a text log is not flagged as binary', async () => {
    const { stats } = await scan([lines(...filler(50), ...SEED)]);
    expect(stats.binary).toBe(false);
  });

  it('empty input: no lines, no hits, no tail', async () => {
    const { hits, stats } = await scan([]);
    expect(hits).toEqual([]);
    expect(stats).toMatchObject({ bytes: 0, lines: 0, tail: [], binary: false, hugeLines: 0 });
  });

  it('a last line without newline is counted and scanned', async () => {
    const { hits, stats } = await scan([Buffer.from(`${filler(1)[0]}\n${SEED[2]}`)]);
    expect(brief(hits)).toEqual([{ line: 2, text: SEED[2] }]);
    expect(stats.lines).toBe(2);
  });

  it('hostile ANSI escapes are kept in the text as read (the reports neutralize them)', async () => {
    const hostile = `\x1b[31m${SEED[2]}\x1b[0m\x1b]0;pwned\x07\x1b[2J`;
    const { hits } = await scan([lines(hostile)]);
    expect(hits[0]!.text).toBe(hostile);
  });
});

describe('memory', () => {
  it('a 200 MB stream (with a 40 MB line) keeps RSS growth under 100 MB and finds the last crash', async () => {
    // Each chunk is a fresh buffer, as file reads are; the template holds real-looking lines.
    const template = Buffer.from(filler(8000).join('\n') + '\n');
    const perChunk = template.toString().split('\n').length - 1;
    const chunks = Math.ceil((200 * 1000 * 1000) / template.length);
    const base = process.memoryUsage().rss;
    let peak = base;
    async function* source() {
      for (let i = 0; i < chunks; i++) {
        if (i === 10) for (let j = 0; j < 40; j++) yield Buffer.alloc(MiB, 'z'); // one 40 MiB line
        yield Buffer.from(template);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      yield Buffer.from(`${SEED[0]}\n`);
    }
    const { hits, stats } = await scan(source());
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(stats.bytes).toBeGreaterThan(200 * 1000 * 1000);
    // The 40 MiB line joins the first line of the next chunk: one line fewer than chunks × perChunk.
    expect(brief(hits)).toEqual([{ line: chunks * perChunk + 1, text: SEED[0] }]);
    expect((peak - base) / MiB).toBeLessThan(100);
  });
});
