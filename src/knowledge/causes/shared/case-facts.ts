// Plain facts for a cause's cases, shaped as the readers produce them (every value with the place it
// was read), so a case reads like the node it describes.
import type {
  CgroupLevel,
  Evidence,
  Fact,
  Instance,
  LimitUsage,
  NodeFacts,
  Usage,
} from '../../../evidence/types.js';

export function fact<T>(value: T, source: string, text = String(value), line?: number): Fact<T> {
  return { value, evidence: { source, text, ...(line !== undefined ? { line } : {}) } };
}

/** A usage count with the instance it describes: the crashed one, the restarted twin, or the node now. */
export function usage(of: Instance, value: number, source: string, text = String(value)): Usage {
  return { of, ...fact(value, source, text) };
}

/** A node snapshot with only the facts a case needs. */
export function nodeFacts(partial: Partial<NodeFacts> = {}): NodeFacts {
  return { root: '/snapshot', limits: [], unreadable: [], ...partial };
}

/** A node.limits entry as the host reader builds it. */
export function limitEntry(
  id: string,
  scope: string,
  used: number,
  max: number,
  evidence: Evidence[],
  extra: Partial<LimitUsage> = {},
): LimitUsage {
  return { id, scope, used, max, ratio: Math.round((used / max) * 1000) / 1000, evidence, ...extra };
}

/** A pids level as the host reader builds it from real cgroup v1 files. */
export function pidsLevel(
  level: string,
  path: string,
  files: { max: number | null; current?: number; peak?: number; events?: number; eventsLocal?: number },
): CgroupLevel {
  const dir = `/sys/fs/cgroup/pids${path}`;
  const evidence: Evidence[] = [
    { source: `${dir}/pids.max`, text: files.max === null ? 'max' : String(files.max) },
  ];
  if (files.current !== undefined)
    evidence.push({ source: `${dir}/pids.current`, text: String(files.current) });
  if (files.events !== undefined)
    evidence.push({ source: `${dir}/pids.events`, text: `max ${files.events}` });
  return {
    path,
    level,
    controller: 'pids',
    max: files.max,
    ...(files.current !== undefined ? { current: files.current } : {}),
    ...(files.peak !== undefined ? { peak: files.peak } : {}),
    ...(files.events !== undefined ? { events: files.events } : {}),
    ...(files.eventsLocal !== undefined ? { eventsLocal: files.eventsLocal } : {}),
    evidence,
  };
}

/** The founding incident's crash (examples/calico-node-newosproc/calico-node.log, shared/seed/calico-node-restart.md). */
export const SEED_LOG = [
  'runtime: failed to create new OS thread (have 41 already; errno=11)',
  'runtime: may need to increase max user processes (ulimit -u)',
  'fatal error: newosproc',
];
export const SEED_SOURCE =
  'examples/calico-node-newosproc/calico-node.log (the founding calico-node incident)';

/** /proc/loadavg with N tasks, as CentOS 7 printed it in the seed snapshot. */
export const loadavg = (tasks: number) =>
  fact(tasks, '/proc/loadavg', `12.31 11.87 11.02 9/${tasks} 28411`, 1);
export const pidMax = (n: number) => fact(n, '/proc/sys/kernel/pid_max', String(n), 1);
export const threadsMax = (n: number) => fact(n, '/proc/sys/kernel/threads-max', String(n), 1);
