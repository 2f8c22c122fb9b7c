// The model of `podmortem fix`: a plan is a list of exact changes (whole file contents before and
// after), planned from a report's confirmed and likely causes and what is known of the node and the
// workload. Renderers (diff, files, JSON) and the applier read this model and decide nothing.
import type { NodeFacts, Verdict } from '../evidence/types.js';

export type ChangeKind =
  /** A file under /etc/sysctl.d (or an existing sysctl file) that keeps a sysctl across reboots. */
  | 'sysctl-file'
  /** The running value under /proc/sys: what `sysctl -w` writes. */
  | 'sysctl-live'
  /** A systemd drop-in for a unit ([Service] LimitNOFILE=, TasksMax=, ...). */
  | 'systemd-dropin'
  /** The kubelet's KubeletConfiguration file, edited with everything else kept. */
  | 'kubelet-config'
  /** A kustomize strategic-merge patch for the workload that owns the pod. */
  | 'workload-patch';

/** The cause a change answers, as the report judged it. */
export interface ChangeReason {
  cause: string;
  verdict: Verdict;
  /** namespace/pod/container the cause was found on. */
  subject: string;
}

export interface Change {
  kind: ChangeKind;
  /**
   * A host path (/etc/sysctl.d/90-pid-max.conf, /proc/sys/kernel/pid_max) for node changes; for a
   * workload patch a relative path (kustomize/deployment-shop-checkout.yaml): it is not written on a node.
   */
  path: string;
  /** The current content; null when the file does not exist yet. */
  before: string | null;
  after: string;
  /** One sentence: what the change does and why this value. */
  why: string;
  reasons: ChangeReason[];
  /** The systemd unit that must be restarted for the change to take effect (kubelet, containerd.service). */
  restart?: string;
  /** A systemd unit file or drop-in changed: `systemctl daemon-reload` before the restart. */
  daemonReload?: boolean;
  /** The command that does the same by hand (sysctl -w, kubectl patch). */
  command?: string;
}

export interface Plan {
  changes: Change[];
  /** One sentence per confirmed or likely cause, or part of one, that has no file-shaped fix here. */
  skipped: string[];
  /** The causes the plan answers, one line each ("confirmed kernel.pid_max on kube-system/..."). */
  answers: string[];
  /** Sentences a reader must see before applying (a restart that stops containers, a flag that wins). */
  cautions: string[];
}

/** A file of the node as the planner sees it: its text, absent (null), or unreadable (a sentence). */
export type NodeFile = { text: string } | null | { error: string };

/** What the planner knows of the node the changes are for. */
export interface NodeTarget {
  /** The facts read under the target root; absent when no root was given (a diff of new files only). */
  facts?: NodeFacts;
  /** Reads a host path under the target root; absent when no root was given. */
  read?: (hostPath: string) => NodeFile;
}

export type { ContainerResources, WorkloadSpec } from '../sources/cluster/workload-spec.js';

/** A refusal of `fix` that the user can act on: one sentence, exit status 1. */
export class FixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixError';
  }
}
