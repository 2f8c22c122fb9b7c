// The parallel scan of a large log (src/pipeline/parallel) must give the report the single-threaded
// scan gives, whatever falls at the cuts between ranges: a crash line ending a range or starting one,
// a Go newosproc crash with its goroutine dump cut in two, a JVM stack in CRI framing, a Docker
// json-file line, a CRLF line, a 600 KiB line that swallows several cuts with a keyword across the
// scanner's 1 MiB chunk boundary, the same signature in many ranges (counts, fields, evidence), a last
// line without a newline. Checked twice: in this process, range by range in shuffled order through the
// merge; and through the built CLI with worker threads, JSON report against JSON report. A worker
// thread that cannot start makes the CLI say so in one sentence and scan on one thread, same result.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recognizer } from '../../src/diagnose/recognize.js';
import { SIGNATURES } from '../../src/knowledge/signatures/index.js';
import { RangeMerge } from '../../src/pipeline/parallel/merge.js';
import { scanRange, type RangeResult } from '../../src/pipeline/parallel/scan-range.js';
import { prefilterFor } from '../../src/pipeline/prefilter.js';
import { cutAtLines, everyBytes } from '../../src/sources/logs/parallel/ranges.js';
import { scanStream, SCAN_CHUNK_BYTES } from '../../src/sources/logs/scanner.js';
import { ensureBuilt, podmortem, REPO } from '../cli/helpers.js';

const R = 64 * 1024; // the smallest range the CLI accepts (PODMORTEM_SCAN_RANGE)
const PREFILTER = prefilterFor(SIGNATURES);
const CALICO = readFileSync(join(REPO, 'examples/calico-node-newosproc/calico-node.log'), 'utf8')
  .trimEnd()
  .split('\n');
const CRI = (t: string, msg: string) => `2024-05-01T10:00:${t}.000000000Z stderr F ${msg}`;
const DOCKER = (msg: string) =>
  JSON.stringify({ log: msg + '\n', stream: 'stderr', time: '2024-05-01T10:01:00.000000000Z' });
const JVM = [
  'Exception in thread "main" java.lang.OutOfMemoryError: unable to create new native thread',
  '\tat java.lang.Thread.start0(Native Method)',
  '\tat java.lang.Thread.start(Thread.java:717)',
  '\tat com.example.Pool.grow(Pool.java:42)',
];

const KW = 'fatal error: newosproc';
const LONG_START = SCAN_CHUNK_BYTES - 300 * 1024;
const LONG =
  'x'.repeat(1000) +
  KW +
  'y'.repeat(300 * 1024 - 1000 - KW.length - 10) +
  KW +
  'z'.repeat(300 * 1024 - 2000) +
  JVM[0];

