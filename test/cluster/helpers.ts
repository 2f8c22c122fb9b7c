// Helpers for the cluster tests: the stand-in with the test scenario, and the built CLI run
// asynchronously (the stand-in answers from this same process, so a synchronous spawn would block it).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { scenario } from '../standin/scenario.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';

export const REPO = resolve(import.meta.dirname, '../..');
export const CLI = resolve(REPO, 'dist/cli/main.js');

let built = false;
/**
 * Builds dist/ once, and only when a source is newer than the built CLI: test files run in parallel
 * workers, and a rebuild under a running CLI makes it import half-written files. A type error
 * elsewhere in the tree still emits JavaScript, so only a missing CLI fails.
 */
export function ensureBuilt(): void {
  if (built) return;
  if (existsSync(CLI) && newestMtime(resolve(REPO, 'src')) <= statSync(CLI).mtimeMs) {
    built = true;
    return;
  }
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'ignore' });
  } catch {
    if (!existsSync(CLI)) throw new Error('dist/cli/main.js was not built');
  }
  built = true;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = resolve(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function podmortemAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        done({ status: code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** The test scenario on a fresh stand-in, with the payments namespace's logs forbidden. */
export async function scenarioStandin(opts: { healthy?: number } = {}): Promise<Standin> {
  const s = await startStandin(scenario(opts));
  s.inject({
    path: /^\/api\/v1\/namespaces\/payments\/pods\/[^/]+\/log/,
    status: 403,
    times: Infinity,
    verb: 'get',
    resource: 'pods/log',
    namespace: 'payments',
    name: 'ledger-0',
  });
  return s;
}
