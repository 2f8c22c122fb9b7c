// `podmortem pod NAME`: one pod through the API, as `kubectl get pod`, `kubectl logs -p` and
// `kubectl describe pod` would read it: the pod, its node, its events, its owner chain, then the
// previous log of each container that restarted or failed (or of the one -c names), handed to the
// same sink as the scan's. A pod that cannot be read at all is one sentence (PodUnavailable); what
// is refused or missing after that is missing evidence, as in the scan.
import type { Readable } from 'node:stream';
import type { ClusterApi } from './api.js';
import { crashedContainers } from './crashed.js';
import type { Problem } from '../../evidence/problem.js';
import { podDefects } from './pod-facts.js';
import { describeProblem, malformedPod } from './problems.js';
import { toProblem } from './retry.js';
import {
  ClusterUnreachable,
  ownerChain,
  previousLog,
  readOwner,
  stopsTheWalk,
  unreachableSentence,
  type ClusterEvidence,
  type LogSink,
} from './gather.js';
import { podView, type WireObject } from './wire.js';

export interface PodTarget {
  namespace: string;
  name: string;
  /** -c: only this container. */
  container?: string;
  /** Bytes of each previous log read at most. */
  logBytes: number;
}

/** The pod cannot be diagnosed at all (not found, refused, no such container): one sentence, exit 1. */
export class PodUnavailable extends Error {}

export interface PodEvidence extends ClusterEvidence {
  /** One phrase per container looked at that neither restarted nor failed ("web: running, 0 restarts"). */
  calm: string[];
}

export async function gatherPod(
  api: ClusterApi,
  target: PodTarget,
  sink: LogSink,
  /** Called once the crashed containers and the node are known, before any log is read. */
  beforeContainers: (ev: PodEvidence) => Promise<void> = async () => {},
): Promise<PodEvidence> {
  const { namespace: ns, name } = target;
  const pod = await readPod(api, ns, name);
  const spec = podView(pod)?.spec;
  const names = (spec?.containers ?? []).map((c) => c.name);
  const inits = (spec?.initContainers ?? []).map((c) => c.name);
  if (target.container !== undefined && ![...names, ...inits].includes(target.container))
    throw new PodUnavailable(
      `pod ${ns}/${name} has no container "${target.container}"; its containers: ${names.join(', ') || 'none'}${inits.length ? ` (init: ${inits.join(', ')})` : ''}.`,
    );
  const wanted = (c: string) => target.container === undefined || c === target.container;
  const crashed = crashedContainers(pod).filter((c) => wanted(c.container));
  const problems: Problem[] = [];
  const defects = podDefects(pod, 'the API server');
  if (defects) problems.push(malformedPod(defects, `${ns}/${name}`, ns));
  const ev: PodEvidence = {
    server: api.server,
    scope: { namespace: ns },
    pods: [pod],
    nodes: [],
    events: {},
    owners: [],
    containers: crashed,
    problems,
    stats: { pods: 1, pages: 0, requests: 0, retries: 0 },
    calm: calmContainers(
      pod,
      crashed.map((c) => c.container),
      wanted,
    ),
  };
  if (crashed.length > 0) {
    const nodeName = spec?.nodeName;
    const [node, events, owners] = await Promise.all([
      nodeName ? readNode(api, nodeName, problems) : undefined,
      readEvents(api, ns, name, problems),
      ownerChain(pod, ns, (kind, n, o) => readOwner(api, kind, n, o), problems),
    ]);
    if (node) ev.nodes.push(node);
    ev.events[`${ns}/${name}`] = events;
    ev.owners.push(...owners);
    await beforeContainers(ev);
    // One container at a time: a pod has few, and each log is streamed through the scanner.
    for (const c of crashed) {
      const mine: Problem[] = [];
      const log: Readable | undefined = await previousLog(api, c, target.logBytes, mine);
      try {
        await sink({ crashed: c, pod, events, owners, ...(node ? { node } : {}), problems: mine }, log);
      } finally {
        log?.destroy();
      }
      problems.push(...mine);
    }
  }
  ev.stats.requests = api.counters.requests;
  ev.stats.retries = api.counters.retries;
  return ev;
}

async function readPod(api: ClusterApi, ns: string, name: string): Promise<WireObject> {
  try {
    return await api.pod(ns, name);
  } catch (err) {
    const p = toProblem(err);
    if (p.status === 404)
      throw new PodUnavailable(
        `pod "${name}" not found in namespace "${ns}" (pick another with -n NAMESPACE; kubectl get pods -A | grep ${name} finds it).`,
      );
    if (p.status === 403)
      throw new PodUnavailable(
        `RBAC forbids get pods in namespace "${ns}", so pod ${name} cannot be read: the identity needs the rule {apiGroups: [""], resources: ["pods"], verbs: ["get"]} in a Role of namespace "${ns}" or a ClusterRole (the server said: ${p.message}).`,
      );
    if (stopsTheWalk(p))
      throw new ClusterUnreachable(unreachableSentence(api.server, p, `get pod ${ns}/${name}`));
    throw new PodUnavailable(
      `pod ${ns}/${name} could not be read (HTTP ${p.status} ${p.reason}: ${p.message}).`,
    );
  }
}

async function readNode(api: ClusterApi, name: string, problems: Problem[]): Promise<WireObject | undefined> {
  try {
    return await api.node(name);
  } catch (err) {
    problems.push(
      describeProblem(
        toProblem(err),
        { verb: 'get', resource: 'nodes', group: '' },
        `node ${name}`,
        `the kernel, OS and conditions of node ${name} are unknown`,
      ),
    );
    return undefined;
  }
}

async function readEvents(
  api: ClusterApi,
  ns: string,
  pod: string,
  problems: Problem[],
): Promise<WireObject[]> {
  try {
    return await api.podEvents(ns, pod);
  } catch (err) {
    problems.push(
      describeProblem(
        toProblem(err),
        { verb: 'list', resource: 'events', group: '', namespace: ns },
        `${ns}/${pod}`,
        `the events of ${ns}/${pod} (probe failures, kills, back-offs) were not read`,
      ),
    );
    return [];
  }
}

/** What each container that did not crash is doing, so "nothing to diagnose" says why. */
function calmContainers(pod: WireObject, crashed: string[], wanted: (c: string) => boolean): string[] {
  const view = podView(pod);
  if (!view) return [];
  const statuses = [...(view.status?.initContainerStatuses ?? []), ...(view.status?.containerStatuses ?? [])];
  const out: string[] = [];
  for (const s of statuses) {
    if (!wanted(s.name) || crashed.includes(s.name)) continue;
    const waiting = s.state?.waiting?.reason;
    const done = s.state?.terminated;
    const state = waiting
      ? `waiting (${waiting}; kubectl describe pod says why)`
      : done
        ? `terminated with exit ${done.exitCode ?? '?'}${done.reason ? ` (${done.reason})` : ''}`
        : 'running';
    out.push(`${s.name}: ${state}, ${s.restartCount ?? 0} restarts`);
  }
  // A container of the spec that the status does not list: nothing says whether it ever ran or crashed.
  const listed = new Set(statuses.map((s) => s.name));
  for (const c of [...(view.spec?.initContainers ?? []), ...(view.spec?.containers ?? [])])
    if (wanted(c.name) && !listed.has(c.name))
      out.push(`${c.name}: no status in the pod object (status.containerStatuses has no entry for it)`);
  return out;
}
