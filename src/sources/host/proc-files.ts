// Parsers for the per-process files of /proc that decide which limits can apply to a task:
// status (real UID, CapEff, thread count, state), limits (soft/hard rlimits), uid_map (user
// namespace). Formats: proc(5) (https://man7.org/linux/man-pages/man5/proc.5.html) and
// linux:fs/proc/array.c (task_state: "Uid:\treal\teffective\tsaved\tfs"), linux:fs/proc/base.c
// (proc_pid_limits: "Limit  Soft Limit  Hard Limit  Units", "unlimited" for RLIM_INFINITY).

export interface ProcStatus {
  name: string;
  /** Single-letter state: R S D Z T ... (Z = zombie, not yet reaped: still charged to its UID and cgroup). */
  state: string;
  realUid: number;
  effectiveUid: number;
  threads: number;
  /** CapEff as a 64-bit mask (hex string from the kernel, kept as bigint). */
  capEff?: bigint;
  capEffHex?: string;
  /** NSpid: more than one field means the process lives in a nested pid namespace (a container). */
  nsPids: number[];
}

const STATUS_KEYS = new Set(['Name', 'State', 'Uid', 'Threads', 'CapEff', 'NSpid']);

/** Parses /proc/<pid>/status. Returns undefined when the essential Uid line is missing (garbage, races). */
export function parseStatus(text: string): ProcStatus | undefined {
  let name = '';
  let state = '?';
  let realUid: number | undefined;
  let effectiveUid = 0;
  let threads = 1;
  let capEffHex: string | undefined;
  let nsPids: number[] = [];
  for (const line of text.split('\n')) {
    const tab = line.indexOf(':');
    if (tab <= 0) continue;
    // Only the lines read below are sliced: status has about 55, five of them wanted, and a node's
    // walk parses one per process.
    const key = line.slice(0, tab);
    if (!STATUS_KEYS.has(key)) continue;
    const value = line.slice(tab + 1).trim();
    switch (key) {
      case 'Name':
        name = value;
        break;
      case 'State':
        state = value.charAt(0);
        break;
      case 'Uid': {
        const ids = value.split(/\s+/).map(Number);
        if (ids.length >= 2 && Number.isInteger(ids[0]) && Number.isInteger(ids[1])) {
          realUid = ids[0]!;
          effectiveUid = ids[1]!;
        }
        break;
      }
      case 'Threads':
        if (/^\d{1,9}$/.test(value)) threads = Number(value);
        break;
      case 'CapEff':
        if (/^[0-9a-f]{1,16}$/i.test(value)) capEffHex = value;
        break;
      case 'NSpid':
        nsPids = value
          .split(/\s+/)
          .filter((v) => /^\d{1,10}$/.test(v))
          .map(Number);
        break;
    }
  }
  if (realUid === undefined) return undefined;
  return {
    name,
    state,
    realUid,
    effectiveUid,
    threads,
    nsPids,
    ...(capEffHex !== undefined ? { capEff: BigInt('0x' + capEffHex), capEffHex } : {}),
  };
}

/** Capability bit numbers that matter here (linux:include/uapi/linux/capability.h). */
const CAP_NAMES: Record<number, string> = {
  0: 'CHOWN',
  1: 'DAC_OVERRIDE',
  5: 'KILL',
  6: 'SETGID',
  7: 'SETUID',
  10: 'NET_BIND_SERVICE',
  12: 'NET_ADMIN',
  18: 'SYS_CHROOT',
  19: 'SYS_PTRACE',
  21: 'SYS_ADMIN',
  24: 'SYS_RESOURCE',
};

/** Names of the known capabilities set in a CapEff mask (unknown bits as CAP_<n>). */
export function capabilityNames(mask: bigint): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) out.push(CAP_NAMES[bit] ?? `CAP_${bit}`);
  }
  return out;
}

export interface Rlimit {
  /** null = unlimited. */
  soft: number | null;
  hard: number | null;
  /** 1-based line in the limits file, for evidence. */
  line: number;
  text: string;
}

/** Parses /proc/<pid>/limits into rows keyed by their name ("Max processes", "Max open files", ...). */
export function parseLimits(text: string): Map<string, Rlimit> {
  const out = new Map<string, Rlimit>();
  text.split('\n').forEach((line, i) => {
    // Columns are fixed-width: name (25), soft (20), hard (20), units. Names contain single spaces.
    const m = /^(Max [a-z ]{1,30}?)\s{2,}(unlimited|\d{1,20})\s+(unlimited|\d{1,20})/.exec(line);
    if (!m) return;
    out.set(m[1]!, {
      soft: m[2] === 'unlimited' ? null : Number(m[2]),
      hard: m[3] === 'unlimited' ? null : Number(m[3]),
      line: i + 1,
      text: line.trimEnd(),
    });
  });
  return out;
}

/**
 * true when /proc/<pid>/uid_map maps anything else than the identity of the initial namespace
 * ("0 0 4294967295"): the process then runs in a user namespace, where RLIMIT_NPROC applies even to
 * its "root" (limits.md §1.2 point 5).
 */
export function inUserNamespace(uidMap: string): boolean {
  const rows = uidMap
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (rows.length !== 1) return rows.length > 1;
  return !/^0\s+0\s+4294967295$/.test(rows[0]!);
}
