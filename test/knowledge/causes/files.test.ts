// Descriptor limits against this machine's real /proc: RLIMIT_NOFILE (EMFILE, per process) and
// fs.file-max (ENFILE, node). The verdict cases with real lines live in each cause's cases.ts
// (src/knowledge/causes/<id>/cases.ts, run by cases.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assess, fact, hasSourcedEvidence, node, procNumber, said, usage } from './helpers.js';

// The line names no call, so the descriptor count decides (intel/intel-device-plugins-for-kubernetes#2075).
const BARE_EMFILE =
  'intel_gpu_plugin fails to start: Failed to serve gpu.intel.com/i915: too many open files';
// nystudio107/craft-scripts#16.
const ENFILE = 'find: fts_read: Too many open files in system';

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

describe('rlimit.nofile', () => {
  it("this test process, from the real /proc, as the crashed instance's last sample: the arithmetic decides", () => {
    const row = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]!;
    const open = readdirSync('/proc/self/fd').length;
    const a = assess('rlimit.nofile', {
      lines: [BARE_EMFILE],
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

  it('the same count read from the restarted twin never argues the crash away', () => {
    const row = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]!;
    const open = readdirSync('/proc/self/fd').length;
    const a = assess('rlimit.nofile', {
      lines: [BARE_EMFILE],
      process: {
        nofileLimit: fact(Number(row), '/proc/self/limits', `Max open files ${row}`),
        openFiles: usage('restarted', open, '/proc/self/fd', `${open} entries`),
      },
    });
    expect(['possible', 'likely']).toContain(a.verdict);
    expect(said(a)).toMatch(new RegExp(`restarted instance holds ${open} descriptors`));
  });
});

describe('fs.file-max', () => {
  it("this machine's real file-nr against file-max", () => {
    const max = procNumber('/proc/sys/fs/file-max');
    const used = procNumber('/proc/sys/fs/file-nr');
    const a = assess('fs.file-max', { lines: [ENFILE], node: node({ fileMax: max, filesAllocated: used }) });
    expect(a.verdict).toBe(
      max.value >= Number.MAX_SAFE_INTEGER ? 'ruled-out' : byRatio(used.value, max.value + 1),
    );
    expect(hasSourcedEvidence(a)).toBe(true);
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
