// Real hs_err files, made now: OpenJDK under a small ulimit -v cannot reserve its class space; in a
// pids cgroup that is nearly full it cannot create a GC thread; as a non-root UID under RLIMIT_NPROC
// it leaks a thread pool per task, then dies with -XX:+CrashOnOutOfMemoryError. analyze() on the
// file HotSpot wrote must confirm the limit that refused it from the file alone and name the leak.
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CauseAssessment, Incident } from '../../src/evidence/types.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { describeNeeding } from '../prerequisites.js';

const LAB = resolve(import.meta.dirname, 'dumplab');
/** A UID of our own for RLIMIT_NPROC (it counts every task of the UID node-wide); not the dump lab's. */
const UID = 40000 + ((process.pid + 7919) % 20000);

let dir = '';

function sh(script: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((res) =>
    execFile('sh', ['-c', script], { timeout: 120_000, maxBuffer: 64 << 20 }, (_e, stdout, stderr) =>
      res({ stdout, stderr }),
    ),
  );
}

/** The one hs_err file HotSpot wrote into `sub`. */
function hsErrIn(sub: string, out: string): string {
  const files = readdirSync(sub).filter((f) => /^hs_err_pid\d+\.log$/.test(f));
  expect(files, `no hs_err file; the JVM said:\n${out.slice(-2000)}`).toHaveLength(1);
  return join(sub, files[0]!);
}

async function incidentOf(file: string, uid?: number): Promise<Incident> {
  const { report } = await analyze({ inputs: [file], ...(uid !== undefined ? { uid } : {}) });
  expect(report.incidents.length, report.warnings.join('\n')).toBe(1);
  return report.incidents[0]!;
}

function cause(incident: Incident, id: string): CauseAssessment {
  const c = incident.causes.find((k) => k.id === id);
  expect(c, `${id} among ${incident.causes.map((k) => `${k.id} ${k.verdict}`).join(', ')}`).toBeDefined();
  return c!;
}

function fresh(name: string): string {
  const sub = join(dir, name);
  mkdirSync(sub);
  chmodSync(sub, 0o777);
  return sub;
}

