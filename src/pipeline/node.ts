// `podmortem node`: the post-mortem of one node from its host filesystem. Finds the containers whose
// previous run crashed (the kubelet log folder, and the runtime itself over its socket), reads the
// evidence that is gone minutes later (the live restarted process's UID, capabilities, user
// namespace and rlimits; the UID's task count node-wide; the pod's pids and memory chains; the kernel
// lines naming the pod's cgroups), diagnoses each crash with the same engine as `analyze`, and
// audits the headroom of every limit. Reads only: nothing under the root is ever written.
import { readFileSync, statSync } from 'node:fs';
import type {
  CgroupLevel,
  Evidence,
  Incident,
  KernelLine,
  NodeFacts,
  ProcessFacts,
  Report,
  Subject,
} from '../evidence/types.js';
import { SIGNATURES } from '../knowledge/signatures/index.js';
import { HostRoot } from '../sources/host/root.js';
import { chainOf, walkCgroups, type LimitedCgroup } from '../sources/live/cgroup-walk.js';
import { readDaemons, type DaemonFacts } from '../sources/live/daemons.js';
import { numericUser, readDocker, type RuntimeContainer } from '../sources/runtime/docker.js';
import { linesForPod, readKernelLog } from '../sources/live/kernel-log.js';
import { readHostFacts } from '../sources/host/node-facts.js';
import { readPodLogs, type ContainerLogs } from '../sources/live/pod-logs.js';
import { capabilityNames, inUserNamespace, parseLimits, parseStatus } from '../sources/live/proc-status.js';
import { readProcTable, type ProcEntry, type ProcTable } from '../sources/live/proc-table.js';
import { scanStream } from '../sources/logs/scanner.js';
import type { LogLine } from '../evidence/types.js';
import { createReadStream } from 'node:fs';
import { audit } from './audit.js';
import { correlate } from '../diagnose/correlate.js';
import { diagnose } from '../diagnose/engine.js';
import { notesFor } from '../diagnose/notes.js';
import { Recognizer } from '../diagnose/recognize.js';
import { prefilterFor } from './prefilter.js';

export interface NodeOptions {
  /** Host root: / on the node, /host in a pod, or a captured snapshot folder. */
  root: string;
  /** Kubelet pod log folder as a real path; default <root>/var/log/pods. */
  logDir?: string;
  /** Docker socket as a real path; default <root>/var/run/docker.sock. */
  dockerSocket?: string;
}

export interface NodeResult {
  report: Report;
  /** Audit warnings (limits close to or at their maximum). */
  auditWarnings: string[];
}

/** Runs of a container read for the crash: the previous run and the current one (a restart appends or starts a new file). */
const RUNS_SCANNED = 2;

interface ContainerKey {
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
  const logDir = opts.logDir ?? root.realDir('/var/log/pods');
  const shownLogDir = opts.logDir ?? '/var/log/pods';
  const logs = logDir
    ? readPodLogs(logDir, shownLogDir, root)
    : {
        containers: [],
        problems: [
          `${shownLogDir}: not found under ${opts.root}; crashed containers are found through the runtime only.`,
        ],
      };
  warnings.push(...logs.problems);
  const socket = opts.dockerSocket ?? dockerSocketUnder(root);
  const docker = socket ? await readDocker(socket) : undefined;
  if (docker) warnings.push(...docker.problems);

