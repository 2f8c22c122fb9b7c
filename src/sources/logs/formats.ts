// The three line formats a container log comes in, detected per line so mixed files work:
// CRI (`<RFC3339 time> <stdout|stderr> <P|F> <message>`, written by containerd and CRI-O under
// /var/log/pods), Docker json-file (`{"log":"...\n","stream":"stderr","time":"..."}`, dockershim-era
// nodes), and plain text (`kubectl logs -p` output, files pasted into tickets).

import type { LogLine } from '../../evidence/types.js';

export type { LogLine };

export function decodeLogLine(bytes: Buffer, source: string, line: number, truncated: boolean): LogLine {
  return decodeLogLineAt(bytes, 0, bytes.length, source, line, truncated);
}

/** Where a decoded line's text starts in the bytes, or -1 when the text is not a slice of them (Docker json-file). */
export interface MessageStart {
  textStart: number;
}

/**
 * decodeLogLine of buf[start, end), without a Buffer view per line: the scanner calls it for every
 * line that holds a keyword, which is every line of some logs. A CRI prefix is ASCII, so it is read
 * from the bytes and only the message is decoded. `at`, when given, is told where the text starts.
 */
export function decodeLogLineAt(
  buf: Buffer,
  start: number,
  end: number,
  source: string,
  line: number,
  truncated: boolean,
  at?: MessageStart,
): LogLine {
  if (at) at.textStart = start;
  if (buf[start] === 0x7b) {
    const raw = buf.toString('utf8', start, end);
    const parsed = raw.includes('"log"') ? parseDockerLine(raw) : undefined;
    if (parsed) {
      if (at) at.textStart = -1;
      return { source, line, truncated, format: 'docker', ...parsed };
    }
    return { source, line, truncated, format: 'plain', text: raw };
  }
  const cri = criPrefix(buf, start, end);
  if (cri === undefined) return { source, line, truncated, format: 'plain', text: utf8(buf, start, end) };
  if (at) at.textStart = cri.textStart;
  // One decode of the whole line, cut in two: the prefix is ASCII, so its byte offsets are character
  // offsets, and the cuts share the line's characters (V8 slices without copying).
  const raw = utf8(buf, start, end);
  return {
    source,
    line,
    truncated,
    format: 'cri',
    time: raw.slice(0, cri.timeEnd - start),
    stream: cri.stream,
    text: raw.slice(cri.textStart - start),
  };
}

/**
 * The method Buffer#toString calls after checking its arguments and looking up the encoding; called
 * directly for the lines of a log (up to half a million a second) that is a tenth of the decoding time.
 * Node has had it on Buffer.prototype since its first versions; the types do not declare it.
 */
interface SliceMethods {
  utf8Slice(start: number, end: number): string;
}

function utf8(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as SliceMethods).utf8Slice(start, end);
}

const criFound = { timeEnd: 0, stream: '', textStart: 0 };

/**
 * Where a CRI line's time ends, its stream, where its message starts; undefined when the line is not
 * CRI. The grammar is `^(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF]) ?`, read
 * from the bytes: all of it is ASCII, which UTF-8 decodes one byte to one character, so byte offsets
 * are character offsets and a non-ASCII byte can never be part of it. The result object is reused:
 * read it before the next call.
 */
function criPrefix(buf: Buffer, start: number, end: number): typeof criFound | undefined {
  // \d{4}-\d\d-\d\dT
  if (end - start < 11) return undefined;
  for (let i = 0; i < 10; i++) {
    const c = buf[start + i]!;
    if (i === 4 || i === 7 ? c !== 0x2d : c < 0x30 || c > 0x39) return undefined;
  }
  if (buf[start + 10] !== 0x54) return undefined;
  // [0-9:.]+ then Z or [+-]\d\d:\d\d (neither Z, + nor - is in the class: no backtracking)
  let p = start + 11;
  while (p < end && isTimeChar(buf[p]!)) p++;
  if (p === start + 11 || p >= end) return undefined;
  const z = buf[p]!;
  if (z === 0x5a) p++;
  else if (
    (z === 0x2b || z === 0x2d) &&
    p + 6 <= end &&
    isDigit(buf[p + 1]!) &&
    isDigit(buf[p + 2]!) &&
    buf[p + 3] === 0x3a &&
    isDigit(buf[p + 4]!) &&
    isDigit(buf[p + 5]!)
  )
    p += 6;
  else return undefined;
  const timeEnd = p;
  // " (stdout|stderr) [PF] ?"
  if (p + 9 > end || buf[p] !== 0x20 || buf[p + 1] !== 0x73 || buf[p + 2] !== 0x74 || buf[p + 7] !== 0x20)
    return undefined;
  let stream: string;
  if (buf[p + 3] === 0x64 && buf[p + 4] === 0x6f && buf[p + 5] === 0x75 && buf[p + 6] === 0x74)
    stream = 'stdout';
  else if (buf[p + 3] === 0x64 && buf[p + 4] === 0x65 && buf[p + 5] === 0x72 && buf[p + 6] === 0x72)
    stream = 'stderr';
  else return undefined;
  const pf = buf[p + 8];
  if (pf !== 0x50 && pf !== 0x46) return undefined;
  p += 9;
  if (p < end && buf[p] === 0x20) p++;
  criFound.timeEnd = timeEnd;
  criFound.stream = stream;
  criFound.textStart = p;
  return criFound;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isTimeChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x3a || c === 0x2e;
}

function parseDockerLine(raw: string): { text: string; stream?: string; time?: string } | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    if (typeof o.log !== 'string') return undefined;
    return {
      text: o.log.replace(/\r?\n$/, ''),
      ...(typeof o.stream === 'string' ? { stream: o.stream } : {}),
      ...(typeof o.time === 'string' ? { time: o.time } : {}),
    };
  } catch {
    return undefined; // a truncated or broken JSON line is read as plain text
  }
}
