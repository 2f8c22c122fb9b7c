// Real limits reached without a container engine: the lab program run inside a fresh v1 pids or
// memory cgroup, or as an unprivileged UID under a real RLIMIT_NPROC or RLIMIT_NOFILE. Its output
// is the genuine crash, and the cgroup files and /proc are read back as the host reader reads them.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Cgroups, runIn } from './cgroups.js';
import { crashlab } from './crashlab.js';
import { kernelLine } from './kernel.js';
import { asUid } from './uids.js';

function lines(b: Buffer | string | null): string[] {
  return (b?.toString() ?? '').split('\n').filter((l) => l.length > 0);
}

export interface PidsRun {
  /** The program's stderr lines (the Go crash). */
  log: string[];
  exitCode: number | null;
  /** The cgroup path as /proc/<pid>/cgroup names it. */
  path: string;
  /** The files as read after the crash. */
  files: { 'pids.max': string; 'pids.current': string; 'pids.peak'?: string; 'pids.events': string };
  /** The kernel's "fork rejected by pids controller in <path>" line, when dmesg shows it. */
  kernelLine?: string;
}

/** Runs `crashlab threads` in a fresh pids cgroup limited to `max` tasks; removes the cgroup afterwards. */
export async function runInPidsCgroup(max: number): Promise<PidsRun> {
  const path = `/podmortem-lab-${randomUUID()}`;
  const cgroups = new Cgroups();
  const dir = cgroups.make('pids', path, { 'pids.max': max });
  try {
    const r = runIn([dir], [await crashlab(), 'threads']);
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8').trim();
    const files: PidsRun['files'] = {
      'pids.max': read('pids.max'),
      'pids.current': read('pids.current'),
      'pids.events': read('pids.events'),
    };
    if (existsSync(join(dir, 'pids.peak'))) files['pids.peak'] = read('pids.peak');
    const kernel = kernelLine(`fork rejected by pids controller in ${path}`);
    return {
      log: lines(r.stderr),
      exitCode: r.status,
      path,
      files,
      ...(kernel ? { kernelLine: kernel } : {}),
    };
  } finally {
    await cgroups.remove();
  }
}

/** Runs `crashlab threads` as `uid` with RLIMIT_NPROC `nproc`, and counts the UID's tasks after it died. */
export async function runAsUidWithNproc(
  uid: number,
  nproc: number,
): Promise<{ log: string[]; exitCode: number | null; uidTasksAfter: number }> {
  const [cmd, ...args] = asUid(uid, { nproc }, [await crashlab(), 'threads']);
  const r = spawnSync(cmd!, args, { timeout: 60_000 });
  const ps = spawnSync('ps', ['-eLo', 'ruid=']).stdout.toString();
  const uidTasksAfter = ps.split('\n').filter((l) => l.trim() === String(uid)).length;
  return { log: lines(r.stderr), exitCode: r.status, uidTasksAfter };
}

export interface HoldRun {
  /** What the program printed on stderr: the error line, as a Go program prints it. */
  log: string[];
  /** Descriptors of the process while it held them: all of them, and the anon_inode:inotify ones. */
  fds: number;
  inotifyFds: number;
  /** Its soft "Max open files", read from /proc/<pid>/limits while it ran. */
  nofileSoft: string;
  pid: number;
}

/**
 * Runs `crashlab files|inotify` as `uid` (under RLIMIT_NOFILE `nofile` when given) until the kernel
 * refuses, and reads its /proc while it still holds everything (it waits for its stdin to close).
 */
export async function runHolding(mode: 'files' | 'inotify', uid: number, nofile?: number): Promise<HoldRun> {
  const [cmd, ...args] = asUid(uid, nofile !== undefined ? { nofile } : {}, [await crashlab(), mode]);
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  await new Promise<void>((resolveRefused, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "refused" line from the lab program: ${out} ${err}`)),
      30_000,
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/crashlab: refused after \d+/.test(out)) {
        clearTimeout(timer);
        resolveRefused();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`the lab program exited before it was refused: ${out} ${err}`));
    });
  });
  // setpriv and prlimit exec the program, so the child's PID is the program's.
  const pid = child.pid!;
  let fds = 0;
  let inotifyFds = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    fds++;
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') inotifyFds++;
    } catch {
      // closed meanwhile
    }
  }
  const nofileSoft = /^Max open files\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1] ?? '?';
  child.stdin.end(); // lets it exit
  await closed;
  return { log: lines(err), fds, inotifyFds, nofileSoft, pid };
}

export interface MemoryRun {
  log: string[];
  signal: NodeJS.Signals | null;
  path: string;
  files: {
    'memory.limit_in_bytes': string;
    'memory.max_usage_in_bytes': string;
    'memory.failcnt': string;
    'memory.oom_control': string;
  };
  /** The kernel's "Memory cgroup out of memory: Killed process" line for this run, when dmesg shows it. */
  kernelLine?: string;
}

/** Runs `crashlab memory <mib>` in a fresh v1 memory cgroup limited to `limitMib`. */
export async function runInMemoryCgroup(limitMib: number, mib: number): Promise<MemoryRun> {
  const path = `/podmortem-lab-${randomUUID()}`;
  const cgroups = new Cgroups();
  const dir = cgroups.make('memory', path, { 'memory.limit_in_bytes': limitMib << 20 });
  try {
    // No swap to fall back on, so the limit is reached rather than paged out.
    if (existsSync(join(dir, 'memory.swappiness'))) cgroups.make('memory', path, { 'memory.swappiness': 0 });
    const r = runIn([dir], [await crashlab(), 'memory', String(mib)]);
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8').trim();
    const files: MemoryRun['files'] = {
      'memory.limit_in_bytes': read('memory.limit_in_bytes'),
      'memory.max_usage_in_bytes': read('memory.max_usage_in_bytes'),
      'memory.failcnt': read('memory.failcnt'),
      'memory.oom_control': read('memory.oom_control'),
    };
    const kernel = kernelLine(`Memory cgroup out of memory: Killed process ${r.pid} `);
    return { log: lines(r.stderr), signal: r.signal, path, files, ...(kernel ? { kernelLine: kernel } : {}) };
  } finally {
    await cgroups.remove();
  }
}
