// At each exit: freeze what the sampler held of the dead instance and read its cgroup chain right
// away (before the runtime removes the container's cgroup), then, in order, one exit at a time: find
// the runtime's record of the exit, copy the dead instance's log tail, diagnose through the one
// pipeline (examine) with the frozen evidence, and store it under the exit's incident id. An id
// already stored is never diagnosed again, so a restarted agent (reconcile) and the live stream agree.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLevel } from '../evidence/types.js';
import { exitWindowLines } from '../pipeline/exit-window.js';
import { examine, type ContainerKey, type FrozenEvidence } from '../pipeline/node.js';
import type { KmsgFollower } from '../sources/host/kernel-follower.js';
import { readNodeEvidence, type NodeEvidence } from '../sources/host/node-facts.js';
import { HostRoot } from '../sources/host/root.js';
import type { RuntimeExit } from '../sources/runtime/cri/events.js';
import { cgroupDirOf } from '../sources/runtime/cgroups-path.js';
import type { RuntimeContainer, RuntimeRead } from '../sources/runtime/types.js';
import { incidentId } from '../store/id.js';
import type { ResilientStore } from '../store/resilient.js';
import type { IncidentItem } from '../store/types.js';
import { copyLogTail } from './log-copy.js';
import type { RuntimeLink } from './runtime-link.js';
import type { Sample, Sampler } from './sampler.js';

/** Exits waiting to be diagnosed at most; beyond, the oldest are dropped (and counted). */
const MAX_QUEUE = 10_000;
/** How long the runtime may take to show an exit in its records (CRI updates after the event). */
const RECORD_WAIT_MS = 2000;
/**
 * Node evidence younger than this is reused: an exit storm reads the node a few times a second, not
 * per exit; while exits wait, every 5 s (the crashed instance's own usage is its frozen sample, and
 * the kernel lines come from the follower, fresh at each exit).
 */
const NODE_EVIDENCE_TTL_MS = 1000;
const NODE_EVIDENCE_STORM_TTL_MS = 5000;
/** A runtime listing this young is reused for the next exit of a storm when it already shows that exit. */
const LIST_REUSE_MS = 1000;

export interface RecorderOptions {
  root: string;
  /** The kubelet's pod log folder (for exits whose runtime record names no log). */
  logDir?: string;
  node: string;
  cluster: string;
  /** Where the dead instances' logs are copied. */
  stateDir: string;
  link: RuntimeLink;
  sampler: Sampler;
  store: ResilientStore;
  /** The kernel log as it is written, when /dev/kmsg can be followed: each exit gets its window's lines. */
  kernel?: KmsgFollower;
  onIncident: (item: IncidentItem, info: { exit?: RuntimeExit; latencyMs?: number }) => void;
  log: (line: string) => void;
}

interface Pending {
  exit: RuntimeExit;
  receivedAt: number;
  sample?: Sample;
  chainsAtExit: CgroupLevel[];
}

export class Recorder {
  private readonly queue: Pending[] = [];
  /** Exits found by reconciling, diagnosed when no live exit waits. */
  private readonly found: {
    rc: RuntimeContainer;
    records: RuntimeContainer[];
    read: RuntimeRead;
    sample?: Sample;
  }[] = [];
  private running = false;
  private readonly ooms = new Set<string>();
  /** Ids examined and found healthy (a clean exit): not examined again by this process. */
  private readonly healthy = new Set<string>();
  private nodeEv?: { at: number; ev: NodeEvidence };
  private lastList?: { at: number; read: RuntimeRead };
  private idle?: () => void;
  dropped = 0;
  recorded = 0;
  failures = 0;

  constructor(private readonly o: RecorderOptions) {
    this.link = o.link;
  }

  /** The runtime, replaced when the agent reconnects. */
  link: RuntimeLink;

  get backlog(): number {
    return this.queue.length + this.found.length + (this.running ? 1 : 0);
  }

  /** Called for each event as it arrives: freezes now, diagnoses in turn. */
  onExit(exit: RuntimeExit): void {
    if (exit.kind === 'oom') {
      this.ooms.add(exit.containerId);
      if (this.ooms.size > 10_000) this.ooms.clear();
      return;
    }
    const sample = this.o.sampler.take(exit.containerId, exit.pid);
    const chainsAtExit = sample ? this.o.sampler.chains(sample.paths) : [];
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push({
      exit,
      receivedAt: Date.now(),
      ...(sample ? { sample } : {}),
      chainsAtExit,
    });
    void this.drain();
  }

