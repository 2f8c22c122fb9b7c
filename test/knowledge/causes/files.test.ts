// Descriptor limits: RLIMIT_NOFILE (EMFILE, per process), fs.file-max (ENFILE, node), and the per-UID
// inotify limits whose EMFILE/ENOSPC masquerade as "too many open files" / "no space left on device".
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LimitUsage } from '../../../src/evidence/types.js';
import {
  assess,
  dataHit,
  diagnoseCase,
  fact,
  hasSourcedEvidence,
  node,
  procNumber,
  said,
  usage,
} from './helpers.js';

// corpus containerd-cri-fd-leak-shim-start
const EMFILE =
  'failed to create containerd task: failed to start shim: open /dev/null: too many open files: unknown';
// corpus nvidia-device-plugin-fs-watcher-misleading-fix
const WATCHER =
  'E1117 10:38:08.220642       1 main.go:149] failed to create FS watcher for /var/lib/kubelet/device-plugins/: too many open files';
// .NET's message, as quoted in limits.md §5.2
const DOTNET =
  'System.IO.IOException: The configured user limit (128) on the number of inotify instances has been reached, or the per-process limit on the number of open file descriptors has been reached.';

/** The verdict the arithmetic gives for a usage snapshot (at the limit, >= 90%, < 50%, in between). */
function byRatio(used: number, max: number): string {
  return used >= max - 1
    ? 'confirmed'
    : used / max >= 0.9
      ? 'likely'
      : used / max < 0.5
        ? 'unlikely'
        : 'possible';
}

const emfileHit = dataHit('go.emfile', EMFILE, { errno: 24, errnoName: 'EMFILE' });
const nofileRaise = {
  cause: 'rlimit.nofile',
  weight: 0.8,
  why: 'EMFILE ("too many open files") means the process holds RLIMIT_NOFILE descriptors.',
};

describe('rlimit.nofile', () => {
  it('descriptors at the soft limit: confirmed', () => {
    const a = assess('rlimit.nofile', {
      hits: [emfileHit],
      raise: nofileRaise,
      process: {
        nofileLimit: fact(1024, '/proc/3113/limits', 'Max open files 1024 524288 files'),
        openFiles: usage('crashed', 1024, '/proc/3113/fd', '1024 entries'),
      },
    });
    expect(a.verdict).toBe('confirmed');
    expect(said(a)).toMatch(/1024 descriptors against a soft limit of 1024/);
  });

  it('a 1024 soft limit with EMFILE: likely; a watcher makes it only possible', () => {
    const small = { nofileLimit: fact(1024, '/proc/3113/limits', 'Max open files 1024 524288 files') };
    expect(assess('rlimit.nofile', { hits: [emfileHit], raise: nofileRaise, process: small }).verdict).toBe(
      'likely',
    );
    const w = assess('rlimit.nofile', {
      hits: [dataHit('go.emfile', WATCHER, { errno: 24 })],
      raise: nofileRaise,
      process: small,
    });
    expect(w.verdict).toBe('possible');
    expect(said(w)).toMatch(/max_user_instances/);
  });

  it('ENFILE ("in system") is the node\'s limit, not the process\'s', () => {
    const a = assess('rlimit.nofile', {
      hits: [dataHit('x.enfile', 'accept4: too many open files in system', {})],
      raise: nofileRaise,
    });
    expect(a.verdict).toBe('ruled-out');
  });

  it('this test process, from the real /proc: far below its own limit', () => {
    const row = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]!;
    const open = readdirSync('/proc/self/fd').length;
    const a = assess('rlimit.nofile', {
      hits: [emfileHit],
      raise: nofileRaise,
      process: {
        nofileLimit: fact(
          row === 'unlimited' ? null : Number(row),
          '/proc/self/limits',
          `Max open files ${row}`,
        ),
        openFiles: usage('crashed', open, '/proc/self/fd', `${open} entries`),
      },
    });
    expect(a.verdict).toBe(row === 'unlimited' ? 'ruled-out' : byRatio(open, Number(row)));
    expect(a.evidence.map((e) => e.source)).toContain('/proc/self/limits');
  });
});

