// The lab's one Go program (../crashlab/main.go), built once per test run with CGO_ENABLED=0 (a
// static binary that runs in a busybox image too) and no network (GOPROXY=off). Test files run in
// parallel workers: the first to ask builds it under a lock folder, the others wait for the binary.
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { sleep } from './wait.js';

const SOURCE = resolve(import.meta.dirname, '../crashlab');
export const THREADS_JAVA = join(SOURCE, 'Threads.java');

let ownRunDir: string | undefined;

/** The run's shared folder (from the global setup), or one of this worker's own when run without it. */
function runDir(): string {
  const shared = inject('labRunDir');
  if (shared) return shared;
  if (!ownRunDir) {
    ownRunDir = mkdtempSync(join(tmpdir(), 'podmortem-lab-run-'));
    chmodSync(ownRunDir, 0o755);
    const dir = ownRunDir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return ownRunDir;
}

function goBuild(out: string, dir: string): Promise<void> {
  // Go needs a build cache: the user's own when there is a HOME, else a throwaway one in the run folder.
  const cache =
    process.env.GOCACHE || process.env.HOME || process.env.XDG_CACHE_HOME
      ? {}
      : { GOCACHE: join(dir, 'gocache') };
  return new Promise((res, rej) =>
    execFile(
      'go',
      ['build', '-o', out, '.'],
      {
        cwd: SOURCE,
        env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOPROXY: 'off', ...cache },
        timeout: 600_000,
      },
      (err, _out, stderr) =>
        err ? rej(new Error(`go build of the lab program failed: ${stderr || err.message}`)) : res(),
    ),
  );
}

/** The path of the built lab program (built on first use in this run; readable and runnable by every UID). */
export async function crashlab(): Promise<string> {
  const dir = runDir();
  const bin = join(dir, 'crashlab');
  const failed = join(dir, 'crashlab.error');
  if (existsSync(bin)) return bin;
  let builder = true;
  try {
    mkdirSync(join(dir, 'crashlab.lock'));
  } catch {
    builder = false;
  }
  if (builder) {
    try {
      await goBuild(`${bin}.tmp`, dir);
      renameSync(`${bin}.tmp`, bin);
    } catch (e) {
      writeFileSync(failed, (e as Error).message);
      throw e;
    }
    return bin;
  }
  // Another worker builds it: wait for the binary or for its failure.
  for (let i = 0; i < 6000 && !existsSync(bin) && !existsSync(failed); i++) await sleep(100);
  if (existsSync(bin)) return bin;
  throw new Error(
    existsSync(failed) ? readFileSync(failed, 'utf8') : 'the lab program was not built within 10 minutes',
  );
}
