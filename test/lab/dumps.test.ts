// Real leaks, real dumps: the dump lab's programs (test/lab/dumplab) leak the way services do until
// a real limit refuses them, and die or are asked for a dump. analyze() must bucket the dump in the
// crash log and name the leak on the cause it used up: HTTP client connections on the open-file
// limit (Go, ulimit -n), goroutines in system calls on the runtime's thread limit (Go), a thread
// pool per task on the task limits (JVM, kill -3 after RLIMIT_NPROC refused a thread), and worker
// threads on the task limits (Python faulthandler after "can't start new thread").
import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CauseAssessment, Incident } from '../../src/evidence/types.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { describeNeeding } from '../prerequisites.js';

const LAB = resolve(import.meta.dirname, 'dumplab');
/** A UID of our own for RLIMIT_NPROC, which counts every task of the UID node-wide: not nobody, which other suites use. */
const UID = 40000 + (process.pid % 20000);

let dir = '';

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((res) =>
    execFile(
      cmd,
      args,
      { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 << 20 },
      (_e, stdout, stderr) => res({ stdout, stderr }),
    ),
  );
}

async function analyzeText(name: string, text: string): Promise<Incident> {
  const file = join(dir, name);
  writeFileSync(file, text);
  const { report } = await analyze({ inputs: [file] });
  expect(report.incidents.length, 'one incident').toBe(1);
  return report.incidents[0]!;
}

function cause(incident: Incident, id: string): CauseAssessment {
  const c = incident.causes.find((k) => k.id === id);
  expect(c, `${id} among ${incident.causes.map((k) => k.id).join(', ')}`).toBeDefined();
  return c!;
}

describeNeeding(
  'lab: dumps of real leaks name the leak',
  ['linux', 'root', 'go', 'java', 'python3', 'setpriv', 'prlimit'],
  () => {
    let dumplab = '';
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'podmortem-dumps-'));
      chmodSync(dir, 0o755);
      dumplab = join(dir, 'dumplab');
      const build = spawnSync('go', ['build', '-o', dumplab, '.'], {
        cwd: LAB,
        env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOPROXY: 'off' },
        encoding: 'utf8',
        timeout: 600_000,
      });
      expect(build.status, build.stderr).toBe(0);
      const javac = spawnSync('javac', ['-d', dir, join(LAB, 'Leak.java')], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(javac.status, javac.stderr).toBe(0);
      chmodSync(join(dir, 'Leak.class'), 0o644);
    }, 900_000);
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('Go: HTTP client connections leaked until ulimit -n refused: the readLoop bucket on rlimit.nofile', async () => {
      const { stderr } = await run('prlimit', ['--nofile=256', dumplab, 'http'], { GOTRACEBACK: 'all' });
      const incident = await analyzeText('http.log', stderr);
      const nofile = cause(incident, 'rlimit.nofile');
      expect(nofile.verdict).toBe('confirmed');
      const reason = nofile.reasons.find((r) => r.includes('net/http.(*persistConn).readLoop'));
      expect(reason, nofile.reasons.join('\n')).toMatch(
        /^The dump shows what holds the descriptors: \d{2,} goroutines \[[a-z ]+\] in net\/http\.\(\*persistConn\)\.readLoop .*a leak of HTTP client connections/,
      );
      expect(nofile.remediation.map((r) => r.summary).join('\n')).toMatch(/Close every response body/);
      expect(
        nofile.evidence.some((e) => /^goroutine \d+ \[/.test(e.text) && e.source.endsWith('http.log')),
      ).toBe(true);
      expect(incident.notes.join('\n')).toMatch(
        /Goroutine dump in .*http\.log: \d+ goroutines; largest buckets: /,
      );
    }, 180_000);

    it('Go: goroutines parked in system calls past debug.SetMaxThreads: the syscall bucket on runtime.max-threads', async () => {
      const { stderr } = await run(dumplab, ['syscalls', '60'], { GOTRACEBACK: 'all' });
      const incident = await analyzeText('syscalls.log', stderr);
      const max = cause(incident, 'runtime.max-threads');
      expect(max.verdict).toBe('confirmed');
      expect(max.reasons.join('\n')).toMatch(
        /holds the threads: \d{2} goroutines \[syscall\] in main\.blockingRead .*each holding an OS thread/,
      );
      // The same dump is no descriptor leak: the open-file causes are not raised by it.
      expect(incident.causes.map((k) => k.id)).not.toContain('rlimit.nofile');
    }, 180_000);

    it('JVM: a thread pool per task until RLIMIT_NPROC refused a thread, then kill -3: the pool bucket on the task limits', async () => {
      const out = join(dir, 'jvm.log');
      const child = spawn(
        'setpriv',
        [
          `--reuid=${UID}`,
          `--regid=${UID}`,
          '--clear-groups',
          'prlimit',
          '--nproc=200',
          'java',
          '-Xss256k',
          '-cp',
          dir,
          'Leak',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let text = '';
      child.stdout.on('data', (b: Buffer) => (text += b.toString()));
      child.stderr.on('data', (b: Buffer) => (text += b.toString()));
      try {
        await waitFor(
          () => text.includes('dumplab: refused after'),
          60_000,
          () => text,
        );
        child.kill('SIGQUIT'); // kill -3: the JVM prints every thread on its stdout
        await waitFor(
          () => text.includes('JNI global refs'),
          30_000,
          () => text,
        );
      } finally {
        child.kill('SIGKILL'); // out of threads, the JVM cannot run its SIGTERM shutdown
      }
      writeFileSync(out, text);
      const incident = await analyzeText('jvm.log', readFileSync(out, 'utf8'));
      expect(incident.signatures.map((s) => s.id)).toEqual(
        expect.arrayContaining(['jvm.native-thread', 'jvm.thread-dump']),
      );
      const nproc = cause(incident, 'rlimit.nproc');
      expect(nproc.reasons.join('\n')).toMatch(
        /\d{2,} threads named pool-N-thread-N \(WAITING \(parking\)\).*each holding an OS thread: thread pools created per task and never shut down/,
      );
      expect(nproc.remediation.map((r) => r.summary).join('\n')).toMatch(/Create the ExecutorService once/);
    }, 180_000);

    it('Python: worker threads until "can\'t start new thread", then faulthandler: the worker bucket on the task limits', async () => {
      const { stderr } = await run('setpriv', [
        `--reuid=${UID}`,
        `--regid=${UID}`,
        '--clear-groups',
        'prlimit',
        '--nproc=60',
        'python3',
        join(LAB, 'leak.py'),
      ]);
      const incident = await analyzeText('python.log', stderr);
      expect(incident.signatures.map((s) => s.id)).toEqual(
        expect.arrayContaining(['python.thread-start', 'python.faulthandler-dump']),
      );
      const pids = cause(incident, 'cgroup.pids');
      expect(pids.reasons.join('\n')).toMatch(
        /holds the threads: \d{2} threads in leak\.py:consume .*each holding an OS thread/,
      );
    }, 180_000);
  },
);

async function waitFor(ok: () => boolean, ms: number, show: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out; output so far:\n${show().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
