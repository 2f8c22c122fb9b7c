// The fact model. Every claim a report makes points at an Evidence: where it came from (a log file
// and line, a host path, an API object) and the text that was read there. Sources produce facts,
// knowledge weighs them, reports print them; nothing here decides anything.

/**
 * Which instance of a container a fact describes. A crash happens to one instance; by the time
 * anyone looks, a restarted instance runs in its place with the same limits and fresh counters.
 * - `crashed`: the instance that died (its log, the runtime's record of its exit, kernel lines and
 *   counters from its lifetime, counters that accumulate across instances, a recorder's last sample);
 * - `restarted`: the instance running now (its usage says nothing about what the crashed one held);
 * - `node`: the node as it is now (sysctls, node-wide and per-UID counts).
 * Limits carry across instances (the same spec starts both); usage does not.
 */
export type Instance = 'crashed' | 'restarted' | 'node';

/** One piece of proof: the place it was read and what it said. */
export interface Evidence {
  /** A log file name, a host path such as /proc/sys/kernel/pid_max, an API object, or "--uid". */
  source: string;
  /** 1-based line number when the source is a log or a text file. */
  line?: number;
  /** What was read, as printed (already decoded; control characters are neutralized by reports). */
  text: string;
  /** Whose fact this is, when it is about usage (see Instance); absent for limits and crash lines. */
  of?: Instance;
}

/** A value with the evidence it was read from. */
export interface Fact<T> {
  value: T;
  evidence: Evidence;
}

/** A usage count: always says which instance it was read from, so a cause never argues from the wrong one. */
export interface Usage extends Fact<number> {
  of: Instance;
}

export type FieldValue = string | number | boolean;
export type Fields = Record<string, FieldValue>;

/** What is known of the crashed container: all fields optional, filled from paths, pod specs, API objects. */
export interface Subject {
  namespace?: string;
  pod?: string;
  container?: string;
  podUid?: string;
  node?: string;
  restartCount?: number;
  exitCode?: number;
  /** lastState.terminated.reason, e.g. OOMKilled, Error. */
  reason?: string;
  /** The log file or object the incident was read from. */
  source?: string;
  /** The workload that owns the pod, e.g. "Deployment shop/checkout" (added for scan: groups replicas). */
  owner?: string;
  /** When the crashed container last terminated, RFC 3339 (added for scan: groups incidents in time). */
  finishedAt?: string;
}

/** One line of crash output as a source read it, unwrapped from its framing, with its place. */
export interface LogLine {
  source: string;
  /** 1-based line number in the raw input; 0 when the source has none (the kernel's ring buffer, a tail read). */
  line: number;
  /** The message, unwrapped from CRI or Docker framing, decoded as UTF-8 (invalid bytes become U+FFFD). */
  text: string;
  format: 'plain' | 'cri' | 'docker';
  stream?: string;
  time?: string;
  /** The raw line was longer than the scanner keeps; text is a window around the match. */
  truncated: boolean;
}

/** A recognized crash line (or block): one signature id, its extracted fields and the lines that prove it. */
export interface SignatureHit {
  id: string;
  family: string;
  title: string;
  fields: Fields;
  evidence: Evidence[];
  /** How many lines matched (evidence keeps only the first few). */
  count: number;
}

/** What is known of the process that crashed (from --uid, a pod spec, the runtime, or /proc of its restarted twin). */
export interface ProcessFacts {
  /** Real UID on the host (after user-namespace mapping when known). */
  realUid?: Fact<number>;
  /** true when the container is privileged (all capabilities, including CAP_SYS_ADMIN in the initial namespace). */
  privileged?: Fact<boolean>;
  /** Capabilities known to be effective (names like SYS_ADMIN, SYS_RESOURCE). */
  capabilities?: Fact<string[]>;
  /** true when the process runs in a user namespace (hostUsers: false, rootless runtimes). */
  userNamespace?: Fact<boolean>;
  /** RLIMIT_NPROC soft limit, null for unlimited. */
  nprocLimit?: Fact<number | null>;
  /** RLIMIT_NOFILE soft limit, null for unlimited. */
  nofileLimit?: Fact<number | null>;
  /** Threads of the process: of the restarted twin when read from /proc now, of the crashed one from a recorder. */
  threads?: Usage;
  /** Tasks of the same real UID node-wide (threads included), as the node holds them now. */
  uidTasks?: Usage;
  /** RLIMIT_AS soft limit in bytes, null for unlimited (an hs_err file's rlimit line, /proc/<pid>/limits). */
  asLimit?: Fact<number | null>;
  /** Virtual address space the process held, in bytes (an hs_err file's "Virtual Size"; see `of`). */
  virtualSize?: Usage;
  /** Open file descriptors of the process (see `of`: the restarted twin's count says nothing of the crashed one). */
  openFiles?: Usage;
  /** Memory mappings of the process (/proc/<pid>/maps lines; see `of`). */
  mapCount?: Usage;
  /** Memory limit of the container in bytes, null for unlimited. */
  memoryLimit?: Fact<number | null>;
  /** The image the container runs (pod spec, runtime record): one of the signs of its language runtime. */
  image?: Fact<string>;
  /** The command line the spec gives (command and args, joined with spaces). */
  command?: Fact<string>;
  /**
   * Environment variables that tune a language runtime (JAVA_TOOL_OPTIONS, GOMEMLIMIT, NODE_OPTIONS,
   * DOTNET_GCHeapHardLimit, ...), each as NAME=value with only the runtime's own flags kept: no other
   * variable is read, so no secret reaches a report.
   */
  runtimeEnv?: Fact<string>[];
}

