// Node-wide kernel facts: distro, kernel release, the task and file ceilings and how much of them is
// used. Each value keeps the file and line it came from. Sources: /proc/loadavg field 4 is
// nr_running/nr_threads (linux:fs/proc/loadavg.c), field 5 the last PID allocated; fs/file-nr is
// "allocated unused max" (linux:fs/file_table.c); /proc/cgroups is "subsys hierarchy num enabled";
// the commit accounting is vm.overcommit_memory/ratio and /proc/meminfo CommitLimit/Committed_AS in
// kB (linux:fs/proc/meminfo.c, Documentation/mm/overcommit-accounting.rst).
import type { Evidence, Fact, NodeFacts } from '../../evidence/types.js';
import { evidenceOf, type HostRoot } from './root.js';

type KernelFacts = Pick<
  NodeFacts,
  | 'hostname'
  | 'os'
  | 'kernelRelease'
  | 'pidMax'
  | 'threadsMax'
  | 'tasks'
  | 'lastPid'
  | 'maxMapCount'
  | 'overcommitMemory'
  | 'overcommitRatio'
  | 'commitLimit'
  | 'committedAs'
  | 'fileMax'
  | 'filesAllocated'
  | 'nrOpen'
  | 'inotifyMaxUserInstances'
  | 'inotifyMaxUserWatches'
  | 'controllers'
>;

export function readKernelFacts(root: HostRoot): KernelFacts {
  const out: KernelFacts = {};
  const os = readOsRelease(root);
  if (os) out.os = os;
  // /etc/hostname, not /proc/sys/kernel/hostname: under /host in a pod, /proc answers with the pod's
  // own UTS namespace. Kubelets often name the node after it (the seed's node is named by its IP).
  const host = root.read('/etc/hostname', { quiet: true });
  const name = host?.text.trim().split('\n')[0]?.trim();
  if (host && name && /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(name))
    out.hostname = { value: name, evidence: evidenceOf(host, 1) };
  const rel = root.read('/proc/sys/kernel/osrelease');
  if (rel && rel.text.trim()) out.kernelRelease = { value: rel.text.trim(), evidence: evidenceOf(rel) };

  const numeric: [keyof KernelFacts, string][] = [
    ['pidMax', '/proc/sys/kernel/pid_max'],
    ['threadsMax', '/proc/sys/kernel/threads-max'],
    ['maxMapCount', '/proc/sys/vm/max_map_count'],
    ['fileMax', '/proc/sys/fs/file-max'],
    ['nrOpen', '/proc/sys/fs/nr_open'],
    ['inotifyMaxUserInstances', '/proc/sys/fs/inotify/max_user_instances'],
    ['inotifyMaxUserWatches', '/proc/sys/fs/inotify/max_user_watches'],
  ];
  for (const [key, path] of numeric) {
    const f = readNumber(root, path);
    if (f) (out as Record<string, Fact<number>>)[key] = f;
  }

  // 0 is a valid mode (the heuristic) and a valid ratio, so not readNumber (which wants a limit >= 1).
  for (const [key, path] of [
    ['overcommitMemory', '/proc/sys/vm/overcommit_memory'],
    ['overcommitRatio', '/proc/sys/vm/overcommit_ratio'],
  ] as const) {
    const r = root.read(path, { quiet: true });
    const m = r ? /^\s*(\d{1,6})\s*$/.exec(r.text) : null;
    if (r && m) out[key] = { value: Number(m[1]), evidence: evidenceOf(r, 1) };
  }
  const meminfo = root.read('/proc/meminfo', { quiet: true });
  if (meminfo) {
    meminfo.text.split('\n').forEach((l, i) => {
      const m = /^(CommitLimit|Committed_AS):\s+(\d{1,15}) kB\s*$/.exec(l);
      if (m)
        out[m[1] === 'CommitLimit' ? 'commitLimit' : 'committedAs'] = {
          value: Number(m[2]) * 1024,
          evidence: evidenceOf(meminfo, i + 1),
        };
    });
  }

  const load = root.read('/proc/loadavg');
  if (load) {
    // "0.02 0.13 0.08 2/93 6404": running/total tasks, then the last PID handed out.
    const m = /^\s*\S+\s+\S+\s+\S+\s+(\d{1,12})\/(\d{1,12})\s+(\d{1,12})/.exec(load.text);
    if (m) {
      const ev = evidenceOf(load, 1);
      out.tasks = { value: Number(m[2]), evidence: ev };
      out.lastPid = { value: Number(m[3]), evidence: ev };
    } else
      root.note(
        load.path,
        `${load.path}: not in the "a b c running/total lastpid" format; task count unknown.`,
      );
  }

  const fileNr = root.read('/proc/sys/fs/file-nr');
  if (fileNr) {
    const m = /^\s*(\d{1,20})\s+\d{1,20}\s+\d{1,20}/.exec(fileNr.text);
    if (m) out.filesAllocated = { value: Number(m[1]), evidence: evidenceOf(fileNr, 1) };
  }

  const cg = root.read('/proc/cgroups', { quiet: true });
  if (cg) {
    const enabled: Record<string, boolean> = {};
    const lines = cg.text.split('\n');
    let pidsLine: number | undefined;
    lines.forEach((l, i) => {
      const m = /^([a-z_]{1,32})\s+\d+\s+\d+\s+([01])\s*$/.exec(l);
      if (!m) return;
      enabled[m[1]!] = m[2] === '1';
      if (m[1] === 'pids') pidsLine = i + 1;
    });
    // The pids line is the one a reader checks (kernel 3.10 may lack it: limits.md §2.4).
    const ev: Evidence =
      pidsLine !== undefined
        ? evidenceOf(cg, pidsLine)
        : {
            source: cg.path,
            text: `no pids controller listed (${Object.keys(enabled).join(', ') || 'no controllers'})`,
          };
    out.controllers = { value: enabled, evidence: ev };
  }
  return out;
}

