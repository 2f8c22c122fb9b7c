// `podmortem node`: the post-mortem of one node from its host filesystem. Finds the containers whose
// previous run crashed (the kubelet log folder, and the runtime over its socket), reads the node's
// evidence once (the same reader as `analyze --node-root`, node.limits complete before any cause is
// weighed), gathers for each crashed container what the restarted twin and the runtime still show,
// and diagnoses each through diagnoseContainer like every other command. Reads only: nothing under
// the root is ever written.
import { correlate } from '../diagnose/correlate.js';
import { headroomWarnings } from '../diagnose/headroom.js';
import { causeById } from '../knowledge/causes/index.js';
import type { CgroupLevel, Incident, KernelLine, ProcessFacts, Report } from '../evidence/types.js';
import { chainOf } from '../sources/host/cgroups.js';
import type { DaemonFacts } from '../sources/host/daemons.js';
import { readNodeEvidence, type NodeEvidence } from '../sources/host/node-facts.js';
import { readProcessFacts } from '../sources/host/process-facts.js';
import type { ProcEntry } from '../sources/host/proc-table.js';
import { HostRoot } from '../sources/host/root.js';
import { readPodLogs, type ContainerLogs } from '../sources/logs/pod-log-folder.js';
import { hostCgroupPath } from '../sources/runtime/cgroups-path.js';
import { readDocker } from '../sources/runtime/docker.js';
import { readRuntime, type RuntimeSelection } from '../sources/runtime/endpoint.js';
import {
  crashedByRuntime,
  recordedExit,
  recordedProcessFacts,
  recordLines,
} from '../sources/runtime/record.js';
import type { RuntimeContainer } from '../sources/runtime/types.js';
import { diagnoseContainer, type CrashLog } from './container.js';
import { podScope } from './pod-scope.js';

export interface NodeOptions {
  /** Host root: / on the node, /host in a pod, or a captured snapshot folder. */
  root: string;
  /** Kubelet pod log folder as a real path; default <root>/var/log/pods. */
  logDir?: string;
  /** --runtime-endpoint: the runtime's socket under the root (unix:///path); default: the usual sockets in crictl's order. */
  runtimeEndpoint?: string;
  /** --docker-socket: a Docker Engine socket as a real path (not under the root). */
  dockerSocket?: string;
}

export interface NodeResult {
  report: Report;
  /** Audit warnings (limits close to or at their maximum). */
  auditWarnings: string[];
  /** Set when an explicitly named runtime endpoint could not be used: the CLI exits 1 with it. */
  usageError?: string;
}

/** Runs of a container read for the crash: the previous run and the current one (a restart appends or starts a new file). */
const RUNS_SCANNED = 2;

/** One container of the node: who it is, its log runs, and every record the runtime keeps of it. */
export interface ContainerKey {
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  logs?: ContainerLogs;
  runtime: RuntimeContainer[];
}

