// The cluster walk of `scan` and `collect`: list pods page by page keeping only the crashed
// containers (and the not-ready pods, the candidates of a blast radius), read the nodes they ran on,
// then for each crashed container, through a bounded pool: the pod's events, its owner chain, and its
// previous log as a bounded stream handed to a sink (scan feeds it to the scanner, collect writes it
// to the bundle). Refusals and missing objects become Problems, never failures; only an unreachable
// cluster or rejected credentials stop the walk.
import type { Readable } from 'node:stream';
import type { ClusterApi } from './api.js';
import { crashedContainers, mayHaveCrashedOrBeNotReady, type CrashedContainer } from './crashed.js';
import type { Problem, Rule } from '../../evidence/problem.js';
import { podDefects } from './pod-facts.js';
import { describeProblem, malformedPod } from './problems.js';
import { ApiError, pool, toProblem, type ApiProblem } from './retry.js';
import { controllerOf, OWNER_KINDS, podView, type OwnerKind, type WireObject } from './wire.js';
import { ClusterUnreachable } from './unreachable.js';

export interface ScanScope {
  /** undefined with allNamespaces. */
  namespace?: string;
  labelSelector?: string;
  /** --since in milliseconds. */
  sinceMs?: number;
  /** Page size of list calls (kubectl's --chunk-size, 500 by default). */
  chunkSize: number;
  /** Requests in flight at most. */
  concurrency: number;
  /** Bytes of each previous log read at most. */
  logBytes: number;
}

/** Everything a scan read: what the bundle stores, and what the diagnosis reads back. */
export interface ClusterEvidence {
  server: string;
  scope: { namespace?: string; labelSelector?: string; sinceMs?: number };
  /** Pods with a crashed container, and not-ready pods on the same nodes. */
  pods: WireObject[];
  nodes: WireObject[];
  /** Events by "namespace/pod". */
  events: Record<string, WireObject[]>;
  /** Owner objects (ReplicaSet, Deployment, ...), each once. */
  owners: WireObject[];
  containers: CrashedContainer[];
  problems: Problem[];
  stats: { pods: number; pages: number; requests: number; retries: number };
}

/** One crashed container with everything read about it, ready for the diagnosis. */
export interface ContainerContext {
  crashed: CrashedContainer;
  pod: WireObject;
  events: WireObject[];
  /** Controller chain, nearest first (ReplicaSet, then Deployment). */
  owners: WireObject[];
  node?: WireObject;
  problems: Problem[];
}

export type LogSink = (ctx: ContainerContext, log: Readable | undefined) => Promise<void>;

export interface Progress {
  phase: 'pods' | 'nodes' | 'containers';
  done: number;
  total?: number;
}

export { ClusterUnreachable };

const MAX_NOT_READY = 5000;
/** Crashed pods in one namespace from which its pod events are listed at once. */
const NAMESPACE_EVENTS_FROM = 3;
/** Pages of a namespace's pod events read at most before falling back to per-pod requests. */
const NAMESPACE_EVENTS_MAX_PAGES = 10;

