// The recorder's memory: every few seconds, the last sample of each running Kubernetes container's
// main process (threads, open descriptors, mappings, rlimits, user: read as the *crashed* instance's,
// because if it dies before the next sample that is what it held) and of its pids and memory cgroup
// chain (current, peak, events at every level). One sample per container and pid, the previous pid's
// kept while a restarted instance replaces it, so memory stays bounded by the containers running.
import type { CgroupLevel, ProcessFacts } from '../evidence/types.js';
import { cgroupVersionOf, chainOf } from '../sources/host/cgroups.js';
import { cgroupsOf } from '../sources/host/proc-table.js';
import { readProcessFacts } from '../sources/host/process-facts.js';
import { HostRoot } from '../sources/host/root.js';
import { hostCgroupPath } from '../sources/runtime/cgroups-path.js';
import type { RuntimeContainer } from '../sources/runtime/types.js';

/** Containers sampled at most: beyond, the rest wait for the next round (exits are never shed). */
const MAX_CONTAINERS = 2000;

export interface Sample {
  containerId: string;
  pid: number;
  /** ms since the epoch. */
  at: number;
  process: ProcessFacts;
  /** The container's pids and memory chains, deepest first. */
  chains: CgroupLevel[];
  /** The cgroup paths the chains were read from, to read them again at the exit. */
  paths: { pids?: string; memory?: string };
}

export class Sampler {
  private readonly last = new Map<string, Sample>();
  /** The last sample of a container's previous pid, while the runtime has already started another. */
  private readonly previous = new Map<string, Sample>();
  /** A fresh root per round: a HostRoot remembers every path it could not read. */
  private root: HostRoot;
  rounds = 0;
  lastRoundMs = 0;

  constructor(private readonly rootDir: string) {
    this.root = new HostRoot(rootDir);
  }

  get size(): number {
    return this.last.size + this.previous.size;
  }

  /** One round over the running containers; containers gone from the list are forgotten a round later. */
  round(containers: RuntimeContainer[]): void {
    const started = performance.now();
    this.root = new HostRoot(this.rootDir);
    const running = containers.filter((c) => c.running && c.pid).slice(0, MAX_CONTAINERS);
    const seen = new Set<string>();
    for (const c of running) {
      seen.add(c.id);
      const s = this.sample(c.id, c.pid!, c.cgroupsPath);
      if (!s) continue;
      const before = this.last.get(c.id);
      if (before && before.pid !== s.pid) this.previous.set(c.id, before);
      this.last.set(c.id, s);
    }
    for (const id of [...this.last.keys()]) if (!seen.has(id)) this.forgetLater(id);
    this.rounds++;
    this.lastRoundMs = performance.now() - started;
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

  /**
   * Reads one process and its chains now, as the crashed instance's usage should it die next.
   * `cgroupsPath` (the runtime's record) places a namespace-relative /proc path ("0::/").
   */
  sample(containerId: string, pid: number, cgroupsPath?: string): Sample | undefined {
    const cg = this.root.readSmall(`/proc/${pid}/cgroup`);
    if (cg === undefined) return undefined; // gone between the list and the read
    const process = readProcessFacts(this.root, pid, 'crashed');
    const parsed = cgroupsOf(cg);
    const pids = hostCgroupPath(parsed.pidsCgroup, cgroupsPath);
    const memory = hostCgroupPath(parsed.memoryCgroup, cgroupsPath);
    const paths: Sample['paths'] = {
      ...(pids !== undefined ? { pids } : {}),
      ...(memory !== undefined ? { memory } : {}),
    };
    return { containerId, pid, at: Date.now(), process, chains: this.chains(paths), paths };
  }

  /** The chains of these cgroup paths, read now. */
  chains(paths: Sample['paths']): CgroupLevel[] {
    const version = cgroupVersionOf(this.root);
    if (!version) return [];
    const out: CgroupLevel[] = [];
    if (paths.pids) out.push(...chainOf(this.root, 'pids', version, paths.pids));
    if (paths.memory) out.push(...chainOf(this.root, 'memory', version, paths.memory));
    return out;
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
