// The registry of causes: one module per cause id of the contract (../../../shared/CONTRACT.md).
// Adding a cause = one file here + one line below; its docs are shown by `podmortem explain <id>`.
import type { CauseDef } from '../types.js';
import { cause as cgroupPids } from './cgroup-pids.js';
import { cause as fsFileMax } from './fs-file-max.js';
import { cause as inotifyInstances } from './inotify-instances.js';
import { cause as inotifyWatches } from './inotify-watches.js';
import { cause as kernelPidMax } from './kernel-pid-max.js';
import { cause as kernelThreadsMax } from './kernel-threads-max.js';
import { cause as memoryCgroup } from './memory-cgroup.js';
import { cause as memoryNode } from './memory-node.js';
import { cause as pidnsInitExited } from './pidns-init-exited.js';
import { cause as rlimitNofile } from './rlimit-nofile.js';
import { cause as rlimitNproc } from './rlimit-nproc.js';
import { cause as runtimeHeap } from './runtime-heap.js';
import { cause as runtimeMaxThreads } from './runtime-max-threads.js';
import { cause as seccompClone3 } from './seccomp-clone3.js';
import { cause as vmMaxMapCount } from './vm-max-map-count.js';

export const CAUSES: readonly CauseDef[] = [
  rlimitNproc,
  cgroupPids,
  kernelPidMax,
  kernelThreadsMax,
  vmMaxMapCount,
  memoryCgroup,
  memoryNode,
  runtimeHeap,
  runtimeMaxThreads,
  rlimitNofile,
  fsFileMax,
  inotifyInstances,
  inotifyWatches,
  seccompClone3,
  pidnsInitExited,
];

export function causeById(id: string): CauseDef | undefined {
  return CAUSES.find((c) => c.id === id);
}