export async function gatherCluster(
  api: ClusterApi,
  scope: ScanScope,
  sink: LogSink,
  onProgress: (p: Progress) => void = () => {},
  /** Called once the crashed containers and their nodes are known, before any log is read. */
  beforeContainers: (ev: ClusterEvidence) => Promise<void> = async () => {},
): Promise<ClusterEvidence> {
  const problems: Problem[] = [];
  const ev: ClusterEvidence = {
    server: api.server,
    scope: {
      ...(scope.namespace ? { namespace: scope.namespace } : {}),
      ...(scope.labelSelector ? { labelSelector: scope.labelSelector } : {}),
      ...(scope.sinceMs !== undefined ? { sinceMs: scope.sinceMs } : {}),
    },
    pods: [],
    nodes: [],
    events: {},
    owners: [],
    containers: [],
    problems,
    stats: { pods: 0, pages: 0, requests: 0, retries: 0 },
  };
  const crashedPods = new Map<string, WireObject>();
  const notReady: WireObject[] = [];
  const now = Date.now();

  try {
    for await (const page of api.listPodPages(
      {
        ...(scope.namespace ? { namespace: scope.namespace } : {}),
        ...(scope.labelSelector ? { labelSelector: scope.labelSelector } : {}),
        chunkSize: scope.chunkSize,
      },
      // Healthy pods are dropped as parsed JSON, before any conversion: only these are kept below.
      mayHaveCrashedOrBeNotReady,
    )) {
      ev.stats.pages++;
      ev.stats.pods += page.listed;
      for (const pod of page.pods) {
        // A pod with a field that cannot be read is still scanned from the rest; the field is named once.
        const defects = podDefects(pod, 'the API server');
        const ns: unknown = pod.metadata?.namespace;
        if (defects)
          problems.push(malformedPod(defects, podKey(pod), typeof ns === 'string' ? ns : undefined));
        const crashed = crashedContainers(pod, {
          ...(scope.sinceMs !== undefined ? { sinceMs: scope.sinceMs } : {}),
          now,
        });
        if (crashed.length > 0) {
          ev.containers.push(...crashed);
          crashedPods.set(`${crashed[0]!.namespace}/${crashed[0]!.pod}`, pod);
        } else if (notReady.length < MAX_NOT_READY && isNotReady(pod)) {
          notReady.push(pod);
        }
      }
      onProgress({ phase: 'pods', done: ev.stats.pods });
    }
  } catch (err) {
    const p = toProblem(err);
    // Nothing listed means nothing scanned: a clean report would be a lie (and --fail-on would stay green).
    if (stopsTheWalk(p)) throw new ClusterUnreachable(unreachableSentence(api.server, p, 'list pods'));
    const rule: Rule = {
      verb: 'list',
      resource: 'pods',
      group: '',
      ...(scope.namespace ? { namespace: scope.namespace } : {}),
    };
    problems.push(
      describeProblem(
        p,
        rule,
        scope.namespace ?? 'all namespaces',
        'no pod could be listed, so nothing was scanned',
      ),
    );
  }

  // Nodes: one GET each when few, one paginated LIST when many (500 GETs would be 500 requests).
  const nodeNames = [...new Set(ev.containers.map((c) => c.node).filter((n): n is string => !!n))];
  const nodes = new Map<string, WireObject>();
  if (nodeNames.length > 10) {
    try {
      for (const n of await api.listNodes(scope.chunkSize))
        if (n.metadata?.name) nodes.set(n.metadata.name, n);
    } catch (err) {
      problems.push(
        describeProblem(
          toProblem(err),
          { verb: 'list', resource: 'nodes', group: '' },
          'nodes',
          "the nodes' kernel, OS and conditions are unknown",
        ),
      );
    }
  } else {
    await pool(nodeNames, scope.concurrency, async (name) => {
      try {
        nodes.set(name, await api.node(name));
      } catch (err) {
        problems.push(
          describeProblem(
            toProblem(err),
            { verb: 'get', resource: 'nodes', group: '' },
            `node ${name}`,
            `the kernel, OS and conditions of node ${name} are unknown`,
          ),
        );
      }
    });
  }
  ev.nodes = nodeNames.map((n) => nodes.get(n)).filter((n): n is WireObject => !!n);
  onProgress({ phase: 'nodes', done: ev.nodes.length, total: nodeNames.length });

  const nodeSet = new Set(nodeNames);
  ev.pods = [...crashedPods.values(), ...notReady.filter((p) => nodeSet.has(nodeOf(p) ?? ''))];

  // Per pod and per owner the request is made once, whatever the number of containers or replicas.
  const eventsOf = new Map<string, Promise<{ events: WireObject[]; problem?: Problem }>>();
  const ownerOf = new Map<string, Promise<WireObject | Problem | undefined>>();
  // Events: a namespace with several crashed pods is read in one paginated LIST of its pod events
  // (one request instead of one per pod); otherwise, or when that list is too long, per pod.
  // Held per namespace until the scan ends: only the events of its crashed pods, by pod name (a
  // namespace's pod events can be thousands; the other pods' are dropped as soon as they are read).
  const nsEvents = new Map<
    string,
    Promise<{ byPod: Map<string, WireObject[]>; complete: boolean } | { problem: ApiProblem }>
  >();
  /** Crashed pod names by namespace. */
  const crashedNames = new Map<string, Set<string>>();
  for (const key of crashedPods.keys()) {
    const slash = key.indexOf('/');
    const ns = key.slice(0, slash);
    if (!crashedNames.has(ns)) crashedNames.set(ns, new Set());
    crashedNames.get(ns)!.add(key.slice(slash + 1));
  }
  const eventsProblem = (err: unknown, ns: string, key: string) =>
    describeProblem(
      toProblem(err),
      { verb: 'list', resource: 'events', group: '', namespace: ns },
      key,
      `the events of ${key} (probe failures, kills, back-offs) were not read`,
    );
  const loadEvents = (ns: string, pod: string) => {
    const key = `${ns}/${pod}`;
    let p = eventsOf.get(key);
    if (!p) {
      p = (async () => {
        if ((crashedNames.get(ns)?.size ?? 0) >= NAMESPACE_EVENTS_FROM) {
          let batch = nsEvents.get(ns);
          if (!batch) {
            const wanted = crashedNames.get(ns)!;
            batch = api
              .namespacePodEvents(ns, scope.chunkSize, NAMESPACE_EVENTS_MAX_PAGES)
              .then(({ events, complete }) => {
                const byPod = new Map<string, WireObject[]>();
                for (const e of events) {
                  const name = involvedName(e);
                  if (name === undefined || !wanted.has(name)) continue;
                  if (!byPod.has(name)) byPod.set(name, []);
                  byPod.get(name)!.push(e);
                }
                return { byPod, complete };
              })
              .catch((err: unknown) => ({ problem: toProblem(err) }));
            nsEvents.set(ns, batch);
          }
          const b = await batch;
          if ('problem' in b) return { events: [], problem: eventsProblem(new ApiError(b.problem), ns, key) };
          if (b.complete) return { events: b.byPod.get(pod) ?? [] };
        }
        try {
          return { events: await api.podEvents(ns, pod) };
        } catch (err) {
          return { events: [], problem: eventsProblem(err, ns, key) };
        }
      })();
      eventsOf.set(key, p);
    }
    return p;
  };
  const loadOwner = (kind: OwnerKind, ns: string, name: string) => {
    const key = `${kind}/${ns}/${name}`;
    let p = ownerOf.get(key);
    if (!p) {
      p = readOwner(api, kind, ns, name);
      ownerOf.set(key, p);
    }
    return p;
  };

  await beforeContainers(ev);
  let done = 0;
  await pool(ev.containers, scope.concurrency, async (c) => {
    const pod = crashedPods.get(`${c.namespace}/${c.pod}`)!;
    const mine: Problem[] = [];
    const { events, problem } = await loadEvents(c.namespace, c.pod);
    if (problem) mine.push(problem);
    ev.events[`${c.namespace}/${c.pod}`] = events;
    const owners = await ownerChain(pod, c.namespace, loadOwner, mine);
    const log = await previousLog(api, c, scope.logBytes, mine);
    const node = c.node ? nodes.get(c.node) : undefined;
    try {
      await sink({ crashed: c, pod, events, owners, ...(node ? { node } : {}), problems: mine }, log);
    } finally {
      log?.destroy();
    }
    problems.push(...mine);
    onProgress({ phase: 'containers', done: ++done, total: ev.containers.length });
  });

  const seen = new Set<string>();
  for (const o of await Promise.all(ownerOf.values())) {
    if (o && !('sentence' in o) && o.metadata?.uid && !seen.has(o.metadata.uid)) {
      seen.add(o.metadata.uid);
      ev.owners.push(o);
    }
  }
  ev.stats.requests = api.counters.requests;
  ev.stats.retries = api.counters.retries;
  return ev;
}

