// What a container runtime recorded about the Kubernetes containers of a node, whatever runtime it
// is (Docker Engine API, CRI over gRPC): the same shape feeds the node pipeline, so exit codes,
// OOMKilled, restart counts, users, rlimits and cgroups reach the diagnosis the same way.

export interface KubeName {
  container: string;
  pod: string;
  namespace: string;
  podUid: string;
  attempt: number;
}

/** One Kubernetes container as the runtime knows it. */
export interface RuntimeContainer {
  id: string;
  name: string;
  kube: KubeName;
  running: boolean;
  restarting: boolean;
  pid?: number;
  exitCode: number;
  oomKilled: boolean;
  /** The runtime's reason for the last exit, as CRI records it ("OOMKilled", "Error", "Completed"). */
  reason?: string;
  /** The runtime's message for the last exit, when it gave one. */
  message?: string;
  restartCount: number;
  finishedAt?: string;
  user?: string;
  privileged: boolean;
  /** null = unlimited or unset (Docker stores 0 or -1 for that). */
  pidsLimit: number | null;
  memoryLimit: number | null;
  ulimits: { name: string; soft: number; hard: number }[];
  logPath?: string;
  cgroupParent?: string;
  usernsMode?: string;
  capAdd: string[];
  /**
   * The container's cgroup as the runtime spec names it (linux.cgroupsPath: "/kubepods/burstable/pod<uid>/<id>"
   * for cgroupfs, "kubepods-burstable-pod<uid>.slice:cri-containerd:<id>" for systemd), when the runtime says.
   */
  cgroupsPath?: string;
  /** The image it runs, as the runtime names it (a sign of its language runtime). */
  image?: string;
  /** Its runtime-tuning variables (JAVA_TOOL_OPTIONS, GOMEMLIMIT, ...), reduced by runtimeEnvEntry: never any other variable. */
  runtimeEnv?: string[];
  /** Which runtime recorded it. */
  runtime: 'docker' | 'containerd' | 'cri-o' | 'cri';
  /** Where this was read, for evidence: "docker inspect <name>", "crictl inspect <id>". */
  source: string;
}

/** What one runtime endpoint answered. */
export interface RuntimeRead {
  runtime: RuntimeContainer['runtime'];
  /** The endpoint as the user would name it (unix:///run/containerd/containerd.sock, /var/run/docker.sock). */
  endpoint: string;
  containers: RuntimeContainer[];
  version?: string;
  /** One sentence per problem (socket missing, refused, not that runtime, bad answer). */
  problems: string[];
}
