// Every report the test suite produces is checked against the published schema, with a real JSON
// Schema validator reading schema/report.schema.json: what scripts rely on is what the tests see.
// The CLI helpers (test/cli/helpers.ts, test/cluster/helpers.ts) check every `--format json` run;
// test/schema/setup.ts checks every report the pipeline's entry points return in-process.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { renderJson } from '../../src/report/json.js';

export const SCHEMA_FILE = resolve(import.meta.dirname, '../../schema/report.schema.json');

/** Marks a pipeline entry point wrapped by setup.ts, so published.test.ts sees the check is in place. */
export const CHECKED = Symbol('report checked');

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // Strict: a keyword the validator does not know is an error in the schema, not silently ignored.
  compiled ??= new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true }).compile(
    JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')),
  );
  return compiled;
}

/** What is wrong with a parsed JSON report, one line per problem ("/incidents/0/causes/1/verdict: must be equal to ..."). */
export function reportProblems(json: unknown): string[] {
  const validate = validator();
  if (validate(json)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'}: ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
  );
}

/** A report as --format json prints it (the text), or the in-memory model (rendered as the CLI would). */
export function expectValidReport(report: Report | string): void {
  const json: unknown = JSON.parse(typeof report === 'string' ? report : renderJson(report));
  const problems = reportProblems(json);
  if (problems.length > 0)
    expect.fail(
      `the JSON report does not match schema/report.schema.json:\n  ${problems.slice(0, 10).join('\n  ')}`,
    );
}

/** Commands whose JSON output is the report (explain prints a reference page instead). */
const REPORTING = new Set(['analyze', 'node', 'scan', 'pod']);

/** True when these CLI arguments ask a reporting command for the JSON report (`--format json`, `-f json`). */
function asksForJson(args: readonly string[]): boolean {
  if (!REPORTING.has(args[0] ?? '')) return false;
  return args.some(
    (a, i) => a === '--format=json' || ((a === '--format' || a === '-f') && args[i + 1] === 'json'),
  );
}

/** For a CLI run: when it asked for JSON and printed a report (exit 0, or 2 for --fail-on), the report is valid. */
export function expectValidJsonRun(
  args: readonly string[],
  run: { status: number | null; stdout: string },
): void {
  if (!asksForJson(args) || run.stdout === '' || (run.status !== 0 && run.status !== 2)) return;
  expectValidReport(run.stdout);
}
