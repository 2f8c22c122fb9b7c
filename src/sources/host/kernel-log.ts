// Kernel log lines that name a limit: the pids controller's fork rejection, memory-cgroup and global
// OOM kills, and the file-max warning. One reader for a live node and a snapshot alike, in this
// order: /dev/kmsg under the root (a live node; one record per read, non-blocking, format in
// linux:Documentation/ABI/testing/dev-kmsg), the saved logs of a snapshot (dmesg.txt at its top,
// /var/log/dmesg, /var/log/kern.log, /var/log/messages: each read from its tail, the same kernel line
// in two files kept once), then `dmesg` when the root is a live node whose /dev/kmsg was not readable.
// Message texts: linux:kernel/cgroup/pids.c (pids_fork "fork rejected by pids controller in"),
// linux:mm/oom_kill.c ("oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=...,task_memcg=...",
// "Memory cgroup out of memory: Killed process", "Out of memory: Killed process"), linux:mm/memcontrol.c
// on 3.10 ("Task in X killed as a result of limit of Y"), linux:fs/file_table.c ("VFS: file-max limit N
// reached").
import { execFile } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Evidence, KernelLine } from '../../evidence/types.js';
import type { HostRoot } from './root.js';

/** A busy /var/log/messages can be gigabytes; the crash is near the end. */
const TAIL_BYTES = 32 << 20;
/** The ring buffer is a few MiB; stop reading /dev/kmsg or dmesg after this much whatever it says. */
const MAX_KMSG_BYTES = 64 << 20;
/** Kernel lines kept per kind (the most recent). */
const KEEP_PER_KIND = 50;
const SAVED_LOGS = ['/dmesg.txt', '/var/log/dmesg', '/var/log/kern.log', '/var/log/messages'];

const KEYWORDS = [
  'fork rejected by pids controller',
  'out of memory',
  'Out of memory',
  'oom-kill:',
  'killed as a result of limit of',
  'VFS: file-max',
];

const PIDS = /fork rejected by pids controller in (\S{1,4096})/;
const OOM_SUMMARY = /oom-kill:constraint=(CONSTRAINT_[A-Z]{1,16})/;
const OOM_MEMCG = /oom_memcg=([^,\s]{1,4096})/;
const TASK_MEMCG = /task_memcg=([^,\s]{1,4096})/;
const TASK_IN = /Task in (\S{1,4096}) killed as a result of limit of (\S{1,4096})/;
const MEMCG_KILL = /Memory cgroup out of memory: Kill(?:ed)? process \d{1,10}/;
const GLOBAL_KILL = /Out of memory: Kill(?:ed)? process \d{1,10}/;
const FILE_MAX = /VFS: file-max limit \d{1,20} reached/;

/**
 * Classifies one kernel message; undefined when it names no limit. Linear patterns only. A memcg OOM
 * names the limited cgroup (oom_memcg); a global OOM names the victim's cgroup (task_memcg), so a
 * node-wide kill is still matched to the pod it hit.
 */
export function classifyKernelLine(text: string, source: string, line?: number): KernelLine | undefined {
  if (!KEYWORDS.some((k) => text.includes(k))) return undefined;
  const evidence: Evidence = { source, ...(line !== undefined ? { line } : {}), text: text.slice(0, 1024) };
  let m = PIDS.exec(text);
  if (m) return { kind: 'pids-rejected', cgroup: m[1]!, evidence };
  m = OOM_SUMMARY.exec(text);
  if (m) {
    const memcg = m[1] === 'CONSTRAINT_MEMCG';
    const cgroup = (memcg ? OOM_MEMCG.exec(text)?.[1] : undefined) ?? TASK_MEMCG.exec(text)?.[1];
    return { kind: memcg ? 'memcg-oom' : 'global-oom', ...(cgroup ? { cgroup } : {}), evidence };
  }
  m = TASK_IN.exec(text);
  if (m) return { kind: 'memcg-oom', cgroup: m[2]!, evidence };
  if (MEMCG_KILL.test(text)) return { kind: 'memcg-oom', evidence };
  if (GLOBAL_KILL.test(text)) return { kind: 'global-oom', evidence };
  if (FILE_MAX.test(text)) return { kind: 'file-max', evidence };
  return undefined;
}

/** One /dev/kmsg record "prio,seq,usec,flags;message" as dmesg prints it: "[  534.194646] message". */
export function formatKmsgRecord(record: string): string | undefined {
  const semi = record.indexOf(';');
  if (semi < 0) return undefined;
  const usec = Number(record.slice(0, semi).split(',')[2]);
  const msg = record.slice(semi + 1).split('\n')[0] ?? '';
  if (!Number.isFinite(usec)) return msg;
  return `[${(usec / 1e6).toFixed(6).padStart(12)}] ${msg}`;
}

