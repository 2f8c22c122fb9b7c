// `podmortem agent`: the node's flight recorder. It follows the runtime's exit events (reconnecting
// and reconciling when the runtime restarts), samples running containers between exits (sampling is
// shed while exits wait), diagnoses each exit through the one pipeline with what it froze, stores it,
// posts a Kubernetes Event, counts it in /metrics, and refreshes the node's limit gauges.
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KmsgFollower } from '../sources/host/kernel-follower.js';
import { readNodeEvidence } from '../sources/host/node-facts.js';
import { FdMemo } from '../sources/host/proc-table.js';
import { HostRoot } from '../sources/host/root.js';
import { AgentMetrics } from '../serve/metrics.js';
import { createAgentServer } from '../serve/http.js';
import { eventPoster } from '../sinks/event-poster.js';
import { EventSink } from '../sinks/kube-events.js';
import { ResilientStore } from '../store/resilient.js';
import type { IncidentItem, NodeLimits } from '../store/types.js';
import { Pusher, tokenFromFile } from './push.js';
import { Recorder } from './recorder.js';
import { connectRuntime, type RuntimeLink } from './runtime-link.js';
import { Sampler } from './sampler.js';

export interface AgentOptions {
  listen: { host: string; port: number };
  db: string;
  nodeName?: string;
  cluster?: string;
  root: string;
  logDir?: string;
  runtimeEndpoint?: string;
  kubeconfig?: string;
  /** Sampling interval (default 5 s). */
  sampleMs?: number;
  /** Push every incident to a `podmortem server`. */
  server?: { url: string; tokenFile: string };
  /** Node limits refresh interval (default 60 s). */
  limitsMs?: number;
  log?: (line: string) => void;
}

