// The lines of a log stream for the second-pass readers (thread dumps, hs_err files): cut from the
// raw bytes as they come, unwrapped from CRI or Docker framing, a line longer than the cap skipped
// without being kept. Memory is bounded by the cap, never by the size of the log.
import type { Readable } from 'node:stream';
import { decodeLogLine } from '../logs/formats.js';

/** Lines longer than this are not part of a dump or an hs_err file: skipped. */
export const MAX_LINE = 16 * 1024;

export async function forEachLogLine(
  stream: Readable,
  source: string,
  onLine: (text: string, lineNo: number) => void,
): Promise<void> {
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skipping = false;
  let lineNo = 0;
  const emit = (buf: Buffer): void => {
    lineNo++;
    if (skipping) {
      skipping = false;
      return;
    }
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 13) end--;
    onLine(decodeLogLine(buf.subarray(0, end), source, lineNo, false).text, lineNo);
  };
  for await (const raw of stream as AsyncIterable<Buffer | string>) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    let nl = chunk.indexOf(10, start);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      if (carryLen > 0) {
        emit(Buffer.concat([...carry, piece]));
        carry = [];
        carryLen = 0;
      } else emit(piece);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      if (!skipping) {
        carry.push(Buffer.from(chunk.subarray(start)));
        carryLen += chunk.length - start;
      }
      if (carryLen > MAX_LINE * 4) {
        // A line too long to be part of a dump: drop it, and its rest up to the next newline.
        carry = [];
        carryLen = 0;
        skipping = true;
      }
    }
  }
  if (carryLen > 0) emit(Buffer.concat(carry));
}
