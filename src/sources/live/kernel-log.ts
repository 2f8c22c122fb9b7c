// The kernel log lines that name a limit: pids rejections ("cgroup: fork rejected by pids controller
// in <cgroup>", linux:kernel/cgroup/pids.c, printed once per cgroup), memory cgroup and global OOM
// kills (linux:mm/oom_kill.c: the "oom-kill:constraint=…,oom_memcg=…,task_memcg=…" summary since
// about 4.19, and "Memory cgroup out of memory: Killed process …"), and "VFS: file-max limit N
// reached" (linux:fs/file_table.c). Read from <root>/dev/kmsg (one record per read, non-blocking,
// format in linux:Documentation/ABI/testing/dev-kmsg), a captured text copy under the root
// (var/log/dmesg, var/log/kern.log), or `dmesg` when the root is a live node (this kernel) and /dev/kmsg is not
// readable. Only matching lines are kept, at most MAX_LINES, newest last.
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import type { KernelLine } from '../../evidence/types.js';
import type { HostRoot } from '../host/root.js';

const MAX_LINES = 2000;
/** The kernel ring buffer is at most a few MiB; stop reading after this much whatever it says. */
const MAX_BYTES = 64 << 20;

const PIDS = /fork rejected by pids controller in (\S{1,4096})/;
const OOM_SUMMARY = /oom-kill:constraint=(CONSTRAINT_[A-Z]{1,16})/;
const OOM_MEMCG = /oom_memcg=([^,\s]{0,4096})/;
const TASK_MEMCG = /task_memcg=([^,\s]{0,4096})/;
const MEMCG_KILL = /Memory cgroup out of memory: Kill(?:ed)? process \d{1,10}/;
const GLOBAL_KILL = /Out of memory: Kill(?:ed)? process \d{1,10}/;
const FILE_MAX = /VFS: file-max limit \d{1,20} reached/;
const KEYWORDS = ['fork rejected', 'oom-kill:', 'out of memory', 'Out of memory', 'file-max limit'];

/** Classifies one kernel message; undefined when it names no limit. */
export function classifyKernelLine(text: string, source: string, line?: number): KernelLine | undefined {
  if (!KEYWORDS.some((k) => text.includes(k))) return undefined;
  const evidence = { source, ...(line !== undefined ? { line } : {}), text: text.slice(0, 1024) };
  let m = PIDS.exec(text);
  if (m) return { kind: 'pids-rejected', cgroup: m[1]!, evidence };
  m = OOM_SUMMARY.exec(text);
  if (m) {
    const memcg = OOM_MEMCG.exec(text)?.[1] ?? TASK_MEMCG.exec(text)?.[1];
    const kind = m[1] === 'CONSTRAINT_MEMCG' ? 'oom-kill' : 'global-oom';
    return { kind, ...(memcg ? { cgroup: memcg } : {}), evidence };
  }
  if (MEMCG_KILL.test(text)) return { kind: 'memcg-oom', evidence };
  if (GLOBAL_KILL.test(text)) return { kind: 'global-oom', evidence };
  if (FILE_MAX.test(text)) return { kind: 'file-max', evidence };
  return undefined;
}

export interface KernelLogRead {
  lines: KernelLine[];
  /** Where the lines came from (/dev/kmsg, dmesg, /var/log/kern.log), or undefined when nothing was readable. */
  source?: string;
  problems: string[];
}

/** One /dev/kmsg record "prio,seq,usec,flags;message" as dmesg prints it: "[  534.194646] message". */
export function formatKmsgRecord(record: string): string | undefined {
  const semi = record.indexOf(';');
  if (semi < 0) return undefined;
  const head = record.slice(0, semi).split(',');
  const usec = Number(head[2]);
  const msg = record.slice(semi + 1).split('\n')[0] ?? '';
  if (!Number.isFinite(usec)) return msg;
  const secs = (usec / 1e6).toFixed(6);
  return `[${secs.padStart(12)}] ${msg}`;
}

function keep(out: KernelLine[], l: KernelLine | undefined): void {
  if (!l) return;
  out.push(l);
  if (out.length > MAX_LINES * 2) out.splice(0, out.length - MAX_LINES);
}

/** Reads a kmsg character device until EAGAIN (end of buffer). Throws on open errors. */
function readKmsgDevice(path: string, shown: string): KernelLine[] {
  const out: KernelLine[] = [];
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.allocUnsafe(16 * 1024);
    let total = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // the record was overwritten while we read: take the next one
        if (code === 'EAGAIN') break; // end of the ring buffer
        throw err;
      }
      if (n <= 0) break;
      total += n;
      const text = formatKmsgRecord(buf.toString('utf8', 0, n));
      if (text !== undefined) keep(out, classifyKernelLine(text, shown));
      if (total > MAX_BYTES) break;
    }
  } finally {
    closeSync(fd);
  }
  return out.slice(-MAX_LINES);
}

function fromText(text: string, source: string): KernelLine[] {
  const out: KernelLine[] = [];
  text.split('\n').forEach((l, i) => keep(out, classifyKernelLine(l, source, i + 1)));
  return out.slice(-MAX_LINES);
}

function runDmesg(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dmesg', [], { timeout: 10_000, maxBuffer: MAX_BYTES, encoding: 'utf8' }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

export async function readKernelLog(root: HostRoot): Promise<KernelLogRead> {
  const problems: string[] = [];
  const dev = root.resolve('/dev/kmsg');
  if (dev.ok) {
    try {
      const st = statSync(dev.real);
      if (st.isCharacterDevice())
        return { lines: readKmsgDevice(dev.real, '/dev/kmsg'), source: '/dev/kmsg', problems };
      if (st.isFile()) {
        const r = root.read('/dev/kmsg', { tail: true, maxBytes: 16 << 20 });
        if (r) return { lines: fromText(r.text, '/dev/kmsg'), source: '/dev/kmsg', problems };
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      problems.push(`/dev/kmsg: cannot be read (${code}); trying the other kernel log sources.`);
    }
  }
  // A snapshot may carry the kernel log as text (dmesg > var/log/dmesg, or syslog's kern.log).
  for (const p of ['/var/log/dmesg', '/var/log/kern.log']) {
    const r = root.read(p, { quiet: true, tail: true, maxBytes: 16 << 20 });
    if (r) return { lines: fromText(r.text, p), source: p, problems };
  }
  // A live root (/ or /host) shares this machine's kernel, so dmesg reads the same ring buffer.
  if (root.isSlash || root.isLive()) {
    try {
      return { lines: fromText(await runDmesg(), 'dmesg'), source: 'dmesg', problems };
    } catch (err) {
      problems.push(`dmesg: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}.`);
    }
  }
  problems.push(
    'The kernel log could not be read (/dev/kmsg, /var/log/dmesg, /var/log/kern.log, dmesg): pids rejections and OOM kills are unknown.',
  );
  return { lines: [], problems };
}

/** The kernel lines about one pod: those whose cgroup path names its UID (dashes or, for systemd slices, underscores). */
export function linesForPod(lines: KernelLine[], podUid: string): KernelLine[] {
  const a = podUid;
  const b = podUid.replace(/-/g, '_');
  return lines.filter((l) => l.cgroup !== undefined && (l.cgroup.includes(a) || l.cgroup.includes(b)));
}
