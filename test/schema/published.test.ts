// schema/report.schema.json is the published contract of `--format json`: generated from the zod
// schema and committed, it must be current, say what the contract says, accept the README's example
// report and refuse a report that breaks the contract (so the check every test runs can fail).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/pipeline/analyze.js';
import { analyzeBundle } from '../../src/pipeline/bundle.js';
import { nodePostmortem } from '../../src/pipeline/node.js';
import { scanCluster } from '../../src/pipeline/scan.js';
import { ensureBuilt, podmortem, REPO } from '../cli/helpers.js';
import { CHECKED, expectValidReport, reportProblems, SCHEMA_FILE } from './report-check.js';

const CONTRACT = resolve(REPO, '../shared/CONTRACT.md');
const EXAMPLE = 'examples/calico-node-newosproc';
/** The README's first command, asking for JSON. */
const README_COMMAND = [
  'analyze',
  `${EXAMPLE}/calico-node.log`,
  `${EXAMPLE}/pod.yaml`,
  '--node-root',
  `${EXAMPLE}/node`,
  '--format',
  'json',
];

const published = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as {
  $schema: string;
  $defs: Record<string, { description?: string; examples?: string[]; properties?: Record<string, unknown> }>;
};

/** The rows of one table of the contract: the first backquoted cell of each row under `heading`. */
function contractColumn(heading: string): string[] {
  expect(existsSync(CONTRACT), `${CONTRACT} is missing`).toBe(true);
  const section = readFileSync(CONTRACT, 'utf8')
    .split(heading)[1]!
    .split(/\n#{2,3} /)[0]!;
  return [...section.matchAll(/^\| `([a-z0-9_.-]+)` \|/gm)].map((m) => m[1]!);
}

describe('schema/report.schema.json', () => {
  it('is what npm run schema generates from src/report/schema.ts today', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, ['schema/generate.mjs', '--check'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('is JSON Schema draft 2020-12', () => {
    expect(published.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it("lists the contract's cause ids as the known ids, and its verdicts as the only verdicts", () => {
    const ids = contractColumn('### Cause ids');
    expect(ids.length).toBeGreaterThanOrEqual(15);
    expect([...published.$defs.CauseId!.examples!].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(published.$defs.CauseId!.description).toContain(id);
    expect(published.$defs.Cause!.properties!.verdict).toMatchObject({
      enum: contractColumn('### Verdicts'),
    });
  });
});

describe('the bundled example', () => {
  let report: Record<string, unknown> & {
    incidents: { causes: { verdict: string }[] }[];
    node: { limits: Record<string, unknown>[] };
  };
  beforeAll(() => {
    ensureBuilt();
    const r = podmortem(README_COMMAND);
    expect(r.status).toBe(0);
    report = JSON.parse(r.stdout);
  });

  it("README's first command with --format json validates, incidents, causes and node limits included", () => {
    expect(reportProblems(report)).toEqual([]);
    expect(report.incidents[0]!.causes.length).toBeGreaterThan(1);
    expect(report.node.limits.length).toBeGreaterThan(0);
  });

  // Each mutation breaks one rule of the contract; a validator that let one through would make
  // every test's check worthless.
  const broken: [string, (r: typeof report) => void, RegExp][] = [
    ['a verdict outside the five', (r) => (r.incidents[0]!.causes[0]!.verdict = 'probable'), /verdict/],
    ['no schemaVersion', (r) => delete r.schemaVersion, /schemaVersion/],
    ['schemaVersion 2', (r) => (r.schemaVersion = 2), /schemaVersion/],
    ['no warnings', (r) => delete r.warnings, /warnings/],
    ['a scope of no known form', (r) => (r.node.limits[0]!.scope = 'pod:calico-node'), /scope/],
    ['an unlimited max printed as LONG_MAX', (r) => (r.node.limits[0]!.max = 9223372036854776000), /max/],
    [
      'the ranking weight leaking into a cause',
      (r) => Object.assign(r.incidents[0]!.causes[0]!, { weight: 1 }),
      /weight/,
    ],
    [
      'evidence of an unknown instance',
      (r) => Object.assign(r.node.limits[0]!, { evidence: [{ source: 'x', text: 'y', of: 'twin' }] }),
      /of/,
    ],
  ];
  for (const [what, mutate, mentions] of broken) {
    it(`refuses ${what}`, () => {
      const bad = structuredClone(report);
      mutate(bad);
      const problems = reportProblems(bad);
      expect(problems.join('\n')).toMatch(mentions);
      expect(() => expectValidReport(JSON.stringify(bad))).toThrow(
        /does not match schema\/report.schema.json/,
      );
    });
  }
});

describe('in-process reports', () => {
  it("are checked: the pipeline's entry points carry the check of test/schema/setup.ts", () => {
    for (const fn of [analyze, nodePostmortem, scanCluster, analyzeBundle])
      expect((fn as unknown as Record<symbol, unknown>)[CHECKED], fn.name).toBe(true);
  });

  it('an in-process report validates as the CLI would print it', async () => {
    const { report } = await analyze({
      inputs: [`${EXAMPLE}/calico-node.log`, `${EXAMPLE}/pod.yaml`],
      nodeRoot: `${EXAMPLE}/node`,
    });
    expect(report.incidents).toHaveLength(1);
    expectValidReport(report);
  });
});
