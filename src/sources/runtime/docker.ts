// The Docker Engine API over its unix socket, read-only (GET only): which Kubernetes containers
// exist on the node and what the runtime recorded for each (exit code, OOMKilled, restart count,
// user, privileged, pids limit, ulimits, log path, cgroup parent). Dockershim-era kubelets named
// containers k8s_<container>_<pod>_<namespace>_<uid>_<attempt> and labelled them io.kubernetes.*
// (kubernetes/kubernetes:pkg/kubelet/dockershim/naming.go, labels.go in releases ≤ 1.23).
// API reference: https://docs.docker.com/engine/api/v1.41/ (GET /containers/json, /containers/{id}/json).
// Every answer is validated with zod; a socket that is missing, silent or speaks something else
// gives one sentence, never an exception.
import { request } from 'node:http';
import type { z } from 'zod';
import type { KubeName, RuntimeContainer, RuntimeRead } from './types.js';
import { runtimeEnvOf } from '../runtime-env.js';

export type { KubeName, RuntimeContainer };
export { numericUser } from './record.js';

/** API version every Docker ≥ 20.10 speaks; newer daemons still answer it. */
const API = 'v1.41';
const TIMEOUT_MS = 5000;
const MAX_BODY = 32 << 20;
/** Containers inspected at most (a node runs a few hundred at most; a bound keeps memory flat). */
const MAX_CONTAINERS = 2000;

/**
 * The Docker Engine API answers' schemas, built on the first answer: zod (580 KB of code) then loads
 * only on a node where Docker answers, not on a containerd node's every `podmortem node` run.
 */
function buildSchemas(z: Zod) {
  const ulimit = z.object({ Name: z.string(), Soft: z.number(), Hard: z.number() });

  const inspect = z.object({
    Id: z.string(),
    Name: z.string(),
    RestartCount: z.number().default(0),
    LogPath: z.string().nullish(),
    State: z.object({
      Status: z.string().default(''),
      Running: z.boolean().default(false),
      Restarting: z.boolean().default(false),
      OOMKilled: z.boolean().default(false),
      Pid: z.number().default(0),
      ExitCode: z.number().default(0),
      Error: z.string().nullish(),
      StartedAt: z.string().nullish(),
      FinishedAt: z.string().nullish(),
    }),
    Config: z
      .object({
        User: z.string().nullish(),
        Labels: z.record(z.string(), z.string()).nullish(),
        Image: z.string().nullish(),
        Env: z.array(z.string()).nullish().catch(null),
      })
      .nullish(),
    HostConfig: z
      .object({
        Privileged: z.boolean().nullish(),
        PidsLimit: z.number().nullish(),
        Memory: z.number().nullish(),
        Ulimits: z.array(ulimit).nullish(),
        CgroupParent: z.string().nullish(),
        UsernsMode: z.string().nullish(),
        CapAdd: z.array(z.string()).nullish(),
      })
      .nullish(),
  });

  const list = z.array(
    z.object({ Id: z.string(), Names: z.array(z.string()).nullish(), State: z.string().nullish() }),
  );
  const version = z.object({ Version: z.string() });
  return { inspect, list, version };
}
type Zod = typeof z;
type Schemas = ReturnType<typeof buildSchemas>;
type Inspected = z.infer<Schemas['inspect']>;
let schemas: Schemas | undefined;
async function dockerSchemas(): Promise<Schemas> {
  return (schemas ??= buildSchemas((await import('zod')).z));
}

export type DockerRead = RuntimeRead;

/** k8s_<container>_<pod>_<namespace>_<uid>_<attempt>; pod and namespace names cannot contain "_". */
const NAME = /^\/?k8s_([^_]{1,253})_([^_]{1,253})_([^_]{1,253})_([^_]{1,64})_(\d{1,6})$/;

export function parseKubeName(name: string, labels?: Record<string, string> | null): KubeName | undefined {
  const m = NAME.exec(name);
  if (m) return { container: m[1]!, pod: m[2]!, namespace: m[3]!, podUid: m[4]!, attempt: Number(m[5]) };
  const l = labels ?? {};
  const uid = l['io.kubernetes.pod.uid'];
  const container = l['io.kubernetes.container.name'];
  if (!uid || !container || container === 'POD') return undefined;
  return {
    container,
    pod: l['io.kubernetes.pod.name'] ?? '',
    namespace: l['io.kubernetes.pod.namespace'] ?? '',
    podUid: uid,
    attempt: Number(l['annotation.io.kubernetes.container.restartCount'] ?? 0) || 0,
  };
}

