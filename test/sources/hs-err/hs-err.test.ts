// The hs_err reader on real files (made here with OpenJDK 17 under ulimit -v, a pids cgroup and
// RLIMIT_NPROC; excerpts of public threads, fixtures/README.md) and analyze on them: the verdict and
// the evidence lines a user checks, every hs_err figure marked as the crashed instance's, no secret
// of the command line in the report, and memory bounded whatever the number of threads listed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { CauseAssessment, Incident } from '../../../src/evidence/types.js';
import { analyze } from '../../../src/pipeline/analyze.js';
import { planFix } from '../../../src/pipeline/fix.js';
import { readHsErr } from '../../../src/sources/hs-err/reader.js';

const FIX = join(import.meta.dirname, 'fixtures');
const fixture = (name: string): string => readFileSync(join(FIX, name), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'podmortem-hs-err-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Streams text in small chunks, so lines are cut across chunk boundaries. */
function stream(text: string, chunk = 1021): Readable {
  const buf = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts);
}

async function incidentOf(file: string, uid?: number): Promise<{ incident: Incident; json: string }> {
  const { report } = await analyze({ inputs: [file], ...(uid !== undefined ? { uid } : {}) });
  expect(report.incidents.length, report.warnings.join('\n')).toBe(1);
  return { incident: report.incidents[0]!, json: JSON.stringify(report) };
}

function cause(incident: Incident, id: string): CauseAssessment {
  const c = incident.causes.find((k) => k.id === id);
  expect(c, `${id} among ${incident.causes.map((k) => `${k.id} ${k.verdict}`).join(', ')}`).toBeDefined();
  return c!;
}

