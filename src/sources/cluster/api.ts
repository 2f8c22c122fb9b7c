// Read-only access to the Kubernetes API through @kubernetes/client-node 1.x: pods page by page
// (limit/continue, as `kubectl get --chunk-size` does), a container's previous log as a bounded
// stream, a pod's events, nodes, and owner objects. Objects come back as the JSON the server sent
// (taken from the response before the client's typed model sees it), the same JSON a bundle stores,
// so live and offline analysis read the same thing, and one malformed field (a timestamp that is not
// a time) cannot make the client's model throw for a whole page. Every call goes through withRetry;
// failures come out as ApiError with the server's Status message.
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
import { from, of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
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
    /** Fires to cancel every request: those in flight are aborted, none starts after. */
    private readonly cancel?: AbortSignal,
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

  /** One request of the generated client, retried; resolves to the JSON body the server sent. */
  private call(fn: (options: ReturnType<typeof rawJson>) => Promise<unknown>): Promise<WireObject> {
    return withRetry(
      async (signal) => {
        const got: { json?: unknown } = {};
        await fn(rawJson(signal, got));
        if (typeof got.json !== 'object' || got.json === null || Array.isArray(got.json))
          throw new ApiError({
            status: 0,
            reason: 'MalformedAnswer',
            message: 'the API server answered with JSON that is not an object',
          });
        return got.json as WireObject;
      },
      this.policy,
      this.counters,
      this.limiter,
      this.cancel,
    );
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
      yield itemsOf(page, 'pods');
      cont = this.nextPage(seen, continueOf(page), 'pods');
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
    return { pods: itemsOf(page, 'pods'), more: !!continueOf(page) };
  }

  async listNodes(chunkSize: number): Promise<WireObject[]> {
    const out: WireObject[] = [];
    let cont: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await this.call((o) =>
        this.core.listNode({ limit: chunkSize, ...(cont ? { _continue: cont } : {}) }, o),
      );
      out.push(...itemsOf(page, 'nodes'));
      cont = this.nextPage(seen, continueOf(page), 'nodes');
    } while (cont);
    return out;
  }

  async pod(namespace: string, name: string): Promise<WireObject> {
    return this.call((o) => this.core.readNamespacedPod({ namespace, name }, o));
  }

  async node(name: string): Promise<WireObject> {
    return this.call((o) => this.core.readNode({ name }, o));
  }

  /** The events of one pod, as `kubectl describe pod` selects them. */
  async podEvents(namespace: string, pod: string): Promise<WireObject[]> {
    const fieldSelector = `involvedObject.name=${pod},involvedObject.namespace=${namespace}`;
    const list = await this.call((o) =>
      this.core.listNamespacedEvent({ namespace, fieldSelector, limit: 500 }, o),
    );
    return itemsOf(list, 'events');
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
      events.push(...itemsOf(list, 'events'));
      cont = continueOf(list);
      if (!cont) return { events, complete: true };
    }
    return { events, complete: false };
  }

  async owner(kind: OwnerKind, namespace: string, name: string): Promise<WireObject> {
    const p = { namespace, name };
    switch (kind) {
      case 'ReplicaSet':
        return this.call((o) => this.apps.readNamespacedReplicaSet(p, o));
      case 'Deployment':
        return this.call((o) => this.apps.readNamespacedDeployment(p, o));
      case 'DaemonSet':
        return this.call((o) => this.apps.readNamespacedDaemonSet(p, o));
      case 'StatefulSet':
        return this.call((o) => this.apps.readNamespacedStatefulSet(p, o));
      case 'Job':
        return this.call((o) => this.batch.readNamespacedJob(p, o));
      case 'CronJob':
        return this.call((o) => this.batch.readNamespacedCronJob(p, o));
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
    return withRetry(
      async () => {
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
          // A cancel (SIGINT) ends the log being read too: what arrived is all there is.
          const stop = () => {
            controller.abort();
            cap.close();
          };
          this.cancel?.addEventListener('abort', stop, { once: true });
          cap.out.once('close', () => this.cancel?.removeEventListener('abort', stop));
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
      },
      this.policy,
      this.counters,
      this.limiter,
      this.cancel,
    );
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

/**
 * Request options that hand the attempt's AbortSignal to the HTTP request, and take a successful
 * answer's JSON before the generated client deserializes it: the client's model turns a timestamp
 * that is not a time into an Invalid Date that throws when written back, and a string where it
 * expects a list into an exception, which would lose a whole page for one bad field. The model is
 * handed `{}` instead; a body that is not JSON is left to the client, which says so.
 */
function rawJson(signal: AbortSignal, got: { json?: unknown }) {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(signal as Parameters<RequestContext['setSignal']>[0]);
          return of(ctx);
        },
        post: (r: ResponseContext) =>
          from(
            (async () => {
              if (r.httpStatusCode < 200 || r.httpStatusCode > 299) return r;
              const text = await r.body.text();
              let body = text;
              try {
                got.json = JSON.parse(text);
                body = '{}';
              } catch {
                // not JSON: the client's own parse error says what it is
              }
              r.body = {
                text: () => Promise.resolve(body),
                binary: () => Promise.resolve(Buffer.from(body)),
              };
              return r;
            })(),
          ),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
}

/** A list's items; `items: null` or a missing list is a malformed answer, said as such. */
function itemsOf(list: WireObject, what: string): WireObject[] {
  const items = (list as { items?: unknown }).items;
  if (!Array.isArray(items))
    throw new ApiError({
      status: 0,
      reason: 'MalformedAnswer',
      message: `the API server's answer to listing ${what} has no items list`,
    });
  // An item that is not an object (null, a string) names nothing to read; it is left out here.
  return items.filter((i): i is WireObject => typeof i === 'object' && i !== null && !Array.isArray(i));
}

/** The list's continue token (metadata.continue), or undefined at the end. */
function continueOf(list: WireObject): string | undefined {
  const c = (list.metadata as { continue?: unknown } | undefined)?.continue;
  return typeof c === 'string' && c !== '' ? c : undefined;
}