export async function nodePostmortem(opts: NodeOptions): Promise<NodeResult> {
  const root = new HostRoot(opts.root);
  const warnings: string[] = [];

  // 1. What crashed: the log folder and the runtime.
  const shownLogDir = opts.logDir ?? '/var/log/pods';
  const logRoot = new HostRoot(opts.logDir ?? root.realDir('/var/log/pods') ?? `${root.dir}/var/log/pods`);
  const logs = logRoot.usable
    ? readPodLogs(logRoot, shownLogDir, root)
    : {
        containers: [],
        problems: [
          opts.logDir
            ? `${shownLogDir}: no such log folder; crashed containers are found through the runtime only.`
            : `${shownLogDir}: not found under ${opts.root}; crashed containers are found through the runtime only.`,
        ],
      };
  warnings.push(...logs.problems);
  const runtime = await readRuntimeOf(root, opts);
  warnings.push(...runtime.problems);
  if (runtime.explicitFailed !== undefined)
    return {
      report: { schemaVersion: 1, incidents: [], warnings },
      auditWarnings: [],
      usageError: runtime.explicitFailed,
    };
  const keys = containerKeys(logs.containers, runtime.read?.containers ?? []);

  // 2. The node, read once: every limit is known before any cause is weighed.
  const podNames = new Map([...keys.values()].map((k) => [k.podUid, `${k.namespace}/${k.pod}`]));
  const ev = await readNodeEvidence(root, { podUids: [...podNames.keys()], podNames });
  // The runtime that answered on its socket is the one running the containers; the files on disk
  // (/var/lib/docker beside containerd) only hint at it. Fixes name its units and config files.
  const answered = runtime.read?.runtime;
  if (runtime.read && answered && answered !== 'cri')
    ev.facts.runtime = {
      value: answered,
      evidence: {
        source: runtime.read.endpoint,
        text: `${answered}${runtime.read.version ? ` ${runtime.read.version}` : ''} answered on ${runtime.read.endpoint}`,
      },
    };
  if (!ev.procs)
    warnings.push(
      `/proc under ${opts.root} is not a live process table: per-UID task counts, open files and inotify usage are unknown.`,
    );

  // 3. Each crashed container through the one pipeline.
  const incidents: Incident[] = [];
  const sorted = [...keys.values()].sort((a, b) =>
    `${a.namespace}/${a.pod}/${a.container}`.localeCompare(`${b.namespace}/${b.pod}/${b.container}`),
  );
  for (const key of sorted) {
    const incident = await examine(key, ev, warnings);
    if (incident) incidents.push(incident);
  }

  // 4. Crashes that share a cause: one node, so the network agent or a node-wide limit is the root.
  const node = ev.facts;
  const findings = correlate({
    incidents,
    notReady: [],
    problems: [],
    ...(node.hostname ? { nodeEvidence: new Map([[node.hostname.value, node]]) } : {}),
  });
  return {
    report: {
      schemaVersion: 1,
      incidents,
      ...(findings.length > 0 ? { findings } : {}),
      node: {
        limits: node.limits,
        ...(runtime.read
          ? {
              runtime: {
                name: runtime.read.runtime,
                endpoint: runtime.read.endpoint,
                ...(runtime.read.version ? { version: runtime.read.version } : {}),
              },
            }
          : {}),
      },
      warnings: [...new Set([...warnings, ...node.unreadable])],
    },
    auditWarnings: headroomWarnings(node.limits),
  };
}

/** One entry per pod UID and container name, from the log folder and the runtime's records. */
export function containerKeys(logs: ContainerLogs[], runtime: RuntimeContainer[]): Map<string, ContainerKey> {
  const keys = new Map<string, ContainerKey>();
  for (const c of logs)
    keys.set(`${c.podUid}/${c.container}`, {
      namespace: c.namespace,
      pod: c.pod,
      podUid: c.podUid,
      container: c.container,
      logs: c,
      runtime: [],
    });
  for (const rc of runtime) {
    const k = `${rc.kube.podUid}/${rc.kube.container}`;
    const entry = keys.get(k) ?? {
      namespace: rc.kube.namespace,
      pod: rc.kube.pod,
      podUid: rc.kube.podUid,
      container: rc.kube.container,
      runtime: [],
    };
    entry.runtime.push(rc);
    keys.set(k, entry);
  }
  return keys;
}

/** The runtime's records: an explicit Docker socket as given, else the endpoint chosen as crictl would. */
async function readRuntimeOf(root: HostRoot, opts: NodeOptions): Promise<RuntimeSelection> {
  if (opts.dockerSocket === undefined)
    return readRuntime(root, opts.runtimeEndpoint !== undefined ? { endpoint: opts.runtimeEndpoint } : {});
  const read = await readDocker(opts.dockerSocket);
  return { read, tried: [opts.dockerSocket], problems: [...read.problems] };
}

/**
 * What a recorder froze about the crashed instance itself (the node agent samples running containers
 * and freezes the last samples at the exit): it beats what the restarted twin shows now.
 */
export interface FrozenEvidence {
  /** The crashed instance's last sampled usage (threads, open files, mappings), each `of: 'crashed'`. */
  process?: ProcessFacts;
  /** The container's cgroup levels as read at the exit, before the runtime removed them. */
  chains?: CgroupLevel[];
  /** Logs copied at the exit, before the kubelet collects them; used instead of the log folder's. */
  logs?: CrashLog[];
  /**
   * The kernel lines of the exit's window, chosen and marked whose they are (exitWindowLines):
   * they replace the node's whole kernel log for this container.
   */
  kernelLines?: KernelLine[];
}