/** No answer, rejected credentials, or a server failing every retry: nothing further can be read. */
export function stopsTheWalk(p: ApiProblem): boolean {
  return p.status === 0 || p.status === 401 || p.status === 429 || p.status >= 500;
}

/** The sentence for a request (`what`: "list pods", "get pod shop/web") that stopped the walk. */
export function unreachableSentence(server: string, p: ApiProblem, what: string): string {
  return p.status === 401
    ? `the API server at ${server} rejected the credentials (HTTP 401): check the kubeconfig's user or token.`
    : p.reason === 'MalformedAnswer' || p.reason === 'BadPagination' || /JSON/.test(p.message)
      ? `the API server at ${server} gave an unusable answer: ${p.message}.`
      : p.status !== 0
        ? `the API server at ${server} failed every attempt to ${what} (HTTP ${p.status} ${p.reason}: ${p.message}); nothing was ${what === 'list pods' ? 'scanned' : 'read'}.`
        : `cannot reach the API server at ${server}: ${p.message}.`;
}

/** An owner object, or the Problem that says why it was not read. */
export function readOwner(
  api: ClusterApi,
  kind: OwnerKind,
  ns: string,
  name: string,
): Promise<WireObject | Problem> {
  return api.owner(kind, ns, name).catch((err: unknown) =>
    describeProblem(
      toProblem(err),
      {
        verb: 'get',
        resource: `${kind.toLowerCase()}s`,
        group: kind === 'Job' || kind === 'CronJob' ? 'batch' : 'apps',
        namespace: ns,
      },
      `${kind} ${ns}/${name}`,
      `the owner ${kind} ${ns}/${name} was not read`,
    ),
  );
}

