// Reads everything the node can tell about a crash under one host root (a live node, /host in a pod,
// or a captured snapshot): kernel ceilings and usage, the pod's cgroup chains, PAM limits, sysctl
// files, the kubelet config, the runtime, kernel log lines, and every limit with its headroom.
// Never throws for a missing or odd file: each becomes one sentence in `unreadable`.
import type { KernelLine, NodeFacts } from '../../evidence/types.js';
import { readCgroupFacts } from './cgroups.js';
import {
  applyKubeletFlags,
  readKubeletConfig,
  readPamLimits,
  readRuntime,
  readSysctlFiles,
} from './config-files.js';
import { readKernelFacts } from './kernel-facts.js';
import { readKernelLog } from './kernel-log.js';
import { buildLimits } from './limits.js';
import { readLiveUsage } from './live-usage.js';
import { HostRoot } from './root.js';
import { readRuntimeDefaults } from './runtime-defaults.js';

export interface NodeFactsOptions {
  /** Pod UIDs whose cgroup chains should be read. */
  podUids?: string[];
}

export async function readNodeFacts(root: string, opts: NodeFactsOptions = {}): Promise<NodeFacts> {
  const host = new HostRoot(root);
  if (!host.usable) return { root, limits: [], unreadable: host.unreadable };
  const facts = readHostFacts(host, opts.podUids ?? []);
  const usage = host.isLive() ? readLiveUsage(host) : undefined;
  const limits = buildLimits(facts, usage);
  return { ...facts, limits, unreadable: host.unreadable };
}

/**
 * Everything but the per-UID walk of /proc and the limits table: `podmortem node` walks /proc once
 * itself (it needs more from it) and builds its own audit, on these same facts.
 */
export function readHostFacts(host: HostRoot, podUids: string[]): NodeFacts & { kernelLines: KernelLine[] } {
  const facts: NodeFacts & { kernelLines: KernelLine[] } = {
    root: host.given,
    limits: [],
    unreadable: host.unreadable,
    ...readKernelFacts(host),
    kernelLines: readKernelLog(host, host.isLive()),
  };
  const cg = readCgroupFacts(host, podUids);
  if (cg.cgroupVersion) facts.cgroupVersion = cg.cgroupVersion;
  facts.cgroupChains = cg.cgroupChains;
  facts.pamLimits = readPamLimits(host);
  const kubelet = applyKubeletFlags(host, readKubeletConfig(host));
  if (kubelet) facts.kubelet = kubelet;
  const runtime = readRuntime(host);
  if (runtime) facts.runtime = runtime;
  const defaults = readRuntimeDefaults(host);
  if (defaults) facts.runtimeDefaults = defaults;
  facts.sysctlFiles = readSysctlFiles(host);
  return facts;
}
