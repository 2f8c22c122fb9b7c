// The held-out corpus stays held out: every case is a public thread with its source and the cause
// the thread stated, and no thread of it appears in the knowledge (src/) or in the project corpus
// the signatures were tuned on. `npm run accuracy` measures podmortem on it (README, Accuracy).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

interface HeldOutCase {
  id: string;
  source: string;
  log: string[];
  root_cause: string;
  confirmed: boolean;
  expected: string[];
}

const root = resolve(import.meta.dirname, '../..');
const cases = readFileSync(join(import.meta.dirname, 'cases.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as HeldOutCase);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

it('holds at least 15 public threads, each with its log, its stated cause and the expected causes', () => {
  expect(cases.length).toBeGreaterThanOrEqual(15);
  expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  for (const c of cases) {
    expect(c.source, c.id).toMatch(/^[\w.-]+\/[\w.-]+#\d+$/);
    expect(c.log.length, c.id).toBeGreaterThan(0);
    expect(c.root_cause.length, c.id).toBeGreaterThan(20);
    expect(Array.isArray(c.expected), c.id).toBe(true);
  }
});

it('shares no thread with the knowledge or the corpus it was tuned on', () => {
  const tuned = [
    ...filesUnder(join(root, 'src')),
    ...filesUnder(join(root, 'test/corpus')),
    ...filesUnder(join(root, 'test/knowledge')),
    ...filesUnder(join(root, 'test/sources')),
  ]
    .filter((f) => /\.(ts|jsonl|md)$/.test(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  for (const c of cases) {
    const [repo, num] = c.source.split('#');
    expect(tuned.includes(c.source), `${c.source} is used by the knowledge`).toBe(false);
    expect(tuned.includes(`${repo}/issues/${num}`), `${c.source} is used by the knowledge`).toBe(false);
    expect(tuned.includes(`${repo}/pull/${num}`), `${c.source} is used by the knowledge`).toBe(false);
  }
});
