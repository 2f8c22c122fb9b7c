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

const sources: { file: string; cases: CorpusCase[] }[] = [];
if (existsSync(SHARED)) sources.push({ file: 'shared/corpus/incidents.jsonl', cases: load(SHARED) });
sources.push({ file: 'test/corpus/cases.jsonl', cases: load(OWN) });

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

it('reads the shared corpus beside the clone when it is there, and the project corpus always', () => {
  expect(load(OWN).length).toBeGreaterThanOrEqual(20);
  for (const c of load(OWN)) {
    expect(c.source.length, c.id).toBeGreaterThan(5);
    expect(c.expected.length, c.id).toBeGreaterThan(0);
  }
});

for (const { file, cases } of sources) {
  describe(file, () => {
    for (const c of cases) {
      const lines = Array.isArray(c.log) ? c.log : [c.log];
      if (c.prose) {
        it(`${c.id}: the reporter's prose goes through without a crash`, async () => {
          const { incidents, warnings } = await analyzeLines(c.id, lines);
          expect(Array.isArray(incidents)).toBe(true);
          expect(Array.isArray(warnings)).toBe(true);
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
