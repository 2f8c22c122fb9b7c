// The dev threads: public threads the recognition is tuned on since 30 Nov 2026 (the first held-out
// set, then grown with more threads found with the search tools). Each case's log, as posted, goes
// through the real pipeline (analyze(), log alone, no node evidence) as in test/corpus: the crash is
// recognized, the cause the thread established stays a candidate that is not ruled out, and nothing
// is confirmed that the thread contradicts. A log that shows no resource limit (expected: []) gets
// no limit confirmed or likely; it need not be recognized: nginx's accept4 EINVAL alert and FPM's
// "unable to read what child say" are lines a healthy server also logs, and a signature for them
// would turn healthy logs into incidents. `npm run accuracy` prints this corpus's figures, those
// misses included (README, Accuracy).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/pipeline/analyze.js';

interface DevCase {
  id: string;
  source: string;
  log: string[];
  root_cause: string;
  confirmed: boolean;
  expected: string[];
}

const cases = readFileSync(join(import.meta.dirname, 'cases.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as DevCase);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podmortem-dev-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('holds public threads, each with its source, its log as posted and the cause the thread established', () => {
  expect(cases.length).toBeGreaterThanOrEqual(42);
  expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  for (const c of cases) {
    expect(c.source, c.id).toMatch(/^[\w.-]+\/[\w.-]+#\d+$/);
    expect(c.log.length, c.id).toBeGreaterThan(0);
    expect(c.root_cause.length, c.id).toBeGreaterThan(20);
    expect(Array.isArray(c.expected), c.id).toBe(true);
  }
});

describe('test/dev/cases.jsonl', () => {
  for (const c of cases) {
    const what = c.expected.length > 0 ? `is recognized and keeps ${c.expected[0]} open` : 'raises no limit';
    it(`${c.id} (${c.source}) ${what}`, async () => {
      const file = join(dir, `${c.id}.log`);
      await writeFile(file, `${c.log.join('\n')}\n`);
      const { report } = await analyze({ inputs: [file] });
      const causes = report.incidents.flatMap((i) => i.causes);
      const verdicts = causes.map((k) => `${k.id}=${k.verdict}`).join(', ');
      if (c.expected.length > 0)
        expect(
          report.incidents.some((i) => i.signatures.length > 0),
          'a crash signature recognized',
        ).toBe(true);
      for (const k of causes.filter((x) => x.verdict === 'confirmed'))
        expect(
          c.expected,
          `${k.id} confirmed though the thread established ${c.expected.join(', ')}`,
        ).toContain(k.id);
      if (c.expected.length === 0) {
        expect(
          causes.filter((k) => k.verdict === 'confirmed' || k.verdict === 'likely').map((k) => k.id),
          'a log that shows no resource limit gets no limit confirmed or likely',
        ).toEqual([]);
        return;
      }
      const kept = causes.find((k) => k.id === c.expected[0]);
      expect(kept, `${c.expected[0]} among ${verdicts}`).toBeDefined();
      expect(kept!.verdict, `${c.expected[0]} must not be ruled out: ${kept!.summary}`).not.toBe('ruled-out');
    });
  }
});