describe('fs.file-max', () => {
  const raise = { cause: 'fs.file-max', weight: 0.9, why: 'ENFILE' };
  it('the kernel\'s "VFS: file-max limit N reached" confirms it', () => {
    const n = node({
      kernelLines: [
        {
          kind: 'file-max',
          evidence: { source: '/var/log/messages', line: 5, text: 'VFS: file-max limit 6590400 reached' },
        },
      ],
    });
    const a = assess('fs.file-max', {
      hits: [dataHit('x.enfile', 'too many open files in system', {})],
      raise,
      node: n,
    });
    expect(a.verdict).toBe('confirmed');
    expect(a.evidence).toContainEqual({
      source: '/var/log/messages',
      line: 5,
      text: 'VFS: file-max limit 6590400 reached',
    });
  });

  it("this machine's real file-nr against file-max", () => {
    const max = procNumber('/proc/sys/fs/file-max');
    const used = procNumber('/proc/sys/fs/file-nr');
    const a = assess('fs.file-max', {
      hits: [emfileHit],
      raise,
      node: node({ fileMax: max, filesAllocated: used }),
    });
    expect(a.verdict).toBe(
      max.value >= Number.MAX_SAFE_INTEGER ? 'ruled-out' : byRatio(used.value, max.value + 1),
    );
    expect(hasSourcedEvidence(a)).toBe(true);
  });

  it('EMFILE without node facts: unlikely, fs.file-max answers ENFILE', () => {
    const a = assess('fs.file-max', { hits: [emfileHit], raise });
    expect(a.verdict).toBe('unlikely');
  });
});

describe('inotify.instances and inotify.watches', () => {
  const raise = {
    cause: 'inotify.instances',
    weight: 0.8,
    why: 'inotify_init returns EMFILE at max_user_instances',
  };
  const instances = (used: number, uid = 0): LimitUsage => ({
    id: 'inotify.instances',
    scope: `uid:${uid}`,
    used,
    max: 128,
    ratio: used / 128,
    evidence: [
      { source: '/proc/*/fd', text: `${used} anon_inode:inotify descriptors, effective UID ${uid}` },
    ],
    topConsumers: [{ name: 'confd[4242]', used: used - 8 }],
  });
  const maxInstances = fact(128, '/proc/sys/fs/inotify/max_user_instances', '128', 1);

  it('the UID holds all 128 instances: confirmed, naming the holder', () => {
    const a = assess('inotify.instances', {
      hits: [dataHit('go.emfile', WATCHER, {})],
      raise,
      process: { realUid: fact(0, '--uid', 'uid 0') },
      node: node({ inotifyMaxUserInstances: maxInstances, limits: [instances(128)] }),
    });
    expect(a.verdict).toBe('confirmed');
    expect(said(a)).toMatch(/UID 0 holds 128 of 128/);
    expect(said(a)).toMatch(/confd\[4242\]/);
  });

  it('root is not exempt; with the default 128 and no count, likely', () => {
    const a = assess('inotify.instances', {
      hits: [dataHit('go.emfile', WATCHER, {})],
      raise,
      process: { realUid: fact(0, '--uid', 'uid 0') },
      node: node({ inotifyMaxUserInstances: maxInstances }),
    });
    expect(a.verdict).toBe('likely');
    expect(said(a)).toMatch(/kernel default/);
    expect(a.missing.length).toBeGreaterThan(0);
  });

  it('.NET names the limit in its message', () => {
    const a = assess('inotify.instances', { hits: [dataHit('dotnet.inotify', DOTNET, {})], raise });
    expect(a.verdict).toBe('likely');
    expect(said(a)).toMatch(/inotify instances has been reached/);
  });

  it('a generous max_user_watches makes the watches limit unlikely', () => {
    const a = assess('inotify.watches', {
      hits: [
        dataHit('tail.watch', "tail: cannot watch '/var/log/app.log': No space left on device", {
          errno: 28,
        }),
      ],
      raise: { cause: 'inotify.watches', weight: 0.9, why: 'ENOSPC from inotify_add_watch' },
      node: node({
        inotifyMaxUserWatches: fact(1048576, '/proc/sys/fs/inotify/max_user_watches', '1048576', 1),
      }),
    });
    expect(a.verdict).toBe('unlikely');
    expect(said(a)).toMatch(/1048576/);
  });
});