describeNeeding(
  'lab: real hs_err files name the limit',
  ['linux', 'root', 'java', 'setpriv', 'prlimit'],
  () => {
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'podmortem-hs-err-'));
      chmodSync(dir, 0o755);
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('ulimit -v: the class space reservation fails; rlimit.as confirmed from the rlimit line and Virtual Size', async () => {
      // Between "the VM cannot even start" (no hs_err: "Could not allocate compressed class space"
      // is a plain exit) and "it fits" lies a window of address space, about 900-1,000 MB here, whose
      // edges move with the CPU count (GC threads), the CDS archive and ASLR. Walk it from its middle
      // outwards until HotSpot writes an hs_err file; each try is a fresh JVM (about 0.2 s).
      const tries = [1000000, 950000, 975000, 1025000, 925000, 1050000, 900000, 1075000, 875000, 1100000];
      let file = '';
      let kb = 0;
      let said = '';
      for (const v of tries) {
        const sub = fresh(`as-${v}`);
        const { stdout, stderr } = await sh(
          `ulimit -v ${v}; exec java -XX:ErrorFile=${sub}/hs_err_pid%p.log -Xmx64m -XX:CompressedClassSpaceSize=64m -Dapp.db.password=s3cr3t -version`,
        );
        said += `ulimit -v ${v}: ${(stdout + stderr).slice(0, 300)}\n`;
        if (readdirSync(sub).some((f) => /^hs_err_pid\d+\.log$/.test(f))) {
          file = hsErrIn(sub, stdout + stderr);
          kb = v;
          break;
        }
      }
      expect(file, `no ulimit -v value made HotSpot write an hs_err file:\n${said}`).not.toBe('');
      const incident = await incidentOf(file);
      const as = cause(incident, 'rlimit.as');
      expect(as.verdict).toBe('confirmed');
      expect(as.evidence.some((e) => e.of === 'crashed' && /^Virtual Size: \d+K/.test(e.text))).toBe(true);
      expect(as.evidence.some((e) => e.of === 'crashed' && e.text.includes(` AS ${kb}k/${kb}k `))).toBe(true);
      expect(JSON.stringify(incident)).not.toContain('s3cr3t');
    }, 180_000);

    it('RLIMIT_NPROC: a pool per task, then CrashOnOutOfMemoryError; the pool bucket on rlimit.nproc, confirmed with --uid', async () => {
      const sub = fresh('nproc');
      const classes = fresh('classes');
      const javac = await sh(
        `javac -d ${classes} ${join(LAB, 'PoolsThenCrash.java')} && chmod -R a+rX ${classes}`,
      );
      expect(existsSync(join(classes, 'PoolsThenCrash.class')), javac.stderr).toBe(true);
      const { stdout, stderr } = await sh(
        `exec setpriv --reuid=${UID} --regid=${UID} --clear-groups prlimit --nproc=200 java -Xss256k -Xmx32m -XX:+CrashOnOutOfMemoryError -XX:ErrorFile=${sub}/hs_err_pid%p.log -cp ${classes} PoolsThenCrash`,
      );
      const file = hsErrIn(sub, stdout + stderr);
      const incident = await incidentOf(file, UID);
      const nproc = cause(incident, 'rlimit.nproc');
      expect(nproc.verdict).toBe('confirmed');
      expect(nproc.reasons.join('\n')).toMatch(
        /holds the threads: 1\d\d threads named pool-N-thread-N \(blocked\) .*thread pools created per task and never shut down/,
      );
      expect(nproc.remediation[0]!.summary).toMatch(/^Stop the leak .*Create the ExecutorService once/);
    }, 180_000);
  },
);

describeNeeding(
  'lab: an hs_err file of a JVM in a full pids cgroup',
  ['linux', 'root', 'java', 'cgroup-v1-pids'],
  () => {
    const cg = `/sys/fs/cgroup/pids/podmortem-hs-err-${process.pid}`;
    let sub = '';
    beforeAll(() => {
      sub = mkdtempSync(join(tmpdir(), 'podmortem-hs-err-pids-'));
      mkdirSync(cg);
      writeFileSync(join(cg, 'pids.max'), '12');
    });
    afterAll(() => {
      // The sleeps that filled the cgroup are ours: end them by pid, then remove the cgroup.
      if (existsSync(cg)) {
        for (const pid of readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        for (let i = 0; i < 50 && readFileSync(join(cg, 'cgroup.procs'), 'utf8').trim() !== ''; i++)
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        rmdirSync(cg);
      }
      if (sub) rmSync(sub, { recursive: true, force: true });
    });

    it('"Cannot create worker GC thread": cgroup.pids confirmed from the container section', async () => {
      // Ten sleeping processes hold 10 of the cgroup's 12 tasks, as other processes of a pod would; the
      // JVM's primordial thread and its main thread take the last two, so its first VM thread, GC
      // Thread#0 (created first by HotSpot), is refused.
      const { stdout, stderr } = await sh(
        `echo $$ > ${cg}/cgroup.procs; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 60 </dev/null >/dev/null 2>&1 & done; exec java -XX:ErrorFile=${sub}/hs_err_pid%p.log -Xmx64m -version`,
      );
      const file = hsErrIn(sub, stdout + stderr);
      const incident = await incidentOf(file);
      expect(incident.signatures.map((s) => s.id)).toContain('jvm.gc-thread');
      const pids = cause(incident, 'cgroup.pids');
      expect(pids.verdict).toBe('confirmed');
      expect(pids.evidence.map((e) => e.text)).toEqual(
        expect.arrayContaining(['maximum number of tasks: 12', 'current number of tasks: 12']),
      );
    }, 180_000);
  },
);