  const keys = new Map<string, ContainerKey>();
  const keyOf = (uid: string, c: string) => `${uid}/${c}`;
  for (const c of logs.containers)
    keys.set(keyOf(c.podUid, c.container), {
      namespace: c.namespace,
      pod: c.pod,
      podUid: c.podUid,
      container: c.container,
      logs: c,
      runtime: [],
    });
  for (const rc of docker?.containers ?? []) {
    const k = keyOf(rc.kube.podUid, rc.kube.container);
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
  const podNames = new Map<string, string>();
  for (const k of keys.values()) podNames.set(k.podUid, `${k.namespace}/${k.pod}`);

  // 2. The node: kernel ceilings, process table, cgroups, kernel log, daemons.
  const podUids = [...new Set([...keys.values()].map((k) => k.podUid))];
  const node = readHostFacts(root, podUids);
  const procDir = root.realDir('/proc');
  const procs: ProcTable | undefined =
    procDir && root.exists('/proc/self') ? readProcTable(procDir) : undefined;
  if (!procs)
    warnings.push(
      `/proc under ${opts.root} is not a live process table: per-UID task counts, open files and inotify usage are unknown.`,
    );
  const version = root.exists('/sys/fs/cgroup/cgroup.controllers')
    ? 2
    : root.isDir('/sys/fs/cgroup/pids') || root.isDir('/sys/fs/cgroup/memory')
      ? 1
      : undefined;
  node.cgroupVersion ??= version;
  const limited: LimitedCgroup[] = [];
  const bases = cgroupBases(root, version);
  for (const [controller, b] of Object.entries(bases) as [
    'pids' | 'memory',
    { real: string; host: string },
  ][]) {
    const w = walkCgroups(b.real, b.host, controller, version ?? 1);
    limited.push(...w.cgroups);
    if (w.truncated)
      warnings.push(`${b.host}: more than ${w.visited - 1} cgroups; the audit covers the first ones only.`);
  }
  if (!version)
    warnings.push(`/sys/fs/cgroup: no cgroup hierarchy under ${opts.root}; cgroup limits are unknown.`);
  if (node.kernelLines.length === 0 && root.isLive()) {
    // Nothing from /dev/kmsg or a saved log: on this machine `dmesg` may still work (kernel.dmesg_restrict aside).
    const klog = await readKernelLog(root);
    warnings.push(...klog.problems);
    node.kernelLines = klog.lines;
  }
  const daemons = procDir && procs ? readDaemons(procDir, procs, bases.pids) : [];

  // 3. Each crashed container: signatures from its logs and its runtime record, facts from its restarted twin.
  const prefilter = prefilterFor(SIGNATURES);
  const incidents: Incident[] = [];
  for (const key of [...keys.values()].sort((a, b) =>
    `${a.namespace}/${a.pod}/${a.container}`.localeCompare(`${b.namespace}/${b.pod}/${b.container}`),
  )) {
    const incident = await examine(key, {
      root,
      node,
      procs,
      procDir,
      bases,
      version,
      daemons,
      prefilter,
      warnings,
    });
    if (incident) incidents.push(incident);
  }

  // 4. Headroom of every limit.
  const a = audit({ node, ...(procs ? { procs } : {}), cgroups: limited, podNames, daemons });
  node.limits = a.limits;
  // 5. Crashes that share a cause: one node, so the network agent or a node-wide limit is the root.
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
      node: { limits: a.limits },
      warnings: [...new Set([...warnings, ...node.unreadable])],
    },
    auditWarnings: a.warnings,
  };
}

function dockerSocketUnder(root: HostRoot): string | undefined {
  for (const p of ['/var/run/docker.sock', '/run/docker.sock']) {
    const r = root.resolve(p);
    if (!r.ok) continue;
    try {
      if (statSync(r.real).isSocket()) return r.real;
    } catch {
      // unreadable: try the next
    }
  }
  return undefined;
}

type Bases = Partial<Record<'pids' | 'memory', { real: string; host: string }>>;

function cgroupBases(root: HostRoot, version: 1 | 2 | undefined): Bases {
  const out: Bases = {};
  for (const c of ['pids', 'memory'] as const) {
    const host = version === 2 ? '/sys/fs/cgroup' : `/sys/fs/cgroup/${c}`;
    const real = version ? root.realDir(host) : undefined;
    if (real) out[c] = { real: real === '/' ? '' : real, host };
  }
  return out;
}

interface Ctx {
  root: HostRoot;
  node: NodeFacts;
  procs: ProcTable | undefined;
  procDir: string | undefined;
  bases: Bases;
  version: 1 | 2 | undefined;
  daemons: DaemonFacts[];
  prefilter: ReturnType<typeof prefilterFor>;
  warnings: string[];
}

