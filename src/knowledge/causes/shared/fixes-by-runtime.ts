// Fixes chosen by what the evidence shows the container runs, and on what: one table per choice, so
// the choice is read here rather than spelled out in if-chains across the causes.
// - CONTAINER_RUNTIMES: per container runtime (the node's, from a snapshot, the API's nodeInfo or
//   the socket `podmortem node` read): who records OOMKilled, the systemd units containers inherit
//   limits from, where the per-container defaults (rlimits, pids limit) are configured.
// - MEMORY_FIT: per language runtime (see language.ts): the setting that keeps it inside its memory
//   limit, computed from the limit that applied, with the limit shown.
// Sources: moby/moby:daemon/monitor.go (State.OOMKilled), containerd/containerd:internal/cri/server/
// events.go (reason OOMKilled), cri-o/cri-o:internal/oci (conmon's oom file); JDK 10+ container
// support (MaxRAMPercentage, default 25), https://pkg.go.dev/runtime/debug#SetMemoryLimit
// (GOMEMLIMIT, Go 1.19), https://nodejs.org/api/cli.html (--max-old-space-size in MiB),
// https://learn.microsoft.com/dotnet/core/runtime-config/garbage-collector (GCHeapHardLimit, hex
// bytes; 75% of a container limit by default).
import type { ProcessFacts, Remediation, Subject } from '../../../evidence/types.js';
import { bytes } from './common.js';
import { LANGUAGE_NAMES, type Language, type LanguageSeen } from './language.js';

export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o';

export interface RuntimeFixes {
  /** As a sentence names it. */
  name: string;
  /** systemd units whose limits the containers inherit (Docker runs containers through containerd's shims). */
  units: string[];
  /** Who records the OOMKilled reason, and only when. */
  oomKilled: string;
  /** How every container gets an rlimit by default (config lines to write, as comments where they are JSON/TOML). */
  defaultRlimit: (item: 'nproc' | 'nofile', value: number) => string[];
  /** How the runtime's default per-container pids limit is set; empty when it sets none of its own. */
  defaultPids: string[];
}

export const CONTAINER_RUNTIMES: Record<ContainerRuntime, RuntimeFixes> = {
  docker: {
    name: 'Docker',
    units: ['docker.service', 'containerd.service'],
    oomKilled:
      "Docker recorded the container as OOMKilled (State.OOMKilled): dockerd sets it only when containerd reports an OOM event of the container's memory cgroup.",
    defaultRlimit: (item, v) => [
      `# /etc/docker/daemon.json: {"default-ulimits": {"${item}": {"Name": "${item}", "Hard": ${v}, "Soft": ${v}}}}, then: systemctl restart docker`,
    ],
    defaultPids: [
      '# /etc/docker/daemon.json: {"default-pids-limit": -1} (no default), or --pids-limit per container; then: systemctl restart docker',
    ],
  },
  containerd: {
    name: 'containerd',
    units: ['containerd.service'],
    oomKilled:
      "containerd recorded reason OOMKilled: it sets it only after an OOM event of the container's memory cgroup.",
    defaultRlimit: (item, v) => [
      `# containerd: a base_runtime_spec JSON with process.rlimits [{"type":"RLIMIT_${item.toUpperCase()}","hard":${v},"soft":${v}}], named in /etc/containerd/config.toml (plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.base_runtime_spec), then: systemctl restart containerd`,
    ],
    // containerd writes no pids limit of its own: a container scope's limit comes from systemd's
    // DefaultTasksMax (systemd cgroup driver) unless the kubelet asks for one.
    defaultPids: [],
  },
  'cri-o': {
    name: 'CRI-O',
    units: ['crio.service'],
    oomKilled:
      "CRI-O recorded reason OOMKilled: it sets it only when conmon saw an OOM kill in the container's memory cgroup.",
    defaultRlimit: (item, v) => [
      `# /etc/crio/crio.conf.d/90-ulimits.conf: [crio.runtime] default_ulimits = ["${item}=${v}:${v}"], then: systemctl restart crio`,
    ],
    defaultPids: [
      '# /etc/crio/crio.conf.d/90-pids.conf: [crio.runtime] pids_limit = -1 (CRI-O 1.28 with runc 1.4: never leave it 0), then: systemctl restart crio',
    ],
  },
};

