// The cgroup chain of a pod, container levels first, then the pod, its QoS class and kubepods, for the
// pids and memory controllers, on cgroup v1 and v2, with the kubelet's cgroupfs or systemd driver.
// Layouts (k8s:pkg/kubelet/cm/cgroup_manager_linux.go, qos_container_manager_linux.go):
//   cgroupfs: kubepods/pod<uid> (Guaranteed), kubepods/burstable/pod<uid>, kubepods/besteffort/pod<uid>
//   systemd:  kubepods.slice/kubepods-pod<uid_>.slice, kubepods.slice/kubepods-burstable.slice/
//             kubepods-burstable-pod<uid_>.slice (dashes of the uid become underscores)
//   containers: <id> (cgroupfs), docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope (systemd)
// kind and some installers nest kubepods under kubelet.slice/kubelet-kubepods.slice or kubelet/kubepods.
// pids files: linux:Documentation/admin-guide/cgroup-v1/pids.rst, cgroup-v2.rst (pids.peak ≈ 6.1+,
// pids.events.local ≈ 6.11+). memory v1: memory.limit_in_bytes, usage_in_bytes, max_usage_in_bytes,
// failcnt, memory.oom_control "oom_kill N" (4.13+); v2: memory.max, current, peak, events.
// One level reader (readLevel) serves the pod chains, the chain of a process's own cgroup path, and
// the walk of every limited cgroup for node.limits, so a level reads the same whoever asks.
import type { CgroupLevel, Evidence } from '../../evidence/types.js';
import type { HostRoot } from './root.js';

const CGROUP = '/sys/fs/cgroup';
/** A v1 memory limit at or above this is "no limit" (PAGE_COUNTER_MAX pages, 9223372036854771712 on x86-64). */
const V1_MEMORY_UNLIMITED = 2 ** 62;
/** A pod has a handful of containers; a directory with more children is not a pod, stop listing there. */
const MAX_CHILDREN = 256;
/** Directories visited at most per hierarchy by the walk (a busy node has a few thousand). */
const MAX_WALK_DIRS = 50_000;
const MAX_WALK_DEPTH = 12;

export interface CgroupFacts {
  cgroupVersion?: 1 | 2;
  cgroupChains: CgroupLevel[];
}

export type Controller = 'pids' | 'memory';

/** The host path of a controller's hierarchy: /sys/fs/cgroup on v2, /sys/fs/cgroup/<controller> on v1. */
export function hierarchyOf(version: 1 | 2, controller: Controller): string {
  return version === 2 ? CGROUP : `${CGROUP}/${controller}`;
}

export function cgroupVersionOf(root: HostRoot): 1 | 2 | undefined {
  if (root.exists(`${CGROUP}/cgroup.controllers`)) return 2;
  if (root.isDir(`${CGROUP}/pids`) || root.isDir(`${CGROUP}/memory`)) return 1;
  return undefined;
}