async function examine(key: ContainerKey, ctx: Ctx): Promise<Incident | undefined> {
  // The runtime's records, newest attempt first; the newest exited one tells how the last crash ended.
  const attempts = [...key.runtime].sort(
    (a, b) => b.kube.attempt - a.kube.attempt || (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''),
  );
  const current = attempts[0];
  const lastExited =
    attempts.find((c) => !c.running && !c.restarting) ?? (current?.restarting ? current : undefined);

  // Logs: the last runs in the log folder, else the runtime's own log file.
  const rec = new Recognizer(SIGNATURES);
  const runs = key.logs?.runs.slice(-RUNS_SCANNED) ?? [];
  let tail: LogLine[] = [];
  const sources: { shown: string; real: string }[] = runs.map((r) => ({ shown: r.shown, real: r.real }));
  if (sources.length === 0 && current?.logPath) {
    const r = ctx.root.resolve(current.logPath);
    if (r.ok) sources.push({ shown: current.logPath, real: r.real });
  }
  for (const s of sources) {
    try {
      const stats = await scanStream(createReadStream(s.real), s.shown, ctx.prefilter, (l) => rec.add(l));
      if (stats.tail.length > 0) tail = stats.tail;
    } catch {
      ctx.warnings.push(`${s.shown}: cannot be read; its crash output is unknown.`);
    }
  }
  // What the runtime recorded, as the kubelet shows it (kubectl describe): the same signatures read it.
  const runtimeLines: LogLine[] = [];
  if (lastExited && (lastExited.oomKilled || lastExited.exitCode !== 0)) {
    const src = lastExited.source;
    const texts = [
      'Last State:     Terminated',
      `  Reason:       ${lastExited.oomKilled ? 'OOMKilled' : 'Error'}`,
      `  Exit Code:    ${lastExited.exitCode}`,
    ];
    texts.forEach((text, i) =>
      runtimeLines.push({ source: src, line: i + 1, text, format: 'plain', truncated: false }),
    );
    for (const l of runtimeLines) rec.add(l);
  }
  // The kernel lines naming this pod's cgroups are crash output too (the kernel's, not the container's).
  const podKernelLines = linesForPod(ctx.node.kernelLines ?? [], key.podUid);
  podKernelLines.forEach((k) =>
    rec.add({
      source: k.evidence.source,
      line: k.evidence.line ?? 0,
      text: k.evidence.text,
      format: 'plain',
      truncated: false,
    }),
  );
  const signatures = rec.result();
  const restartCount = current
    ? Math.max(current.restartCount, current.kube.attempt)
    : (key.logs?.runs.at(-1)?.attempt ?? 0);
  const crashedByRuntime = !!lastExited && (lastExited.oomKilled || lastExited.exitCode !== 0);
  if (signatures.length === 0 && !crashedByRuntime && restartCount === 0) return undefined; // healthy: nothing to explain

  const subject: Subject = {
    namespace: key.namespace,
    pod: key.pod,
    container: key.container,
    podUid: key.podUid,
    restartCount,
    ...rec.subject,
    source: sources[0]?.shown ?? current?.source ?? key.container,
    ...(ctx.node.hostname ? { node: ctx.node.hostname.value } : {}),
  };
  if (lastExited?.finishedAt) subject.finishedAt = lastExited.finishedAt;
  else if (rec.lastTime) subject.finishedAt = rec.lastTime;
  if (lastExited) {
    subject.exitCode = lastExited.exitCode;
    if (lastExited.oomKilled) subject.reason = 'OOMKilled';
    else if (lastExited.exitCode !== 0) subject.reason = 'Error';
  }

  // The process: the live restarted twin when there is one, else what the runtime says about it.
  const live = liveProcesses(key, current, ctx.procs);
  const process = processFacts(live, current, ctx);
  const chains = podChains(key, current, live, ctx);
  const kernel: KernelLine[] = [
    ...podKernelLines,
    ...(ctx.node.kernelLines ?? []).filter((l) => l.kind === 'global-oom' || l.kind === 'file-max'),
  ];
  const node: NodeFacts = {
    ...ctx.node,
    cgroupChains: [
      ...chains,
      ...(ctx.node.cgroupChains ?? []).filter(
        (c) => c.path.includes(key.podUid) || c.path.includes(key.podUid.replace(/-/g, '_')),
      ),
    ],
    kernelLines: kernel,
  };
  dedupeChains(node);
  const causes = diagnose({ incident: { subject, signatures }, process, node });
  // The daemons' limits matter only while a per-process limit is still a candidate.
  const open = causes.filter((c) => c.verdict !== 'ruled-out').map((c) => c.id);
  const notes = [...notesFor({ causes, node }), ...daemonNotes(ctx.daemons, open)];
  if (!live.length && current)
    notes.push(
      `No live process of ${key.container} was found (the container is ${current.running ? 'running but its processes were not seen' : 'not running'}); its user and limits come from the runtime's record.`,
    );
  return {
    subject,
    signatures,
    causes,
    notes,
    ...(tail.length > 0 ? { tail: tail.map((l) => ({ source: l.source, line: l.line, text: l.text })) } : {}),
  };
}

