// The agent's line to the node's container runtime: which runtime answers (--runtime-endpoint, else
// the usual sockets, as `podmortem node` chooses), its records (list), and its exits as they happen
// (Docker's /events, containerd's event stream with CRI fallbacks).
import { HostRoot } from '../sources/host/root.js';
import { runtimeExits, type RuntimeExit } from '../sources/runtime/cri/events.js';
import { dockerExits } from '../sources/runtime/docker-events.js';
import { inspectDocker, listDockerStates } from '../sources/runtime/docker.js';
import { parseEndpoint, readRuntime } from '../sources/runtime/endpoint.js';
import { CriClient } from '../sources/runtime/cri/client.js';
import { criStatusOf, listCriStates } from '../sources/runtime/cri/read.js';
import type { RuntimeRead } from '../sources/runtime/types.js';
import { RuntimeRecords } from './runtime-records.js';

export interface RuntimeLink {
  kind: 'docker' | 'cri';
  /** The endpoint as the user names it (unix:///run/containerd/containerd.sock). */
  endpoint: string;
  /** Every Kubernetes container the runtime records, running or exited (listed now; records kept per id and state). */
  list(): Promise<RuntimeRead>;
  /** The records behind list(), and the running containers for the sampler (see RuntimeRecords). */
  records: RuntimeRecords;
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
  if (sel.read.runtime === 'docker') {
    const records = new RuntimeRecords('docker', shown, () => ({
      list: () => listDockerStates(socket, shown),
      inspect: (id) => inspectDocker(socket, id, shown),
      close: () => undefined,
    }));
    return {
      link: {
        kind: 'docker',
        endpoint: shown,
        list: () => records.all(),
        records,
        exits: (signal) => dockerExits(socket, { signal }),
      },
    };
  }
  const records = new RuntimeRecords(sel.read.runtime, shown, () => {
    const client = new CriClient(socket);
    return {
      list: () => listCriStates(client, shown),
      inspect: (id, runtime) => criStatusOf(client, id, runtime, shown),
      close: () => client.close(),
    };
  });
  return {
    link: {
      kind: 'cri',
      endpoint: shown,
      list: () => records.all(),
      records,
      exits: (signal, onSource) => runtimeExits(socket, { signal, ...(onSource ? { onSource } : {}) }),
    },
  };
}
