// The lab harness, one import for every lab test: the lab's Go program built once per run
// (crashlab.ts), cgroups made and removed (cgroups.ts), programs run as a UID under rlimits
// (uids.ts), scenarios on bare cgroups (bare.ts), a private dockerd in the dockershim layout
// (docker.ts), and the built CLI. What a lab needs from the machine is checked by
// ../../prerequisites.ts (skip with the reason outside CI, fail under CI=true).
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export { runAsUidWithNproc, runHolding, runInMemoryCgroup, runInPidsCgroup } from './bare.js';
export type { HoldRun, MemoryRun, PidsRun } from './bare.js';
export { Cgroups, cgroupDir, runIn, startIn } from './cgroups.js';
export { crashlab } from './crashlab.js';
export { DOCKER_LAB_NEEDS, DockerLab, javaPath } from './docker.js';
export type { Inspect, Pod, PodSpec } from './docker.js';
export { kernelLine } from './kernel.js';
export { asUid, freshUids } from './uids.js';
export { sleep, until } from './wait.js';

export const REPO = resolve(import.meta.dirname, '../../..');

/** The CLI users run: dist/, built once for the whole run by test/global-setup.ts. */
export function builtCli(): string {
  const cli = join(REPO, 'dist/cli/main.js');
  statSync(cli);
  return cli;
}
