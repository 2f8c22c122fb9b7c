// The real-incident corpus through the real pipeline: each case's log lines are written to a file
// and analyzed with analyze() (scanner, signatures, cause modules, ranking), with no node evidence,
// as an operator who only has `kubectl logs -p` would. A correct answer keeps the cause the thread
// established among its first candidates, rules out none of the expected causes, and confirms only
// what the log itself proves. Cases: ../shared/corpus/incidents.jsonl (beside the clone) and
// test/corpus/cases.jsonl (this project's own, each with its source).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/pipeline/analyze.js';
import type { Incident } from '../../src/evidence/types.js';

interface CorpusCase {
  id: string;
  source: string;
  class: string;
  log: string[] | string;
  prose?: boolean;
  confirmed?: boolean;
  expected: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const SHARED = resolve(repoRoot, '../shared/corpus/incidents.jsonl');
const OWN = resolve(here, 'cases.jsonl');

function load(path: string): CorpusCase[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CorpusCase);
}

/**
 * Signatures whose line is the kernel, the runtime or the program stating which limit it enforced:
 * only these may turn a cause to `confirmed` when the analysis has the log alone.
 */
const PROOF: Record<string, string[]> = {
  'kernel.pids-rejected': ['cgroup.pids'],
  'kernel.memcg-oom': ['memory.cgroup'],
  'kernel.oom-kill': ['memory.cgroup', 'memory.node'],
  'kernel.global-oom': ['memory.node'],
  'kernel.file-max': ['fs.file-max'],
  'k8s.oomkilled': ['memory.cgroup'],
  'elasticsearch.max-map-count': ['vm.max_map_count'],
  'go.max-threads': ['runtime.max-threads'],
  'jvm.heap-space': ['runtime.heap'],
  'jvm.gc-overhead': ['runtime.heap'],
  'jvm.metaspace': ['runtime.heap'],
  'jvm.compressed-class-space': ['runtime.heap'],
  'jvm.direct-buffer': ['runtime.heap'],
  'node.heap-oom': ['runtime.heap'],
  // EMFILE from open/socket/accept/pipe is returned only at the process's RLIMIT_NOFILE (open(2)).
  'fd.emfile': ['rlimit.nofile'],
};

/**
 * Cases whose first expected cause cannot be among the first three from the log alone, and why.
 * (Empty today: keep the reason beside any case added here.)
 */
const RANK_EXCEPTIONS: Record<string, string> = {};

/**
 * What the analysis must make of each prose case (the reporter's own sentences, not program output),
 * with the reason. A sentence proves nothing, so no prose case may get a cause `confirmed` or `likely`.
 * - no-crash: the text quotes no line a program or the kernel prints; the report says no crash was
 *   recognized and raises nothing (a sentence about an OOM kill is not an OOM kill);
 * - candidates: the text quotes the error itself; one incident, and each listed cause (what the
 *   thread established) is a candidate that is not ruled out;
 * - no-cause: a crash line is recognized but names no limit; no cause is raised from it.
 */
type ProseOutcome =
  | { kind: 'no-crash'; why: string }
  | { kind: 'candidates'; causes: string[]; why: string }
  | { kind: 'no-cause'; signature: string; why: string };

const PROSE: Record<string, ProseOutcome> = {
  'golang-heap-ignores-cgroup-limit': {
    kind: 'no-crash',
    why: '"killed due OOM" is the reporter\'s summary: no kernel or runtime line says which memory ran out.',
  },
  'docker-nproc-shared-uid-across-containers': {
    kind: 'candidates',
    causes: ['rlimit.nproc'],
    why: 'it quotes pthread_create failing with EAGAIN; the thread established the UID-wide RLIMIT_NPROC.',
  },
  'mattermost-postgres-pids-limit-100': {
    kind: 'no-crash',
    why: 'a paraphrase of a customer report: no PostgreSQL or kernel line is quoted.',
  },
  'k8s-snap-containerd-nofile-cilium': {
    kind: 'no-crash',
    why: '"reporting Too Many Open Files" names the symptom in title case, not a line a program printed.',
  },
  'kind-multi-node-inotify-pods-crash': {
    kind: 'candidates',
    causes: ['inotify.instances'],
    why: 'it quotes a bare "too many open files" (EMFILE, no call named): inotify_init at max_user_instances, which the thread established, must stay open.',
  },
  'primus-safe-webhooks-inotify': {
    kind: 'candidates',
    causes: ['inotify.instances'],
    why: 'it quotes CrashLoopBackOff and a bare "too many open files": the inotify instance limit the thread established must stay open.',
  },
  'vcell-api-maxram80-nonheap-oomkill': {
    kind: 'no-crash',
    why: 'arithmetic about heap and non-heap sizes and "exit 137" in a sentence: no OOM line was quoted.',
  },
  'kind-rootless-podman-nginx-tasksmax-675': {
    kind: 'no-crash',
    why: 'the kernel line is quoted in a sentence without the cgroup path the kernel always prints, and TasksMax=675 is a systemctl value, not a crash.',
  },
  'calico-confd-inotify-instance-leak': {
    kind: 'no-crash',
    why: 'an explanation of the leak (120 instances an hour), with no error line.',
  },
  'felix-fd-1024-160-instances': {
    kind: 'no-cause',
    signature: 'generic.python-traceback',
    why: 'the excerpt stops at the traceback header: the exception that would name the errno is not in it.',
  },
};

