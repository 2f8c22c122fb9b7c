// cgroup v1 folders the lab makes (pod and container levels, with the limits the kubelet would
// write), and programs started inside them. Every folder is recorded and removed at the end,
// deepest first, once its tasks have left; folders that were already there are never touched.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './wait.js';

export const CGROUP_V1 = '/sys/fs/cgroup';
export type Controller = 'pids' | 'memory';

/** The folder of `rel` (for example /kubepods/burstable/pod<uid>) in a v1 hierarchy. */
export function cgroupDir(controller: Controller, rel: string): string {
  return join(CGROUP_V1, controller, rel);
}

export class Cgroups {
  private readonly made: string[] = [];

  /** Creates `rel` and its missing parents in `controller`'s hierarchy; returns the folder. */
  make(controller: Controller, rel: string, limits: Record<string, string | number> = {}): string {
    const parts = rel.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const dir = cgroupDir(controller, `/${parts.slice(0, i).join('/')}`);
      if (existsSync(dir)) continue;
      mkdirSync(dir);
      this.made.push(dir);
    }
    const dir = cgroupDir(controller, rel);
    for (const [file, value] of Object.entries(limits)) writeFileSync(join(dir, file), String(value));
    return dir;
  }

  /** Records a folder somebody else (dockerd) creates for the lab, so teardown removes it too. */
  adopt(dir: string): void {
    if (!existsSync(dir)) this.made.push(dir);
  }

  /** Removes every recorded folder, deepest first, after waiting for its tasks to be reaped. */
  async remove(): Promise<void> {
    for (const dir of this.made.splice(0).sort((a, b) => b.length - a.length)) {
      const procs = join(dir, 'cgroup.procs');
      for (let i = 0; i < 100 && existsSync(procs) && readFileSync(procs, 'utf8').trim() !== ''; i++)
        await sleep(100);
      try {
        rmdirSync(dir);
      } catch {
        // another lab's task or child cgroup still lives under it (kubepods is shared): leave it
      }
    }
  }
}

/** sh joins every cgroup folder, then execs the program: it runs inside them from its first instruction. */
function joining(dirs: string[], argv: string[]): string[] {
  const join = dirs.map((d) => `echo $$ > ${d}/cgroup.procs`).join(' && ');
  return ['-c', `${join || 'true'} && exec "$@"`, 'sh', ...argv];
}

/** Runs argv inside the cgroup folders and waits for it (a safety timeout kills a hang). */
export function runIn(dirs: string[], argv: string[], timeout = 60_000): SpawnSyncReturns<Buffer> {
  return spawnSync('/bin/sh', joining(dirs, argv), { timeout, maxBuffer: 64 << 20 });
}

/** Starts argv inside the cgroup folders; the caller owns the child. */
export function startIn(dirs: string[], argv: string[]): ChildProcess {
  return spawn('/bin/sh', joining(dirs, argv), { stdio: ['pipe', 'pipe', 'pipe'] });
}
