// The recorder's memory: every few seconds, the last sample of each running Kubernetes container's
// main process (threads, open descriptors, mappings, rlimits, user: read as the *crashed* instance's,
// because if it dies before the next sample that is what it held) and of its pids and memory cgroup
// chain (current, peak, events at every level). One sample per container and pid, the previous pid's
// kept while a restarted instance replaces it, so memory stays bounded by the containers running.
//
// What a round costs. Reading every process in full (status, uid_map, limits, the descriptor
// listing, maps) and every level of its chains (about 20 files) took about 2 ms per container: 100
// idle containers cost 40 millicores. A round now reads a few counters of each container (its
// process's stat line, its descriptor directory's size, its own cgroup's pids and memory usage) and
// reads in full only what moved or what is near a limit:
//   - the process, when it is a new instance (another pid, or the same pid started again), its thread
//     count changed, its descriptors or mappings may be near their limits, or five minutes have passed;
//     a changed descriptor count alone is taken from the counter (the same count a listing gives);
//   - the chains, when the container's pids count changed, its memory moved by a tenth, a level is
//     near its limit, or five minutes have passed. The chains at the exit itself are read again anyway.
import type { CgroupLevel, ProcessFacts } from '../evidence/types.js';
import { cgroupVersionOf, chainOf, hierarchyOf } from '../sources/host/cgroups.js';
import { cgroupsOf } from '../sources/host/proc-table.js';
import { openFilesFact, readProcessFacts } from '../sources/host/process-facts.js';
import { HostRoot } from '../sources/host/root.js';
import { hostCgroupPath } from '../sources/runtime/cgroups-path.js';
import type { RuntimeContainer } from '../sources/runtime/types.js';

/** Containers sampled at most: beyond, the rest wait for the next round (exits are never shed). */
const MAX_CONTAINERS = 2000;
/**
 * Each container is read in full at least this often, whatever its counters say: for what no counter
 * shows (a limit changed by prlimit or a resize, the peaks). At one minute these reads were a fifth of
 * the idle agent's CPU; what decides a verdict moves a counter, and the chains are read at the exit.
 */
const FULL_EVERY_MS = 300_000;
/** A count at or above this share of its limit is read in full every round. */
const NEAR_LIMIT = 0.5;
/**
 * Memory usage that moved by more than this share since the chains were read (and by more than
 * MEMORY_MOVE_MIN: a small process's usage swings by a page cache's worth) has them read again.
 */
const MEMORY_MOVE = 0.1;
const MEMORY_MOVE_MIN = 1 << 20;
/** vm.max_map_count's default; each new mapping takes at least one page of address space. */
const MAX_MAP_COUNT = 65530;
const PAGE = 4096;

/** What is read of every container every round. */
export interface Counters {
  /** The process's start time (/proc/<pid>/stat field 22): the same pid started again is another instance. */
  started: string;
  threads: number;
  /** Address space in bytes (field 23): mappings cannot grow by more than it does, in pages. */
  vsize: number;
  fds?: number;
  /** The container's own cgroup: tasks and memory usage. */
  pids?: number;
  memory?: number;
}

export interface Sample {
  containerId: string;
  pid: number;
  /** ms since the epoch: when the process was last read in full. */
  at: number;
  process: ProcessFacts;
  /** The container's pids and memory chains, deepest first. */
  chains: CgroupLevel[];
  /** ms since the epoch: when the chains were last read. */
  chainsAt: number;
  /** The cgroup paths the chains were read from, to read them again at the exit. */
  paths: { pids?: string; memory?: string };
  /** The counters as of the last round. */
  counters: Counters;
  /** When the process and the chains are next read in full whatever the counters say (ms since the epoch). */
  processDue: number;
  chainsDue: number;
  /** The address space when maps was last read, and the memory usage when the chains were. */
  mapsVsize: number;
  chainsMemory?: number;
}

export class Sampler {
  private readonly last = new Map<string, Sample>();
  /** The last sample of a container's previous pid, while the runtime has already started another. */
  private readonly previous = new Map<string, Sample>();
  /** A fresh root per round: a HostRoot remembers every path it could not read. */
  private root: HostRoot;
  private version: 1 | 2 | undefined;
  /** Whether /proc/<pid>/fd's size is its descriptor count here (a live procfs on Linux 6.2+). */
  private readonly fdSizeCounts: boolean;
  rounds = 0;
  lastRoundMs = 0;
  /** Processes and chains read in full in the last round (the rest had only their counters read). */
  lastFullReads = 0;

  constructor(private readonly rootDir: string) {
    this.root = new HostRoot(rootDir);
    this.version = cgroupVersionOf(this.root);
    // The agent itself always holds descriptors: a size of 0 means the kernel does not count them.
    this.fdSizeCounts = this.root.isLive() && (this.root.sizeOf('/proc/self/fd') ?? 0) > 0;
  }

  get size(): number {
    return this.last.size + this.previous.size;
  }

