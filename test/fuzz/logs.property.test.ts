// Properties of the log scanner on hostile input: arbitrary bytes cut into arbitrary chunks (invalid
// UTF-8, NUL, CR, lines of megabytes, Docker and CRI wrappers, keyword-dense lines) never throw, every
// emitted line is bounded, line numbers stay within the input and never go back, and the byte count
// and the tail are exact and bounded.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { buildPrefilter, scanStream, type LogLine } from '../../src/sources/logs/scanner.js';
import { FUZZ } from './settings.js';

const KEYWORDS = ['panic:', 'fatal error', 'errno=', 'OOMKilled', 'Killed process', 'newosproc', 'Exception'];
const prefilter = buildPrefilter(KEYWORDS);

const fragment = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(...KEYWORDS).map((k) => Buffer.from(k)),
  fc.constantFrom('\n', '\r\n', '\r', '\u0000', '\u202e', '\\u0000', '"', '\\').map((s) => Buffer.from(s)),
  fc
    .constantFrom(
      '{"log":"panic: boom\\n","stream":"stderr","time":"2026-11-29T11:47:29Z"}\n',
      '2026-11-29T11:47:29.1Z stderr F fatal error: newosproc\n',
      '2026-11-29T11:47:29.1Z stderr P panic: part',
      '{"log":"\\u003cerrno=11\\u003e',
    )
    .map((s) => Buffer.from(s)),
  // A line far longer than the scanner keeps (16 KiB), with a keyword deep inside it.
  fc
    .nat({ max: 40_000 })
    .map((n) => Buffer.concat([Buffer.alloc(n, 0x61), Buffer.from('errno=11'), Buffer.alloc(n, 0x62)])),
);
const input = fc.array(fragment, { maxLength: 40 }).map((parts) => Buffer.concat(parts));
const cuts = fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 8 });

function chunks(buf: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, buf.length]) {
    out.push(buf.subarray(from, p));
    from = p;
  }
  return out;
}

test('the scanner never throws, and what it emits is bounded and numbered within the input', async () => {
  await fc.assert(
    fc.asyncProperty(input, cuts, async (buf, at) => {
      const lines: LogLine[] = [];
      const stats = await scanStream(Readable.from(chunks(buf, at)), 'fuzz.log', prefilter, (l) =>
        lines.push(l),
      );
      const newlines = buf.filter((b) => b === 10).length;
      expect(stats.bytes).toBe(buf.length);
      expect(stats.tail.length).toBeLessThanOrEqual(20);
      let last = 0;
      for (const l of lines) {
        expect(l.line).toBeGreaterThanOrEqual(Math.max(1, last));
        expect(l.line).toBeLessThanOrEqual(newlines + 1);
        // 16 KiB of raw bytes at most; decoding (escapes, replacement characters) stays within a small factor.
        expect(l.text.length).toBeLessThanOrEqual(64 << 10);
        last = l.line;
      }
      expect(lines.length).toBeLessThanOrEqual(newlines + 1 + Math.ceil(buf.length / 1024));
    }),
    FUZZ,
  );
}, 300_000);