/** The container runtime a node's runtime name means (docker, containerd, cri-o), when it says. */
export function containerRuntimeOf(runtime: string | undefined): ContainerRuntime | undefined {
  const r = (runtime ?? '').toLowerCase();
  if (r.includes('docker')) return 'docker';
  if (r.includes('cri-o') || r.includes('crio')) return 'cri-o';
  if (r.includes('containerd')) return 'containerd';
  return undefined;
}

/** The fixes of the node's runtime when it is known; of every runtime (each named) when it is not. */
export function runtimesOn(runtime: string | undefined): RuntimeFixes[] {
  const known = containerRuntimeOf(runtime);
  return known ? [CONTAINER_RUNTIMES[known]] : Object.values(CONTAINER_RUNTIMES);
}

/** Who records OOMKilled on this node, in one sentence. */
export function oomKilledSentence(runtime: string | undefined): string {
  const known = containerRuntimeOf(runtime);
  return known
    ? CONTAINER_RUNTIMES[known].oomKilled
    : "The container runtime recorded reason OOMKilled: containerd, CRI-O and Docker set it only after an OOM event of the container's memory cgroup.";
}

// ---- The workload a kubectl command changes.

const KUBECTL_KINDS: Record<string, string> = {
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
  ReplicaSet: 'replicaset',
  CronJob: 'cronjob',
};

/** "-n shop deployment/checkout -c app" from the subject's owner, with placeholders for what is unknown. */
export function workloadArgs(subject: Subject): string {
  const m = /^(\w+) ([^/\s]+)\/(\S+)$/.exec(subject.owner ?? '');
  const kind = m ? KUBECTL_KINDS[m[1]!] : undefined;
  const ns = m?.[2] ?? subject.namespace;
  const ref = kind && m ? `${kind}/${m[3]}` : 'deployment/<name>';
  return `${ns ? `-n ${ns} ` : ''}${ref} -c ${subject.container ?? '<container>'}`;
}

// ---- Memory: the setting that keeps each language runtime inside the limit that applied.

/** The limit that applied, as the spec or runtime wrote it. */
export interface MemoryLimitSeen {
  bytes: number;
  /** "768Mi" as the pod spec says it, else "768 MiB" (the evidence line says where it was read). */
  shown: string;
}

export function memoryLimitOf(process: ProcessFacts): MemoryLimitSeen | undefined {
  const f = process.memoryLimit;
  if (!f || typeof f.value !== 'number') return undefined;
  const quoted = /^memory: (\S+)$/.exec(f.evidence.text)?.[1];
  return { bytes: f.value, shown: quoted ?? bytes(f.value) };
}

const MIB = 2 ** 20;
const mib = (n: number): number => Math.floor(n / MIB);

/** Heap settings already given to the JVM or Node (-Xmx, MaxRAMPercentage, --max-old-space-size), as written. */
function heapFlags(process: ProcessFacts): string[] {
  const texts = [...(process.runtimeEnv ?? []).map((e) => e.value), process.command?.value ?? ''];
  const out: string[] = [];
  for (const t of texts)
    for (const m of t.matchAll(
      /(-Xmx\S+|-XX:(?:Max|Initial|Min)RAMPercentage=\S+|--max-old-space-size=\d+)/g,
    ))
      out.push(m[1]!);
  return [...new Set(out)];
}

interface MemoryFitInput {
  limit?: MemoryLimitSeen;
  process: ProcessFacts;
  /** kubectl arguments naming the workload: "-n shop deployment/checkout -c app". */
  target: string;
}

interface Fit {
  summary: string;
  commands: string[];
}

/** The heap the JVM's flags give it under a limit: -Xmx when set, else MaxRAMPercentage of the limit. */
function jvmHeapOf(flags: string[], limit: number): number | undefined {
  const xmx = flags.map((f) => /^-Xmx(\d+)([kmgt]?)$/i.exec(f)).find((m) => m);
  if (xmx) {
    const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[xmx[2]!.toLowerCase()] ?? 1;
    return Number(xmx[1]) * unit;
  }
  const pct = flags.map((f) => /^-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)$/.exec(f)).find((m) => m);
  return pct ? (limit * Number(pct[1])) / 100 : undefined;
}