export function readCgroupFacts(root: HostRoot, podUids: string[]): CgroupFacts {
  const version = cgroupVersionOf(root);
  const out: CgroupFacts = { cgroupChains: [] };
  if (version === undefined) {
    root.note(
      CGROUP,
      `${CGROUP}: no cgroup v2 (cgroup.controllers) nor v1 pids/memory hierarchy found; cgroup limits unknown.`,
    );
    return out;
  }
  out.cgroupVersion = version;
  const seen = new Set<string>();
  for (const uid of podUids) {
    let found = false;
    for (const controller of ['pids', 'memory'] as const) {
      const base = hierarchyOf(version, controller);
      const chain = findPodChain(root, base, uid);
      if (!chain) continue;
      found = true;
      for (const { rel, level } of chain) {
        const key = `${controller}:${rel}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const lvl = readLevel(root, controller, version, rel, level);
        if (lvl) out.cgroupChains.push(lvl);
      }
    }
    if (!found) {
      root.note(
        `pod:${uid}`,
        `No cgroup of pod ${uid} under ${CGROUP} (looked for kubepods/…/pod${uid} and kubepods.slice/…-pod${uid.replace(/-/g, '_')}.slice): the pod is not on this node, or it was deleted.`,
      );
    }
  }
  return out;
}

interface ChainEntry {
  /** Path relative to the controller's hierarchy, as /proc/<pid>/cgroup prints it. */
  rel: string;
  level: string;
}

/** The chain of one pod under one controller hierarchy: containers, pod, QoS class, kubepods. */
function findPodChain(root: HostRoot, base: string, uid: string): ChainEntry[] | undefined {
  const plain = uid.toLowerCase().replace(/_/g, '-');
  const under = plain.replace(/-/g, '_');
  if (!/^[0-9a-f-]{1,64}$/.test(plain)) return undefined;
  const roots: { rel: string; systemd: boolean }[] = [
    { rel: '/kubepods', systemd: false },
    { rel: '/kubepods.slice', systemd: true },
    { rel: '/kubelet/kubepods', systemd: false },
    { rel: '/kubelet.slice/kubelet-kubepods.slice', systemd: true },
  ];
  for (const r of roots) {
    if (!root.isDir(base + r.rel)) continue;
    const prefix = r.rel.slice(r.rel.lastIndexOf('/') + 1).replace(/\.slice$/, ''); // kubepods | kubelet-kubepods
    const candidates: { pod: string; qos?: string }[] = r.systemd
      ? [
          { pod: `${r.rel}/${prefix}-pod${under}.slice` },
          ...['burstable', 'besteffort'].map((q) => ({
            qos: `${r.rel}/${prefix}-${q}.slice`,
            pod: `${r.rel}/${prefix}-${q}.slice/${prefix}-${q}-pod${under}.slice`,
          })),
        ]
      : [
          { pod: `${r.rel}/pod${plain}` },
          ...['burstable', 'besteffort'].map((q) => ({
            qos: `${r.rel}/${q}`,
            pod: `${r.rel}/${q}/pod${plain}`,
          })),
        ];
    for (const c of candidates) {
      if (!root.isDir(base + c.pod)) continue;
      const chain: ChainEntry[] = [];
      const children = (root.list(base + c.pod, { quiet: true }) ?? [])
        .filter((n) => root.isDir(`${base}${c.pod}/${n}`))
        .sort()
        .slice(0, MAX_CHILDREN);
      // Containers first (the crashed one is among them), then runtime units such as CRI-O's conmon.
      const rank = (level: string): number => ['container', 'unit', 'other'].indexOf(level);
      const levels = children.map((n) => ({ rel: `${c.pod}/${n}`, level: levelOf(n, false) }));
      chain.push(...levels.sort((a, b) => rank(a.level) - rank(b.level)));
      chain.push({ rel: c.pod, level: 'pod' });
      if (c.qos) chain.push({ rel: c.qos, level: 'qos' });
      chain.push({ rel: r.rel, level: 'kubepods' });
      return chain;
    }
  }
  return undefined;
}

/**
 * The level a cgroup path segment stands for in the kubelet's layout. A segment named like a
 * container (a 12-64 hex id, or a runtime's scope) is a container; the last segment of a process's
 * own path is its container whatever its name (bare cgroups, kind); anything else is `other`.
 */
export function levelOf(segment: string, isLast: boolean): string {
  if (/^pod[0-9a-f-]{36}$/.test(segment) || /-pod[0-9a-f_]{36}\.slice$/.test(segment)) return 'pod';
  if (/^(burstable|besteffort)$/.test(segment) || /^kubepods-(burstable|besteffort)\.slice$/.test(segment))
    return 'qos';
  if (/^kubepods(\.slice)?$/.test(segment) || /kubepods\.slice$/.test(segment)) return 'kubepods';
  if (/^crio-conmon-/.test(segment)) return 'unit'; // CRI-O's conmon monitor, beside the container
  if (
    /^(?:docker-|cri-containerd-|crio-|libpod-)[0-9a-f]{12,64}\.scope$/.test(segment) ||
    /^[0-9a-f]{12,64}$/.test(segment)
  )
    return 'container';
  if (/\.(service|scope|slice)$/.test(segment)) return 'unit';
  return isLast ? 'container' : 'other';
}

/**
 * Every level of a cgroup path (as /proc/<pid>/cgroup prints it), deepest first, for one controller:
 * unlimited levels included, so the reader sees the whole chain. Levels that do not exist (any more)
 * are left out.
 */
export function chainOf(root: HostRoot, controller: Controller, version: 1 | 2, path: string): CgroupLevel[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  const out: CgroupLevel[] = [];
  for (let n = parts.length; n >= 1; n--) {
    const rel = '/' + parts.slice(0, n).join('/');
    if (!root.isDir(hierarchyOf(version, controller) + rel)) continue; // this level does not exist (any more)
    const lvl = readLevel(root, controller, version, rel, levelOf(parts[n - 1]!, n === parts.length));
    if (lvl) out.push(lvl);
  }
  return out;
}

export interface CgroupWalk {
  /** Every level with a finite limit. */
  limited: CgroupLevel[];
  /** A sentence when the hierarchy had more directories than walked. */
  truncated?: string;
}

/** Every cgroup of one hierarchy whose limit is set (pids.max or a memory limit), for node.limits. */
export function walkLimited(root: HostRoot, controller: Controller, version: 1 | 2): CgroupWalk {
  const base = hierarchyOf(version, controller);
  const out: CgroupWalk = { limited: [] };
  const stack: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  let visited = 0;
  while (stack.length > 0) {
    const { rel, depth } = stack.pop()!;
    if (++visited > MAX_WALK_DIRS) {
      out.truncated = `${base}: more than ${MAX_WALK_DIRS} cgroups; node.limits covers the first ones only.`;
      break;
    }
    const children = root.list(base + (rel || '/'), { quiet: true, dirsOnly: true });
    if (children === undefined) continue;
    if (rel !== '') {
      const segment = rel.slice(rel.lastIndexOf('/') + 1);
      // Named only once it is known to be limited: most levels of a node are not.
      const lvl = readLevel(root, controller, version, rel, '', { limitedOnly: true });
      if (lvl) {
        lvl.level = levelOf(segment, true);
        out.limited.push(lvl);
      }
    }
    if (depth >= MAX_WALK_DEPTH) continue;
    for (const name of children) stack.push({ rel: `${rel}/${name}`, depth: depth + 1 });
  }
  return out;
}

/**
 * The one reader of a cgroup level: limit, usage, peak and the kernel's event counters, each with the
 * file it came from (`max` stays undefined when the limit file is absent). With `limitedOnly`,
 * undefined unless the limit is finite. A value that is neither a number nor "max" is
 * reported as unreadable, never taken for "unlimited".
 */
export function readLevel(
  root: HostRoot,
  controller: Controller,
  version: 1 | 2,
  rel: string,
  level: string,
  opts: { limitedOnly?: boolean } = {},
): CgroupLevel | undefined {
  const dir = hierarchyOf(version, controller) + rel;
  const out: CgroupLevel = { path: rel, level, controller, evidence: [] };
  const file = (name: string): { text: string; ev: Evidence } | undefined => {
    const r = root.read(`${dir}/${name}`, { quiet: true, maxBytes: 64 * 1024 });
    if (!r) return undefined;
    const text = r.text.trim();
    const ev: Evidence = { source: r.path, text: text.split('\n').join('; ').slice(0, 512) };
    return { text, ev };
  };
  const num = (name: string): number | undefined => {
    const f = file(name);
    if (!f || !/^\d{1,20}$/.test(f.text)) return undefined;
    out.evidence.push(f.ev);
    return Number(f.text);
  };
  const keyed = (name: string, key: string): number | undefined => {
    const f = file(name);
    if (!f) return undefined;
    const m = new RegExp(`(?:^|\\n)${key} (\\d{1,20})(?:\\n|$)`).exec(f.text);
    if (!m) return undefined;
    out.evidence.push(f.ev);
    return Number(m[1]);
  };
  /** false when the level has no limit file at all. */
  const limit = (name: string, unlimitedAbove?: number): void => {
    const f = file(name);
    if (!f) return;
    out.evidence.push(f.ev);
    if (f.text === 'max') out.max = null;
    else if (/^\d{1,20}$/.test(f.text)) {
      const v = Number(f.text);
      out.max = unlimitedAbove !== undefined && v >= unlimitedAbove ? null : v;
    } else
      root.note(
        f.ev.source,
        `${f.ev.source}: "${f.text.slice(0, 40)}" is not a limit; this level's limit is unknown.`,
      );
  };
  const set = <K extends 'current' | 'peak' | 'events' | 'eventsLocal'>(
    k: K,
    v: number | undefined,
  ): void => {
    if (v !== undefined) out[k] = v;
  };

  const limitFile =
    controller === 'pids' ? 'pids.max' : version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
  limit(limitFile, controller === 'memory' && version === 1 ? V1_MEMORY_UNLIMITED : undefined);
  if (opts.limitedOnly && (out.max === null || out.max === undefined)) return undefined;
  if (controller === 'pids') {
    set('current', num('pids.current'));
    set('peak', num('pids.peak'));
    set('events', keyed('pids.events', 'max'));
    set('eventsLocal', keyed('pids.events.local', 'max'));
  } else if (version === 2) {
    set('current', num('memory.current'));
    set('peak', num('memory.peak'));
    set('events', keyed('memory.events', 'oom_kill'));
  } else {
    set('current', num('memory.usage_in_bytes'));
    set('peak', num('memory.max_usage_in_bytes'));
    // oom_kill (kernel 4.13+) counts kills. failcnt only counts times usage hit the limit, which
    // reclaim usually survives: it is shown as evidence, never counted as an OOM kill.
    set('events', keyed('memory.oom_control', 'oom_kill'));
    const failcnt = file('memory.failcnt');
    if (failcnt) out.evidence.push(failcnt.ev);
  }
  return out;
}