/**
 * One container of a node through the pipeline: its runtime records, logs, restarted twin and pod
 * scope become one incident (undefined when healthy). The node agent calls it at each exit with
 * what it froze; `podmortem node` calls it for every container it found.
 */
export async function examine(
  key: ContainerKey,
  ev: NodeEvidence,
  warnings: string[],
  frozen: FrozenEvidence = {},
): Promise<Incident | undefined> {
  // The runtime's records, newest attempt first; the newest exited one tells how the last crash ended.
  const attempts = [...key.runtime].sort(
    (a, b) => b.kube.attempt - a.kube.attempt || (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''),
  );
  const current = attempts[0];
  const lastExited =
    attempts.find((c) => !c.running && !c.restarting) ?? (current?.restarting ? current : undefined);
  const restartCount = current
    ? Math.max(current.restartCount, current.kube.attempt)
    : (key.logs?.runs.at(-1)?.attempt ?? 0);

  // The crashed instance's output: the last runs in the log folder, else the runtime's own log file.
  const logs: CrashLog[] =
    frozen.logs ??
    (key.logs?.runs.slice(-RUNS_SCANNED) ?? []).map((r) => ({
      name: r.shown,
      open: r.open,
    }));
  if (logs.length === 0 && current?.logPath) {
    const r = ev.root.resolve(current.logPath);
    const logPath = current.logPath;
    if (r.ok)
      logs.push({
        name: logPath,
        open: () => {
          const stream = ev.root.openStream(logPath);
          if (!stream) throw new Error(`${logPath}: not a regular file under the root.`);
          return stream;
        },
      });
  }

  // The restarted twin, when one runs: its limits carry over to the crashed instance, its usage does not.
  const live = liveProcesses(key, current, ev);
  const process: ProcessFacts = {
    ...(current ? recordedProcessFacts(current, live.length === 0) : {}),
    ...(live[0] ? readProcessFacts(ev.root, live[0].pid, 'restarted') : {}),
    ...frozen.process,
  };
  const uidTasks = uidTaskCount(process, live, ev);
  if (uidTasks) process.uidTasks = uidTasks;
  const facts = frozen.kernelLines ? { ...ev.facts, kernelLines: frozen.kernelLines } : ev.facts;
  const scope = podScope(
    facts,
    key.podUid,
    [...(frozen.chains ?? []), ...ownChains(key.podUid, current, live, ev)],
    frozen.kernelLines !== undefined,
  );

  const d = await diagnoseContainer({
    identity: {
      namespace: key.namespace,
      pod: key.pod,
      container: key.container,
      podUid: key.podUid,
      ...(ev.facts.hostname ? { node: ev.facts.hostname.value } : {}),
      source: logs[0]?.name ?? current?.source ?? key.container,
    },
    recorded: recordedExit(lastExited, restartCount),
    logs,
    records: [...(lastExited ? recordLines(lastExited) : []), ...scope.records],
    process,
    node: scope.node,
    crashed: crashedByRuntime(lastExited) || restartCount > 0,
  });
  for (const l of d.logs)
    if (l.error !== undefined) warnings.push(`${l.name}: cannot be read; its crash output is unknown.`);
  const incident = d.incident;
  if (!incident) return undefined; // healthy: nothing to explain
  // The daemons' limits matter only while a per-process limit is still a candidate.
  const open = incident.causes.filter((c) => c.verdict !== 'ruled-out').map((c) => c.id);
  incident.notes.push(...daemonNotes(ev.daemons, open));
  if (!live.length && current)
    incident.notes.push(
      `No live process of ${key.container} was found (the container is ${current.running ? 'running but its processes were not seen' : 'not running'}); its user and limits come from the runtime's record.`,
    );
  return incident;
}

/** The processes of the container now: the runtime's PID when running, else any process in a cgroup naming the container id. */
function liveProcesses(
  key: ContainerKey,
  current: RuntimeContainer | undefined,
  ev: NodeEvidence,
): ProcEntry[] {
  const procs = ev.procs;
  if (!procs) return [];
  const byPid = current?.pid ? procs.processes.filter((p) => p.pid === current.pid) : [];
  const id = current?.id;
  if (id) {
    const inCgroup = procs.processes.filter(
      (p) => p.pid !== current?.pid && (p.pidsCgroup?.includes(id) || p.memoryCgroup?.includes(id)),
    );
    return [...byPid, ...inCgroup];
  }
  // No runtime record (a runtime without a socket we speak, or a bare cgroup): the pod's own
  // processes, the busiest first. With several containers in the pod this is a guess, and the
  // evidence names the process it came from.
  const underscored = key.podUid.replace(/-/g, '_');
  const inPod = procs.processes.filter((p) => {
    const cg = p.pidsCgroup ?? p.memoryCgroup ?? '';
    return cg.includes(key.podUid) || cg.includes(underscored);
  });
  return inPod.sort((a, b) => b.threads - a.threads || a.pid - b.pid);
}

