// A large log file read as byte ranges that several threads scan at once (src/pipeline/parallel).
// Every range but the last ends just after a newline, so no line is split between two threads and
// the scanner sees in each range exactly the lines it would have seen reading the whole file.
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { SCAN_CHUNK_BYTES } from '../scanner.js';

export interface ByteRange {
  start: number;
  /** Exclusive; undefined for the last range, read to the end of the file as it is then (a log still written to). */
  end?: number;
}

/** Bytes read at a time while looking for the newline that ends a range. */
const PROBE = 64 * 1024;

/** Where the range starting at `start` should end, before that moves on to the end of its line. */
export type NextCut = (start: number, size: number) => number;

/** Cuts at multiples of `bytes` (the tests place lines exactly there). */
export function everyBytes(bytes: number): NextCut {
  return (start) => (Math.floor(start / bytes) + 1) * bytes;
}

/**
 * Guided sizes (C. Polychronopoulos, D. Kuck, "Guided self-scheduling", IEEE Trans. Computers, 1987):
 * each range is 1/parts of what is left, within [min, max]. Large ranges first cost little to hand
 * out; small ones last let the threads finish together whichever was slowed down.
 */
export function guided(parts: number, min: number, max: number): NextCut {
  return (start, size) => start + Math.max(min, Math.min(max, Math.floor((size - start) / parts)));
}

/**
 * Cuts a file of `size` bytes into ranges, each ending just after the first newline at or past where
 * `next` says. A line longer than a range stays whole in one range, so a file with no newline is one
 * range; the last range is at least `minLast` bytes.
 */
export async function cutAtLines(
  path: string,
  size: number,
  next: NextCut,
  minLast: number,
): Promise<ByteRange[]> {
  const fh = await open(path, 'r');
  try {
    const ranges: ByteRange[] = [];
    const probe = Buffer.alloc(PROBE);
    let start = 0;
    for (let nominal = next(0, size); nominal < size; nominal = next(start, size)) {
      const cut = await nextLineStart(fh, nominal, size, probe);
      if (cut === undefined || cut > size - minLast) break;
      ranges.push({ start, end: cut });
      start = cut;
    }
    ranges.push({ start });
    return ranges;
  } finally {
    await fh.close();
  }
}

/** Position just after the first newline at or after `from`, or undefined when none before `size`. */
async function nextLineStart(
  fh: Awaited<ReturnType<typeof open>>,
  from: number,
  size: number,
  probe: Buffer,
): Promise<number | undefined> {
  for (let at = from; at < size; at += PROBE) {
    const { bytesRead } = await fh.read(probe, 0, PROBE, at);
    if (bytesRead === 0) return undefined;
    const nl = probe.subarray(0, bytesRead).indexOf(10);
    if (nl !== -1) return at + nl + 1;
  }
  return undefined;
}

/**
 * Chunk buffers a range reader cycles through. The stream holds one chunk ahead (highWaterMark 1) and
 * reads the next while the scanner works on the current one, and the scanner never keeps a chunk once
 * it has moved on (scanner.ts copies what it carries over): at most 3 are in use. Reused because
 * every thread that drops 1 MiB buffers for the GC holds up to ~50 MiB of them before V8 collects
 * (measured: a worker peaked 48 MiB above its start with fresh buffers, 6 with these).
 */
const RING = 4;
/** Rings of the readers this thread has closed, for the next range it reads. */
const spareRings: Buffer[][] = [];

/**
 * The bytes of one range as a stream of chunks cut where the single-threaded read cuts them (at
 * multiples of the scanner's chunk size): a line longer than the scanner keeps whole is then seen in
 * the same pieces, so its hits are the same. A chunk is valid until the consumer has taken two more
 * (see RING). A range found shorter than planned (the file was truncated or rotated while read) is an
 * error, not a silently shorter scan.
 */
export function readRange(
  path: string,
  range: ByteRange,
  signal?: AbortSignal,
  chunk = SCAN_CHUNK_BYTES,
): Readable {
  // Object mode keeps each chunk as it was read (a byte stream would join them). Aborted, the stream
  // is destroyed and the generator's finally closes the file.
  const ring = spareRings.pop() ?? [];
  const stream = Readable.from(chunks(path, range, chunk, ring), {
    objectMode: true,
    highWaterMark: 1,
    ...(signal ? { signal } : {}),
  });
  // Closed once the consumer has read the end or given up: no chunk of the ring is in use any more.
  stream.once('close', () => spareRings.push(ring));
  return stream;
}

async function* chunks(
  path: string,
  range: ByteRange,
  chunk: number,
  ring: Buffer[],
): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    let at = range.start;
    const end = range.end ?? Infinity;
    for (let n = 0; at < end; n++) {
      const want = Math.min(chunk - (at % chunk), end - at);
      let buf = ring[n % RING];
      if (buf === undefined || buf.length < chunk) buf = ring[n % RING] = Buffer.allocUnsafe(chunk);
      const { bytesRead } = await fh.read(buf, 0, want, at);
      if (bytesRead === 0) {
        if (range.end === undefined) return;
        throw new Error(`the file shrank to ${at} bytes or less while it was read`);
      }
      at += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Size of a regular file, or undefined for anything else (a FIFO, a device). */
export async function fileSize(path: string): Promise<number | undefined> {
  const st = await stat(path);
  return st.isFile() ? st.size : undefined;
}
