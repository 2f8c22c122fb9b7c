// The dead instance's output, copied at the exit before the kubelet or the runtime removes it: the
// last 4 MiB of its log file (the crash is at the end), cut at a line start, into the agent's state
// folder as <incident id>.log. The folder keeps the newest copies only, so it stays bounded.
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export const LOG_COPY_BYTES = 4 << 20;
/** Copies kept: 4 MiB each at most, 1 GiB in the worst case, far less in practice. */
const MAX_COPIES = 256;

/** Copies the tail of `real` to <dir>/<id>.log; returns the copy's path, or undefined when unreadable. */
export function copyLogTail(real: string, dir: string, id: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(real, 'r');
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - LOG_COPY_BYTES);
    const buf = Buffer.alloc(size - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    let body = buf.subarray(0, got);
    // Cut mid-line at the start: drop the partial first line so every line parses.
    if (start > 0) body = body.subarray(body.indexOf(0x0a) + 1);
    mkdirSync(dir, { recursive: true });
    const out = join(dir, `${id}.log`);
    writeFileSync(out, body);
    prune(dir);
    return out;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function prune(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
  if (files.length <= MAX_COPIES) return;
  const byAge = files.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { f } of byAge.slice(0, files.length - MAX_COPIES)) rmSync(join(dir, f), { force: true });
}
