// The agent's line to the node's container runtime: which runtime answers (--runtime-endpoint, else
// the usual sockets, as `podmortem node` chooses), its records (list), and its exits as they happen
// (Docker's /events, containerd's event stream with CRI fallbacks).
import { HostRoot } from '../sources/host/root.js';
import { runtimeExits, type RuntimeExit } from '../sources/runtime/cri/events.js';
import { dockerExits } from '../sources/runtime/docker-events.js';
import { inspectDocker, listRunningDocker, readDocker } from '../sources/runtime/docker.js';
import { parseEndpoint, readRuntime } from '../sources/runtime/endpoint.js';
import { CriClient } from '../sources/runtime/cri/client.js';
import { criStatusOf, listRunningCri, readCri } from '../sources/runtime/cri/read.js';
import type { RuntimeRead } from '../sources/runtime/types.js';
import { RunningContainers } from './running-containers.js';

export interface RuntimeLink {
  kind: 'docker' | 'cri';
  /** The endpoint as the user names it (unix:///run/containerd/containerd.sock). */
  endpoint: string;
  /** Every Kubernetes container the runtime records, running or exited, each read now. */
  list(): Promise<RuntimeRead>;
  /** The running Kubernetes containers for the sampler: listed now, records kept per id (see RunningContainers). */
  running: RunningContainers;
  /** Exits from now on; ends when `signal` aborts, throws one sentence when the runtime goes away. */
  exits(signal: AbortSignal, onSource?: (via: RuntimeExit['via']) => void): AsyncIterable<RuntimeExit>;
}

/** Finds the runtime; a sentence when none answers (or an explicit endpoint cannot be used). */
export async function connectRuntime(
  rootDir: string,
  endpoint: string | undefined,
): Promise<{ link: RuntimeLink } | { problem: string }> {
  const root = new HostRoot(rootDir);
  const sel = await readRuntime(root, endpoint !== undefined ? { endpoint } : {});
  if (sel.explicitFailed !== undefined) return { problem: sel.explicitFailed };
  if (!sel.read) return { problem: sel.problems.at(-1) ?? 'No container runtime answered.' };
  const parsed = parseEndpoint(sel.read.endpoint);
  if ('problem' in parsed) return { problem: parsed.problem };
  const resolved = root.resolve(parsed.path);
  if (!resolved.ok) return { problem: `${sel.read.endpoint}: ${resolved.reason}` };
  const socket = resolved.real;
  const shown = sel.read.endpoint;
  if (sel.read.runtime === 'docker')
    return {
      link: {
        kind: 'docker',
        endpoint: shown,
        list: () => readDocker(socket, shown),
        running: new RunningContainers({
          runtime: 'docker',
          endpoint: shown,
          listRunning: () => listRunningDocker(socket, shown),
          inspect: (id) => inspectDocker(socket, id, shown),
        }),
        exits: (signal) => dockerExits(socket, { signal }),
      },
    };
  // One CRI connection per sampling round, closed when its inspections are done.
  let roundClient: CriClient | undefined;
  return {
    link: {
      kind: 'cri',
      endpoint: shown,
      list: async () => {
        const client = new CriClient(socket);
        try {
          return await readCri(client, shown);
        } finally {
          client.close();
        }
      },
      running: new RunningContainers({
        runtime: sel.read.runtime,
        endpoint: shown,
        listRunning: () => listRunningCri((roundClient = new CriClient(socket)), shown),
        inspect: async (id, runtime) =>
          roundClient
            ? criStatusOf(roundClient, id, runtime, shown)
            : { problem: `${shown}: the runtime was not listed first.`, fatal: true },
        done: () => {
          roundClient?.close();
          roundClient = undefined;
        },
      }),
      exits: (signal, onSource) => runtimeExits(socket, { signal, ...(onSource ? { onSource } : {}) }),
    },
  };
}