describe('hs_err reader', () => {
  it('keeps the failing mmap, the rlimits, Virtual Size, the commit figures and the container section', async () => {
    const [r] = await readHsErr(stream(fixture('jdk17-ulimit-v-metaspace.log')), 'hs.log');
    expect(r!.failure).toMatchObject({
      kind: 'mmap',
      bytes: 67108864,
      purpose: 'Failed to reserve memory for metaspace',
    });
    expect(r!.location?.text).toBe('Out of Memory Error (virtualSpaceNode.cpp:249), pid=12751, tid=12752');
    expect(r!.jvm?.text).toBe('OpenJDK 64-Bit Server VM 17.0.15+6-Debian-1deb12u1');
    expect(r!.rlimits.AS).toEqual({ soft: 900000 * 1024, hard: 900000 * 1024 });
    expect(r!.rlimits.NPROC).toEqual({ soft: 96365, hard: 96365 });
    expect(r!.rlimits.DATA).toEqual({ soft: null, hard: null });
    expect(r!.virtualSize?.value).toBe(859656 * 1024);
    expect(r!.commitLimit?.value).toBe(12342048 * 1024);
    expect(r!.committedAs?.evidence).toMatchObject({ text: 'Committed_AS:   15108184 kB', of: 'crashed' });
    expect(r!.container.memoryLimit?.value).toBeNull();
    expect(r!.container.pidsMax).toBeUndefined(); // "not supported"
    expect(r!.pidMax?.value).toBe(32768);
    expect(r!.threads).toMatchObject({ java: 1, other: 5, complete: true });
    // Runtime flags only: the planted -Dfoo.password=hunter2 and the ErrorFile path are left out.
    expect(r!.flags?.value).toEqual(['-Xmx64m', '-XX:CompressedClassSpaceSize=64m']);
    expect(r!.flags?.evidence.text).toBe(
      'Command Line: -Xmx64m -XX:CompressedClassSpaceSize=64m (2 other arguments left out)',
    );
  });

  it('reads the same from CRI framing and from a paste quoted in a ticket', async () => {
    const lines = fixture('jdk17-pids-max-gc-thread.log').split('\n');
    const cri = lines.map((l) => `2026-11-30T02:55:00.123456789Z stderr F ${l}`).join('\n');
    const quoted = lines.map((l) => `> ${l}`).join('\n');
    for (const text of [cri, quoted]) {
      const [r] = await readHsErr(stream(text), 'x');
      expect(r!.failure?.kind).toBe('gc-thread');
      expect(r!.container.pidsMax?.value).toBe(12);
      expect(r!.container.pidsCurrent?.value).toBe(12);
      expect(r!.threads?.complete).toBe(false); // HotSpot crashed again while listing them
    }
  });

  it('public excerpts: values on the next line (bitnami/containers#63496) and lines ending in "," (31z4/zookeeper-docker#162)', async () => {
    const [b] = await readHsErr(stream(fixture('bitnami-zookeeper-63496.log')), 'b');
    expect(b!.failure?.kind).toBe('gc-thread');
    expect(b!.threadsMax?.value).toBe(513944);
    expect(b!.pidMax?.evidence.text).toBe(
      '/proc/sys/kernel/pid_max (system-wide limit on number of process identifiers): 4194304',
    );
    expect(b!.container.memoryLimit?.value).toBe(8388608 * 1024);
    expect(b!.container.pidsMax?.value).toBeNull();
    const [z] = await readHsErr(stream(fixture('zookeeper-docker-162.log')), 'z');
    expect(z!.rlimits.NPROC).toEqual({ soft: null, hard: null });
    expect(z!.rlimits.NOFILE).toEqual({ soft: 1048576, hard: 1048576 });
    expect(z!.uname?.text).toMatch(/^uname:Linux 5\.10\.16\.3-microsoft-standard-WSL2/);
  });

  it('mprotect of guard pages (dragonwell-project/dragonwell17#200) and the SMR thread count (corretto/corretto-11#308)', async () => {
    const dragonwell = [
      '[4.608s][warning][os,thread] Attempt to protect stack guard pages failed (0x00007fe9227ca000-0x00007fe9227ce000).',
      '#',
      '# A fatal error has been detected by the Java Runtime Environment:',
      '# Native memory allocation (mprotect) failed to protect 16384 bytes. Error detail: memory to guard stack pages',
      '# An error report file with more information is saved as:',
      '# /var/tmp/tone/run/jtreg/jt-work/hotspot_jtreg/runtime/Thread/ThreadCountLimit/hs_err_pid753277.log',
    ].join('\n');
    const [d] = await readHsErr(stream(dragonwell), 'd');
    expect(d!.failure).toMatchObject({
      kind: 'mprotect',
      bytes: 16384,
      purpose: 'memory to guard stack pages',
    });
    expect(d!.savedAs).toBe(
      '/var/tmp/tone/run/jtreg/jt-work/hotspot_jtreg/runtime/Thread/ThreadCountLimit/hs_err_pid753277.log',
    );
    const corretto = [
      '---------------  P R O C E S S  ---------------',
      '',
      'Threads class SMR info:',
      '_java_thread_list=0x00007f90768e66b0, length=32558, elements={',
    ].join('\n');
    const [c] = await readHsErr(stream(corretto), 'c');
    expect(c!.javaThreadList?.value).toBe(32558);
  });

  it('buckets 200,000 listed threads by name pattern, bounded in distinct buckets', async () => {
    const head =
      '#\n# There is insufficient memory for the Java Runtime Environment to continue.\nJava Threads: ( => current thread )\n';
    // Names without digits stay distinct as patterns: 100,000 of them, far past the bucket cap.
    const letters = (n: number): string =>
      n < 26
        ? String.fromCharCode(97 + n)
        : letters(Math.floor(n / 26) - 1) + String.fromCharCode(97 + (n % 26));
    function* gen(): Generator<string> {
      yield head;
      for (let i = 0; i < 200_000; i++)
        yield `  0x00007f63a80${i.toString(16).padStart(5, '0')} JavaThread "${i % 2 ? `pool-${i}-thread-1` : `worker-${letters(i)}`}" [_thread_blocked, id=${i}, stack(0x1,0x2)]\n`;
      yield 'Other Threads:\n  0x00007f63a8038b20 VMThread "VM Thread" [stack: 0x1,0x2] [id=1]\n\nVM state: not at safepoint\nEND.\n';
    }
    const [r] = await readHsErr(Readable.from(gen()), 'big');
    expect(r!.threads?.java).toBe(200_000);
    expect(r!.threads?.other).toBe(1);
    const buckets = r!.threads!.dump.buckets;
    expect(buckets.length).toBeLessThanOrEqual(5000);
    expect(buckets[0]).toMatchObject({ name: 'pool-N-thread-N', state: 'blocked', count: 100_000 });
  });
});

