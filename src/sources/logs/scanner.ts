// Streaming log scanner. Logs can be hundreds of MiB with lines of any length, so we never split the
// whole input into lines: the keyword prefilter (prefilter.ts) runs over the raw bytes of each chunk,
// and only the lines it hits are cut out, unwrapped (CRI, Docker json-file) and decoded as UTF-8.
// Memory stays bounded by the chunk size + MAX_CARRY whatever the input; a crash after a 64 MiB line
// is still found because partial lines are scanned as they grow.
import type { Readable } from 'node:stream';
import { decodeLogLine, decodeLogLineAt, type LogLine, type MessageStart } from './formats.js';
import { Prefilter } from './prefilter.js';

export type { LogLine } from './formats.js';
export { Prefilter } from './prefilter.js';

/** Read size for files (createReadStream's highWaterMark); measured best in bench/README.md. */
const CHUNK = 1 << 20;
/** An unfinished line longer than this is scanned as it is and only its tail is kept. */
const MAX_CARRY = 1 << 18;
/** Bytes of a huge line kept between chunks so a keyword cut in two is still seen. */
const OVERLAP = 1024;
/** A matched line longer than this is reported as a window around the match. */
const MAX_LINE_BYTES = 16 * 1024;
/** Bytes kept from the end of the stream to report the last lines a container printed. */
const TAIL_BYTES = 8 * 1024;
const TAIL_LINES = 20;
const EMPTY = Buffer.alloc(0);

export interface ScanStats {
  bytes: number;
  lines: number;
  /** The last lines of the stream (at most TAIL_LINES), decoded. */
  tail: LogLine[];
  /** True when the start of the input looks like binary data rather than text. */
  binary: boolean;
  /** Lines cut to a window because they were longer than MAX_LINE_BYTES. */
  hugeLines: number;
}

export { CHUNK as SCAN_CHUNK_BYTES };

/**
 * Builds the one-pass prefilter from literal keywords (case-sensitive, compared with the raw UTF-8
 * bytes). The prefilter sees Docker json-file lines before they are unescaped, so a keyword with a
 * character that Docker escapes (quotes, backslash, tab, <, >, &) is also searched in its escaped form.
 */
export function buildPrefilter(keywords: Iterable<string>): Prefilter {
  const given = new Set(keywords);
  const all = new Set<string>();
  for (const k of given) {
    all.add(k);
    all.add(dockerEscaped(k));
  }
  return new Prefilter(all, given);
}

/** A string as Docker's json-file driver writes it inside "log": JSON escapes plus \u003c \u003e \u0026
 * (moby/moby:daemon/logger/jsonfilelog/jsonlog/jsonlogbytes.go). */
function dockerEscaped(k: string): string {
  return JSON.stringify(k)
    .slice(1, -1)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let p = buf.indexOf(10, from);
  while (p !== -1 && p < to) {
    n++;
    p = buf.indexOf(10, p + 1);
  }
  return n;
}

/**
 * Called for every line that contains a prefilter keyword. `keywords`, when given, are the keywords
 * (as given to buildPrefilter) that the line's text holds, each once, found in the same pass over the
 * bytes that found the line, so the receiver need not search the text again; undefined when the
 * scanner could not tell (a Docker json-file line, whose text is unescaped from the bytes). The array
 * is reused by the next call.
 */
export type OnLine = (line: LogLine, keywords?: readonly string[]) => void;

/**
 * Scans a stream, calling onLine for every line that contains a prefilter keyword.
 * Line numbers are 1-based and count every newline of the raw input.
 */
