// Read-only access to the Kubernetes API through @kubernetes/client-node 1.x: pods page by page
// (limit/continue, as `kubectl get --chunk-size` does), a container's previous log as a bounded
// stream, a pod's events, nodes, and owner objects. Objects come back in their wire shape (the
// client's ObjectSerializer), the same JSON a bundle stores, so live and offline analysis read the
// same thing. Every call goes through withRetry; failures come out as ApiError with the server's
// Status message.
import https from 'node:https';
import { Readable, Writable } from 'node:stream';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  Log,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import {
  ApiError,
  DEFAULT_RETRY,
  RateLimiter,
  toProblem,
  withRetry,
  type RetryCounters,
  type RetryPolicy,
} from './retry.js';
import type { OwnerKind, WireObject } from './wire.js';

export interface PodQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  chunkSize: number;
}

export class ClusterApi {
  readonly counters: RetryCounters = { requests: 0, retries: 0 };
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly logs: Log;
  private readonly limiter: RateLimiter;

  constructor(
    readonly kc: KubeConfig,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {
    reuseConnections(kc);
    this.limiter = new RateLimiter(policy.qps, policy.burst);
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.logs = new Log(kc);
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '?';
  }

  private call<T>(fn: (options: ReturnType<typeof abortable>) => Promise<T>): Promise<T> {
    return withRetry((signal) => fn(abortable(signal)), this.policy, this.counters, this.limiter);
  }

  /** The next continue token, or undefined at the end; a token seen before or too many pages stop the listing. */
  private nextPage(seen: Set<string>, token: string | undefined, what: string): string | undefined {
    if (!token) return undefined;
    if (seen.has(token) || seen.size >= MAX_PAGES)
      throw new ApiError({
        status: 0,
        reason: 'BadPagination',
        message: seen.has(token)
          ? `the API server repeated a continue token while listing ${what}; the listing was stopped`
          : `listing ${what} passed ${MAX_PAGES} pages; the listing was stopped`,
      });
    seen.add(token);
    return token;
  }

  /** Pods page by page; each page is handed over before the next is asked for, so memory stays one page. */
  async *listPods(q: PodQuery): AsyncGenerator<WireObject[]> {
    let cont: string | undefined;
    const seen = new Set<string>();
    do {
      const common = {
        limit: q.chunkSize,
        ...(cont ? { _continue: cont } : {}),
        ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}),
        ...(q.fieldSelector ? { fieldSelector: q.fieldSelector } : {}),
      };
      const ns = q.namespace;
      const page = await this.call((o) =>
        ns
          ? this.core.listNamespacedPod({ namespace: ns, ...common }, o)
          : this.core.listPodForAllNamespaces(common, o),
      );
      yield itemsOf(page, 'pods').map((p) => wire(p, 'V1Pod'));
      cont = this.nextPage(seen, page.metadata?._continue, 'pods');
    } while (cont);
  }

  /** The first page of the cluster-wide pod list only; `more` when the cluster holds more pods. */
  async firstPodPage(
    chunkSize: number,
    labelSelector?: string,
  ): Promise<{ pods: WireObject[]; more: boolean }> {
    const page = await this.call((o) =>
      this.core.listPodForAllNamespaces({ limit: chunkSize, ...(labelSelector ? { labelSelector } : {}) }, o),
    );
    return { pods: itemsOf(page, 'pods').map((p) => wire(p, 'V1Pod')), more: !!page.metadata?._continue };
  }

  async listNodes(chunkSize: number): Promise<WireObject[]> {
    const out: WireObject[] = [];
    let cont: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await this.call((o) =>
        this.core.listNode({ limit: chunkSize, ...(cont ? { _continue: cont } : {}) }, o),
      );
      out.push(...itemsOf(page, 'nodes').map((n) => wire(n, 'V1Node')));
      cont = this.nextPage(seen, page.metadata?._continue, 'nodes');
    } while (cont);
    return out;
  }

  async pod(namespace: string, name: string): Promise<WireObject> {
    return wire(await this.call((o) => this.core.readNamespacedPod({ namespace, name }, o)), 'V1Pod');
  }

  async node(name: string): Promise<WireObject> {
    return wire(await this.call((o) => this.core.readNode({ name }, o)), 'V1Node');
  }

  /** The events of one pod, as `kubectl describe pod` selects them. */
  async podEvents(namespace: string, pod: string): Promise<WireObject[]> {
    const fieldSelector = `involvedObject.name=${pod},involvedObject.namespace=${namespace}`;
    const list = await this.call((o) =>
      this.core.listNamespacedEvent({ namespace, fieldSelector, limit: 500 }, o),
    );
    return itemsOf(list, 'events').map((e) => wire(e, 'CoreV1Event'));
  }

  /**
   * The events about pods of one namespace, page by page, at most maxPages pages; `complete` is
   * false when there were more (the caller then asks per pod).
   */
  async namespacePodEvents(
    namespace: string,
    chunkSize: number,
    maxPages: number,
  ): Promise<{ events: WireObject[]; complete: boolean }> {
    const events: WireObject[] = [];
    let cont: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const list = await this.call((o) =>
        this.core.listNamespacedEvent(
          {
            namespace,
            fieldSelector: 'involvedObject.kind=Pod',
            limit: chunkSize,
            ...(cont ? { _continue: cont } : {}),
          },
          o,
        ),
      );
      events.push(...itemsOf(list, 'events').map((e) => wire(e, 'CoreV1Event')));
      cont = list.metadata?._continue || undefined;
      if (!cont) return { events, complete: true };
    }
    return { events, complete: false };
  }

  async owner(kind: OwnerKind, namespace: string, name: string): Promise<WireObject> {
    const p = { namespace, name };
    switch (kind) {
      case 'ReplicaSet':
        return wire(await this.call((o) => this.apps.readNamespacedReplicaSet(p, o)), 'V1ReplicaSet');
      case 'Deployment':
        return wire(await this.call((o) => this.apps.readNamespacedDeployment(p, o)), 'V1Deployment');
      case 'DaemonSet':
        return wire(await this.call((o) => this.apps.readNamespacedDaemonSet(p, o)), 'V1DaemonSet');
      case 'StatefulSet':
        return wire(await this.call((o) => this.apps.readNamespacedStatefulSet(p, o)), 'V1StatefulSet');
      case 'Job':
        return wire(await this.call((o) => this.batch.readNamespacedJob(p, o)), 'V1Job');
      case 'CronJob':
        return wire(await this.call((o) => this.batch.readNamespacedCronJob(p, o)), 'V1CronJob');
    }
  }

  /**
   * A container's log, at most limitBytes (the server cuts it: GET .../log?previous=true&limitBytes=N),
   * as a stream: the previous instance's when it restarted, else the terminated one's. Connection
   * errors and 429/5xx are retried before any byte arrives.
   */
  async containerLog(
    namespace: string,
    pod: string,
    container: string,
    opts: { previous: boolean; limitBytes: number },
  ): Promise<Readable> {
    return this.call(async () => {
      // The server cuts the log at limitBytes; the cap here holds even against one that does not.
      const cap = capBytes(opts.limitBytes, this.policy.timeoutMs);
      try {
        const controller = await this.logs.log(namespace, pod, container, cap.sink, {
          previous: opts.previous,
          limitBytes: opts.limitBytes,
          follow: false,
          timestamps: false,
        });
        cap.onFull = () => controller.abort();
      } catch (err) {
        cap.close();
        const p = toProblem(err);
        // The log client drops the Status body of a refusal; name the request so the message says what was refused.
        if (p.status === 403)
          p.message = `get pods/log ${namespace}/${pod} (container ${container}) was refused (HTTP 403)`;
        if (p.status === 400)
          p.message = `the kubelet keeps no previous log for container ${container} of ${namespace}/${pod}`;
        throw new ApiError(p);
      }
      return cap.out;
    });
  }
}

