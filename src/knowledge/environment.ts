// What is known of the node's environment, for remediation that fits it: distro family and era,
// container runtime, kubelet config location. Everything is optional: without a snapshot the
// remediation is generic and says so.
import type { NodeFacts } from '../evidence/types.js';

export interface Environment {
  /** e.g. "CentOS Linux 7 (Core)". */
  distro?: string;
  /** true for RHEL/CentOS 7 and kin: kernel 3.10, systemd 219 (no 50-pid-max.conf, PAM 20-nproc.conf). */
  el7: boolean;
  runtime?: string;
  kubeletConfig: string;
}

export function environmentOf(node: NodeFacts | undefined): Environment {
  const os = node?.os;
  const kernel = node?.kernelRelease?.value ?? '';
  const el7 =
    (!!os && /^(centos|rhel|ol|rocky|almalinux|scientific)$/.test(os.id ?? '') && (os.versionId ?? '').startsWith('7')) ||
    /\.el7/.test(kernel);
  return {
    ...(os?.prettyName ? { distro: os.prettyName } : {}),
    el7,
    ...(node?.runtime ? { runtime: node.runtime.value } : {}),
    kubeletConfig: node?.kubelet?.source ?? '/var/lib/kubelet/config.yaml',
  };
}

/** Running containers keep the limits they were created with: every fix must say so. */
export const RECREATE_NOTE =
  'Running containers keep the limits they were started with: delete the pods (or roll the DaemonSet/Deployment) after the change so they are recreated.';