/** Reconnecting to the runtime: the first retry after 1 s, doubling to at most 15 s. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 15_000;

export class Agent {
  readonly store: ResilientStore;
  readonly metrics: AgentMetrics;
  readonly sampler: Sampler;
  readonly node: string;
  /** The kernel log followed as it is written (undefined until start, or when /dev/kmsg cannot be read). */
  private kernel?: KmsgFollower;
  private recorder?: Recorder;
  private link?: RuntimeLink;
  private events?: EventSink;
  private server?: Server;
  readonly pusher?: Pusher;
  /** The node's limit readings to the server (at most 100 wait: older ones say little). */
  readonly limitsPusher?: Pusher<NodeLimits>;
  /** The last reading pushed: its limits as JSON and when (a reading goes when changed, else every 10 min). */
  private lastPushed?: { json: string; at: number };
  private readonly abort = new AbortController();
  /** The minute's limits read reads descriptor links only of processes whose descriptors changed (an exit's read takes none). */
  private readonly fdMemo = new FdMemo();
  private connected = false;
  private runtimeProblem?: string = 'the container runtime is not connected yet.';
  /** Whether the current loss of the runtime has been said. */
  private problemSaid = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly log: (line: string) => void;
  private loops: Promise<void>[] = [];
  /** Runtime records read by the links before the current one (for /metrics). */
  private recordsRead = 0;

  constructor(private readonly o: AgentOptions) {
    this.log = o.log ?? ((l) => process.stderr.write(`podmortem agent: ${l}\n`));
    this.node = o.nodeName || process.env.NODE_NAME || hostname();
    this.store = new ResilientStore(o.db, {}, 5000, (p) =>
      this.log(p ?? `${o.db}: the database works again; incidents kept in memory were stored.`),
    );
    this.sampler = new Sampler(o.root);
    if (o.server)
      this.pusher = new Pusher({
        server: o.server.url,
        token: tokenFromFile(o.server.tokenFile),
        log: this.log,
      });
    if (o.server)
      this.limitsPusher = new Pusher<NodeLimits>(
        {
          server: o.server.url,
          token: tokenFromFile(o.server.tokenFile),
          log: this.log,
          path: `/api/v1/nodes/${encodeURIComponent(this.node)}/limits`,
          noun: 'limit readings',
          batch: 20,
          maxQueue: 100,
        },
        (r) => r.recordedAt,
      );
    this.metrics = new AgentMetrics({
      storeUp: () => this.store.up,
      storePending: () => this.store.pendingCount,
      backlog: () => this.recorder?.backlog ?? 0,
      dropped: () => this.recorder?.dropped ?? 0,
      sampled: () => this.sampler.size,
      sampleRoundSeconds: () => this.sampler.lastRoundMs / 1000,
      sampleFullReads: () => this.sampler.lastFullReads,
      runtimeRecordsRead: () => this.recordsRead + (this.link?.records.inspections ?? 0),
      runtimeConnected: () => this.connected,
      eventsPending: () => this.events?.pending ?? 0,
      pushPending: () => this.pusher?.pending ?? 0,
      pushDropped: () => this.pusher?.dropped ?? 0,
    });
  }

  /** Serves HTTP at once, then connects to the runtime in the background (retrying until it answers). */
  async start(): Promise<AddressInfo> {
    const cfg = await eventPoster(this.o.kubeconfig);
    if (cfg) {
      this.events = new EventSink(cfg.poster, this.node, this.log, (outcome) =>
        this.metrics.events.inc({ outcome }),
      );
      this.log(`Events go to the API server of ${cfg.from}.`);
    } else this.log('no kubeconfig and not in a cluster: no Kubernetes Events are posted.');
    this.server = createAgentServer({
      store: this.store,
      metrics: this.metrics,
      notReady: () => this.runtimeProblem,
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.listen.port, this.o.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.followKernel();
    this.pushHistory();
    this.loops.push(this.follow());
    this.every(this.o.sampleMs ?? 5000, () => this.sampleRound());
    this.every(this.o.limitsMs ?? 60_000, () => this.refreshLimits(), true);
    this.every(3600_000, async () => void this.store.prune(), true);
    return server.address() as AddressInfo;
  }

  /** Opens /dev/kmsg and reads the ring buffer's backlog once; said in one sentence when it cannot. */
  private followKernel(): void {
    const k = new KmsgFollower(new HostRoot(this.o.root));
    if (!k.available) {
      this.log(
        `${k.problem} Each exit gets the kernel lines of the saved logs (kern.log, messages) instead of its own window's.`,
      );
      return;
    }
    k.poll();
    this.kernel = k;
  }

  private every(ms: number, f: () => Promise<void>, now = false): void {
    let busy = false;
    const tick = () => {
      if (busy || this.abort.signal.aborted) return;
      busy = true;
      f()
        .catch((err: unknown) => this.log(err instanceof Error ? err.message : String(err)))
        .finally(() => (busy = false));
    };
    this.timers.push(setInterval(tick, ms));
    if (now) tick();
  }

  /**
   * Connects, reconciles, follows the exits; on any break, waits (backing off) and does it again. A
   * loss is said once, and so is the reconnection with how long exits were not followed: the exits
   * of that gap are found by reconciling with the runtime's records.
   */
  private async follow(): Promise<void> {
    const signal = this.abort.signal;
    let retryMs = RETRY_FIRST_MS;
    /** When the exit events stopped being followed (undefined while followed, or before the first connection). */
    let lostAt: number | undefined;
    let attempts = 0;
    while (!signal.aborted) {
      const c = await connectRuntime(this.o.root, this.o.runtimeEndpoint);
      if ('problem' in c) {
        attempts++;
        this.metrics.runtimeErrors.inc();
        this.setRuntimeProblem(c.problem);
        await this.pause(retryMs);
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
        continue;
      }
      // A new link starts with no records: each container is inspected again (exits may have been missed).
      this.recordsRead += this.link?.records.inspections ?? 0;
      this.link = c.link;
      this.recorder ??= this.newRecorder(c.link);
      this.recorder.link = c.link;
      try {
        const stream = c.link.exits(signal);
        const iterator = stream[Symbol.asyncIterator]();
        // Listening before reconciling: an exit during the reconciliation is in the stream.
        const first = iterator.next();
        this.connected = true;
        this.runtimeProblem = undefined;
        this.problemSaid = false;
        const gap = lostAt !== undefined ? (Date.now() - lostAt) / 1000 : undefined;
        if (gap === undefined) this.log(`following container exits on ${c.link.endpoint} (${c.link.kind}).`);
        const queued = await this.recorder.reconcile();
        if (gap !== undefined) {
          this.metrics.runtimeReconnects.inc();
          this.metrics.runtimeLastGap.set(gap);
          this.log(
            `reconnected to ${c.link.endpoint} after ${gap.toFixed(1)} s without its exit events (${attempts} failed attempts): ${queued} exits of that gap found in its records are being recorded.`,
          );
        } else if (queued) this.log(`reconciling: ${queued} exits the store does not hold yet.`);
        lostAt = undefined;
        attempts = 0;
        retryMs = RETRY_FIRST_MS;
        for (let r = await first; !r.done; r = await iterator.next()) {
          // Its record changes (a restarted container keeps its id under a new pid): read it again.
          c.link.records.forget(r.value.containerId);
          this.recorder.onExit(r.value);
        }
        if (!signal.aborted) this.setRuntimeProblem(`${c.link.endpoint}: the exit stream ended.`);
      } catch (err) {
        this.setRuntimeProblem(err instanceof Error ? err.message : String(err));
      }
      if (signal.aborted) break;
      if (this.connected) lostAt = Date.now();
      this.connected = false;
      this.metrics.runtimeErrors.inc();
      await this.pause(retryMs);
      retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
    }
  }

  /** Said once per loss: the attempts that fail while the runtime is away are counted, not logged. */
  private setRuntimeProblem(p: string): void {
    if (!this.problemSaid) this.log(`${p} Retrying with backoff (up to ${RETRY_MAX_MS / 1000} s apart).`);
    this.problemSaid = true;
    this.runtimeProblem = p;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.abort.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  }

  private newRecorder(link: RuntimeLink): Recorder {
    return new Recorder({
      root: this.o.root,
      ...(this.o.logDir !== undefined ? { logDir: this.o.logDir } : {}),
      node: this.node,
      cluster: this.o.cluster ?? '',
      stateDir: dirname(this.o.db),
      link,
      sampler: this.sampler,
      store: this.store,
      ...(this.kernel ? { kernel: this.kernel } : {}),
      onIncident: (item, info) => this.recorded(item, info.latencyMs),
      log: this.log,
    });
  }

  private recorded(item: IncidentItem, latencyMs?: number): void {
    this.metrics.countExit(item);
    if (latencyMs !== undefined) this.metrics.latency.observe(latencyMs / 1000);
    this.events?.add(item);
    this.pusher?.add(item);
    const top = item.causes[0];
    const s = item.subject;
    this.log(
      `${s.namespace}/${s.pod}/${s.container} exited${s.exitCode !== undefined ? ` (${s.exitCode})` : ''}: ${top ? `${top.verdict} ${top.id}` : 'no cause weighed'} [${item.id}]`,
    );
  }

  /** At start, the stored history goes to the server too (it keeps what it has: duplicates are free). */
  private pushHistory(): void {
    if (!this.pusher) return;
    try {
      let cursor: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = this.store.query({ limit: 500, ...(cursor ? { cursor } : {}) });
        for (const item of page.items.reverse()) this.pusher.add(item);
        if (!page.next) break;
        cursor = page.next;
      }
    } catch (err) {
      this.log(`the stored history is not pushed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** One sampling round, shed while exits wait to be diagnosed. */
  private async sampleRound(): Promise<void> {
    // Read often, so each kernel line is dated between two reads whatever the kernel clock's drift.
    this.kernel?.poll();
    // Not while the runtime is away: its records cannot be listed, and the failure is already said.
    if (!this.link || !this.connected || (this.recorder?.backlog ?? 0) > 0) return;
    const read = await this.link.records.running();
    // A process gone or not the container's own: its record is read again at the next round.
    for (const id of this.sampler.round(read.containers)) this.link.records.forget(id);
  }

  private async refreshLimits(): Promise<void> {
    // The limits need no kernel log (the exits get theirs from the follower): reading the ring
    // buffer took a tenth of a second of CPU each minute.
    const ev = await readNodeEvidence(this.o.root, { kernelLog: false, fdMemo: this.fdMemo });
    this.metrics.setLimits(ev.facts.limits);
    const reading = { node: this.node, recordedAt: new Date().toISOString(), limits: ev.facts.limits };
    this.store.putLimits(reading);
    this.pushLimits(reading);
  }

  /** To the server when the limits changed, and at least every 10 minutes (its node page stays current). */
  private pushLimits(reading: NodeLimits): void {
    if (!this.limitsPusher) return;
    const json = JSON.stringify(reading.limits);
    const now = Date.now();
    if (this.lastPushed && this.lastPushed.json === json && now - this.lastPushed.at < 600_000) return;
    this.lastPushed = { json, at: now };
    this.limitsPusher.add(reading);
  }

  /** Exits waiting and being diagnosed are finished first (bounded by `graceMs`). */
  async stop(graceMs = 5000): Promise<void> {
    this.abort.abort();
    for (const t of this.timers) clearInterval(t);
    await Promise.race([this.recorder?.settled(), new Promise((r) => setTimeout(r, graceMs))]);
    await this.events?.flush(Math.min(graceMs, 2000));
    this.events?.close();
    await this.pusher?.flush(Math.min(graceMs, 2000));
    this.pusher?.stop();
    await this.limitsPusher?.flush(Math.min(graceMs, 1000));
    this.limitsPusher?.stop();
    await new Promise<void>((r) => {
      if (!this.server) return r();
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
    await Promise.race([Promise.all(this.loops), new Promise((r) => setTimeout(r, 1000))]);
    this.store.close();
    this.kernel?.close();
  }
}