/** The processes of the container now: the runtime's PID when running, else any process in a cgroup naming the container id. */
function liveProcesses(
  key: ContainerKey,
  current: RuntimeContainer | undefined,
  procs: ProcTable | undefined,
): ProcEntry[] {
  if (!procs) return [];
  const byPid = current?.pid ? procs.processes.filter((p) => p.pid === current.pid) : [];
  const id = current?.id;
  if (id) {
    const inCgroup = procs.processes.filter(
      (p) => p.pid !== current?.pid && (p.pidsCgroup?.includes(id) || p.memoryCgroup?.includes(id)),
    );
    return [...byPid, ...inCgroup];
  }
  // No runtime record (containerd/CRI-O without a socket we speak, or a bare cgroup): the pod's own
  // processes, those of the busiest container scope first. With several containers in the pod this is
  // a guess, and the evidence names the process it came from.
  const dashed = key.podUid;
  const underscored = dashed.replace(/-/g, '_');
  const inPod = procs.processes.filter((p) => {
    const cg = p.pidsCgroup ?? p.memoryCgroup ?? '';
    return cg.includes(dashed) || cg.includes(underscored);
  });
  return inPod.sort((a, b) => b.threads - a.threads || a.pid - b.pid);
}

function ev(source: string, text: string, line?: number): Evidence {
  return { source, text, ...(line !== undefined ? { line } : {}) };
}

function processFacts(live: ProcEntry[], rc: RuntimeContainer | undefined, ctx: Ctx): ProcessFacts {
  const out: ProcessFacts = {};
  const main = live[0];
  if (rc) {
    out.privileged = {
      value: rc.privileged,
      evidence: ev(rc.source, `HostConfig.Privileged: ${rc.privileged}`),
    };
    if (rc.memoryLimit !== null)
      out.memoryLimit = {
        value: rc.memoryLimit,
        evidence: ev(rc.source, `HostConfig.Memory: ${rc.memoryLimit}`),
      };
  }
  if (main && ctx.procDir) {
    const dir = `${ctx.procDir}/${main.pid}`;
    const statusText = safeRead(`${dir}/status`);
    const st = statusText ? parseStatus(statusText) : undefined;
    if (st && statusText) {
      const uidLine = statusText.split('\n').findIndex((l) => l.startsWith('Uid:'));
      out.realUid = {
        value: st.realUid,
        evidence: ev(
          `/proc/${main.pid}/status`,
          statusText.split('\n')[uidLine] ?? `Uid: ${st.realUid}`,
          uidLine + 1,
        ),
      };
      out.threads = {
        of: 'restarted',
        value: st.threads,
        evidence: ev(
          `/proc/${main.pid}/status`,
          `Threads: ${st.threads} (${st.name}, the restarted container's process)`,
        ),
      };
      if (st.capEff !== undefined) {
        const capLine = statusText.split('\n').findIndex((l) => l.startsWith('CapEff:'));
        out.capabilities = {
          value: capabilityNames(st.capEff),
          evidence: ev(
            `/proc/${main.pid}/status`,
            statusText.split('\n')[capLine] ?? `CapEff: ${st.capEffHex}`,
            capLine + 1,
          ),
        };
      }
    }
    const uidMap = safeRead(`${dir}/uid_map`);
    if (uidMap !== undefined) {
      const first = uidMap.trim().split('\n')[0]?.trim().replace(/\s+/g, ' ') ?? '';
      out.userNamespace = {
        value: inUserNamespace(uidMap),
        evidence: ev(`/proc/${main.pid}/uid_map`, first),
      };
    }
    const limitsText = safeRead(`${dir}/limits`);
    if (limitsText) {
      const rows = parseLimits(limitsText);
      const np = rows.get('Max processes');
      const nf = rows.get('Max open files');
      if (np) out.nprocLimit = { value: np.soft, evidence: ev(`/proc/${main.pid}/limits`, np.text, np.line) };
      if (nf)
        out.nofileLimit = { value: nf.soft, evidence: ev(`/proc/${main.pid}/limits`, nf.text, nf.line) };
    }
    if (main.fds !== undefined)
      out.openFiles = {
        of: 'restarted',
        value: main.fds,
        evidence: ev(`/proc/${main.pid}/fd`, `${main.fds} open files`),
      };
    const maps = safeRead(`${dir}/maps`, 64 << 20);
    if (maps !== undefined)
      out.mapCount = {
        of: 'restarted',
        value: maps.split('\n').filter((l) => l !== '').length,
        evidence: ev(`/proc/${main.pid}/maps`, 'lines counted'),
      };
  } else if (rc) {
    // No live twin: the runtime's record (the user it was told to run as, the ulimits it set).
    const uid = numericUser(rc.user);
    if (uid !== undefined) out.realUid = { value: uid, evidence: ev(rc.source, `Config.User: ${rc.user}`) };
    const nproc = rc.ulimits.find((u) => u.name === 'nproc');
    if (nproc)
      out.nprocLimit = {
        value: nproc.soft < 0 ? null : nproc.soft,
        evidence: ev(rc.source, `HostConfig.Ulimits: nproc=${nproc.soft}:${nproc.hard}`),
      };
    const nofile = rc.ulimits.find((u) => u.name === 'nofile');
    if (nofile)
      out.nofileLimit = {
        value: nofile.soft < 0 ? null : nofile.soft,
        evidence: ev(rc.source, `HostConfig.Ulimits: nofile=${nofile.soft}:${nofile.hard}`),
      };
    if (rc.privileged)
      out.capabilities = {
        value: ['SYS_ADMIN', 'SYS_RESOURCE'],
        evidence: ev(rc.source, 'HostConfig.Privileged: true (all capabilities)'),
      };
  }
  if (out.realUid && ctx.procs) {
    const u = ctx.procs.byRealUid.get(out.realUid.value);
    const tasks = u?.tasks ?? 0;
    const mine = live.reduce((n, p) => n + (p.realUid === out.realUid!.value ? p.threads : 0), 0);
    out.uidTasks = {
      of: 'node',
      value: tasks,
      evidence: ev(
        '/proc/*/status (Uid, Threads)',
        `${tasks} tasks of real UID ${out.realUid.value} on the node now (${u?.processes ?? 0} processes, ${u?.zombies ?? 0} zombies; ${tasks - mine} outside this container)`,
      ),
    };
  }
  return out;
}

