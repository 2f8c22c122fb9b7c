// What is known of the node's environment, for remediation that fits it: distro family and era,
// container runtime and its systemd unit, kubelet config location. Everything is optional: without
// a snapshot the remediation is generic and says so.
import type { NodeFacts } from '../evidence/types.js';
import { CONTAINER_RUNTIMES, containerRuntimeOf } from './causes/shared/fixes-by-runtime.js';

export interface Environment {
  /** e.g. "CentOS Linux 7 (Core)". */
  distro?: string;
  /** true for RHEL/CentOS 7 and kin: kernel 3.10, systemd 219 (no 50-pid-max.conf, PAM 20-nproc.conf). */
  el7: boolean;
  runtime?: string;
  kubeletConfig: string;
  /**
   * The systemd units whose limits containers inherit: the runtime's own (containerd.service,
   * docker.service, crio.service), or both common ones when the runtime is unknown.
   */
  runtimeUnits: string[];
  /** Kernel release as read, e.g. "3.10.0-1160.59.1.el7.x86_64". */
  kernel?: string;
}

export function environmentOf(node: NodeFacts | undefined): Environment {
  const os = node?.os;
  const kernel = node?.kernelRelease?.value ?? '';
  const el7 =
    (!!os &&
      /^(centos|rhel|ol|rocky|almalinux|scientific)$/.test(os.id ?? '') &&
      (os.versionId ?? '').startsWith('7')) ||
    /\.el7/.test(kernel);
  const runtime = node?.runtime?.value;
  return {
    ...(os?.prettyName ? { distro: os.prettyName } : {}),
    el7,
    ...(runtime ? { runtime } : {}),
    kubeletConfig: node?.kubelet?.source ?? '/var/lib/kubelet/config.yaml',
    runtimeUnits: runtimeUnits(runtime),
    ...(kernel ? { kernel } : {}),
  };
}

function runtimeUnits(runtime: string | undefined): string[] {
  // Docker starts containers through containerd (a separate unit since Docker 18.09, built in before):
  // the shims inherit containerd's limits unless dockerd writes --default-ulimit into the spec.
  const known = containerRuntimeOf(runtime);
  return known ? CONTAINER_RUNTIMES[known].units : ['containerd.service', 'docker.service'];
}

/** Kernel release as [major, minor], when it parses. */
export function kernelVersion(env: Environment): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(env.kernel ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Commands that give a systemd unit a [Service] setting through a drop-in, then restart it. */
export function dropIn(unit: string, setting: string, file = 'podmortem-limits.conf'): string[] {
  const dir = `/etc/systemd/system/${unit}.d`;
  return [
    `mkdir -p ${dir}`,
    `printf '[Service]\\n${setting}\\n' > ${dir}/${file}`,
    'systemctl daemon-reload',
    `systemctl restart ${unit}`,
  ];
}

/** A sysctl set now and persisted under /etc/sysctl.d (works on CentOS 7 and current distros alike). */
export function sysctlCommands(key: string, value: string | number, file: string): string[] {
  return [`sysctl -w ${key}=${value}`, `echo '${key} = ${value}' > /etc/sysctl.d/${file}`];
}

/**
 * A sysctl is read by the kernel at every check: the change reaches running containers at once, so the
 * recreate note would be wrong there. (kernel.pid_max is per pid namespace from 6.14, copied when the
 * namespace is created, which is said where it matters.)
 */
export const SYSCTL_NOTE =
  'A sysctl applies to the whole node at once: running containers see the new value without being recreated; the /etc/sysctl.d/ file keeps it across reboots.';

/** Running containers keep the limits they were created with: every fix must say so. */
export const RECREATE_NOTE =
  'Running containers keep the limits they were started with: delete the pods (or roll the DaemonSet/Deployment) after the change so they are recreated.';
