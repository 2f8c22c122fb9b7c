// Real limits reached on this machine: a small Go program that starts one OS thread per goroutine
// (runtime.LockOSThread) until the kernel refuses, run inside a real pids cgroup (v1) or as an
// unprivileged UID under a real RLIMIT_NPROC. Its stderr is the genuine Go crash, and the cgroup
// files are read back exactly as the host reader reads them. Needs root, Go and the v1 pids
// hierarchy at /sys/fs/cgroup/pids; tests skip (and say why) where that is missing.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PROGRAM = `package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// threads N: starts N goroutines that each keep an OS thread for themselves, then exits 0.
// alloc M: allocates and touches M MiB, one MiB at a time, then exits 0.
func main() {
	n, _ := strconv.Atoi(os.Args[2])
	// files N / inotify N: opens /dev/null (or inotify instances) until the kernel refuses or N are
	// open, prints the error as Go programs do, then holds them 5 s so the test can count them.
	if os.Args[1] == "files" || os.Args[1] == "inotify" {
		var held []int
		for i := 0; i < n; i++ {
			var fd int
			var err error
			if os.Args[1] == "files" {
				var f *os.File
				f, err = os.Open("/dev/null")
				if err == nil {
					fd = int(f.Fd())
					defer f.Close()
				}
			} else {
				fd, err = syscall.InotifyInit1(0)
				if err != nil {
					err = os.NewSyscallError("inotify_init1", err)
				}
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "ready %d\\n%v\\n", len(held), err)
				time.Sleep(5 * time.Second)
				os.Exit(1)
			}
			held = append(held, fd)
		}
		return
	}
	if os.Args[1] == "alloc" {
		var keep [][]byte
		for i := 0; i < n; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			keep = append(keep, b)
		}
		runtime.KeepAlive(keep)
		return
	}
	for i := 0; i < n; i++ {
		go func() {
			runtime.LockOSThread()
			time.Sleep(time.Hour)
		}()
	}
	time.Sleep(2 * time.Second)
}
`;

const PIDS_ROOT = '/sys/fs/cgroup/pids';

export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync(join(PIDS_ROOT, 'cgroup.procs'))) return 'no cgroup v1 pids hierarchy';
  if (spawnSync('go', ['version']).status !== 0) return 'no Go toolchain';
  return undefined;
}

let built: { dir: string; bin: string } | undefined;

/** Builds the lab program once per test file, in a directory every UID can read. */
export function labProgram(): string {
  if (built) return built.bin;
  const dir = mkdtempSync(join(tmpdir(), 'podmortem-lab-'));
  writeFileSync(join(dir, 'main.go'), PROGRAM);
  writeFileSync(join(dir, 'go.mod'), 'module lab\n\ngo 1.19\n');
  const r = spawnSync('go', ['build', '-o', 'podmortem-lab', '.'], {
    cwd: dir,
    env: { ...process.env, CGO_ENABLED: '0' },
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`go build failed: ${r.stderr.toString()}`);
  chmodSync(dir, 0o755);
  built = { dir, bin: join(dir, 'podmortem-lab') };
  return built.bin;
}

export function cleanupLab(): void {
  if (built) rmSync(built.dir, { recursive: true, force: true });
  built = undefined;
}

export interface PidsRun {
  /** The program's stderr lines (the Go crash). */
  log: string[];
  exitCode: number | null;
  /** The cgroup path as /proc/<pid>/cgroup names it. */
  path: string;
  /** The four files as read after the crash. */
  files: { 'pids.max': string; 'pids.current': string; 'pids.peak'?: string; 'pids.events': string };
  /** The kernel's "fork rejected by pids controller in <path>" line, when dmesg shows it. */
  kernelLine?: string;
}

/** Runs the program in a fresh pids cgroup limited to `max` tasks; removes the cgroup afterwards. */
export function runInPidsCgroup(max: number, threads: number): PidsRun {
  const path = `/podmortem-lab-${process.pid}-${Date.now()}`;
  const dir = join(PIDS_ROOT, path);
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, 'pids.max'), String(max));
    const r = spawnSync(
      'sh',
      ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${labProgram()} threads ${threads}`],
      { timeout: 60_000 },
    );
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8').trim();
    const files: PidsRun['files'] = {
      'pids.max': read('pids.max'),
      'pids.current': read('pids.current'),
      'pids.events': read('pids.events'),
    };
    if (existsSync(join(dir, 'pids.peak'))) files['pids.peak'] = read('pids.peak');
    const dmesg = spawnSync('dmesg', [], { maxBuffer: 64 << 20 }).stdout?.toString() ?? '';
    const kernelLine = dmesg
      .split('\n')
      .find((l) => l.includes(`fork rejected by pids controller in ${path}`));
    return {
      log: lines(r.stderr),
      exitCode: r.status,
      path,
      files,
      ...(kernelLine ? { kernelLine: kernelLine.replace(/^\[[^\]]*\]\s*/, '') } : {}),
    };
  } finally {
    rmdirSync(dir);
  }
}