/** A sysctl-like file holding one integer (values beyond 2^53, like file-max's LONG_MAX, are kept approximate). */
/**
 * A kernel limit read from a sysctl file: a whole number from 1 up. Anything else (garbage, a
 * negative value, 0, more digits than a 64-bit counter holds) is reported as unreadable and the
 * limit stays unknown: never "unlimited", never "exhausted".
 */
export function readNumber(root: HostRoot, path: string, quiet = false): Fact<number> | undefined {
  const r = root.read(path, { quiet });
  if (!r) return undefined;
  const m = /^\s*(\d{1,20})\s*$/.exec(r.text);
  const value = m ? Number(m[1]) : NaN;
  if (!m || value < 1 || value > 2 ** 64) {
    root.note(
      path,
      `${path}: expected a limit (a whole number from 1), found "${r.text.trim().slice(0, 40)}"; it is unknown.`,
    );
    return undefined;
  }
  return { value, evidence: evidenceOf(r, 1) };
}

function readOsRelease(root: HostRoot): NodeFacts['os'] {
  // os-release(5): /etc/os-release, falling back to /usr/lib/os-release.
  const r =
    root.read('/etc/os-release', { quiet: true }) ?? root.read('/usr/lib/os-release', { quiet: true });
  if (!r) {
    root.note(
      '/etc/os-release',
      '/etc/os-release: not found (nor /usr/lib/os-release); the distribution is unknown.',
    );
    return undefined;
  }
  const vals: Record<string, { v: string; line: number }> = {};
  r.text.split('\n').forEach((l, i) => {
    const m = /^([A-Z_]{1,40})=(.{0,300})$/.exec(l.trim());
    if (m) vals[m[1]!] = { v: unquote(m[2]!), line: i + 1 };
  });
  const pretty = vals['PRETTY_NAME'] ?? vals['NAME'];
  const os: NonNullable<NodeFacts['os']> = {
    // A file with no PRETTY_NAME may be anything (64 MiB of NULs in a hostile snapshot): a bounded line.
    evidence: pretty
      ? evidenceOf(r, pretty.line)
      : { source: r.path, text: (r.text.split('\n', 1)[0] ?? '').slice(0, 300) },
  };
  if (vals['ID']) os.id = vals['ID'].v;
  if (vals['VERSION_ID']) os.versionId = vals['VERSION_ID'].v;
  if (pretty) os.prettyName = pretty.v;
  return os;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0])
    return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}
