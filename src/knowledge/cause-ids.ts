// The cause ids of the contract (shared/CONTRACT.md, "Cause ids"): scripts depend on them, so they
// are listed once here and the tests check the registry and every signature's raises against it.
export const CONTRACT_CAUSE_IDS = [
  'rlimit.nproc',
  'cgroup.pids',
  'kernel.pid_max',
  'kernel.threads-max',
  'vm.max_map_count',
  'memory.cgroup',
  'memory.node',
  'runtime.heap',
  'runtime.max-threads',
  'rlimit.nofile',
  'fs.file-max',
  'inotify.instances',
  'inotify.watches',
  'seccomp.clone3',
  'pidns.init-exited',
] as const;

export type ContractCauseId = (typeof CONTRACT_CAUSE_IDS)[number];
