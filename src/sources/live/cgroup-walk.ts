// Every limited cgroup of the node, for the headroom audit: a walk of the pids and memory
// hierarchies (v1: /sys/fs/cgroup/pids, /sys/fs/cgroup/memory; v2: /sys/fs/cgroup) that keeps the
// directories whose pids.max / memory limit is set. Files: linux:Documentation/admin-guide/cgroup-v1/
// pids.rst and memory.rst, cgroup-v2.rst. pids.events "max N" counts fork failures (v1: of tasks in
// this cgroup; v2 ≥ 6.11: limit hits here or below, .local for this level; limits.md §1.3).
import { readdirSync, readFileSync } from 'node:fs';
import type { CgroupLevel, Evidence } from '../../evidence/types.js';

/** Directories visited at most per hierarchy (a busy node has a few thousand). */
const MAX_DIRS = 50_000;
const MAX_DEPTH = 12;
/** v1 reports "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712 on x86-64); anything this large is unlimited. */
const V1_MEMORY_UNLIMITED = 2 ** 62;

export interface LimitedCgroup {
  controller: 'pids' | 'memory';
  /** Path as /proc/<pid>/cgroup prints it. */
  path: string;
  max: number;
  current?: number;
  peak?: number;
  events?: number;
  eventsLocal?: number;
  evidence: Evidence[];
}

export interface CgroupWalk {
  cgroups: LimitedCgroup[];
  visited: number;
  truncated: boolean;
}

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1').trim();
  } catch {
    return undefined;
  }
}

function num(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,20}$/.test(text) ? Number(text) : undefined;
}

/** "max 3" / "oom_kill 2" lines of events files. */
export function keyed(text: string | undefined, key: string): number | undefined {
  if (text === undefined) return undefined;
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === key && v !== undefined && /^\d{1,20}$/.test(v)) return Number(v);
  }
  return undefined;
}

/**
 * Walks one hierarchy. `realBase` is the real path of the mount (under the root), `hostBase` how the
 * node names it (/sys/fs/cgroup/pids), `version` decides the file names.
 */
export function walkCgroups(
  realBase: string,
  hostBase: string,
  controller: 'pids' | 'memory',
  version: 1 | 2,
): CgroupWalk {
  const out: CgroupWalk = { cgroups: [], visited: 0, truncated: false };
  const stack: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  while (stack.length > 0) {
    const { rel, depth } = stack.pop()!;
    if (++out.visited > MAX_DIRS) {
      out.truncated = true;
      break;
    }
    const dir = realBase + rel;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    if (rel !== '') {
      const c =
        controller === 'pids' ? readPids(dir, hostBase, rel) : readMemory(dir, hostBase, rel, version);
      if (c) out.cgroups.push(c);
    }
    if (depth >= MAX_DEPTH) continue;
    for (const e of entries) if (e.isDirectory()) stack.push({ rel: `${rel}/${e.name}`, depth: depth + 1 });
  }
  return out;
}

function readPids(dir: string, hostBase: string, rel: string): LimitedCgroup | undefined {
  const maxText = readTrim(`${dir}/pids.max`);
  const max = num(maxText);
  if (max === undefined) return undefined; // "max" (unlimited) or absent
  const current = num(readTrim(`${dir}/pids.current`));
  const peak = num(readTrim(`${dir}/pids.peak`));
  const eventsText = readTrim(`${dir}/pids.events`);
  const events = keyed(eventsText, 'max');
  const eventsLocal = keyed(readTrim(`${dir}/pids.events.local`), 'max');
  const evidence: Evidence[] = [{ source: `${hostBase}${rel}/pids.max`, text: String(max) }];
  if (current !== undefined)
    evidence.push({ source: `${hostBase}${rel}/pids.current`, text: String(current) });
  if (peak !== undefined) evidence.push({ source: `${hostBase}${rel}/pids.peak`, text: String(peak) });
  if (eventsText) evidence.push({ source: `${hostBase}${rel}/pids.events`, text: eventsText });
  return {
    controller: 'pids',
    path: rel,
    max,
    ...(current !== undefined ? { current } : {}),
    ...(peak !== undefined ? { peak } : {}),
    ...(events !== undefined ? { events } : {}),
    ...(eventsLocal !== undefined ? { eventsLocal } : {}),
    evidence,
  };
}

