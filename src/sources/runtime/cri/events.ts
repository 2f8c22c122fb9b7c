// Container exits as they happen, for the node agent: containerd's own event stream
// (containerd.services.events.v1.Events/Subscribe, topics /tasks/exit and /tasks/oom), else the CRI
// GetContainerEvents stream (containerd ≥ 1.7, CRI-O; containerd 1.6 answers UNIMPLEMENTED), else
// ListContainers polled. Each exit is delivered once: /tasks/exit also fires for exec'd processes
// (their id differs from the container's) and a container's OOM may be signalled more than once.
import type { ClientReadableStream } from '@grpc/grpc-js';
import { z } from 'zod';
import { CriClient } from './client.js';
import { isGrpcError, Status, UnixGrpc } from './grpc.js';
import { nanosToIso } from './read.js';
import { protoRoot } from './proto.js';

export interface RuntimeExit {
  containerId: string;
  kind: 'exit' | 'oom';
  /** The exit status (128 + signal for a killed process); absent for an OOM notice. */
  exitStatus?: number;
  /** RFC 3339 with nanoseconds. */
  exitedAt?: string;
  /** CRI's reason when the stream says (OOMKilled, Error). */
  reason?: string;
  pid?: number;
  via: 'containerd-events' | 'cri-events' | 'cri-poll' | 'docker-events';
}

export interface ExitStreamOptions {
  /** Ends the stream. */
  signal?: AbortSignal;
  /** containerd namespace of the kubelet's containers. */
  namespace?: string;
  /** Interval of the ListContainers fallback. */
  pollMs?: number;
  /**
   * Start with this way of listening instead of the best one (each falls back to the next when the
   * runtime does not implement it): 'cri-events' skips containerd's own stream, 'cri-poll' polls.
   */
  via?: RuntimeExit['via'];
  /** Called once the way of listening is chosen (or changes), for the agent's log. */
  onSource?: (via: RuntimeExit['via']) => void;
}

const Timestamp = z.object({ seconds: z.string(), nanos: z.number() }).nullish();
const EnvelopeSchema = z.object({
  namespace: z.string(),
  topic: z.string(),
  event: z.object({ type_url: z.string(), value: z.instanceof(Uint8Array) }).nullish(),
});
const TaskExitSchema = z.object({
  container_id: z.string(),
  id: z.string(),
  pid: z.number(),
  exit_status: z.number(),
  exited_at: Timestamp,
});
const TaskOomSchema = z.object({ container_id: z.string() });
const CriEventSchema = z.object({
  container_id: z.string(),
  container_event_type: z.string(),
  containers_statuses: z.array(
    z.object({ id: z.string(), exit_code: z.number(), reason: z.string(), finished_at: z.string() }),
  ),
});

function tsToIso(t: z.infer<typeof Timestamp>): string | undefined {
  if (!t) return undefined;
  return nanosToIso((BigInt(t.seconds) * 1_000_000_000n + BigInt(t.nanos)).toString());
}

