// Runs the built CLI as a user would: `node dist/cli/main.js ...`, with a safety timeout so a hang
// fails the test instead of the run.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const CLI = resolve(REPO, 'dist/cli/main.js');

let built = false;
/** Builds dist/ once per test process (the CLI tests run what users run). */
export function ensureBuilt(): void {
  if (built) return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'inherit' });
  built = true;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function podmortem(args: string[], opts: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO,
    input: opts.input ?? '',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
