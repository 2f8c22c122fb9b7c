// What a CRI runtime (containerd, CRI-O, cri-dockerd) recorded about the Kubernetes containers of a
// node, in the same RuntimeRead shape the Docker source fills: exit code, reason (OOMKilled),
// finish time, log path, restart count, and from the verbose info the OCI spec the container ran
// with (cgroupsPath, user, rlimits, pids and memory limits, privileged, added capabilities).
// The kubelet names containers through labels and annotations (kubernetes/kubernetes:
// pkg/kubelet/kuberuntime/labels.go): io.kubernetes.pod.{name,namespace,uid},
// io.kubernetes.container.name, and the annotation io.kubernetes.container.restartCount.
import { BadAnswer, CriClient } from './client.js';
import { isGrpcError, Status } from './grpc.js';
import { VerboseInfoSchema, type CriContainerStatus, type VerboseInfo } from './schema.js';
import type { RuntimeContainer, RuntimeRead } from '../types.js';
import { runtimeEnvOf } from '../../runtime-env.js';

/** Containers inspected at most (a node runs a few hundred; the bound keeps time and memory flat). */
const MAX_CONTAINERS = 2000;
/** OCI rlimits store "unlimited" as 2^64-1 (RLIM_INFINITY); Docker and the pipeline use -1. */
const RLIM_INFINITY_FLOOR = 2 ** 63;

/** "containerd", "cri-o" or "cri" from the Version answer's runtime_name. */
export function runtimeOf(runtimeName: string): RuntimeRead['runtime'] {
  const n = runtimeName.toLowerCase();
  if (n.includes('containerd')) return 'containerd';
  if (n.includes('cri-o') || n === 'crio') return 'cri-o';
  if (n.includes('docker')) return 'docker';
  return 'cri';
}