/** A queue that a producer pushes into and an async iterator drains. */
class Channel<T> {
  private items: T[] = [];
  private wake?: () => void;
  private done = false;
  failure?: unknown;
  push(v: T): void {
    this.items.push(v);
    this.wake?.();
  }
  end(failure?: unknown): void {
    this.done = true;
    if (failure !== undefined) this.failure = failure;
    this.wake?.();
  }
  async *drain(): AsyncGenerator<T> {
    for (;;) {
      while (this.items.length > 0) yield this.items.shift()!;
      if (this.done) {
        if (this.failure !== undefined) throw this.failure;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

/**
 * The exits (and OOM notices) of the runtime's containers from now on, each once. `socketPath` is the
 * real path of a containerd or CRI socket. The stream ends when `signal` aborts; it throws one
 * sentence when no way of listening works.
 */
export function runtimeExits(socketPath: string, opts: ExitStreamOptions = {}): AsyncIterable<RuntimeExit> {
  const out = new Channel<RuntimeExit>();
  const seen = new Set<string>();
  const deliver = (e: RuntimeExit) => {
    const key = `${e.kind}:${e.containerId}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(e);
  };
  const grpc = new UnixGrpc(socketPath, protoRoot());
  const cri = new CriClient(socketPath);
  let stream: ClientReadableStream<Record<string, unknown>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    stream?.cancel();
    if (timer) clearTimeout(timer);
    grpc.close();
    cri.close();
    out.end();
  };
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener('abort', stop, { once: true });

  const fail = (err: unknown) => {
    stream?.cancel();
    grpc.close();
    cri.close();
    out.end(new Error(`${socketPath}: container exits cannot be followed (${describe(err)}).`));
  };

  const containerd = () => {
    opts.onSource?.('containerd-events');
    const ns = opts.namespace ?? 'k8s.io';
    stream = grpc.serverStream(
      '/containerd.services.events.v1.Events/Subscribe',
      'containerd.services.events.v1.SubscribeRequest',
      'containerd.services.events.v1.Envelope',
      { filters: [`namespace==${ns},topic=="/tasks/exit"`, `namespace==${ns},topic=="/tasks/oom"`] },
    );
    stream.on('data', (m: unknown) => {
      const env = EnvelopeSchema.safeParse(m);
      if (!env.success || !env.data.event) return;
      const { topic, event } = env.data;
      if (topic === '/tasks/exit') {
        const e = TaskExitSchema.safeParse(grpc.decode('containerd.events.TaskExit', event.value));
        // An exec'd process exits with its own id; the container's init process carries the container's.
        if (!e.success || e.data.id !== e.data.container_id) return;
        const exitedAt = tsToIso(e.data.exited_at);
        deliver({
          containerId: e.data.container_id,
          kind: 'exit',
          exitStatus: e.data.exit_status,
          ...(exitedAt ? { exitedAt } : {}),
          pid: e.data.pid,
          via: 'containerd-events',
        });
      } else if (topic === '/tasks/oom') {
        const e = TaskOomSchema.safeParse(grpc.decode('containerd.events.TaskOOM', event.value));
        if (e.success) deliver({ containerId: e.data.container_id, kind: 'oom', via: 'containerd-events' });
      }
    });
    stream.on('error', (err) => {
      if (opts.signal?.aborted) return;
      if (isGrpcError(err) && err.code === Status.UNIMPLEMENTED) criEvents();
      else fail(err);
    });
  };

  const criEvents = () => {
    opts.onSource?.('cri-events');
    stream = grpc.serverStream(
      '/runtime.v1.RuntimeService/GetContainerEvents',
      'runtime.v1.GetEventsRequest',
      'runtime.v1.ContainerEventResponse',
      {},
    );
    stream.on('data', (m: unknown) => {
      const e = CriEventSchema.safeParse(m);
      if (!e.success || e.data.container_event_type !== 'CONTAINER_STOPPED_EVENT') return;
      const s = e.data.containers_statuses.find((c) => c.id === e.data.container_id);
      const exitedAt = s ? nanosToIso(s.finished_at) : undefined;
      deliver({
        containerId: e.data.container_id,
        kind: 'exit',
        ...(s ? { exitStatus: s.exit_code, ...(s.reason ? { reason: s.reason } : {}) } : {}),
        ...(exitedAt ? { exitedAt } : {}),
        via: 'cri-events',
      });
    });
    stream.on('error', (err) => {
      if (opts.signal?.aborted) return;
      if (isGrpcError(err) && err.code === Status.UNIMPLEMENTED) void poll(true);
      else fail(err);
    });
  };

  // The fallback: what is exited now was exited before we listened; anything exiting later is new.
  const known = new Set<string>();
  const poll = async (first: boolean) => {
    if (first) opts.onSource?.('cri-poll');
    try {
      const list = await cri.listContainers();
      for (const c of list) {
        if (c.state !== 'CONTAINER_EXITED' || known.has(c.id)) continue;
        known.add(c.id);
        if (first) continue;
        const st = await cri.containerStatus(c.id).catch(() => undefined);
        const exitedAt = st ? nanosToIso(st.status.finished_at) : undefined;
        deliver({
          containerId: c.id,
          kind: 'exit',
          ...(st
            ? { exitStatus: st.status.exit_code, ...(st.status.reason ? { reason: st.status.reason } : {}) }
            : {}),
          ...(exitedAt ? { exitedAt } : {}),
          via: 'cri-poll',
        });
      }
    } catch (err) {
      if (!opts.signal?.aborted) fail(err);
      return;
    }
    if (!opts.signal?.aborted) timer = setTimeout(() => void poll(false), opts.pollMs ?? 1000);
  };

  if (!opts.signal?.aborted) {
    if (opts.via === 'cri-poll') void poll(true);
    else if (opts.via === 'cri-events') criEvents();
    else containerd();
  }
  return { [Symbol.asyncIterator]: () => out.drain() };
}

function describe(err: unknown): string {
  if (isGrpcError(err)) return `${Status[err.code] ?? err.code}: ${err.details}`;
  return err instanceof Error ? err.message : String(err);
}