  /**
   * One round over the running containers; containers gone from the list are forgotten a round
   * later. Returns the ids whose process is gone or is not the container's own (another container's
   * cgroup): their runtime record is stale.
   */
  round(containers: RuntimeContainer[]): string[] {
    const started = performance.now();
    this.root = new HostRoot(this.rootDir);
    this.version = cgroupVersionOf(this.root);
    const now = Date.now();
    const running = containers.filter((c) => c.running && c.pid).slice(0, MAX_CONTAINERS);
    const seen = new Set<string>();
    const stale: string[] = [];
    let full = 0;
    for (const c of running) {
      seen.add(c.id);
      const pid = c.pid!;
      const counters = this.processCounters(pid);
      if (!counters) {
        stale.push(c.id); // gone between the list and the read
        continue;
      }
      const before = this.last.get(c.id);
      if (!before || before.pid !== pid || before.counters.started !== counters.started) {
        const s = this.sample(c.id, pid, c.cgroupsPath);
        if (!s) {
          stale.push(c.id);
          continue;
        }
        full++;
        if (before && before.pid !== s.pid) this.previous.set(c.id, before);
        this.last.set(c.id, s);
        continue;
      }
      this.cgroupCounters(before.paths, counters);
      if (this.refresh(before, counters, now)) full++;
    }
    for (const id of [...this.last.keys()]) if (!seen.has(id)) this.forgetLater(id);
    this.rounds++;
    this.lastFullReads = full;
    this.lastRoundMs = performance.now() - started;
    return stale;
  }

  /** Reads again what moved of a known instance; true when something was read in full. */
  private refresh(s: Sample, c: Counters, now: number): boolean {
    const was = s.counters;
    s.counters = c;
    let full = false;
    if (now >= s.processDue || c.threads !== was.threads || this.processNearLimits(s, c)) {
      const process = this.readProcess(s.pid);
      if (process) s.process = process;
      s.at = now;
      s.processDue = now + FULL_EVERY_MS;
      s.mapsVsize = c.vsize;
      full = true;
    } else if (c.fds !== undefined && c.fds !== was.fds) {
      s.process.openFiles = openFilesFact(s.pid, c.fds, 'crashed');
    }
    // Against the memory of the last chain read, so that a slow drift adds up.
    const memoryMoved =
      c.memory !== undefined &&
      (s.chainsMemory === undefined ||
        Math.abs(c.memory - s.chainsMemory) > Math.max(MEMORY_MOVE * s.chainsMemory, MEMORY_MOVE_MIN));
    if (now >= s.chainsDue || c.pids !== was.pids || memoryMoved || this.chainsNearLimits(s, c)) {
      s.chains = this.chains(s.paths);
      s.chainsAt = now;
      s.chainsDue = now + FULL_EVERY_MS;
      if (c.memory !== undefined) s.chainsMemory = c.memory;
      full = true;
    }
    return full;
  }

  /**
   * Descriptors or mappings that may be near their limits. Mappings are counted only by reading
   * maps: since each new one takes at least a page, the growth of the address space since that
   * read bounds how many could have been added.
   */
  private processNearLimits(s: Sample, c: Counters): boolean {
    const nofile = s.process.nofileLimit?.value;
    if (c.fds !== undefined && typeof nofile === 'number' && nofile > 0 && c.fds >= NEAR_LIMIT * nofile)
      return true;
    const maps = s.process.mapCount?.value;
    if (maps === undefined) return false;
    const grown = Math.max(0, c.vsize - s.mapsVsize) / PAGE;
    return maps + grown >= NEAR_LIMIT * MAX_MAP_COUNT;
  }

  private chainsNearLimits(s: Sample, c: Counters): boolean {
    for (const l of s.chains) {
      if (l.max === null || l.max === undefined || l.max <= 0) continue;
      const own = l.path === (l.controller === 'pids' ? s.paths.pids : s.paths.memory);
      const current = own ? (l.controller === 'pids' ? c.pids : c.memory) : l.current;
      if (current !== undefined && current >= NEAR_LIMIT * l.max) return true;
    }
    return false;
  }

  private readonly stale = new Set<string>();
  private forgetLater(id: string): void {
    // An exit being recorded still needs the sample: a container absent for two rounds goes.
    if (this.stale.has(id)) {
      this.last.delete(id);
      this.previous.delete(id);
      this.stale.delete(id);
    } else this.stale.add(id);
  }

  /** The stat line's counters and the descriptor count; undefined when the process is gone. */
  private processCounters(pid: number): Counters | undefined {
    const stat = this.root.readSmall(`/proc/${pid}/stat`);
    if (stat === undefined) return undefined;
    const c = statCounters(stat);
    const fds = this.fdSizeCounts
      ? this.root.sizeOf(`/proc/${pid}/fd`)
      : this.root.list(`/proc/${pid}/fd`, { quiet: true })?.length;
    if (fds !== undefined) c.fds = fds;
    return c;
  }