  /** Resolves once every queued exit is handled. */
  settled(): Promise<void> {
    if (this.backlog === 0) return Promise.resolve();
    return new Promise((r) => (this.idle = r));
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length || this.found.length) {
        const p = this.queue.shift();
        const f = p ? undefined : this.found.shift();
        const id = p?.exit.containerId ?? f!.rc.id;
        try {
          if (p) await this.handle(p);
          else if (f) {
            const at = f.sample ? { sample: f.sample, chainsAtExit: [] } : undefined;
            const item = await this.diagnose(f.rc, f.records, f.read, f.rc.finishedAt!, at);
            if (item) this.o.onIncident(item, {});
          }
        } catch (err) {
          this.failures++;
          this.o.log(
            `exit of container ${id.slice(0, 12)} could not be diagnosed: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
    } finally {
      this.running = false;
      this.idle?.();
      this.idle = undefined;
    }
  }

  private async handle(p: Pending): Promise<void> {
    const { exit } = p;
    const { read, rc } = await this.recordOf(exit, p.receivedAt);
    if (!rc) return; // not a Kubernetes container (the runtime's own, a sandbox), or already removed
    // The runtime's record of the finish time, as reconciling reads it, when it is this exit's (the
    // event's own time may fall in the next second); the event's time when the record is older.
    const near =
      rc.finishedAt && exit.exitedAt
        ? Math.abs(Date.parse(rc.finishedAt) - Date.parse(exit.exitedAt)) < 5000
        : !!rc.finishedAt && !rc.running;
    const finishedAt = near ? rc.finishedAt : (exit.exitedAt ?? rc.finishedAt);
    if (!finishedAt) return;
    // The runtime already restarted it (Docker's restart policy): the exit as the event told it.
    const records = read.containers.filter(
      (c) => c.kube.podUid === rc.kube.podUid && c.kube.container === rc.kube.container,
    );
    if (rc.running && exit.exitStatus !== undefined)
      records.push({
        ...rc,
        running: false,
        restarting: false,
        exitCode: exit.exitStatus,
        oomKilled: this.ooms.has(rc.id) || exit.reason === 'OOMKilled',
        finishedAt,
        kube: { ...rc.kube, attempt: rc.kube.attempt - 0.5 },
      });
    const done = await this.diagnose(rc, records, read, finishedAt, p);
    if (done && exit.exitedAt) {
      const latency = Date.now() - Date.parse(exit.exitedAt);
      this.o.onIncident(done, { exit, latencyMs: latency });
    } else if (done) this.o.onIncident(done, { exit });
  }

  /**
   * The runtime's record of an exit, waiting briefly for the runtime to show it exited. A listing
   * made after the exit was received and no older than LIST_REUSE_MS serves it (in a storm, one
   * listing serves every exit queued before it: listing every container once per exit, Docker
   * inspecting each one, is what limited the rate).
   */
  private async recordOf(
    exit: RuntimeExit,
    receivedAt: number,
  ): Promise<{ read: RuntimeRead; rc?: RuntimeContainer }> {
    const end = Date.now() + RECORD_WAIT_MS;
    const shows = (rc: RuntimeContainer | undefined) => !!rc && (!rc.running || this.link.kind === 'docker');
    const cached = this.lastList;
    if (cached && cached.at >= receivedAt && Date.now() - cached.at < LIST_REUSE_MS) {
      const rc = cached.read.containers.find((c) => c.id === exit.containerId);
      if (shows(rc)) return { read: cached.read, rc: rc! };
    }
    for (;;) {
      const at = Date.now();
      const read = await this.link.list();
      this.lastList = { at, read };
      const rc = read.containers.find((c) => c.id === exit.containerId);
      if (shows(rc) || Date.now() > end) return { read, ...(rc ? { rc } : {}) };
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Queues the exits the runtime still knows that the store does not hold (exits while the agent was
   * down, or while the event stream was broken); they are diagnosed after any live exit. Returns how
   * many were queued.
   */
  async reconcile(): Promise<number> {
    const read = await this.link.list();
    let n = 0;
    for (const rc of read.containers) {
      if (!rc.finishedAt || (rc.running && rc.restartCount === 0)) continue;
      const id = incidentId(rc.kube.podUid, rc.kube.container, rc.finishedAt);
      if (this.healthy.has(id) || this.o.store.has(id)) continue;
      const records = read.containers.filter(
        (c) => c.kube.podUid === rc.kube.podUid && c.kube.container === rc.kube.container,
      );
      // An exit while the runtime's events were lost (a runtime restart): the sampler may still hold
      // the crashed instance's last sample, taken before the gap.
      const sample = this.o.sampler.take(rc.id);
      this.found.push({ rc, records, read, ...(sample ? { sample } : {}) });
      n++;
    }
    void this.drain();
    return n;
  }

  private async diagnose(
    rc: RuntimeContainer,
    records: RuntimeContainer[],
    read: RuntimeRead,
    finishedAt: string,
    p?: Pick<Pending, 'sample' | 'chainsAtExit'>,
  ): Promise<IncidentItem | undefined> {
    const id = incidentId(rc.kube.podUid, rc.kube.container, finishedAt);
    if (this.healthy.has(id) || this.o.store.has(id)) return undefined;
    const frozen: FrozenEvidence = {};
    if (p?.sample) frozen.process = p.sample.process;
    const chains = p?.chainsAtExit.length ? p.chainsAtExit : (p?.sample?.chains ?? []);
    if (chains.length) frozen.chains = chains;
    const kernel = this.o.kernel;
    if (kernel?.available) {
      const paths = [
        p?.sample?.paths.pids,
        p?.sample?.paths.memory,
        rc.cgroupsPath && cgroupDirOf(rc.cgroupsPath),
      ];
      frozen.kernelLines = exitWindowLines(
        kernel.poll(),
        Date.parse(finishedAt),
        rc.kube.podUid,
        paths.filter((x): x is string => !!x),
      );
    }
    const copy = this.copyLog(rc, id);
    if (copy) frozen.logs = [{ name: copy.shown, open: () => createReadStream(copy.path) }];
    const key: ContainerKey = {
      namespace: rc.kube.namespace,
      pod: rc.kube.pod,
      podUid: rc.kube.podUid,
      container: rc.kube.container,
      runtime: records,
    };
    const warnings: string[] = [];
    const incident = await examine(key, await this.nodeEvidence(read), warnings, frozen);
    if (!incident) {
      this.healthy.add(id);
      if (this.healthy.size > 100_000) this.healthy.clear();
      return undefined;
    }
    incident.subject.finishedAt ??= finishedAt;
    incident.subject.node ??= this.o.node;
    const item: IncidentItem = {
      id,
      node: this.o.node,
      cluster: this.o.cluster,
      recordedAt: new Date().toISOString(),
      ...incident,
    };
    const put = this.o.store.put([item]);
    if (put.accepted === 0) return undefined;
    this.recorded++;
    return item;
  }

  private copyLog(rc: RuntimeContainer, id: string): { path: string; shown: string } | undefined {
    if (!rc.logPath) return undefined;
    const r = new HostRoot(this.o.root).resolve(rc.logPath);
    if (!r.ok) return undefined;
    const path = copyLogTail(r.real, join(this.o.stateDir, 'logs'), id);
    return path ? { path, shown: rc.logPath } : undefined;
  }

  private async nodeEvidence(read: RuntimeRead): Promise<NodeEvidence> {
    const now = Date.now();
    const ttl = this.queue.length > 0 ? NODE_EVIDENCE_STORM_TTL_MS : NODE_EVIDENCE_TTL_MS;
    if (this.nodeEv && now - this.nodeEv.at < ttl) return this.nodeEv.ev;
    const podNames = new Map(
      read.containers.map((c) => [c.kube.podUid, `${c.kube.namespace}/${c.kube.pod}`]),
    );
    // With /dev/kmsg followed, the exit's kernel lines come from the follower: the ring buffer is not read again.
    const ev = await readNodeEvidence(this.o.root, {
      podUids: [...podNames.keys()],
      podNames,
      ...(this.o.kernel?.available ? { kernelLog: false } : {}),
    });
    this.nodeEv = { at: Date.now(), ev };
    return ev;
  }
}