/** JVM heap share of the limit: leave at least 256 MiB for metaspace, code cache, thread stacks and direct buffers, between 50% and 75%. */
function jvmPercent(limit: number): number {
  const p = Math.floor((((limit - 256 * MIB) / limit) * 100) / 5) * 5;
  return Math.min(75, Math.max(50, p));
}

/** Per language runtime: the setting that keeps it inside the limit. */
export const MEMORY_FIT: Record<Language | 'unknown', (i: MemoryFitInput) => Fit> = {
  jvm: ({ limit, process, target }) => {
    const set = heapFlags(process);
    const xmx = set.find((f) => f.startsWith('-Xmx'));
    const pct = limit ? jvmPercent(limit.bytes) : 70;
    const heap = limit ? mib((limit.bytes * pct) / 100) : undefined;
    const flag = xmx && heap ? `-Xmx${heap}m` : `-XX:MaxRAMPercentage=${pct}`;
    const nowHeap = limit ? jvmHeapOf(set, limit.bytes) : undefined;
    const now =
      set.length > 0
        ? ` It is set to ${set.join(' ')} now${xmx ? ' (-Xmx wins over MaxRAMPercentage)' : ''}${nowHeap !== undefined && limit ? `: a heap of up to ${mib(nowHeap)} MiB, leaving ${Math.max(0, mib(limit.bytes) - mib(nowHeap))} MiB` : ''}.`
        : '';
    return {
      summary: `Keep the JVM's heap and non-heap (metaspace, code cache, thread stacks, direct buffers) inside ${limit ? `the ${limit.shown} limit` : 'the container limit'}: ${flag}${heap && limit ? ` caps the heap at ${heap} MiB and leaves ${mib(limit.bytes) - heap} MiB for the rest` : ''}.${now}`,
      commands: [
        `kubectl set env ${target} JAVA_TOOL_OPTIONS="${flag} -XX:+ExitOnOutOfMemoryError"   # replaces JAVA_TOOL_OPTIONS: keep its other options`,
      ],
    };
  },
  go: ({ limit, target }) => {
    const soft = limit ? `${mib(limit.bytes * 0.9)}MiB` : '<90% of the limit>MiB';
    return {
      summary: `Give the Go runtime a soft memory limit below ${limit ? `the ${limit.shown} limit` : 'the container limit'} (GOMEMLIMIT, Go 1.19+): the GC works harder as the heap nears it instead of growing into the OOM killer; a live heap above it still dies.`,
      commands: [`kubectl set env ${target} GOMEMLIMIT=${soft}   # 90% of the limit`],
    };
  },
  node: ({ limit, process, target }) => {
    const size = limit ? String(mib(limit.bytes * 0.75)) : '<75% of the limit in MiB>';
    const set = heapFlags(process).filter((f) => f.startsWith('--max-old-space-size'));
    return {
      summary: `Cap V8's old space below ${limit ? `the ${limit.shown} limit` : 'the container limit'} so Node.js fails with a heap error it reports instead of being OOM-killed silently; buffers and native memory live outside it.${set.length > 0 ? ` It is set to ${set.join(' ')} now.` : ''}`,
      commands: [
        `kubectl set env ${target} NODE_OPTIONS=--max-old-space-size=${size}   # MiB, 75% of the limit; replaces NODE_OPTIONS: keep its other options`,
      ],
    };
  },
  python: ({ limit, target }) => ({
    summary: `Python has no heap cap to set: ${limit ? `the ${limit.shown} limit` : 'the limit'} must hold every worker process (gunicorn --workers, celery --concurrency, multiprocessing) at its peak; fewer workers, or find the growth with tracemalloc.`,
    commands: [
      `kubectl set env ${target} MALLOC_ARENA_MAX=2   # glibc: fewer malloc arenas in threaded servers, less fragmentation`,
    ],
  }),
  dotnet: ({ limit, target }) => {
    const hard = limit ? Math.floor(limit.bytes * 0.6) : undefined;
    return {
      summary: `.NET caps its GC heap at 75% of ${limit ? `the ${limit.shown} limit` : 'the container limit'} by default; when native memory or many threads fill the rest, lower the cap${hard ? ` (60%: ${mib(hard)} MiB)` : ''}.`,
      commands: [
        `kubectl set env ${target} DOTNET_GCHeapHardLimit=${hard ? `0x${hard.toString(16).toUpperCase()}` : '<bytes in hex>'}   # a hexadecimal byte count`,
      ],
    };
  },
  unknown: ({ limit, target }) => ({
    summary: `The evidence does not show which language runtime the container runs (no runtime line in its output, no java/node/python command, runtime variable or known image): cap its heap with that runtime's own setting below ${limit ? `the ${limit.shown} limit` : 'the container limit'}.`,
    commands: [
      `kubectl set env ${target} JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=${limit ? jvmPercent(limit.bytes) : 70}"   # a JVM`,
      `kubectl set env ${target} GOMEMLIMIT=${limit ? `${mib(limit.bytes * 0.9)}MiB` : '<90% of the limit>MiB'}   # Go 1.19+`,
      `kubectl set env ${target} NODE_OPTIONS=--max-old-space-size=${limit ? mib(limit.bytes * 0.75) : '<75% of the limit in MiB>'}   # Node.js`,
    ],
  }),
};

