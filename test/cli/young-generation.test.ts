// The young-generation bound of scan and collect (src/cli/young-generation.ts) rests on V8 reading
// --semi-space-growth-factor each time it grows the young generation, and on Node leaving flags
// writable after start-up. A Node upgrade could change either, and the scan's peak RSS would quietly
// grow back by 16 MiB: so the same allocation runs in two fresh processes, one left alone (the
// young generation must grow past the bound, or this test proves nothing) and one bounded.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO } from './helpers.js';

const MODULE = join(REPO, 'dist/cli/young-generation.js');

/** Short-lived objects with some survivors, yielding between rounds as a scan does between pages. */
const WORKLOAD = `
const { boundYoungGeneration, youngGenerationBytes, YOUNG_GENERATION_BYTES } = await import(${JSON.stringify(MODULE)});
if (process.argv[1] === 'bound') boundYoungGeneration();
let keep = [];
for (let round = 0; round < 60; round++) {
  for (let i = 0; i < 100_000; i++) {
    const o = { a: i, b: 'x' + i, c: [i, i] };
    if (i % 20 === 0) keep.push(o);
    if (keep.length > 40_000) keep = [];
  }
  await new Promise((r) => setImmediate(r));
}
console.log(JSON.stringify({ young: youngGenerationBytes(), bound: YOUNG_GENERATION_BYTES }));
`;

function youngAfterWorkload(mode: 'free' | 'bound', env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', WORKLOAD, mode], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { young: number; bound: number };
}

beforeAll(() => ensureBuilt());

describe('the young generation of a cluster walk', () => {
  it('grows past the bound when left alone, and stops at it when bounded', () => {
    const free = youngAfterWorkload('free');
    expect(free.young).toBeGreaterThan(free.bound);
    const bounded = youngAfterWorkload('bound');
    expect(bounded.young).toBeLessThanOrEqual(bounded.bound);
    expect(bounded.young).toBeGreaterThan(0);
  });

  it("leaves a user's own young-generation flag alone", () => {
    const own = youngAfterWorkload('bound', { NODE_OPTIONS: '--max-semi-space-size=32' });
    expect(own.young).toBeGreaterThan(own.bound);
  });
});