export interface KernelLogRead {
  lines: KernelLine[];
  /** Where the lines came from (/dev/kmsg, saved files, dmesg); undefined when nothing was readable. */
  sources: string[];
}

/** Reads the kernel log under the root; what cannot be read becomes one sentence in root.unreadable. */
export async function readKernelLog(root: HostRoot): Promise<KernelLogRead> {
  const found: KernelLine[] = [];
  const sources: string[] = [];
  const live = root.isLive();
  const kmsg = readKmsg(root);
  if (kmsg !== undefined) {
    sources.push('/dev/kmsg');
    for (const text of kmsg) keep(found, classifyKernelLine(text, '/dev/kmsg'));
  } else {
    for (const path of SAVED_LOGS) {
      const r = root.read(path, { quiet: true, maxBytes: TAIL_BYTES, tail: true });
      if (!r) continue;
      sources.push(path);
      // Line numbers are only true when the whole file was read.
      r.text
        .split('\n')
        .forEach((l, i) => keep(found, classifyKernelLine(l, path, r.truncated ? undefined : i + 1)));
    }
    if (sources.length === 0 && (root.isSlash || live)) {
      // A live root shares this machine's kernel, so dmesg reads the same ring buffer.
      try {
        const text = await runDmesg();
        sources.push('dmesg');
        for (const l of text.split('\n')) keep(found, classifyKernelLine(l, 'dmesg'));
      } catch (err) {
        root.note('dmesg', `dmesg: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}.`);
      }
    }
  }
  if (sources.length === 0)
    root.note(
      'kernel-log',
      live || root.isSlash
        ? 'The kernel log cannot be read on this node (/dev/kmsg and dmesg need root; no /var/log/messages or kern.log): pids rejections and OOM kills were not checked.'
        : 'No kernel log in the snapshot (/var/log/dmesg, /var/log/messages, /var/log/kern.log or dmesg.txt): pids rejections and OOM kills cannot be checked.',
    );
  return { lines: keepRecent(found), sources };
}

function keep(out: KernelLine[], l: KernelLine | undefined): void {
  if (l) out.push(l);
}

/** The ring buffer through /dev/kmsg, as dmesg prints it; undefined when it is not a readable character device. */
function readKmsg(root: HostRoot): string[] | undefined {
  const r = root.resolve('/dev/kmsg');
  if (!r.ok) return undefined;
  let fd: number;
  try {
    fd = openSync(
      r.real,
      constants.O_RDONLY | constants.O_NONBLOCK | (root.isSlash ? 0 : constants.O_NOFOLLOW),
    );
  } catch {
    return undefined;
  }
  const out: string[] = [];
  try {
    if (!fstatSync(fd).isCharacterDevice()) return undefined; // a snapshot's file named kmsg is not the ring buffer
    const buf = Buffer.allocUnsafe(16 * 1024); // one record per read; a record is at most ~8 KiB
    let total = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') continue; // overwritten while reading: take the next
        break; // EAGAIN: the end of the buffer
      }
      if (n <= 0) break;
      total += n;
      const text = formatKmsgRecord(buf.toString('utf8', 0, n));
      if (text !== undefined) out.push(text);
      if (total > MAX_KMSG_BYTES) break;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

function runDmesg(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dmesg', [], { timeout: 10_000, maxBuffer: MAX_KMSG_BYTES, encoding: 'utf8' }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

/**
 * /var/log/messages and kern.log often hold the same kernel lines: each event is kept once, keyed by
 * the message from its keyword on (syslog prefixes and dmesg timestamps differ between files); then
 * only the most recent KEEP_PER_KIND of each kind.
 */
function keepRecent(all: KernelLine[]): KernelLine[] {
  const seen = new Set<string>();
  const lines = all.filter((l) => {
    const t = l.evidence.text;
    const at = Math.min(...KEYWORDS.map((k) => t.indexOf(k)).filter((i) => i >= 0));
    const key = `${l.kind} ${t.slice(Number.isFinite(at) ? at : 0)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const count = new Map<string, number>();
  for (const l of lines) count.set(l.kind, (count.get(l.kind) ?? 0) + 1);
  const skip = new Map([...count].map(([k, n]) => [k, Math.max(0, n - KEEP_PER_KIND)]));
  return lines.filter((l) => {
    const s = skip.get(l.kind)!;
    if (s === 0) return true;
    skip.set(l.kind, s - 1);
    return false;
  });
}

/** The kernel lines about one pod: those whose cgroup path names its UID (dashed, or underscored in systemd slices). */
export function linesForPod(lines: KernelLine[], podUid: string): KernelLine[] {
  const a = podUid;
  const b = podUid.replace(/-/g, '_');
  return lines.filter((l) => l.cgroup !== undefined && (l.cgroup.includes(a) || l.cgroup.includes(b)));
}