function safeRead(path: string, max = 1 << 20): string | undefined {
  try {
    const text = readFileSync(path, 'latin1');
    return text.length > max ? text.slice(0, max) : text;
  } catch {
    return undefined;
  }
}

/** The pod's pids and memory chains: from the live process's cgroup, else the runtime's cgroup parent. */
function podChains(
  key: ContainerKey,
  rc: RuntimeContainer | undefined,
  live: ProcEntry[],
  ctx: Ctx,
): CgroupLevel[] {
  const out: CgroupLevel[] = [];
  if (!ctx.version) return out;
  for (const controller of ['pids', 'memory'] as const) {
    const base = ctx.bases[controller];
    if (!base) continue;
    const fromProc = controller === 'pids' ? live[0]?.pidsCgroup : live[0]?.memoryCgroup;
    let path = fromProc;
    if (!path && rc?.cgroupParent) {
      // cgroupfs driver: <parent>/<id>; systemd driver: <parent slice>/docker-<id>.scope
      path = rc.cgroupParent.endsWith('.slice')
        ? `${rc.cgroupParent}/docker-${rc.id}.scope`
        : `${rc.cgroupParent}/${rc.id}`;
    }
    if (!path) continue;
    out.push(...chainOf(base.real, base.host, path, controller, ctx.version));
  }
  return out.filter(
    (l) =>
      l.path.includes(key.podUid) || l.path.includes(key.podUid.replace(/-/g, '_')) || l.level !== 'other',
  );
}

function dedupeChains(node: NodeFacts): void {
  const seen = new Set<string>();
  node.cgroupChains = (node.cgroupChains ?? []).filter((c) => {
    const k = `${c.controller}:${c.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The daemons' own rlimits are what containers inherit: worth a line when a per-process limit is a candidate. */
function daemonNotes(daemons: DaemonFacts[], causeIds: string[]): string[] {
  if (!causeIds.some((id) => id === 'rlimit.nproc' || id === 'rlimit.nofile')) return [];
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