/**
 * A sink for the log client and the stream we hand on: at most `limit` bytes go through, then the
 * readable ends and onFull fires (the request is aborted). The sink itself never ends early, so the
 * client's pipe never writes after an end; bytes past the cap are dropped.
 */
function capBytes(
  limit: number,
  idleMs: number,
): { sink: Writable; out: Readable; onFull?: () => void; close: () => void } {
  let seen = 0;
  let ended = false;
  // Pushes ignore backpressure on purpose: what waits here is bounded by `limit` (--log-bytes).
  const out = new Readable({ read() {} });
  let idle: NodeJS.Timeout | undefined;
  const finish = (err?: Error) => {
    if (idle) clearTimeout(idle);
    if (ended) return;
    ended = true;
    // An abandoned stream (its request failed or timed out) has no reader to tell: just end it.
    if (err && out.listenerCount('error') > 0) out.destroy(err);
    else out.push(null);
  };
  const holder: { sink: Writable; out: Readable; onFull?: () => void; close: () => void } = {
    out,
    close: () => finish(),
    sink: new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (!ended) {
          const room = limit - seen;
          seen += chunk.length;
          out.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
          if (seen >= limit) {
            finish();
            holder.onFull?.();
          } else {
            armIdle();
          }
        }
        cb();
      },
      final(cb) {
        finish();
        cb();
      },
    }),
  };
  // A log that stops arriving mid-way (a stalled kubelet or proxy) ends the read; what came is scanned.
  const armIdle = () => {
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => {
      finish(new Error(`no log data for ${idleMs / 1000}s`));
      holder.onFull?.();
    }, idleMs);
    idle.unref?.();
  };
  armIdle();
  return holder;
}

