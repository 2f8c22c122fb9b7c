// The registry of causes, one line per cause: each is a folder named after its id, holding its docs,
// its assessment, its metadata (scope, what raises it, its notes) and its real cases. The contract's
// ids (../../../shared/CONTRACT.md) must all be here; new ids extend it. `podmortem explain <id>`
// prints a cause's docs.
import type { CauseDef } from '../types.js';

export const CAUSES = [
  (await import('./rlimit.nproc/cause.js')).cause,
  (await import('./cgroup.pids/cause.js')).cause,
  (await import('./kernel.pid_max/cause.js')).cause,
  (await import('./kernel.threads-max/cause.js')).cause,
  (await import('./vm.max_map_count/cause.js')).cause,
  (await import('./memory.cgroup/cause.js')).cause,
  (await import('./memory.node/cause.js')).cause,
  (await import('./runtime.heap/cause.js')).cause,
  (await import('./runtime.max-threads/cause.js')).cause,
  (await import('./rlimit.nofile/cause.js')).cause,
  (await import('./fs.file-max/cause.js')).cause,
  (await import('./inotify.instances/cause.js')).cause,
  (await import('./inotify.watches/cause.js')).cause,
  (await import('./seccomp.clone3/cause.js')).cause,
  (await import('./pidns.init-exited/cause.js')).cause,
  (await import('./rlimit.as/cause.js')).cause,
] as const;

/** Every cause id the registry knows, as a type. */
export type CauseId = (typeof CAUSES)[number]['id'];

export function causeById(id: string): CauseDef | undefined {
  return (CAUSES as readonly CauseDef[]).find((c) => c.id === id);
}

/** A node's resource, shared by every container of the node (node-wide or per-UID counts): correlation names it as a root. */
export function sharedByNode(id: string): boolean {
  const scope = causeById(id)?.scope;
  return scope === 'node' || scope === 'uid';
}