/** Runs the program as `uid` with RLIMIT_NPROC `nproc` (setpriv + prlimit), as a container runtime would. */
export function runAsUidWithNproc(
  uid: number,
  nproc: number,
  threads: number,
): { log: string[]; exitCode: number | null; uidTasksAfter: number } {
  const r = spawnSync(
    'setpriv',
    [
      `--reuid=${uid}`,
      `--regid=${uid}`,
      '--clear-groups',
      'prlimit',
      `--nproc=${nproc}`,
      labProgram(),
      'threads',
      String(threads),
    ],
    { timeout: 60_000 },
  );
  const ps = spawnSync('ps', ['-eLo', 'ruid=']).stdout.toString();
  const uidTasksAfter = ps.split('\n').filter((l) => l.trim() === String(uid)).length;
  return { log: lines(r.stderr), exitCode: r.status, uidTasksAfter };
}

export interface HoldRun {
  /** What the program printed after "ready N": the error line, as a Go program prints it. */
  log: string[];
  /** Descriptors of the process while it held them: all of them, and the anon_inode:inotify ones. */
  fds: number;
  inotifyFds: number;
  /** Its soft "Max open files", read from /proc/<pid>/limits while it ran. */
  nofileSoft: string;
  pid: number;
}

/**
 * Runs the program as `uid` (with RLIMIT_NOFILE `nofile` when given) opening files or inotify instances
 * until refused, and reads its /proc while it holds them.
 */
export async function runHolding(mode: 'files' | 'inotify', uid: number, nofile?: number): Promise<HoldRun> {
  const args = [
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    'prlimit',
    ...(nofile ? [`--nofile=${nofile}`] : []),
    labProgram(),
    mode,
    '100000',
  ];
  const child = spawn('setpriv', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const ready = new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "ready" line from the lab program: ${err}`)), 30_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/ready \d+\n.+\n/.test(err)) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolveReady();
    });
  });
  await ready;
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
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  return {
    log: lines(Buffer.from(err)).filter((l) => !l.startsWith('ready ')),
    fds,
    inotifyFds,
    nofileSoft,
    pid,
  };
}

const MEMORY_ROOT = '/sys/fs/cgroup/memory';

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

/** Runs the program allocating `mib` MiB in a fresh v1 memory cgroup limited to `limitMib`. */
export function runInMemoryCgroup(limitMib: number, mib: number): MemoryRun | undefined {
  if (!existsSync(join(MEMORY_ROOT, 'cgroup.procs'))) return undefined;
  const path = `/podmortem-lab-${process.pid}-${Date.now()}`;
  const dir = join(MEMORY_ROOT, path);
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitMib << 20));
    // No swap to fall back on, so the limit is reached rather than paged out.
    if (existsSync(join(dir, 'memory.swappiness'))) writeFileSync(join(dir, 'memory.swappiness'), '0');
    const r = spawnSync('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${labProgram()} alloc ${mib}`], {
      timeout: 60_000,
    });
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8').trim();
    const files: MemoryRun['files'] = {
      'memory.limit_in_bytes': read('memory.limit_in_bytes'),
      'memory.max_usage_in_bytes': read('memory.max_usage_in_bytes'),
      'memory.failcnt': read('memory.failcnt'),
      'memory.oom_control': read('memory.oom_control'),
    };
    const pid = r.pid;
    const dmesg = spawnSync('dmesg', [], { maxBuffer: 64 << 20 }).stdout?.toString() ?? '';
    const kernelLine = dmesg
      .split('\n')
      .find((l) => l.includes(`Memory cgroup out of memory: Killed process ${pid} `));
    return {
      log: lines(r.stderr),
      signal: r.signal,
      path,
      files,
      ...(kernelLine ? { kernelLine: kernelLine.replace(/^\[[^\]]*\]\s*/, '') } : {}),
    };
  } finally {
    rmdirSync(dir);
  }
}

function lines(b: Buffer | null): string[] {
  return (b?.toString() ?? '').split('\n').filter((l) => l.length > 0);
}
