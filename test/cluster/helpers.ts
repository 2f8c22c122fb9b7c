// Helpers for the cluster tests: the stand-in with the test scenario, and the built CLI run
// asynchronously (the stand-in answers from this same process, so a synchronous spawn would block it).
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { scenario } from '../standin/scenario.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';

export const REPO = resolve(import.meta.dirname, '../..');
/**
 * The CLI these tests run: a private build in a temp folder, not dist/. Test files run in parallel
 * workers, and other suites rebuild dist/ while they run; a CLI importing a half-written dist/ file
 * fails for no fault of its own. The private copy sees the repo's node_modules and package.json.
 */
const PRIVATE = mkdtempSync(join(tmpdir(), 'pm-cli-build-'));
/** Removes the private build (call from afterAll). */
export function removeBuild(): void {
  rmSync(PRIVATE, { recursive: true, force: true });
}
export const CLI = join(PRIVATE, 'dist', 'cli', 'main.js');

let built = false;
/** Builds the private CLI once per test file; a type error elsewhere in the tree still emits JavaScript. */
export function ensureBuilt(): void {
  if (built) return;
  symlinkSync(resolve(REPO, 'node_modules'), join(PRIVATE, 'node_modules'));
  copyFileSync(resolve(REPO, 'package.json'), join(PRIVATE, 'package.json'));
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(PRIVATE, 'dist')], {
      cwd: REPO,
      stdio: 'ignore',
    });
  } catch {
    if (!existsSync(CLI)) throw new Error('the CLI was not built');
  }
  built = true;
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
