// The agent's view of the kernel log: /dev/kmsg kept open and read incrementally (each read returns
// only the records written since the last one), so the lines about limits are known with the time
// they were written and an exit can be given the lines of its own window, not the whole ring buffer.
//
// A record's timestamp is microseconds of the kernel's local clock since boot. Turned into wall time
// through CLOCK_MONOTONIC it can drift from the truth by the NTP frequency correction over the
// uptime (tens of seconds after months; `dmesg -T` warns of the same): so a record first seen by a
// read is also clamped between the previous read and this one, which it cannot be outside of. The
// agent reads at every sampling round and at every exit, so a line is dated within a few seconds
// whatever the drift; only the backlog found at start-up relies on the clock alone.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { KernelLine } from '../../evidence/types.js';
import { classifyKernelLine, formatKmsgRecord } from './kernel-log.js';
import type { HostRoot } from './root.js';

/** Lines kept at most, and for at most this long: an exit looks 30 s back. */
const KEEP_LINES = 1000;
const KEEP_MS = 10 * 60_000;
/** Records read per call at most (the first call reads the ring buffer, a few MiB at most). */
const MAX_RECORDS_PER_READ = 200_000;

export class KmsgFollower {
  private fd?: number;
  private lines: KernelLine[] = [];
  private lastReadAt?: number;
  /** Why /dev/kmsg cannot be followed, when it cannot. */
  readonly problem?: string;

  constructor(root: HostRoot) {
    if (!root.isLive() && !root.isSlash) {
      this.problem = `${root.given} is not a live node: no /dev/kmsg to follow.`;
      return;
    }
    const r = root.resolve('/dev/kmsg');
    if (!r.ok) {
      this.problem = `/dev/kmsg: ${r.reason}`;
      return;
    }
    try {
      const fd = openSync(
        r.real,
        constants.O_RDONLY | constants.O_NONBLOCK | (root.isSlash ? 0 : constants.O_NOFOLLOW),
      );
      if (!fstatSync(fd).isCharacterDevice()) {
        closeSync(fd);
        this.problem = '/dev/kmsg is not the kernel ring buffer (not a character device).';
        return;
      }
      this.fd = fd;
    } catch (err) {
      this.problem = `/dev/kmsg cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)}).`;
    }
  }

  get available(): boolean {
    return this.fd !== undefined;
  }

  /** Reads what the kernel wrote since the last call; returns every line kept (oldest first). */
  poll(now = Date.now()): KernelLine[] {
    if (this.fd === undefined) return this.lines;
    const bootWall = now - Number(process.hrtime.bigint() / 1_000_000n);
    const floor = this.lastReadAt ?? -Infinity;
    const buf = Buffer.allocUnsafe(16 * 1024); // one record per read; a record is at most ~8 KiB
    for (let i = 0; i < MAX_RECORDS_PER_READ; i++) {
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') continue; // overwritten before read: the next
        break; // EAGAIN: nothing more for now
      }
      if (n <= 0) break;
      const record = buf.toString('utf8', 0, n);
      const text = formatKmsgRecord(record);
      const line = text !== undefined ? classifyKernelLine(text, '/dev/kmsg') : undefined;
      if (!line) continue;
      const usec = Number(record.slice(0, record.indexOf(';')).split(',')[2]);
      const byClock = Number.isFinite(usec) ? bootWall + usec / 1000 : now;
      line.at = Math.min(now, Math.max(floor, byClock));
      this.lines.push(line);
    }
    this.lastReadAt = now;
    const old = now - KEEP_MS;
    let drop = Math.max(0, this.lines.length - KEEP_LINES);
    while (drop < this.lines.length && this.lines[drop]!.at! < old) drop++;
    if (drop) this.lines = this.lines.slice(drop);
    return this.lines;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
