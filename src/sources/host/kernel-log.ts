// Kernel log lines that name a limit: the pids controller's fork rejection, memory-cgroup and global
// OOM kills, and the file-max warning. Read from a snapshot's saved log (/var/log/dmesg,
// /var/log/messages, /var/log/kern.log, or dmesg.txt at the root of the snapshot), or from /dev/kmsg
// on a live node. Message texts: linux:kernel/cgroup/pids.c (pids_fork "fork rejected by pids
// controller in"), linux:mm/oom_kill.c ("Memory cgroup out of memory", "Out of memory: Kill(ed)
// process", "oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=..."), linux:mm/memcontrol.c on 3.10
// ("Task in X killed as a result of limit of Y"), linux:fs/file_table.c ("VFS: file-max limit N reached").
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { KernelLine } from '../../evidence/types.js';
import type { HostRoot } from './root.js';

/** A busy /var/log/messages can be gigabytes; the crash is near the end. */
const TAIL_BYTES = 32 << 20;
/** Records read from /dev/kmsg at most (the ring buffer holds far fewer). */
const MAX_KMSG_RECORDS = 200_000;
/** Kernel lines kept per kind (the most recent). */
const KEEP_PER_KIND = 50;

const KEYWORDS = [
  'fork rejected by pids controller',
  'out of memory',
  'Out of memory',
  'oom-kill:',
  'killed as a result of limit of',
  'VFS: file-max',
];

/** Classifies one kernel log line; undefined when it is not about a limit. Linear patterns only. */
export function classifyKernelLine(text: string): Omit<KernelLine, 'evidence'> | undefined {
  if (!KEYWORDS.some((k) => text.includes(k))) return undefined;
  let m = /fork rejected by pids controller in (\S{1,4096})/.exec(text);
  if (m) return { kind: 'pids-rejected', cgroup: m[1]! };
  m = /oom-kill:constraint=(CONSTRAINT_[A-Z]{1,16})[^\s]{0,4096}?oom_memcg=([^,\s]{1,4096})/.exec(text);
  if (m) return m[1] === 'CONSTRAINT_MEMCG' ? { kind: 'memcg-oom', cgroup: m[2]! } : { kind: 'global-oom' };
  if (text.includes('oom-kill:constraint=CONSTRAINT_NONE')) return { kind: 'global-oom' };
  m = /Task in (\S{1,4096}) killed as a result of limit of (\S{1,4096})/.exec(text);
  if (m) return { kind: 'memcg-oom', cgroup: m[2]! };
  if (/Memory cgroup out of memory: Kill/.test(text)) return { kind: 'memcg-oom' };
  if (/Out of memory: Kill/.test(text)) return { kind: 'global-oom' };
  if (/VFS: file-max limit \d{1,20} reached/.test(text)) return { kind: 'file-max' };
  return undefined;
}

export function readKernelLog(root: HostRoot, live: boolean): KernelLine[] {
  const found: KernelLine[] = [];
  const lines = live ? readKmsg(root) : undefined;
  if (lines === undefined) readSaved(root, found, live);
  for (const text of lines ?? []) {
    const c = classifyKernelLine(text);
    if (c) found.push({ ...c, evidence: { source: '/dev/kmsg', text: text.slice(0, 1024) } });
  }
  return keepRecent(found);
}

function readSaved(root: HostRoot, found: KernelLine[], live: boolean): void {
  const saved = ['/dmesg.txt', '/var/log/dmesg', '/var/log/kern.log', '/var/log/messages'];
  let any = false;
  {
    for (const path of saved) {
      const r = root.read(path, { quiet: true, maxBytes: TAIL_BYTES, tail: true });
      if (!r) continue;
      any = true;
      // Line numbers are only true when the whole file was read.
      r.text.split('\n').forEach((line, i) => {
        const c = classifyKernelLine(line);
        if (c)
          found.push({
            ...c,
            evidence: { source: path, ...(r.truncated ? {} : { line: i + 1 }), text: line.slice(0, 1024) },
          });
      });
    }
    if (!any) {
      root.note(
        'kernel-log',
        live
          ? 'The kernel log cannot be read on this node (/dev/kmsg needs root; no /var/log/messages or kern.log): pids rejections and OOM kills were not checked.'
          : 'No kernel log in the snapshot (/var/log/dmesg, /var/log/messages, /var/log/kern.log or dmesg.txt): pids rejections and OOM kills cannot be checked.',
      );
    }
  }
}

/** The kernel ring buffer through /dev/kmsg (records "prio,seq,usec,flags;text"), as dmesg prints them. */
function readKmsg(root: HostRoot): string[] | undefined {
  const r = root.resolve('/dev/kmsg');
  if (!r.ok) return undefined;
  let fd: number;
  try {
    fd = openSync(r.real, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isCharacterDevice()) {
      closeSync(fd);
      return undefined;
    }
  } catch {
    return undefined;
  }
  const out: string[] = [];
  const buf = Buffer.alloc(16 * 1024); // one record per read; a record is at most ~8 KiB
  try {
    for (let i = 0; i < MAX_KMSG_RECORDS; i++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // records were overwritten while reading: go on with the next
        break; // EAGAIN: the end of the buffer
      }
      if (n <= 0) break;
      const rec = buf.toString('utf8', 0, n);
      const semi = rec.indexOf(';');
      const head = rec.slice(0, semi).split(',');
      const usec = Number(head[2] ?? 0);
      const msg = rec.slice(semi + 1).split('\n')[0] ?? '';
      out.push(`[${(usec / 1e6).toFixed(6).padStart(12)}] ${msg}`);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

function keepRecent(all: KernelLine[]): KernelLine[] {
  // /var/log/messages and kern.log often hold the same kernel lines: keep each event once, keyed by
  // the message from its keyword on (syslog prefixes and dmesg timestamps differ between files).
  const seen = new Set<string>();
  const lines = all.filter((l) => {
    const t = l.evidence.text;
    const at = Math.min(...KEYWORDS.map((k) => t.indexOf(k)).filter((i) => i >= 0));
    const key = `${l.kind} ${t.slice(Number.isFinite(at) ? at : 0)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const byKind = new Map<string, KernelLine[]>();
  for (const l of lines) {
    const list = byKind.get(l.kind) ?? [];
    list.push(l);
    if (list.length > KEEP_PER_KIND) list.shift();
    byKind.set(l.kind, list);
  }
  return lines.filter((l) => byKind.get(l.kind)!.includes(l));
}