describe('descriptor causes through the registered signatures (corpus lines)', () => {
  it('containerd shim EMFILE: open() failing with EMFILE is the proof, rlimit.nofile confirmed from the line', () => {
    const a = assess('rlimit.nofile', { lines: [EMFILE] });
    expect(a.verdict).toBe('confirmed');
    expect(a.reasons.join(' ')).toMatch(/open\(\) returns EMFILE only when/);
    expect(a.evidence.some((e) => e.text.includes('open /dev/null: too many open files'))).toBe(true);
  });

  it('a failed FS watcher: inotify.instances is a candidate, root shares the 128 with every root process', () => {
    const a = assess('inotify.instances', {
      lines: [WATCHER],
      process: { realUid: fact(0, '--uid', 'uid 0') },
      node: node({ inotifyMaxUserInstances: fact(128, '/proc/sys/fs/inotify/max_user_instances', '128', 1) }),
    });
    expect(a.verdict).toBe('likely');
    const nofile = assess('rlimit.nofile', { lines: [WATCHER] });
    expect(nofile.verdict).toBe('possible');
  });
});

describe('seccomp.clone3 reads the errno of the same failure on another line', () => {
  it('a JVM whose [os,thread] warning shows EAGAIN: seccomp.clone3 unlikely, not left possible', () => {
    const a = assess('seccomp.clone3', {
      lines: [
        '[0.512s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 1024k, guardsize: 0k, detached.',
        'Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached',
      ],
    });
    expect(a.verdict).toBe('unlikely');
    expect(a.reasons.join(' ')).toMatch(/errno 11 is not EPERM/);
    expect(a.evidence.some((e) => e.text.includes('pthread_create failed (EAGAIN)'))).toBe(true);
  });
});

describe("the restarted twin holds few descriptors: its usage is not the crashed instance's", () => {
  // podmortem lab: Python 3.11 opening /dev/null in a loop under ulimit -n 64 (issue 7's run).
  const PY = "OSError: [Errno 24] Too many open files: '/dev/null'";
  const process = {
    nofileLimit: fact(
      64,
      '/proc/4242/limits',
      'Max open files            64                   64                   files',
    ),
    openFiles: usage('restarted', 3, '/proc/4242/fd', '3 entries'),
  };

  it('Python names the path, so open() failed: rlimit.nofile confirmed and first, inotify.instances below it', () => {
    const ranked = diagnoseCase({ lines: [PY], process });
    expect(ranked[0]!.id).toBe('rlimit.nofile');
    expect(ranked[0]!.verdict).toBe('confirmed');
    const inotify = ranked.findIndex((c) => c.id === 'inotify.instances');
    expect(inotify === -1 || inotify > 0).toBe(true);
    expect(said(ranked[0]!)).toMatch(/restarted instance holds 3 descriptors/);
    expect(said(ranked[0]!)).not.toMatch(/holds 3\/64/);
  });

  it('a bare "too many open files" under nofile=64: the twin\'s 3 descriptors do not make it unlikely', () => {
    const ranked = diagnoseCase({
      lines: ['intel_gpu_plugin fails to start: Failed to serve gpu.intel.com/i915: too many open files'],
      process,
    });
    const nofile = ranked.find((c) => c.id === 'rlimit.nofile')!;
    expect(nofile.verdict).toBe('likely');
    expect(ranked[0]!.id).toBe('rlimit.nofile');
    expect(nofile.missing.join('\n')).toMatch(/just before the next crash/);
  });
});