/**
 * client-node 1.4 builds a new https.Agent for every request (KubeConfig.createAgent), so each call
 * pays a TCP and TLS handshake and the API server sees a new connection each time. One keep-alive
 * agent per KubeConfig, with the same TLS options, lets the pool reuse its connections. Proxy
 * configurations keep the library's own agents.
 */
function reuseConnections(kc: KubeConfig): void {
  const target = kc as unknown as {
    createAgent?: (
      cluster: { proxyUrl?: string; server?: string } | null,
      options: https.AgentOptions,
    ) => unknown;
  };
  const original = target.createAgent?.bind(kc);
  if (!original) return;
  let shared: https.Agent | undefined;
  target.createAgent = (cluster, options) => {
    if (cluster?.proxyUrl || !cluster?.server?.startsWith('https:')) return original(cluster, options);
    shared ??= new https.Agent({ ...options, keepAlive: true, maxSockets: 32 });
    return shared;
  };
}

/** Pages of one listing read at most (500 pods a page: 2.5 million pods). */
const MAX_PAGES = 5000;

/** Request options that hand the attempt's AbortSignal to the HTTP request (client-node's middleware). */
export function abortable(signal: AbortSignal) {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(signal as Parameters<RequestContext['setSignal']>[0]);
          return of(ctx);
        },
        post: (r: ResponseContext) => of(r),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
}

/** A list's items; `items: null` or a missing list is a malformed answer, said as such. */
function itemsOf<T>(list: { items?: T[] | null } | undefined, what: string): T[] {
  if (!list || !Array.isArray(list.items))
    throw new ApiError({
      status: 0,
      reason: 'MalformedAnswer',
      message: `the API server's answer to listing ${what} has no items list`,
    });
  return list.items;
}

/** Typed client object -> the JSON the API server sent (dates back to RFC 3339 strings, `_continue` to `continue`). */
function wire(obj: unknown, type: string): WireObject {
  return ObjectSerializer.serialize(obj, type, '') as WireObject;
}