/** A log assembled so that chosen lines sit exactly where the cuts fall. */
class Log {
  private readonly parts: Buffer[] = [];
  size = 0;
  private n = 0;
  add(...lines: string[]): this {
    for (const l of lines) this.push(l + '\n');
    return this;
  }
  push(s: string): void {
    const b = Buffer.from(s);
    this.parts.push(b);
    this.size += b.length;
  }
  /** Filler lines (no keyword) up to exactly `offset` bytes. */
  fillTo(offset: number): this {
    while (offset - this.size > 160)
      this.add(
        `I0501 10:00:00.000000       1 controller.go:${this.n++}] synced endpoints name="web-${this.n}"`,
      );
    const left = offset - this.size;
    if (left < 0) throw new Error(`the log is already past ${offset}`);
    if (left > 0) this.add('.'.repeat(left - 1));
    return this;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function buildLog(): Buffer {
  const log = new Log();
  // Cut 1: the calico-node crash and its goroutine dump, cut in the middle of the dump.
  log.fillTo(R - 700).add(...CALICO);
  // Cut 2: a crash line whose newline is the byte the cut follows: the last line of its range.
  log.fillTo(2 * R - 'fatal error: newosproc'.length).add('fatal error: newosproc');
  // Cut 3: a crash line that is the first line of a range.
  log.fillTo(3 * R + 1).add('runtime: failed to create new OS thread (have 7 already; errno=11)');
  // Cut 4: a JVM crash with its stack, CRI framing (timestamps date the crash), across the cut.
  log.fillTo(4 * R - 150).add(...JVM.map((l, i) => CRI(`0${i}`, l)));
  // Cut 5: a Docker json-file line across the cut.
  log.fillTo(5 * R - 40).add(DOCKER('runtime: failed to create new OS thread (have 12 already; errno=11)'));
  // Cut 6: a CRLF line whose \n is the cut.
  log.fillTo(6 * R - 'fatal error: newosproc\r'.length);
  log.push('fatal error: newosproc\r\n');
  // A 600 KiB line over several cuts, starting 300 KiB before the scanner's 1 MiB chunk boundary (more
  // than the scanner carries whole), with a keyword cut in two by that boundary.
  log.fillTo(LONG_START).add(LONG);
  // The same crash in many ranges: counts add up, the first five lines are kept, first fields win.
  for (let k = 22; k < 32; k++)
    log.fillTo(k * R - 30).add(`runtime: failed to create new OS thread (have ${k} already; errno=11)`);
  log.fillTo(33 * R).add(CRI('59', 'fatal error: newosproc'), 'runtime stack:');
  log.push('fatal error: newosproc'); // no newline at the end
  return log.bytes();
}

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pm-parallel-'));
  file = join(dir, 'crash.log');
  writeFileSync(file, buildLog());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What diagnoseContainer takes from a scan: the hits, the subject, the times and the stats. */
async function single(path: string) {
  const rec = new Recognizer(SIGNATURES);
  const stats = await scanStream(
    createReadStream(path, { highWaterMark: SCAN_CHUNK_BYTES }),
    path,
    PREFILTER,
    (l) => rec.add(l),
  );
  return { hits: rec.result(), subject: rec.subject, first: rec.firstTime, last: rec.lastTime, stats };
}

describe('ranges merged in any order give the single-threaded scan', () => {
  it('cuts fall where the log was built to have them', async () => {
    const size = readFileSync(file).length;
    const cuts = (await cutAtLines(file, size, everyBytes(R), R / 2)).map((r) => r.start);
    expect(cuts).toContain(2 * R + 1); // after the crash line ending range 1
    expect(cuts).toContain(3 * R + 1); // the crash line starting range 3
    expect(cuts).toContain(6 * R + 1); // after the CRLF crash line
    // The 600 KiB line holds no cut: the first cut past its start is just after it.
    expect(cuts.find((c) => c > LONG_START)).toBe(LONG_START + LONG.length + 1);
    // The last range is not a sliver: it holds the tail window the scanner keeps.
    expect(size - cuts.at(-1)!).toBeGreaterThanOrEqual(R / 2);
  });

  for (const range of [R, 100_003, 3 * R + 7, SCAN_CHUNK_BYTES]) {
    it(`ranges of ${range} bytes`, async () => {
      const whole = await single(file);
      const size = readFileSync(file).length;
      const ranges = await cutAtLines(file, size, everyBytes(range), range / 2);
      expect(ranges.length).toBeGreaterThan(1);
      const results: RangeResult[] = [];
      for (const [i, r] of ranges.entries()) results[i] = await scanRange(file, file, r, PREFILTER);
      // Delivered last first, then the rest interleaved: the merge waits for the ranges before.
      const order = [...ranges.keys()].sort((a, b) => (a % 3) - (b % 3) || b - a);
      const merge = new RangeMerge(ranges.length);
      for (const i of order) merge.add(i, results[i]!);
      expect(merge.complete).toBe(true);
      const { stats, part } = merge.result();
      const rec = new Recognizer(SIGNATURES);
      rec.absorb(part, 0);
      expect({
        hits: rec.result(),
        subject: rec.subject,
        first: rec.firstTime,
        last: rec.lastTime,
        stats,
      }).toEqual(whole);
      // And what was found is the crash, not two empty results agreeing.
      const ids = whole.hits.map((h) => h.id);
      expect(ids).toEqual(
        expect.arrayContaining(['go.newosproc', 'go.newosproc-fatal', 'go.goroutine-dump']),
      );
      expect(whole.hits.find((h) => h.id === 'go.newosproc')!.count).toBe(13);
      expect(whole.stats.hugeLines).toBeGreaterThan(0);
    });
  }
});

describe('the CLI with worker threads', () => {
  beforeAll(() => ensureBuilt());
  const PARALLEL = {
    PODMORTEM_SCAN_THREADS: '3',
    PODMORTEM_SCAN_PARALLEL_MIN: '0',
    PODMORTEM_SCAN_RANGE: String(R),
  };

  it('prints the same JSON report as one thread', () => {
    const one = podmortem(['analyze', file, '--format', 'json'], { env: { PODMORTEM_SCAN_THREADS: '1' } });
    const many = podmortem(['analyze', file, '--format', 'json'], { env: PARALLEL });
    expect(many.stderr).toBe(one.stderr);
    expect(many.status).toBe(one.status);
    expect(many.stdout).toBe(one.stdout);
    const report = JSON.parse(many.stdout);
    const newosproc = report.incidents[0].signatures.find((s: { id: string }) => s.id === 'go.newosproc');
    expect(newosproc.count).toBe(13);
    expect(newosproc.evidence.map((e: { line: number }) => e.line)).toEqual([
      lineOf('(have 41 already'),
      lineOf('runtime: failed to create new OS thread (have 7'),
      lineOf('(have 12 already'),
      lineOf('(have 22 already'),
      lineOf('(have 23 already'),
    ]);
  });

  it('a worker thread that cannot start: one sentence, then the same report from one thread', () => {
    // A broken install: the CLI without the worker's entry file (scripts/bundle.mjs emits it).
    const root = join(dir, 'install');
    mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
    for (const f of readdirSync(join(REPO, 'dist', 'cli')))
      if (f.endsWith('.js') && f !== 'scan-worker.js')
        copyFileSync(join(REPO, 'dist', 'cli', f), join(root, 'dist', 'cli', f));
    copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
    const one = podmortem(['analyze', file, '--format', 'json'], { env: { PODMORTEM_SCAN_THREADS: '1' } });
    const run = spawnSync(
      process.execPath,
      [join(root, 'dist', 'cli', 'main.js'), 'analyze', file, '--format', 'json'],
      {
        env: { ...process.env, ...PARALLEL },
        timeout: 120_000,
      },
    );
    const broken = { status: run.status, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
    expect(broken.stderr).toBe(one.stderr);
    expect(broken.status).toBe(one.status);
    const warnings: string[] = JSON.parse(broken.stdout).warnings;
    expect(warnings.filter((w) => w.includes('parallel scan'))).toEqual([
      expect.stringMatching(
        /^\S+crash\.log: the parallel scan failed \(.+\); scanned it again on one thread\.$/,
      ),
    ]);
    expect(JSON.parse(broken.stdout).incidents).toEqual(JSON.parse(one.stdout).incidents);
  });
});

/** 1-based line number of the first line containing text. */
function lineOf(text: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  return lines.findIndex((l) => l.includes(text)) + 1;
}