/** A CRI timestamp (nanoseconds since the epoch, as a decimal string) as RFC 3339 with nanoseconds; undefined for 0. */
export function nanosToIso(ns: string): string | undefined {
  if (!/^\d{1,20}$/.test(ns) || BigInt(ns) === 0n) return undefined;
  const n = BigInt(ns);
  const secs = n / 1_000_000_000n;
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

/** One sentence for a failed call, naming the endpoint. */
export function criProblem(shown: string, err: unknown): string {
  if (err instanceof BadAnswer) return `${shown}: ${err.message}; runtime state was not read.`;
  if (isGrpcError(err)) {
    if (err.code === Status.DEADLINE_EXCEEDED)
      return `${shown}: the runtime did not answer in time; runtime state was not read.`;
    return `${shown}: the runtime answered ${Status[err.code] ?? err.code} (${err.details}); runtime state was not read.`;
  }
  return `${shown}: ${err instanceof Error ? err.message : String(err)}; runtime state was not read.`;
}

/** Lists every Kubernetes container the runtime knows (running and exited) and reads each one's status. */
export async function readCri(client: CriClient, shown: string): Promise<RuntimeRead> {
  const out: RuntimeRead = { runtime: 'cri', endpoint: shown, containers: [], problems: [] };
  try {
    const v = await client.version();
    out.runtime = runtimeOf(v.runtime_name);
    out.version = v.runtime_version;
  } catch (err) {
    out.problems.push(criProblem(shown, err));
    return out;
  }
  let list;
  try {
    list = await client.listContainers();
  } catch (err) {
    out.problems.push(criProblem(shown, err));
    return out;
  }
  const kube = list.filter(
    (c) => c.labels['io.kubernetes.pod.uid'] && c.labels['io.kubernetes.container.name'],
  );
  if (kube.length > MAX_CONTAINERS)
    out.problems.push(
      `${shown}: ${kube.length} Kubernetes containers; only the first ${MAX_CONTAINERS} were inspected.`,
    );
  for (const c of kube.slice(0, MAX_CONTAINERS)) {
    const one = await criStatusOf(client, c.id, out.runtime, shown);
    if ('problem' in one) {
      out.problems.push(one.problem);
      if (one.fatal) break;
    } else if (one.container) out.containers.push(one.container);
  }
  return out;
}

/**
 * Every Kubernetes container with its state (CONTAINER_RUNNING, CONTAINER_EXITED ...) from one
 * ListContainers, no status: the agent reads the status only of ids it has not seen or whose state
 * changed. A sentence when the list fails.
 */
export async function listCriStates(
  client: CriClient,
  shown: string,
): Promise<
  { containers: { id: string; state: string }[]; runtime: RuntimeRead['runtime'] } | { problem: string }
> {
  try {
    const v = await client.version();
    const list = await client.listContainers();
    const containers = list
      .filter((c) => c.labels['io.kubernetes.pod.uid'] && c.labels['io.kubernetes.container.name'])
      .slice(0, MAX_CONTAINERS)
      .map((c) => ({ id: c.id, state: c.state }));
    return { containers, runtime: runtimeOf(v.runtime_name) };
  } catch (err) {
    return { problem: criProblem(shown, err) };
  }
}

/**
 * One container's status (verbose: the OCI spec it runs with): undefined when it is gone; a sentence
 * when the answer is unexpected, `fatal` when the runtime itself failed (stop asking).
 */
export async function criStatusOf(
  client: CriClient,
  id: string,
  runtime: RuntimeRead['runtime'],
  shown: string,
): Promise<{ container?: RuntimeContainer } | { problem: string; fatal: boolean }> {
  try {
    const res = await client.containerStatus(id);
    return { container: toRuntimeContainer(res.status, parseInfo(res.info), runtime) };
  } catch (err) {
    if (isGrpcError(err) && err.code === Status.NOT_FOUND) return {}; // removed between the list and the status
    if (err instanceof BadAnswer)
      return { problem: `${shown}: container ${id.slice(0, 12)}: ${err.message}; skipped.`, fatal: false };
    return { problem: criProblem(shown, err), fatal: true };
  }
}

/** The verbose info's "info" JSON; an absent or unexpected one leaves the spec-derived fields unset. */
export function parseInfo(info: Record<string, string>): VerboseInfo | undefined {
  const text = info['info'];
  if (!text) return undefined;
  try {
    const r = VerboseInfoSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** RLIMIT_NPROC -> nproc, as Docker names ulimits. */
function rlimitName(type: string): string {
  return type.replace(/^RLIMIT_/, '').toLowerCase();
}

function rlimitValue(v: number): number {
  return v >= RLIM_INFINITY_FLOOR ? -1 : v;
}

export function toRuntimeContainer(
  s: CriContainerStatus,
  info: VerboseInfo | undefined,
  runtime: RuntimeRead['runtime'],
): RuntimeContainer {
  const l = s.labels;
  const restartCount = Number(
    s.annotations['io.kubernetes.container.restartCount'] ?? s.metadata?.attempt ?? 0,
  );
  const container = l['io.kubernetes.container.name'] ?? s.metadata?.name ?? '';
  const spec = info?.runtimeSpec ?? undefined;
  const running = s.state === 'CONTAINER_RUNNING';
  const user = spec?.process?.user
    ? `${spec.process.user.uid}:${spec.process.user.gid ?? 0}`
    : s.user?.linux
      ? `${s.user.linux.uid}:${s.user.linux.gid}`
      : undefined;
  const pids = spec?.linux?.resources?.pids?.limit;
  const mem = spec?.linux?.resources?.memory?.limit ?? Number(s.resources?.linux?.memory_limit_in_bytes ?? 0);
  const sc = info?.config?.linux?.security_context;
  const finishedAt = nanosToIso(s.finished_at);
  const id12 = s.id.slice(0, 12);
  return {
    id: s.id,
    name: container,
    kube: {
      container,
      pod: l['io.kubernetes.pod.name'] ?? '',
      namespace: l['io.kubernetes.pod.namespace'] ?? '',
      podUid: l['io.kubernetes.pod.uid'] ?? '',
      attempt: s.metadata?.attempt ?? 0,
    },
    running,
    restarting: false, // the kubelet restarts a CRI container by creating a new one
    ...(running && info?.pid ? { pid: info.pid } : {}),
    exitCode: s.exit_code,
    oomKilled: s.reason === 'OOMKilled',
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.message ? { message: s.message } : {}),
    restartCount: Number.isFinite(restartCount) ? restartCount : 0,
    ...(finishedAt ? { finishedAt } : {}),
    ...(user ? { user } : {}),
    ...(s.image?.image ? { image: s.image.image } : {}),
    ...runtimeEnvOf(spec?.process?.env),
    privileged: sc?.privileged === true || info?.privileged === true,
    pidsLimit: pids !== undefined && pids > 0 ? pids : null,
    memoryLimit: mem > 0 ? mem : null,
    ulimits: (spec?.process?.rlimits ?? []).map((r) => ({
      name: rlimitName(r.type),
      soft: rlimitValue(r.soft),
      hard: rlimitValue(r.hard),
    })),
    ...(s.log_path ? { logPath: s.log_path } : {}),
    ...(spec?.linux?.cgroupsPath ? { cgroupsPath: spec.linux.cgroupsPath } : {}),
    ...(usernsOf(spec) ? { usernsMode: usernsOf(spec)! } : {}),
    capAdd: sc?.capabilities?.add_capabilities ?? [],
    runtime,
    source: `crictl inspect ${id12}`,
  };
}

/** "private" when the spec gives the container its own user namespace (hostUsers: false). */
function usernsOf(spec: VerboseInfo['runtimeSpec']): string | undefined {
  return spec?.linux?.namespaces?.some((n) => n.type === 'user') ? 'private' : undefined;
}