  /** The container's own cgroup's task count and memory usage, into `c`. */
  private cgroupCounters(paths: Sample['paths'], c: Counters): void {
    if (!this.version) return;
    const num = (path: string) => {
      const t = this.root.readSmall(path, 64);
      return t !== undefined && /^\d+\s*$/.test(t) ? Number(t) : undefined;
    };
    if (paths.pids) {
      const v = num(`${hierarchyOf(this.version, 'pids')}${paths.pids}/pids.current`);
      if (v !== undefined) c.pids = v;
    }
    if (paths.memory) {
      const file = this.version === 2 ? 'memory.current' : 'memory.usage_in_bytes';
      const v = num(`${hierarchyOf(this.version, 'memory')}${paths.memory}/${file}`);
      if (v !== undefined) c.memory = v;
    }
  }

  private readProcess(pid: number): ProcessFacts | undefined {
    if (!this.root.isDir(`/proc/${pid}`)) return undefined;
    return readProcessFacts(this.root, pid, 'crashed');
  }

  /**
   * Reads one process and its chains now, as the crashed instance's usage should it die next.
   * `cgroupsPath` (the runtime's record) places a namespace-relative /proc path ("0::/"). Undefined
   * when the process is gone, or is in another container's cgroup (the runtime's pid is stale).
   */
  sample(containerId: string, pid: number, cgroupsPath?: string): Sample | undefined {
    const cg = this.root.readSmall(`/proc/${pid}/cgroup`);
    if (cg === undefined) return undefined; // gone between the list and the read
    if (namesOtherContainer(cg, containerId)) return undefined;
    const counters = this.processCounters(pid) ?? { started: '', threads: 0, vsize: 0 };
    const process = readProcessFacts(this.root, pid, 'crashed');
    const parsed = cgroupsOf(cg);
    const pids = hostCgroupPath(parsed.pidsCgroup, cgroupsPath);
    const memory = hostCgroupPath(parsed.memoryCgroup, cgroupsPath);
    const paths: Sample['paths'] = {
      ...(pids !== undefined ? { pids } : {}),
      ...(memory !== undefined ? { memory } : {}),
    };
    this.cgroupCounters(paths, counters);
    const at = Date.now();
    // The next reads by the clock, between half and all of FULL_EVERY_MS from now: containers started
    // together (a node booting) do not all fall due in the same round.
    const due = at + FULL_EVERY_MS * (0.5 + Math.random() / 2);
    return {
      containerId,
      pid,
      at,
      process,
      chains: this.chains(paths),
      chainsAt: at,
      processDue: due,
      chainsDue: due,
      paths,
      counters,
      mapsVsize: counters.vsize,
      ...(counters.memory !== undefined ? { chainsMemory: counters.memory } : {}),
    };
  }

  /** The chains of these cgroup paths, read now. */
  chains(paths: Sample['paths']): CgroupLevel[] {
    const version = this.version;
    if (!version) return [];
    const out: CgroupLevel[] = [];
    if (paths.pids) out.push(...chainOf(this.root, 'pids', version, paths.pids));
    if (paths.memory) out.push(...chainOf(this.root, 'memory', version, paths.memory));
    return out;
  }

  /** The sample an exit of this container would take now (left in place). */
  held(containerId: string): Sample | undefined {
    return this.last.get(containerId);
  }

  /**
   * What the sampler holds of the instance that just exited: the last sample whose process is gone
   * (`pid` when the runtime said which one exited). Taken once.
   */
  take(containerId: string, pid?: number): Sample | undefined {
    const candidates = [this.last.get(containerId), this.previous.get(containerId)].filter(
      (s): s is Sample => s !== undefined,
    );
    const dead = (s: Sample) => (pid !== undefined ? s.pid === pid : !this.root.isDir(`/proc/${s.pid}`));
    const s = candidates.find(dead);
    if (s) {
      if (this.previous.get(containerId) === s) this.previous.delete(containerId);
      else this.last.delete(containerId);
    }
    return s;
  }
}

/**
 * Threads (field 20), start time (22) and address space (23) of a /proc/<pid>/stat line, found by
 * walking the spaces after the command name (which may hold spaces and parentheses): splitting the
 * line made 50 strings per container per round, a good part of the idle agent's garbage.
 */
export function statCounters(stat: string): Counters {
  let at = stat.lastIndexOf(')') + 1; // the space before field 3
  const field = (n: number): string => {
    // Moves `at` to the space before field n (fields counted from 3 after the name) and returns it.
    for (let i = 0; i < n && at !== -1; i++) at = stat.indexOf(' ', at + 1);
    if (at === -1) return '';
    const end = stat.indexOf(' ', at + 1);
    return stat.slice(at + 1, end === -1 ? undefined : end).trimEnd();
  };
  const threads = field(17); // field 20: 17 spaces on from field 3's
  const started = field(2); // field 22
  const vsize = field(1); // field 23
  return { started, threads: Number(threads), vsize: Number(vsize) };
}

/**
 * true when a /proc/<pid>/cgroup text names container ids and none is this one: the pid the runtime
 * gave now belongs to another container (reused after an exit the agent has not heard of yet).
 * A namespace-relative path ("0::/") names none and is taken as the container's.
 */
export function namesOtherContainer(cgroupText: string, containerId: string): boolean {
  const ids = cgroupText.match(/[0-9a-f]{64}/g);
  return !!ids && !ids.includes(containerId);
}
