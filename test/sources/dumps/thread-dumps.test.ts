// The dump reader on a real Go traceback (test/lab/dumplab syscalls 60 under GOTRACEBACK=all, paths
// shortened): the same buckets whatever the framing (plain, CRI, Docker json-file, kubectl
// --timestamps), one bucket for 50,000 goroutines of one stack, and no line too long to survive.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readThreadDumps } from '../../../src/sources/dumps/thread-dumps.js';

const GO = readFileSync(join(import.meta.dirname, 'fixtures/go-syscalls-thread-exhaustion.log'), 'utf8');
const LINES = GO.split('\n');

function frame(lines: string[], how: 'plain' | 'cri' | 'docker' | 'timestamps'): string {
  return lines
    .map((l) =>
      how === 'cri'
        ? `2026-11-30T00:00:53.123456789Z stderr F ${l}`
        : how === 'docker'
          ? JSON.stringify({ log: `${l}\n`, stream: 'stderr', time: '2026-11-30T00:00:53.123456789Z' })
          : how === 'timestamps'
            ? `2026-11-30T00:00:53.123456789Z ${l}`
            : l,
    )
    .join('\n');
}

/** Streams text in small chunks, so lines are cut across chunk boundaries. */
function stream(text: string, chunk = 4093): Readable {
  const buf = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts);
}

describe('readThreadDumps on a real Go thread-exhaustion dump', () => {
  it('buckets the goroutines by state and frame, the thread holders first', async () => {
    const [dump] = await readThreadDumps(stream(GO), 'go.log');
    expect(dump!.runtime).toBe('go');
    expect(dump!.total).toBe(LINES.filter((l) => /^goroutine \d+ \[/.test(l)).length);
    const first = dump!.buckets[0]!;
    expect(first).toMatchObject({
      state: 'syscall',
      name: 'main.blockingRead',
      top: 'syscall.Syscall',
      holds: 'thread',
    });
    expect(first.count).toBe(LINES.filter((l) => l === 'main.blockingRead(0x0?)').length);
    expect(first.first.text).toMatch(/^goroutine \d+ \[syscall\]:$/);
    expect(LINES[first.first.line! - 1]).toBe(first.first.text);
  });

  for (const how of ['cri', 'docker', 'timestamps'] as const) {
    it(`gives the same buckets from ${how} framing`, async () => {
      const plain = await readThreadDumps(stream(GO), 'go.log');
      const framed = await readThreadDumps(stream(frame(LINES, how)), 'go.log');
      const shape = (d: typeof plain) =>
        d.map((x) => ({
          total: x.total,
          buckets: x.buckets.map((b) => [b.count, b.state, b.name, b.top, b.holds]),
        }));
      expect(shape(framed)).toEqual(shape(plain));
    });
  }

  it('counts 50,000 goroutines of one stack in one bucket (memory is per bucket, not per goroutine)', async () => {
    const start = LINES.findIndex((l) => l.startsWith('goroutine ') && l.includes('[syscall]'));
    const end = LINES.indexOf('', start);
    const block = LINES.slice(start, end + 1).join('\n');
    const parts = ['fatal error: thread exhaustion', ''];
    const text = `${parts.join('\n')}\n${`${block}\n`.repeat(50_000)}`;
    const [dump] = await readThreadDumps(stream(text, 1 << 20), 'big.log');
    expect(dump!.total).toBe(50_000);
    expect(dump!.buckets).toHaveLength(1);
    expect(dump!.buckets[0]!.count).toBe(50_000);
  });

  it('skips a 1 MiB line inside the dump without losing the goroutines around it', async () => {
    const at = LINES.findIndex((l) => l.startsWith('goroutine '));
    const text = [...LINES.slice(0, at), 'x'.repeat(1 << 20), '', ...LINES.slice(at)].join('\n');
    const [dump] = await readThreadDumps(stream(text), 'long.log');
    const plain = await readThreadDumps(stream(GO), 'go.log');
    expect(dump!.total).toBe(plain[0]!.total);
  });

  it('reads nothing from a log without a dump', async () => {
    expect(await readThreadDumps(stream('hello\nworld\n'), 'x.log')).toEqual([]);
  });
});