/** GET <path> on a unix socket; resolves with status and body, or rejects with one sentence. */
export function getJson(socketPath: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path, method: 'GET', headers: { Host: 'docker' }, timeout: TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            req.destroy(new Error(`the answer to GET ${path} is larger than ${MAX_BODY >> 20} MiB`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch {
            reject(new Error(`GET ${path} did not answer JSON (is this a Docker socket?)`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to GET ${path} within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

function sentence(socketPath: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return `${socketPath}: no Docker socket here; runtime state (exit codes, OOMKilled, ulimits) was not read.`;
  if (code === 'ECONNREFUSED')
    return `${socketPath}: Docker is not listening (connection refused); runtime state was not read.`;
  if (code === 'EACCES' || code === 'EPERM')
    return `${socketPath}: permission denied (run as root or in the docker group); runtime state was not read.`;
  return `${socketPath}: ${err instanceof Error ? err.message : String(err)}; runtime state was not read.`;
}

/** Lists and inspects every Kubernetes container the daemon knows (running or exited). */
export async function readDocker(socketPath: string, shownPath = socketPath): Promise<DockerRead> {
  const out: DockerRead = { runtime: 'docker', endpoint: shownPath, containers: [], problems: [] };
  let list;
  try {
    const res = await getJson(socketPath, `/${API}/containers/json?all=1`);
    if (res.status !== 200) {
      out.problems.push(
        `${shownPath}: GET /containers/json answered HTTP ${res.status}; runtime state was not read.`,
      );
      return out;
    }
    const parsed = (await dockerSchemas()).list.safeParse(res.body);
    if (!parsed.success) {
      out.problems.push(
        `${shownPath}: the container list is not in the Docker Engine API format; runtime state was not read.`,
      );
      return out;
    }
    list = parsed.data;
  } catch (err) {
    out.problems.push(sentence(shownPath, err));
    return out;
  }
  try {
    const v = await getJson(socketPath, `/${API}/version`);
    const ver = (await dockerSchemas()).version.safeParse(v.body);
    if (ver.success) out.version = ver.data.Version;
  } catch {
    // the version only refines remediation; its absence is not worth a sentence
  }
  const kube = list.filter((c) => (c.Names ?? []).some((n) => n.startsWith('/k8s_')));
  if (kube.length > MAX_CONTAINERS)
    out.problems.push(
      `${shownPath}: ${kube.length} Kubernetes containers; only the first ${MAX_CONTAINERS} were inspected.`,
    );
  for (const c of kube.slice(0, MAX_CONTAINERS)) {
    const one = await inspectDocker(socketPath, c.Id, shownPath);
    if ('problem' in one) {
      out.problems.push(one.problem);
      if (one.fatal) break;
    } else if (one.container) out.containers.push(one.container);
  }
  return out;
}

/**
 * Every Kubernetes container with its state ("running", "exited", "restarting" ...) from one
 * GET /containers/json?all=1, no inspect: the agent inspects only the ids it has not seen or whose
 * state changed. A sentence when the daemon cannot be listed.
 */
export async function listDockerStates(
  socketPath: string,
  shownPath = socketPath,
): Promise<{ containers: { id: string; state: string }[] } | { problem: string }> {
  try {
    const res = await getJson(socketPath, `/${API}/containers/json?all=1`);
    if (res.status !== 200)
      return {
        problem: `${shownPath}: GET /containers/json answered HTTP ${res.status}; runtime state was not read.`,
      };
    const parsed = (await dockerSchemas()).list.safeParse(res.body);
    if (!parsed.success)
      return {
        problem: `${shownPath}: the container list is not in the Docker Engine API format; runtime state was not read.`,
      };
    const kube = parsed.data.filter((c) => (c.Names ?? []).some((n) => n.startsWith('/k8s_')));
    return { containers: kube.slice(0, MAX_CONTAINERS).map((c) => ({ id: c.Id, state: c.State ?? '' })) };
  } catch (err) {
    return { problem: sentence(shownPath, err) };
  }
}

/**
 * One container's record (docker inspect): undefined when it is gone or not a Kubernetes container;
 * a sentence when the answer is unexpected, `fatal` when the daemon itself failed (stop asking).
 */
export async function inspectDocker(
  socketPath: string,
  id: string,
  shownPath = socketPath,
): Promise<{ container?: RuntimeContainer } | { problem: string; fatal: boolean }> {
  try {
    const res = await getJson(socketPath, `/${API}/containers/${encodeURIComponent(id)}/json`);
    if (res.status === 404) return {}; // removed between the list and the inspect
    const parsed = (await dockerSchemas()).inspect.safeParse(res.body);
    if (!parsed.success)
      return {
        problem: `${shownPath}: container ${id.slice(0, 12)}: the inspect answer is not in the expected format; skipped.`,
        fatal: false,
      };
    const rc = toRuntimeContainer(parsed.data);
    return rc ? { container: rc } : {};
  } catch (err) {
    return { problem: sentence(shownPath, err), fatal: true };
  }
}

export function toRuntimeContainer(d: Inspected): RuntimeContainer | undefined {
  const kube = parseKubeName(d.Name, d.Config?.Labels);
  if (!kube) return undefined;
  const name = d.Name.replace(/^\//, '');
  const h = d.HostConfig ?? {};
  const pids = h.PidsLimit ?? null;
  const mem = h.Memory ?? null;
  return {
    id: d.Id,
    name,
    kube,
    running: d.State.Running,
    restarting: d.State.Restarting,
    ...(d.State.Pid > 0 ? { pid: d.State.Pid } : {}),
    exitCode: d.State.ExitCode,
    oomKilled: d.State.OOMKilled,
    restartCount: d.RestartCount,
    ...(d.State.FinishedAt && !d.State.FinishedAt.startsWith('0001')
      ? { finishedAt: d.State.FinishedAt }
      : {}),
    ...(d.Config?.User ? { user: d.Config.User } : {}),
    ...(d.Config?.Image ? { image: d.Config.Image } : {}),
    ...runtimeEnvOf(d.Config?.Env),
    privileged: h.Privileged === true,
    pidsLimit: pids !== null && pids > 0 ? pids : null,
    memoryLimit: mem !== null && mem > 0 ? mem : null,
    ulimits: (h.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
    ...(d.LogPath ? { logPath: d.LogPath } : {}),
    ...(h.CgroupParent ? { cgroupParent: h.CgroupParent } : {}),
    ...(h.UsernsMode ? { usernsMode: h.UsernsMode } : {}),
    capAdd: h.CapAdd ?? [],
    runtime: 'docker',
    source: `docker inspect ${name}`,
  };
}