/** A bigger limit to try: 1.5 times the current one, rounded up to 128 MiB. */
function biggerLimit(limit: MemoryLimitSeen): string {
  return `${Math.ceil((limit.bytes * 1.5) / (128 * MIB)) * 128}Mi`;
}

/**
 * The memory fixes of a container: raise the limit that applied (shown), or keep the language
 * runtime the evidence shows inside it. Editing the workload's template replaces its pods, so no
 * recreate step is needed.
 */
export function memoryFixes(
  subject: Subject,
  process: ProcessFacts,
  language: LanguageSeen | undefined,
): Remediation[] {
  const limit = memoryLimitOf(process);
  const target = workloadArgs(subject);
  const fit = MEMORY_FIT[language?.id ?? 'unknown']({ ...(limit ? { limit } : {}), process, target });
  const runs = language ? `The container runs ${LANGUAGE_NAMES[language.id]} (${language.shownBy}). ` : '';
  return [
    {
      summary: `${runs}${fit.summary} Changing the workload's template replaces its pods.`,
      commands: fit.commands,
    },
    {
      summary: limit
        ? `Or raise the memory limit from ${limit.shown} to what the workload needs at its peak.`
        : 'Or raise the container memory limit to what the workload needs at its peak.',
      commands: [
        `kubectl set resources ${target} --limits=memory=${limit ? `${biggerLimit(limit)}   # 1.5 × ${limit.shown}` : '<more>'}`,
      ],
    },
  ];
}

/**
 * Per message a runtime prints at its own cap: the setting that cap is. The heap caps are sized
 * against the limit that applied, so raising one does not turn the runtime's error into an OOM kill.
 */
const HEAP_ERRORS: [RegExp, (i: MemoryFitInput) => Fit][] = [
  [
    /Metaspace/,
    ({ limit, target }) => ({
      summary: `Metaspace (class metadata) is full: raise -XX:MaxMetaspaceSize if the classes are legitimate, or find the class-loader leak (redeploys, generated proxies); it is memory outside the heap${limit ? `, inside the ${limit.shown} limit` : ''}.`,
      commands: [
        `kubectl set env ${target} JAVA_TOOL_OPTIONS="-XX:MaxMetaspaceSize=512m -XX:+ExitOnOutOfMemoryError"   # replaces JAVA_TOOL_OPTIONS: keep its other options`,
      ],
    }),
  ],
  [
    /Direct buffer memory/,
    ({ limit, target }) => {
      const direct = limit ? `${Math.max(64, mib(limit.bytes * 0.1))}m` : '256m';
      return {
        summary: `Direct (off-heap) buffers reached -XX:MaxDirectMemorySize, which defaults to the heap's maximum: set it explicitly${limit ? ` and count it with the heap inside the ${limit.shown} limit` : ''}, and look for buffers that are never released (Netty, NIO).`,
        commands: [
          `kubectl set env ${target} JAVA_TOOL_OPTIONS="-XX:MaxDirectMemorySize=${direct} -XX:+ExitOnOutOfMemoryError"   # replaces JAVA_TOOL_OPTIONS: keep its other options`,
        ],
      };
    },
  ],
  [/java\.lang\.OutOfMemoryError/, (i) => MEMORY_FIT.jvm(i)],
  [/JavaScript heap out of memory|Reached heap limit/, (i) => MEMORY_FIT.node(i)],
];