/** One limit of the node and how much of it is used: the contract's node.limits entry, with its proof. */
export interface LimitUsage {
  /** A cause id of the contract (kernel.pid_max, cgroup.pids, ...). */
  id: string;
  /** node | uid:<n> | cgroup:<path> | process:<pid> */
  scope: string;
  used: number | null;
  /** null when unlimited. */
  max: number | null;
  /** used / max, rounded to 3 decimals; null when either is unknown or unlimited. */
  ratio: number | null;
  evidence: Evidence[];
  /** Highest value recorded (pids.peak, memory.max_usage_in_bytes) when the kernel keeps one. */
  peak?: number | null;
  /** Times the limit was hit, as the kernel counted (pids.events max, memory.failcnt, oom_kill). */
  events?: number | null;
  /** Who holds most of it, when known (pod, container, process, uid). */
  topConsumers?: { name: string; used: number }[];
}

/** One level of a cgroup chain (container, pod, QoS class, kubepods, runtime unit). */
export interface CgroupLevel {
  /** Path as in /proc/<pid>/cgroup, e.g. /kubepods/burstable/pod<uid>/<id>. */
  path: string;
  /** container | pod | qos | kubepods | unit | other */
  level: string;
  controller: 'pids' | 'memory';
  /** Limit; null when "max"/unlimited; undefined when the file is absent. */
  max?: number | null;
  current?: number;
  peak?: number;
  /** pids.events "max" or memory.events "oom_kill" / failcnt. */
  events?: number;
  /** pids.events.local "max" (cgroup v2, recent kernels). */
  eventsLocal?: number;
  evidence: Evidence[];
}

/** A line of limits.conf or limits.d. */
export interface PamLimitLine {
  domain: string;
  type: string;
  item: string;
  value: string;
  evidence: Evidence;
}

/** A kernel log line of interest (pids rejection, OOM kill, file-max). */
export interface KernelLine {
  kind: 'pids-rejected' | 'memcg-oom' | 'global-oom' | 'file-max' | 'other';
  /** The cgroup the line names, when it names one. */
  cgroup?: string;
  evidence: Evidence;
  /** When the kernel wrote it (ms since the epoch), when that is known (the agent's /dev/kmsg follower). */
  at?: number;
}

