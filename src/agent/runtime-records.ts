// The runtime's records of the node's Kubernetes containers, at the cost of one listing per read.
// Inspecting every container at every read (Docker's inspect, CRI's verbose status with the whole
// OCI spec) was most of the idle agent's CPU and garbage, and in an exit storm each listing
// inspected every container again. A record does not change while its container stays in the same
// state, so it is kept per container id and read again only when the id is new, when the listing
// shows another state (running -> exited), when the runtime says it exited (its exit event: a
// Docker restart policy reuses the id with a new pid, and may be running again by the next listing),
// or when the sampler finds its process gone or not its own. A new link (reconnection) starts empty.
import type { RuntimeContainer, RuntimeRead } from '../sources/runtime/types.js';

/** The running state as Docker ("running") and the CRI (CONTAINER_RUNNING) list it. */
const RUNNING = /^(running|CONTAINER_RUNNING)$/;

export type InspectAnswer = { container?: RuntimeContainer } | { problem: string; fatal: boolean };

/** One read's connection to the runtime (a CRI client is opened per read and closed after it). */
export interface RecordSession {
  /** Every Kubernetes container with the runtime's state word, or why they could not be listed. */
  list(): Promise<
    { containers: { id: string; state: string }[]; runtime?: RuntimeRead['runtime'] } | { problem: string }
  >;
  inspect(id: string, runtime: RuntimeRead['runtime']): Promise<InspectAnswer>;
  close(): void;
}

export class RuntimeRecords {
  private readonly records = new Map<string, { state: string; rc: RuntimeContainer }>();
  /** Records read from the runtime so far (the bench and /metrics show the cache work). */
  inspections = 0;

  constructor(
    private readonly runtime: RuntimeRead['runtime'],
    private readonly endpoint: string,
    private readonly open: () => RecordSession,
  ) {}

  /** Every Kubernetes container the runtime records, running or exited: listed now, inspected when not known. */
  async all(): Promise<RuntimeRead> {
    return this.read(false);
  }

  /** The running containers, for the sampler. */
  async running(): Promise<RuntimeRead> {
    return this.read(true);
  }

  private async read(runningOnly: boolean): Promise<RuntimeRead> {
    const out: RuntimeRead = { runtime: this.runtime, endpoint: this.endpoint, containers: [], problems: [] };
    const session = this.open();
    try {
      const listed = await session.list();
      if ('problem' in listed) {
        out.problems.push(listed.problem);
        return out;
      }
      if (listed.runtime) out.runtime = listed.runtime;
      const now = new Set(listed.containers.map((c) => c.id));
      for (const id of this.records.keys()) if (!now.has(id)) this.records.delete(id);
      for (const { id, state } of listed.containers) {
        let known = this.records.get(id);
        if (known?.state !== state) known = undefined;
        const listedRunning = RUNNING.test(state);
        if (!known && runningOnly && !listedRunning) continue;
        if (!known) {
          this.inspections++;
          const one = await session.inspect(id, out.runtime);
          if ('problem' in one) {
            out.problems.push(one.problem);
            if (one.fatal) break;
            continue;
          }
          if (!one.container) continue; // removed between the list and the inspect
          known = { state, rc: one.container };
          // Kept only when the record agrees with the listing: one read in between (an exit during
          // this read) is not kept under the listing's older state.
          if (one.container.running === listedRunning) this.records.set(id, known);
        }
        if (runningOnly && !(known.rc.running && known.rc.pid)) continue;
        out.containers.push(known.rc);
      }
      return out;
    } finally {
      session.close();
    }
  }

  /** The record of this container is read again at the next read (it exited, or its pid is not its own). */
  forget(id: string): void {
    this.records.delete(id);
  }

  get size(): number {
    return this.records.size;
  }
}