/** The fixes of a runtime that gave up at its own heap cap ("what" is the message it printed). */
export function heapFixes(
  subject: Subject,
  process: ProcessFacts,
  language: LanguageSeen | undefined,
  what: string | undefined,
): Remediation[] {
  const limit = memoryLimitOf(process);
  const input: MemoryFitInput = { ...(limit ? { limit } : {}), process, target: workloadArgs(subject) };
  const byMessage = what ? HEAP_ERRORS.find(([re]) => re.test(what)) : undefined;
  if (!byMessage) return memoryFixes(subject, process, language);
  const fit = byMessage[1](input);
  return [
    { summary: `${fit.summary} Changing the workload's template replaces its pods.`, commands: fit.commands },
  ];
}

// ---- Threads: each thread is a task, counted by pids cgroups, RLIMIT_NPROC and pid_max alike.

/** Per language runtime: where its threads come from and the setting that bounds them. */
export const THREAD_FIT: Record<Language, (target: string) => Fit> = {
  jvm: (target) => ({
    summary:
      "Every Java platform thread is a task: bound the pools that create them (the server's worker threads, executors, connection pools); -Xss only shrinks each thread's stack, not their number.",
    commands: [`kubectl exec ${target} -- sh -c 'ls /proc/1/task | wc -l'   # the JVM's threads (PID 1)`],
  }),
  go: (target) => ({
    summary:
      'The Go runtime adds an OS thread for every goroutine blocked in a system call or cgo call; GOMAXPROCS bounds only those running Go code. debug.SetMaxThreads(n) in the program stops a thread leak with a clear "program exceeds n-thread limit" before it takes the pids budget.',
    commands: [`kubectl exec ${target} -- sh -c 'ls /proc/1/task | wc -l'   # the program's threads (PID 1)`],
  }),
  node: (target) => ({
    summary:
      "Node.js runs V8's threads plus libuv's pool, UV_THREADPOOL_SIZE threads (4 by default, at most 1024); each worker_threads Worker adds its own. Keep UV_THREADPOOL_SIZE at what the I/O needs.",
    commands: [`kubectl exec ${target} -- sh -c 'ls /proc/1/task | wc -l'   # the process's threads (PID 1)`],
  }),
  python: (target) => ({
    summary:
      "A Python server's tasks are its worker processes times their threads (gunicorn --workers × --threads, celery --concurrency): bound those.",
    commands: [`kubectl exec ${target} -- sh -c 'ps -eLf | wc -l'   # every task of the container`],
  }),
  dotnet: (target) => ({
    summary:
      ".NET's thread pool grows when work items block: find the blocking calls (sync over async) rather than raising the limit; System.Threading.ThreadPool.MaxThreads in runtimeconfig.json caps it.",
    commands: [`kubectl exec ${target} -- sh -c 'ls /proc/1/task | wc -l'   # the process's threads (PID 1)`],
  }),
};

/** The thread advice for the language runtime the evidence shows; nothing when none is shown. */
export function threadFixes(subject: Subject, language: LanguageSeen | undefined): Remediation[] {
  if (!language) return [];
  const target = `${subject.namespace ? `-n ${subject.namespace} ` : ''}${subject.pod ?? '<pod>'} -c ${subject.container ?? '<container>'}`;
  const fit = THREAD_FIT[language.id](target);
  return [
    {
      summary: `The container runs ${LANGUAGE_NAMES[language.id]} (${language.shownBy}). ${fit.summary}`,
      commands: fit.commands,
    },
  ];
}