/** The pod's controller chain, nearest first, at most three levels; what could not be read goes to problems. */
export async function ownerChain(
  pod: WireObject,
  namespace: string,
  load: (kind: OwnerKind, ns: string, name: string) => Promise<WireObject | Problem | undefined>,
  problems: Problem[],
): Promise<WireObject[]> {
  const owners: WireObject[] = [];
  let ref = controllerOf(pod);
  for (let depth = 0; ref && depth < 3 && (OWNER_KINDS as readonly string[]).includes(ref.kind); depth++) {
    const o = await load(ref.kind as OwnerKind, namespace, ref.name);
    if (!o) break;
    if ('sentence' in o) {
      problems.push(o as Problem);
      break;
    }
    owners.push(o);
    ref = controllerOf(o);
  }
  return owners;
}

/** The crashed instance's log as a bounded stream, or undefined with the reason in problems. */
export async function previousLog(
  api: ClusterApi,
  c: CrashedContainer,
  logBytes: number,
  problems: Problem[],
): Promise<Readable | undefined> {
  try {
    return await api.containerLog(c.namespace, c.pod, c.container, {
      previous: c.previous,
      limitBytes: logBytes,
    });
  } catch (err) {
    const p = err instanceof ApiError ? err.problem : toProblem(err);
    problems.push(
      describeProblem(
        p,
        { verb: 'get', resource: 'pods/log', group: '', namespace: c.namespace },
        `${c.namespace}/${c.pod}/${c.container}`,
        `the ${c.previous ? 'previous' : 'last'} log of ${c.namespace}/${c.pod} container ${c.container} was not read`,
      ),
    );
    return undefined;
  }
}

/** "namespace/name" of a pod object, as the findings name pods; "?" for what a broken object lacks. */
export function podKey(pod: WireObject): string {
  const m = pod.metadata;
  return `${typeof m?.namespace === 'string' ? m.namespace : 'default'}/${typeof m?.name === 'string' ? m.name : '?'}`;
}

function involvedName(event: WireObject): string | undefined {
  const o = (event as { involvedObject?: { name?: unknown } }).involvedObject;
  return typeof o?.name === 'string' ? o.name : undefined;
}

function isNotReady(pod: WireObject): boolean {
  const p = podView(pod);
  if (p?.status?.phase !== 'Running') return false;
  return p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'False') ?? false;
}

function nodeOf(pod: WireObject): string | undefined {
  return podView(pod)?.spec?.nodeName;
}

/** Restarting pods outside the scanned namespace, from one page of the cluster-wide pod list. */
export interface Elsewhere {
  /** Pods with a crashed container, by namespace. */
  byNamespace: Record<string, number>;
  /** false: the cluster has more pods than one page; the counts are a lower bound. */
  complete: boolean;
}

/**
 * How many pods of other namespaces restarted, so a scan of one namespace that found nothing is not
 * a dead end. One request at most (the first page of a cluster-wide list): never a second walk of a
 * large cluster; undefined when the list is refused or fails, which then is not worth a word.
 */
export async function restartingElsewhere(
  api: ClusterApi,
  scope: ScanScope & { namespace: string },
): Promise<Elsewhere | undefined> {
  try {
    const { pods, more } = await api.firstPodPage(scope.chunkSize, scope.labelSelector);
    const complete = !more;
    const byNamespace: Record<string, number> = {};
    const now = Date.now();
    for (const pod of pods) {
      const c = crashedContainers(pod, {
        ...(scope.sinceMs !== undefined ? { sinceMs: scope.sinceMs } : {}),
        now,
      })[0];
      if (c && c.namespace !== scope.namespace)
        byNamespace[c.namespace] = (byNamespace[c.namespace] ?? 0) + 1;
    }
    return { byNamespace, complete };
  } catch {
    return undefined;
  }
}