/** Tasks of the process's real UID on the node now: what RLIMIT_NPROC counts, whoever holds them. */
function uidTaskCount(process: ProcessFacts, live: ProcEntry[], ev: NodeEvidence): ProcessFacts['uidTasks'] {
  if (!process.realUid || !ev.procs) return undefined;
  const uid = process.realUid.value;
  const u = ev.procs.byRealUid.get(uid);
  const tasks = u?.tasks ?? 0;
  const mine = live.reduce((n, p) => n + (p.realUid === uid ? p.threads : 0), 0);
  // When every task of the UID is the restarted container's own, the count is that instance's usage.
  const of = tasks > 0 && tasks === mine ? 'restarted' : 'node';
  return {
    of,
    value: tasks,
    evidence: {
      source: '/proc/*/status (Uid, Threads)',
      text: `${tasks} tasks of real UID ${uid} on the node now (${u?.processes ?? 0} processes, ${u?.zombies ?? 0} zombies; ${tasks - mine} outside this container)`,
      of,
    },
  };
}

/** The container's own pids and memory chains: from the live process's cgroup, else the runtime's record. */
function ownChains(
  podUid: string,
  rc: RuntimeContainer | undefined,
  live: ProcEntry[],
  ev: NodeEvidence,
): CgroupLevel[] {
  const version = ev.facts.cgroupVersion;
  if (!version) return [];
  const out: CgroupLevel[] = [];
  for (const controller of ['pids', 'memory'] as const) {
    // A namespace-relative "/" (a private cgroup namespace) is placed by the runtime's cgroupsPath.
    let path = hostCgroupPath(
      controller === 'pids' ? live[0]?.pidsCgroup : live[0]?.memoryCgroup,
      rc?.cgroupsPath,
    );
    if (!path && rc?.cgroupParent) {
      // cgroupfs driver: <parent>/<id>; systemd driver: <parent slice>/docker-<id>.scope
      path = rc.cgroupParent.endsWith('.slice')
        ? `${rc.cgroupParent}/docker-${rc.id}.scope`
        : `${rc.cgroupParent}/${rc.id}`;
    }
    if (!path) continue;
    // Levels above the pod that are not kubelet levels (a runtime's own slices) are left out.
    const ofPod = (p: string) => p.includes(podUid) || p.includes(podUid.replace(/-/g, '_'));
    out.push(
      ...chainOf(ev.root, controller, version, path).filter((l) => l.level !== 'other' || ofPod(l.path)),
    );
  }
  return out;
}

/** The daemons' own rlimits are what containers inherit: worth a line while a limit inherited from the runtime is a candidate. */
function daemonNotes(daemons: DaemonFacts[], causeIds: string[]): string[] {
  if (!causeIds.some((id) => causeById(id)?.inheritedFromRuntime)) return [];
  return daemons
    .filter((d) => d.nproc || d.nofile)
    .map((d) => {
      const unit =
        d.pidsCgroup && d.pidsCgroup !== '/'
          ? ` Its pids cgroup ${d.pidsCgroup}${d.unitPidsMax !== undefined ? ` has pids.max ${d.unitPidsMax ?? 'max'}${d.unitPidsCurrent !== undefined ? ` (${d.unitPidsCurrent} in use)` : ''}` : ''}.`
          : '';
      return `${d.name} (pid ${d.pid}) runs with ${d.nproc ? `Max processes ${d.nproc.soft ?? 'unlimited'}` : ''}${d.nproc && d.nofile ? ', ' : ''}${d.nofile ? `Max open files ${d.nofile.soft ?? 'unlimited'}` : ''}; containers it starts inherit these unless the runtime sets its own ulimits.${unit}`;
    });
}
