// Vitest setup (vitest.config.ts, setupFiles): the pipeline's entry points keep their behaviour and
// gain one check, so every report a test obtains in-process (analyze(), nodePostmortem(),
// scanCluster(), analyzeBundle()) matches schema/report.schema.json, in tests written later too.
// The real functions run; only their result is looked at on the way back.
import { vi } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { CHECKED, expectValidReport } from './report-check.js';

function checked<F extends (...args: never[]) => Promise<unknown>>(fn: F): F {
  const wrapped = async (...args: Parameters<F>) => {
    const result = await fn(...args);
    const report = (result as { report?: Report } | undefined)?.report;
    if (report !== undefined) expectValidReport(report);
    return result;
  };
  return Object.assign(wrapped, { [CHECKED]: true }) as unknown as F;
}

vi.mock(import('../../src/pipeline/analyze.js'), async (original) => {
  const m = await original();
  return { ...m, analyze: checked(m.analyze) };
});
vi.mock(import('../../src/pipeline/node.js'), async (original) => {
  const m = await original();
  return { ...m, nodePostmortem: checked(m.nodePostmortem) };
});
vi.mock(import('../../src/pipeline/scan.js'), async (original) => {
  const m = await original();
  return { ...m, scanCluster: checked(m.scanCluster) };
});
vi.mock(import('../../src/pipeline/bundle.js'), async (original) => {
  const m = await original();
  return { ...m, analyzeBundle: checked(m.analyzeBundle) };
});