const sources: { file: string; cases: CorpusCase[] }[] = [];
if (existsSync(SHARED)) sources.push({ file: 'shared/corpus/incidents.jsonl', cases: load(SHARED) });
sources.push({ file: 'test/corpus/cases.jsonl', cases: load(OWN) });
const PROSE_IDS = sources.flatMap((s) => s.cases.filter((c) => c.prose).map((c) => c.id));

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podmortem-corpus-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function analyzeLines(
  id: string,
  lines: string[],
): Promise<{ incidents: Incident[]; warnings: string[] }> {
  const file = join(dir, `${id}.log`);
  await writeFile(file, `${lines.join('\n')}\n`);
  const { report } = await analyze({ inputs: [file] });
  return { incidents: report.incidents, warnings: report.warnings };
}

it('reads the shared corpus beside the clone and the project corpus', () => {
  // shared/ is beside every clone, CI's included: its absence is a broken checkout, not a skip.
  expect(existsSync(SHARED), `${SHARED} is missing`).toBe(true);
  expect(load(OWN).length).toBeGreaterThanOrEqual(20);
  for (const c of load(OWN)) {
    expect(c.source.length, c.id).toBeGreaterThan(5);
    expect(c.expected.length, c.id).toBeGreaterThan(0);
  }
});

it('every prose case has an expected outcome, and every outcome a case', () => {
  expect(Object.keys(PROSE).sort()).toEqual([...PROSE_IDS].sort());
});

for (const { file, cases } of sources) {
  describe(file, () => {
    for (const c of cases) {
      const lines = Array.isArray(c.log) ? c.log : [c.log];
      if (c.prose) {
        const want = PROSE[c.id];
        it(`${c.id}: the reporter's prose ${want ? `gives ${want.kind}: ${want.why}` : 'has an expected outcome'}`, async () => {
          expect(want, `add ${c.id}'s expected outcome to PROSE in this file`).toBeDefined();
          const { incidents, warnings } = await analyzeLines(c.id, lines);
          const verdicts = incidents.flatMap((i) => i.causes.map((k) => `${k.id}=${k.verdict}`));
          expect(
            verdicts.filter((v) => /=(confirmed|likely)$/.test(v)),
            'a sentence proves nothing',
          ).toEqual([]);
          if (want!.kind === 'no-crash') {
            expect(incidents, `no incident from prose; got ${verdicts.join(', ')}`).toEqual([]);
            expect(warnings.join('\n')).toMatch(/no crash recognized/);
            return;
          }
          expect(incidents.length, 'one incident for the quoted error').toBe(1);
          const incident = incidents[0]!;
          if (want!.kind === 'no-cause') {
            expect(incident.signatures.map((x) => x.id)).toContain(want!.signature);
            expect(verdicts, 'no limit named, no cause raised').toEqual([]);
            return;
          }
          for (const id of want!.causes) {
            const cause = incident.causes.find((k) => k.id === id);
            expect(cause, `${id} among ${verdicts.join(', ')}`).toBeDefined();
            expect(cause!.verdict, `${id} must not be ruled out: ${cause!.summary}`).not.toBe('ruled-out');
          }
        });
        continue;
      }
      it(`${c.id} (${c.source}) keeps ${c.expected.join(', ')} open`, async () => {
        const { incidents } = await analyzeLines(c.id, lines);
        expect(incidents.length, 'one incident for the log').toBe(1);
        const incident = incidents[0]!;
        expect(incident.signatures.length, 'a crash signature recognized').toBeGreaterThan(0);

        const ids = incident.causes.map((k) => k.id);
        for (const want of c.expected) {
          const cause = incident.causes.find((k) => k.id === want);
          expect(cause, `${want} among ${ids.join(', ')}`).toBeDefined();
          expect(cause!.verdict, `${want} must not be ruled out: ${cause!.summary}`).not.toBe('ruled-out');
        }
        if (!(c.id in RANK_EXCEPTIONS)) {
          expect(
            ids.indexOf(c.expected[0]!),
            `${c.expected[0]} in the first three of ${ids.join(', ')}`,
          ).toBeLessThan(3);
        }

        const provable = new Set(incident.signatures.flatMap((s) => PROOF[s.id] ?? []));
        for (const k of incident.causes.filter((x) => x.verdict === 'confirmed')) {
          expect(provable.has(k.id), `${k.id} confirmed without a line that proves it: ${k.summary}`).toBe(
            true,
          );
        }
      });
    }
  });
}
