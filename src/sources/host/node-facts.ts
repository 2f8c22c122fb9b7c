// Reads everything the node can tell about a crash under one host root (a live node, /host in a pod,
// or a captured snapshot): kernel ceilings and usage, the pod's cgroup chains, PAM limits, sysctl
// files, the kubelet config, the runtime, kernel log lines, and every limit with its headroom.
// Never throws for a missing or odd file: each becomes one sentence in `unreadable`.
import type { NodeFacts } from '../../evidence/types.js';
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

export interface NodeFactsOptions {
  /** Pod UIDs whose cgroup chains should be read. */
  podUids?: string[];
}

export async function readNodeFacts(root: string, opts: NodeFactsOptions = {}): Promise<NodeFacts> {
  const host = new HostRoot(root);
  if (!host.usable) return { root, limits: [], unreadable: host.unreadable };
  const live = host.isLive();
  const facts: Omit<NodeFacts, 'limits'> = { root, unreadable: host.unreadable, ...readKernelFacts(host) };
  const cg = readCgroupFacts(host, opts.podUids ?? []);
  if (cg.cgroupVersion) facts.cgroupVersion = cg.cgroupVersion;
  facts.cgroupChains = cg.cgroupChains;
  facts.pamLimits = readPamLimits(host);
  const kubelet = applyKubeletFlags(host, readKubeletConfig(host));
  if (kubelet) facts.kubelet = kubelet;
  const runtime = readRuntime(host);
  if (runtime) facts.runtime = runtime;
  facts.sysctlFiles = readSysctlFiles(host);
  facts.kernelLines = readKernelLog(host, live);
  const usage = live ? readLiveUsage(host) : undefined;
  const limits = buildLimits(facts, usage);
  return { ...facts, limits, unreadable: host.unreadable };
}
