// The one node-evidence reader, for a live node (`podmortem node`, `/host` in a pod) and a captured
// snapshot (`analyze --node-root`, a bundle's nodes/) alike: kernel ceilings and usage, the kernel
// log, the cgroup layout and the pod chains, PAM limits, sysctl files, the kubelet config, the
// runtime and its defaults, the process table and the runtime daemons when the root has one, the
// limited cgroups of the whole node, and node.limits built from all of it before anything is
// diagnosed. Every read goes through HostRoot. Never throws for a missing or odd file: each becomes
// one sentence in `unreadable`.
import type { NodeFacts } from '../../evidence/types.js';
import { readCgroupFacts, walkLimited } from './cgroups.js';
import {
  applyKubeletFlags,
  readKubeletConfig,
  readPamLimits,
  readRuntime,
  readSysctlFiles,
} from './config-files.js';
import { readDaemons, type DaemonFacts } from './daemons.js';
import { readKernelFacts } from './kernel-facts.js';
import { readKernelLog } from './kernel-log.js';
import { buildLimits } from './limits.js';
import { readProcTable, type FdMemo, type ProcTable } from './proc-table.js';
import { HostRoot } from './root.js';
import { readRuntimeDefaults } from './runtime-defaults.js';

export interface NodeEvidenceOptions {
  /** Pod UIDs whose cgroup chains should be read. */
  podUids?: string[];
  /** pod UID -> "namespace/pod", to name who holds a limit. */
  podNames?: Map<string, string>;
  /** false: the caller reads the kernel log itself (the agent follows /dev/kmsg). */
  kernelLog?: boolean;
  /** The agent's memory of the last walk's descriptors (see FdMemo): its minute read skips unchanged ones. */
  fdMemo?: FdMemo;
}

/** What was read under one root: the facts every cause sees, and the raw tables the node pipeline needs. */
export interface NodeEvidence {
  facts: NodeFacts;
  /** The process table, when the root has one (a live node, or a snapshot with /proc/<pid> folders). */
  procs?: ProcTable;
  daemons: DaemonFacts[];
  root: HostRoot;
}

export async function readNodeEvidence(
  root: string | HostRoot,
  opts: NodeEvidenceOptions = {},
): Promise<NodeEvidence> {
  const host = typeof root === 'string' ? new HostRoot(root) : root;
  if (!host.usable)
    return { facts: { root: host.given, limits: [], unreadable: host.unreadable }, daemons: [], root: host };
  const facts: Omit<NodeFacts, 'limits'> = {
    root: host.given,
    unreadable: host.unreadable,
    ...readKernelFacts(host),
  };
  if (opts.kernelLog !== false) facts.kernelLines = (await readKernelLog(host)).lines;
  const cg = readCgroupFacts(host, opts.podUids ?? []);
  if (cg.cgroupVersion) facts.cgroupVersion = cg.cgroupVersion;
  facts.cgroupChains = cg.cgroupChains;
  facts.pamLimits = readPamLimits(host);
  const kubelet = applyKubeletFlags(host, await readKubeletConfig(host));
  if (kubelet) facts.kubelet = kubelet;
  const runtime = readRuntime(host);
  if (runtime) facts.runtime = runtime;
  const defaults = await readRuntimeDefaults(host);
  if (defaults) facts.runtimeDefaults = defaults;
  facts.sysctlFiles = readSysctlFiles(host);

  const procs = readProcTable(host, opts.fdMemo ? { fdMemo: opts.fdMemo } : {});
  if (procs) for (const p of procs.partial) host.note(p, p);
  const daemons = procs ? readDaemons(host, procs, facts.cgroupVersion) : [];
  const limitedCgroups = [];
  if (facts.cgroupVersion) {
    for (const controller of ['pids', 'memory'] as const) {
      const walk = walkLimited(host, controller, facts.cgroupVersion);
      limitedCgroups.push(...walk.limited);
      if (walk.truncated) host.note(walk.truncated, walk.truncated);
      if (facts.cgroupVersion === 2) break; // one hierarchy serves both controllers
    }
  }
  const limits = buildLimits({
    node: facts,
    ...(procs ? { procs } : {}),
    limitedCgroups,
    podNames: opts.podNames ?? new Map(),
  });
  return { facts: { ...facts, limits }, ...(procs ? { procs } : {}), daemons, root: host };
}

/** The facts alone (analyze, bundles): the same reader, without the raw tables. */
export async function readNodeFacts(root: string, opts: NodeEvidenceOptions = {}): Promise<NodeFacts> {
  return (await readNodeEvidence(root, opts)).facts;
}
