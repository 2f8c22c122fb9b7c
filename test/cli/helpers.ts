// Runs the built CLI as a user would: `node dist/cli/main.js ...`, with a safety timeout so a hang
// fails the test instead of the run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expectValidJsonRun } from '../schema/report-check.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const CLI = resolve(REPO, 'dist/cli/main.js');

/** dist/ is built once by test/global-setup.ts; a test file never rebuilds it under the others. */
export function ensureBuilt(): void {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run the tests with vitest (its global setup builds dist/).`);
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function podmortem(
  args: string[],
  opts: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO,
    input: opts.input ?? '',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  const run = { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  expectValidJsonRun(args, run);
  return run;
}