/** Everything read from a host root (live node, /host in a pod, or a captured snapshot). */
export interface NodeFacts {
  /** The root the paths were resolved under. */
  root: string;
  /** /etc/hostname of the root: names the node when nothing else does. */
  hostname?: Fact<string>;
  os?: { id?: string; versionId?: string; prettyName?: string; evidence: Evidence };
  kernelRelease?: Fact<string>;
  pidMax?: Fact<number>;
  threadsMax?: Fact<number>;
  /** Tasks on the node: /proc/loadavg field 4 denominator. */
  tasks?: Fact<number>;
  /** Highest PID recently allocated: /proc/loadavg field 5. */
  lastPid?: Fact<number>;
  maxMapCount?: Fact<number>;
  /** vm.overcommit_memory: 0 heuristic, 1 always, 2 never (strict commit accounting). */
  overcommitMemory?: Fact<number>;
  /** vm.overcommit_ratio (percent of RAM counted in CommitLimit under mode 2). */
  overcommitRatio?: Fact<number>;
  /** /proc/meminfo CommitLimit, in bytes (the file prints kB). */
  commitLimit?: Fact<number>;
  /** /proc/meminfo Committed_AS, in bytes (the file prints kB). */
  committedAs?: Fact<number>;
  fileMax?: Fact<number>;
  /** /proc/sys/fs/file-nr: allocated handles. */
  filesAllocated?: Fact<number>;
  nrOpen?: Fact<number>;
  inotifyMaxUserInstances?: Fact<number>;
  inotifyMaxUserWatches?: Fact<number>;
  /** cgroup layout: 1 (v1 or hybrid), 2 (unified), undefined when unknown. */
  cgroupVersion?: 1 | 2;
  /** Controllers listed in /proc/cgroups with their enabled flag. */
  controllers?: Fact<Record<string, boolean>>;
  /** Cgroup chains read for the subject's pod (container first, root-most last). */
  cgroupChains?: CgroupLevel[];
  pamLimits?: PamLimitLine[];
  kubelet?: {
    source: string;
    podPidsLimit?: Fact<number>;
    cgroupDriver?: Fact<string>;
    evictionHard?: Fact<Record<string, string>>;
    systemReservedPid?: Fact<string>;
  };
  /** What the runtime daemon gives every container unless told otherwise (Docker daemon.json, sysconfig). */
  runtimeDefaults?: {
    /** default-pids-limit; null when set to "no limit". */
    pidsLimit?: Fact<number | null>;
    /** default-ulimits (nproc, nofile, ...). */
    ulimits: { name: string; soft: number; hard: number; evidence: Evidence }[];
  };
  /** Container runtime in use when the snapshot shows it (docker, containerd, cri-o). */
  runtime?: Fact<string>;
  /** sysctl.d / sysctl.conf settings found (key -> value with its file). */
  sysctlFiles?: { key: string; value: string; evidence: Evidence }[];
  kernelLines?: KernelLine[];
  /** Every limit with its headroom; the contract's node.limits. */
  limits: LimitUsage[];
  /** One sentence per thing that could not be read (missing, unreadable, escaped the root). */
  unreadable: string[];
}

export type Verdict = 'confirmed' | 'likely' | 'possible' | 'unlikely' | 'ruled-out';

/** Verdicts from most to least likely; the ranking sorts by this first. */
export const VERDICT_ORDER: readonly Verdict[] = ['confirmed', 'likely', 'possible', 'unlikely', 'ruled-out'];

export interface Remediation {
  summary: string;
  commands: string[];
}

/** A candidate cause with its verdict and proof, as the report prints it. */
export interface CauseAssessment {
  id: string;
  verdict: Verdict;
  summary: string;
  /** Why this verdict: one sentence per argument, the expert's reasoning. */
  reasons: string[];
  evidence: Evidence[];
  /** What would decide it, each a command to run or a file to read. */
  missing: string[];
  remediation: Remediation[];
  /** Internal ranking weight inside one verdict (higher first); from the signatures that raised it. */
  weight: number;
}

export interface Incident {
  subject: Subject;
  signatures: SignatureHit[];
  causes: CauseAssessment[];
  /** Things the analysis noticed that are not causes (e.g. limits.d present but irrelevant). */
  notes: string[];
  /** The last lines the container printed, for crashes no signature explains. */
  tail?: Evidence[];
}

/**
 * A conclusion over several incidents or about the scan itself (added for scan/collect): replicas of
 * one owner that crashed alike, incidents on one node with their likely root and blast radius, or
 * evidence the scan could not read.
 */
export interface Finding {
  kind: 'replicas' | 'node' | 'missing-evidence';
  /** One sentence. */
  summary: string;
  /** Indexes into Report.incidents. */
  incidents: number[];
  /** The incident named as the likely root cause (index into Report.incidents). */
  root?: number;
  /** Pods hit by the root: "namespace/pod", with why each is counted. */
  blastRadius?: { pod: string; why: string }[];
  node?: string;
  /** The workload holding most of a resource used up node-wide, when known. */
  topConsumer?: { name: string; used: number; limit: string };
  evidence: Evidence[];
  /** What to do or read next. */
  next: string[];
}

export interface Report {
  schemaVersion: 1;
  incidents: Incident[];
  /** Cross-incident findings (scan, collect, bundles); absent for a single log. */
  findings?: Finding[];
  node?: {
    limits: LimitUsage[];
    /** The container runtime whose records were read (`podmortem node`): its name, the endpoint used, its version. */
    runtime?: { name: string; endpoint: string; version?: string };
  };
  /** One sentence per problem met while reading input (not part of the contract's required fields). */
  warnings: string[];
}