describe('analyze on hs_err files', () => {
  it('ulimit -v: rlimit.as confirmed from its own rlimit line and Virtual Size; memory.node unlikely; no secret printed', async () => {
    const { incident, json } = await incidentOf(join(FIX, 'jdk17-ulimit-v-metaspace.log'));
    const as = cause(incident, 'rlimit.as');
    expect(as.verdict).toBe('confirmed');
    expect(as.summary).toBe(
      'The process reached its RLIMIT_AS 878.9 MiB: 839.5 MiB mapped and 64 MiB more asked for.',
    );
    const texts = as.evidence.map((e) => `${e.of ?? '-'} ${e.text}`);
    expect(texts).toContain('crashed Virtual Size: 859656K (peak: 859656K)');
    expect(texts.some((t) => /^crashed rlimit \(soft\/hard\): .*AS 900000k\/900000k/.test(t))).toBe(true);
    const node = cause(incident, 'memory.node');
    expect(node.verdict).toBe('unlikely');
    expect(node.reasons.join('\n')).toMatch(/Committed_AS 14\.4 GiB of CommitLimit 11\.8 GiB/);
    expect(incident.notes.join('\n')).toMatch(
      /^JVM fatal error log \(hs_err\) at .*jdk17-ulimit-v-metaspace\.log:2 \(OpenJDK 64-Bit Server VM 17\.0\.15\+6-Debian-1deb12u1\): mmap of 67,108,864 bytes failed/m,
    );
    expect(json).not.toContain('hunter2');
    expect(json).not.toContain('password');
  });

  it('pids cgroup: cgroup.pids confirmed from "maximum number of tasks" of the JVM\'s own cgroup', async () => {
    const { incident } = await incidentOf(join(FIX, 'jdk17-pids-max-gc-thread.log'));
    const pids = cause(incident, 'cgroup.pids');
    expect(pids.verdict).toBe('confirmed');
    expect(pids.evidence.map((e) => e.text)).toEqual(
      expect.arrayContaining(['maximum number of tasks: 12', 'current number of tasks: 12']),
    );
    // The thread list was cut short: it is said, not counted as the JVM's threads.
    expect(incident.notes.join('\n')).toMatch(/its thread list was cut short by an error after 1 thread/);
  });

  it('RLIMIT_NPROC and a pool per task: the pool bucket named on rlimit.nproc, its fix first; confirmed with --uid', async () => {
    const file = join(FIX, 'jdk17-nproc-pool-leak.log');
    const { incident } = await incidentOf(file);
    const nproc = cause(incident, 'rlimit.nproc');
    expect(nproc.verdict).toBe('likely');
    expect(nproc.reasons.join('\n')).toMatch(
      /The dump shows what holds the threads: 180 threads named pool-N-thread-N \(blocked\) \(95% of 189\), each holding an OS thread: thread pools created per task and never shut down/,
    );
    expect(nproc.remediation[0]!.summary).toMatch(
      /^Stop the leak \(180 threads named pool-N-thread-N.*Create the ExecutorService once/,
    );
    expect(
      nproc.evidence.some((e) => e.of === 'crashed' && /JavaThread "pool-1-thread-1"/.test(e.text)),
    ).toBe(true);
    const withUid = (await incidentOf(file, 45679)).incident;
    const confirmed = cause(withUid, 'rlimit.nproc');
    expect(confirmed.verdict).toBe('confirmed');
    expect(confirmed.summary).toBe(
      'Real UID 45679 held 189 threads in the crashed process alone, at its RLIMIT_NPROC 200.',
    );
  });

  it('podmortem fix on the hs_err file repeats the leak fix beside the nproc changes it plans', async () => {
    const root = join(dir, 'node');
    mkdirSync(root);
    const { plan, inputErrors } = await planFix({
      inputs: [join(FIX, 'jdk17-nproc-pool-leak.log')],
      root,
    });
    expect(inputErrors).toEqual([]);
    expect(plan.cautions.join('\n')).toMatch(
      /^rlimit\.nproc on .*jdk17-nproc-pool-leak\.log: Stop the leak \(180 threads named pool-N-thread-N \(blocked\)\): Create the ExecutorService once.* Raising the limit only delays the next crash\.$/m,
    );
  });

  it('the hs_err printed to the container log (bitnami/containers#63496): read from the log, no limit confirmed from it', async () => {
    const { incident } = await incidentOf(join(FIX, 'bitnami-zookeeper-63496.log'));
    // "maximum number of tasks: unlimited" of the JVM's own cgroup says nothing of the pod level above it.
    expect(cause(incident, 'cgroup.pids').verdict).not.toMatch(/ruled-out|confirmed/);
    expect(incident.causes.some((c) => c.verdict === 'confirmed')).toBe(false);
    expect(incident.notes.join('\n')).toMatch(
      /container memory limit 8\.0 GiB; container tasks 1 of unlimited/,
    );
  });

  it('an hs_err given with nothing else about the node builds no node limits table', async () => {
    const copy = join(dir, 'hs_err_pid1.log');
    writeFileSync(copy, fixture('jdk17-pids-max-gc-thread.log'));
    const { report } = await analyze({ inputs: [copy] });
    expect(report.node).toBeUndefined();
  });
});
