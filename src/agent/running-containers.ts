// The running containers the sampler reads, at the cost of one runtime listing per round. Inspecting
// every container every round (Docker's inspect, CRI's verbose status with the whole OCI spec) was
// most of the idle agent's CPU and garbage, yet a running container's record does not change while
// its process runs: the record is kept per container id and read again only when the id is new,
// when the runtime says it exited (its exit event: a Docker restart policy reuses the id with a new
// pid), when the sampler finds its process gone or replaced, or when the runtime link is renewed.
import type { RuntimeContainer, RuntimeRead } from '../sources/runtime/types.js';

export type InspectAnswer = { container?: RuntimeContainer } | { problem: string; fatal: boolean };

/** How one runtime lists its running containers and reads one record. */
export interface RunningSource {
  runtime: RuntimeRead['runtime'];
  endpoint: string;
  /** The ids of the running Kubernetes containers, or why they could not be listed. */
  listRunning(): Promise<{ ids: string[]; runtime?: RuntimeRead['runtime'] } | { problem: string }>;
  inspect(id: string, runtime: RuntimeRead['runtime']): Promise<InspectAnswer>;
  /** Called once a round's inspections are done (a CRI connection is closed). */
  done?(): void;
}

export class RunningContainers {
  private readonly records = new Map<string, RuntimeContainer>();
  /** Records read from the runtime so far (the bench and tests see the cache work). */
  inspections = 0;

  constructor(private readonly source: RunningSource) {}

  /** The running containers now: listed every call, inspected only when not known. */
  async read(): Promise<RuntimeRead> {
    const out: RuntimeRead = {
      runtime: this.source.runtime,
      endpoint: this.source.endpoint,
      containers: [],
      problems: [],
    };
    try {
      const listed = await this.source.listRunning();
      if ('problem' in listed) {
        out.problems.push(listed.problem);
        return out;
      }
      if (listed.runtime) out.runtime = listed.runtime;
      const now = new Set(listed.ids);
      for (const id of this.records.keys()) if (!now.has(id)) this.records.delete(id);
      for (const id of listed.ids) {
        let rc = this.records.get(id);
        if (!rc) {
          this.inspections++;
          const one = await this.source.inspect(id, out.runtime);
          if ('problem' in one) {
            out.problems.push(one.problem);
            if (one.fatal) break;
            continue;
          }
          // Not kept unless running with a pid: a container caught starting is read again next round.
          if (!one.container?.running || !one.container.pid) continue;
          rc = one.container;
          this.records.set(id, rc);
        }
        out.containers.push(rc);
      }
      return out;
    } finally {
      this.source.done?.();
    }
  }

  /** The record of this container is read again at the next round (it exited, or its pid is not its own). */
  forget(id: string): void {
    this.records.delete(id);
  }

  /** Every record is read again (the runtime link was renewed: exits may have been missed meanwhile). */
  clear(): void {
    this.records.clear();
  }

  get size(): number {
    return this.records.size;
  }
}