export async function scanStream(
  stream: Readable,
  source: string,
  prefilter: Prefilter,
  onLine: OnLine,
): Promise<ScanStats> {
  // A keyword cut in two between the chunks of a huge line lies wholly inside the overlap kept.
  const overlap = Math.max(OVERLAP, prefilter.longestKeyword);
  let carry: Buffer = EMPTY;
  /** Line number of the first byte of `carry` (or of the next chunk when carry is empty). */
  let lineNo = 1;
  /** Bytes at the start of `carry` already scanned (the overlap kept from a huge line). */
  let scannedPrefix = 0;
  /** `carry` starts in the middle of a huge line (its start was scanned and dropped). */
  let carryContinues = false;
  let bytes = 0;
  let hugeLines = 0;
  let tail: Buffer = Buffer.alloc(0);
  let binary: boolean | undefined;
  let endsWithNewline = true;
  const keywords: string[] = [];
  const message: MessageStart = { textStart: -1 };

  /**
   * Hands over the line buf[lineStart, lineEnd), found by a findAny from `searchedFrom` that hit at
   * `hit` and left `resumeAt`.
   */
  const emit = (
    buf: Buffer,
    lineStart: number,
    lineEnd: number,
    hit: number,
    resumeAt: number,
    searchedFrom: number,
    line: number,
  ): void => {
    let start = lineStart;
    let end = lineEnd;
    let truncated = lineStart === 0 && carryContinues;
    // Keywords before the search's start (a huge line's overlap) were not searched: list from the text's start.
    let listFrom = searchedFrom > lineStart ? -1 : resumeAt;
    if (end - start > MAX_LINE_BYTES) {
      hugeLines++;
      truncated = true;
      // The window is placed around the leftmost keyword, which findAny need not have met first.
      const leftmost = prefilter.find(buf, Math.max(lineStart, searchedFrom), lineEnd);
      start = Math.max(lineStart, (leftmost === -1 ? hit : leftmost) - 2048);
      end = Math.min(lineEnd, start + MAX_LINE_BYTES);
      listFrom = -1;
    }
    if (end > start && buf[end - 1] === 13) end--; // CRLF
    const decoded = decodeLogLineAt(buf, start, end, source, line, truncated || start > lineStart, message);
    if (message.textStart === -1 || !prefilter.canList) {
      onLine(decoded);
      return;
    }
    const n = prefilter.keywordsIn(buf, listFrom, message.textStart, end, keywords);
    if (keywords.length !== n) keywords.length = n;
    onLine(decoded, keywords);
  };

  /** Scans buf[0, end) for keywords starting at or after `from`; returns the newlines in buf[0, end). */
  const scanRegion = (buf: Buffer, end: number, from: number): number => {
    // `counted` is a line start whose line number is `line`: when every line holds a keyword (a
    // server's routine FATALs), the next hit is in the line starting there and one indexOf finds
    // its end; no byte is looked at twice for newlines.
    let counted = 0;
    let line = lineNo;
    let searchedFrom = from;
    let at = prefilter.findAny(buf, from, end);
    while (at !== -1) {
      let lineStart = counted;
      let nl = buf.indexOf(10, counted);
      while (nl !== -1 && nl < at) {
        line++;
        lineStart = nl + 1;
        nl = buf.indexOf(10, lineStart);
      }
      const lineEnd = nl === -1 || nl > end ? end : nl;
      emit(buf, lineStart, lineEnd, at, prefilter.resumeAt, searchedFrom, line);
      if (lineEnd + 1 >= end) {
        counted = lineStart;
        break;
      }
      line++;
      counted = lineEnd + 1;
      searchedFrom = counted;
      at = prefilter.findAny(buf, counted, end);
    }
    return line - lineNo + countNewlines(buf, counted, end);
  };

  for await (const raw of stream as AsyncIterable<Buffer | string>) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    if (chunk.length === 0) continue;
    bytes += chunk.length;
    if (binary === undefined) binary = looksBinary(chunk);
    tail = keepTail(tail, chunk);
    endsWithNewline = chunk[chunk.length - 1] === 10;
    // The chunk is scanned in place; only the line joining the carry to it is copied.
    let body = chunk;
    if (carry.length > 0) {
      const firstNL = chunk.indexOf(10);
      if (firstNL === -1) {
        carry = Buffer.concat([carry, chunk]);
        body = EMPTY;
      } else {
        const head = Buffer.concat([carry, chunk.subarray(0, firstNL + 1)]);
        lineNo += scanRegion(head, head.length, scannedPrefix);
        scannedPrefix = 0;
        carryContinues = false;
        carry = EMPTY;
        body = chunk.subarray(firstNL + 1);
      }
    }
    if (body.length > 0) {
      const lastNL = body.lastIndexOf(10);
      if (lastNL !== -1) lineNo += scanRegion(body, lastNL + 1, 0);
      carry = Buffer.from(body.subarray(lastNL + 1)); // copy: never pin the stream's chunk
    }
    if (carry.length > MAX_CARRY) {
      // One line is growing without end: scan what we have and keep only an overlap.
      scanRegion(carry, carry.length, scannedPrefix);
      carry = Buffer.from(carry.subarray(carry.length - overlap));
      // Only keywords that end past the part already scanned are new.
      scannedPrefix = Math.max(0, overlap - prefilter.longestKeyword + 1);
      carryContinues = true;
    }
  }
  if (carry.length > 0) scanRegion(carry, carry.length, scannedPrefix);

  const newlines = lineNo - 1;
  const lines = bytes === 0 ? 0 : newlines + (endsWithNewline ? 0 : 1);
  return { bytes, lines, tail: decodeTail(tail, source, lines, bytes), binary: binary ?? false, hugeLines };
}

function keepTail(tail: Buffer, chunk: Buffer): Buffer {
  if (chunk.length >= TAIL_BYTES) return Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES));
  const joined = Buffer.concat([tail, chunk]);
  return joined.length > TAIL_BYTES ? Buffer.from(joined.subarray(joined.length - TAIL_BYTES)) : joined;
}

function decodeTail(tail: Buffer, source: string, totalLines: number, totalBytes: number): LogLine[] {
  if (tail.length === 0) return [];
  let body = tail;
  if (totalBytes > tail.length) {
    // The first line of the window is probably cut: drop it.
    const nl = body.indexOf(10);
    body = nl === -1 ? Buffer.alloc(0) : body.subarray(nl + 1);
  }
  const parts: Buffer[] = [];
  let p = 0;
  while (p < body.length) {
    const nl = body.indexOf(10, p);
    const end = nl === -1 ? body.length : nl;
    parts.push(body.subarray(p, end > p && body[end - 1] === 13 ? end - 1 : end));
    p = end + 1;
  }
  const kept = parts.slice(-TAIL_LINES);
  const first = totalLines - kept.length + 1;
  return kept
    .map((b, i) => decodeLogLine(b, source, first + i, false))
    .filter((l) => l.text.trim().length > 0);
}

/** A text log has no NUL bytes and few C0 controls; a core dump or gzip file has many. */
function looksBinary(chunk: Buffer): boolean {
  const n = Math.min(chunk.length, 8192);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = chunk[i]!;
    if (b === 0 || (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 27 && b !== 12)) odd++;
  }
  return odd > n * 0.05;
}
