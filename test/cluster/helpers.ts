// Helpers for the cluster tests: the stand-in with the test scenario, and the built CLI run
// asynchronously (the stand-in answers from this same process, so a synchronous spawn would block it).
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expectValidJsonRun } from '../schema/report-check.js';
import { scenario } from '../standin/scenario.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';

export const REPO = resolve(import.meta.dirname, '../..');
/** The CLI users run: dist/, built once for the whole run by test/global-setup.ts. */
export const CLI = join(REPO, 'dist', 'cli', 'main.js');
export { ensureBuilt } from '../cli/helpers.js';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function podmortemAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise<Run>((done) => {
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
  }).then((run) => {
    expectValidJsonRun(args, run);
    return run;
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
