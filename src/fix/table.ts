// Which exact changes answer which cause: the one table `podmortem fix` plans from. Values are the
// causes' own (their remediation in src/knowledge/causes/<id>/cause.ts): a sysctl's value is read from
// the report's `sysctl -w KEY=VALUE` command when the cause computed one (fs.file-max x4,
// threads-max x2), else the default below, which test/fix/table.test.ts checks against the cause's
// file so the two cannot drift apart. Causes without a row have no file-shaped fix (a runtime
// upgrade, a code change): `fix` says so instead of guessing.
import { PID_MAX_LIMIT } from '../knowledge/causes/kernel.pid_max/cause.js';

export interface SysctlFix {
  kind: 'sysctl';
  key: string;
  /** Used when the report's remediation carries no `sysctl -w key=value` for it. */
  value: number;
  /** The /etc/sysctl.d file the cause's remediation names. */
  file: string;
}

export interface DropInFix {
  kind: 'dropin';
  /** A [Service] setting for every unit containers inherit limits from (the runtime's units). */
  setting: string;
  value: string;
}

export interface KubeletFix {
  kind: 'kubelet';
  /** Settings set in the KubeletConfiguration: a path of keys and the value. */
  set: { path: string[]; value: string | number }[];
  /** Only when the kubelet's current podPidsLimit is set and below this (a pod-level pids limit). */
  onlyIfPodPidsBelow?: number;
}

export interface WorkloadMemoryFix {
  kind: 'workload-memory';
  /** The new memory limit is the current one times this, rounded up to 64 MiB. */
  factor: number;
}

export type Fix = SysctlFix | DropInFix | KubeletFix | WorkloadMemoryFix;

/**
 * The kubelet protects the node's PIDs (kernel.pid_max and kernel.threads-max causes): PIDs reserved
 * for the system and eviction before they run out, as their remediation says.
 */
const KUBELET_PID_PROTECTION: KubeletFix = {
  kind: 'kubelet',
  set: [
    { path: ['systemReserved', 'pid'], value: '1000' },
    { path: ['evictionHard', 'pid.available'], value: '5%' },
  ],
};

/** The table: cause id -> changes. Read top to bottom, it is what `fix` can do. */
export const FIXES: Record<string, Fix[]> = {
  'kernel.pid_max': [
    { kind: 'sysctl', key: 'kernel.pid_max', value: PID_MAX_LIMIT, file: '90-pid-max.conf' },
    KUBELET_PID_PROTECTION,
  ],
  'kernel.threads-max': [
    { kind: 'sysctl', key: 'kernel.threads-max', value: 4194304, file: '90-threads-max.conf' },
    KUBELET_PID_PROTECTION,
  ],
  'fs.file-max': [{ kind: 'sysctl', key: 'fs.file-max', value: 4194304, file: '90-file-max.conf' }],
  'vm.max_map_count': [
    { kind: 'sysctl', key: 'vm.max_map_count', value: 262144, file: '90-max-map-count.conf' },
  ],
  'inotify.instances': [
    { kind: 'sysctl', key: 'fs.inotify.max_user_instances', value: 8192, file: '90-inotify.conf' },
  ],
  'inotify.watches': [
    { kind: 'sysctl', key: 'fs.inotify.max_user_watches', value: 524288, file: '90-inotify.conf' },
  ],
  'rlimit.nofile': [{ kind: 'dropin', setting: 'LimitNOFILE', value: '1048576' }],
  'rlimit.nproc': [{ kind: 'dropin', setting: 'LimitNPROC', value: 'infinity' }],
  'cgroup.pids': [
    { kind: 'dropin', setting: 'TasksMax', value: 'infinity' },
    { kind: 'kubelet', set: [{ path: ['podPidsLimit'], value: 4096 }], onlyIfPodPidsBelow: 4096 },
  ],
  'memory.cgroup': [{ kind: 'workload-memory', factor: 1.5 }],
};

/**
 * The kubelet's default hard eviction thresholds (Linux). Setting evictionHard replaces them all
 * (k8s:pkg/kubelet/apis/config/v1beta1/defaults.go applies them only when evictionHard is unset), so
 * adding pid.available to a config without evictionHard must write them too, or memory and disk
 * eviction would silently stop.
 */
export const KUBELET_EVICTION_DEFAULTS: Record<string, string> = {
  'memory.available': '100Mi',
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
  'imagefs.available': '15%',
};

/** The drop-in file name the causes' remediation uses (environment.ts dropIn()). */
export const DROPIN_FILE = 'podmortem-limits.conf';