function readMemory(dir: string, hostBase: string, rel: string, version: 1 | 2): LimitedCgroup | undefined {
  const f =
    version === 1
      ? { max: 'memory.limit_in_bytes', current: 'memory.usage_in_bytes', peak: 'memory.max_usage_in_bytes' }
      : { max: 'memory.max', current: 'memory.current', peak: 'memory.peak' };
  const max = num(readTrim(`${dir}/${f.max}`));
  if (max === undefined || max >= V1_MEMORY_UNLIMITED) return undefined;
  const current = num(readTrim(`${dir}/${f.current}`));
  const peak = num(readTrim(`${dir}/${f.peak}`));
  // OOM kills: v2 memory.events "oom_kill N"; v1 memory.oom_control "oom_kill N" (4.13+), else failcnt.
  const eventsFile = version === 1 ? 'memory.oom_control' : 'memory.events';
  const eventsText = readTrim(`${dir}/${eventsFile}`);
  const events = keyed(eventsText, 'oom_kill');
  const evidence: Evidence[] = [{ source: `${hostBase}${rel}/${f.max}`, text: String(max) }];
  if (current !== undefined)
    evidence.push({ source: `${hostBase}${rel}/${f.current}`, text: String(current) });
  if (peak !== undefined) evidence.push({ source: `${hostBase}${rel}/${f.peak}`, text: String(peak) });
  if (events !== undefined)
    evidence.push({ source: `${hostBase}${rel}/${eventsFile}`, text: `oom_kill ${events}` });
  return {
    controller: 'memory',
    path: rel,
    max,
    ...(current !== undefined ? { current } : {}),
    ...(peak !== undefined ? { peak } : {}),
    ...(events !== undefined ? { events } : {}),
    evidence,
  };
}

/** The level a cgroup path segment stands for in the kubelet's layout. */
export function levelOf(segment: string, isLast: boolean): string {
  if (/^pod[0-9a-f-]{36}$/.test(segment) || /-pod[0-9a-f_]{36}\.slice$/.test(segment)) return 'pod';
  if (/^(burstable|besteffort)$/.test(segment) || /^kubepods-(burstable|besteffort)\.slice$/.test(segment))
    return 'qos';
  if (/^kubepods(\.slice)?$/.test(segment) || /kubepods\.slice$/.test(segment)) return 'kubepods';
  if (
    /\.(service|scope)$/.test(segment) &&
    !/^(docker|cri-containerd|crio|libpod)-[0-9a-f]{12,64}\.scope$/.test(segment)
  )
    return 'unit';
  return isLast ? 'container' : 'other';
}

/**
 * Every level of a cgroup path, deepest first, for one controller: limit, usage, peak and event
 * counters as the CgroupLevel model holds them (unlimited levels included, so the reader sees the
 * whole chain). `realBase` is the real directory of the hierarchy under the root.
 */
export function chainOf(
  realBase: string,
  hostBase: string,
  path: string,
  controller: 'pids' | 'memory',
  version: 1 | 2,
): CgroupLevel[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  const out: CgroupLevel[] = [];
  for (let n = parts.length; n >= 1; n--) {
    const rel = '/' + parts.slice(0, n).join('/');
    const dir = realBase + rel;
    const files =
      controller === 'pids'
        ? { max: 'pids.max', current: 'pids.current', peak: 'pids.peak', events: 'pids.events', key: 'max' }
        : version === 1
          ? {
              max: 'memory.limit_in_bytes',
              current: 'memory.usage_in_bytes',
              peak: 'memory.max_usage_in_bytes',
              events: 'memory.oom_control',
              key: 'oom_kill',
            }
          : {
              max: 'memory.max',
              current: 'memory.current',
              peak: 'memory.peak',
              events: 'memory.events',
              key: 'oom_kill',
            };
    const maxText = readTrim(`${dir}/${files.max}`);
    if (maxText === undefined) continue; // this level does not exist (any more) in this hierarchy
    const evidence: Evidence[] = [{ source: `${hostBase}${rel}/${files.max}`, text: maxText }];
    const rawMax = num(maxText);
    const max = rawMax === undefined || rawMax >= V1_MEMORY_UNLIMITED ? null : rawMax;
    const current = num(readTrim(`${dir}/${files.current}`));
    const peak = num(readTrim(`${dir}/${files.peak}`));
    const eventsText = readTrim(`${dir}/${files.events}`);
    const events = keyed(eventsText, files.key);
    const eventsLocal =
      controller === 'pids' ? keyed(readTrim(`${dir}/pids.events.local`), 'max') : undefined;
    if (current !== undefined)
      evidence.push({ source: `${hostBase}${rel}/${files.current}`, text: String(current) });
    if (peak !== undefined) evidence.push({ source: `${hostBase}${rel}/${files.peak}`, text: String(peak) });
    if (eventsText)
      evidence.push({ source: `${hostBase}${rel}/${files.events}`, text: eventsText.split('\n').join(', ') });
    if (controller === 'memory' && version === 1) {
      // v1 failcnt: times usage hit the limit (reclaim may have saved it; oom_kill says when it did not).
      const failcnt = readTrim(`${dir}/memory.failcnt`);
      if (failcnt !== undefined) evidence.push({ source: `${hostBase}${rel}/memory.failcnt`, text: failcnt });
    }
    out.push({
      path: rel,
      level: levelOf(parts[n - 1]!, n === parts.length),
      controller,
      max,
      ...(current !== undefined ? { current } : {}),
      ...(peak !== undefined ? { peak } : {}),
      ...(events !== undefined ? { events } : {}),
      ...(eventsLocal !== undefined ? { eventsLocal } : {}),
      evidence,
    });
  }
  return out;
}
