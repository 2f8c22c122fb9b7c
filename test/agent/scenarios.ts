// The crashes the agent tests make on the labs, shared so the fleet end-to-end test
// (test/ui/fleet-e2e.test.ts) crashes exactly what the per-lab agent tests crash.
import type { DockerLab, Pod } from '../lab/harness/index.js';
import type { ContainerdLab, LabPod } from '../lab/containerd/lab.js';

// The crashed instance holds what it opened until its stdin (a FIFO) closes 4 s later, so samples
// taken every 0.5 s see it at its limit; then it exits 1. The twin only sleeps.
export const EMFILE_SCRIPT =
  'busybox mkfifo /tmp/hold; (exec 3>/tmp/hold; sleep 4) & exec /bin/crashlab files </tmp/hold';

/** On the Docker lab: EMFILE under nofile=64 (rlimit.nofile), the restarted twin sleeping with 3 descriptors. */
export function crashEmfile(lab: DockerLab, pod = 'thumbnailer-0', namespace?: string): Promise<Pod> {
  return lab.run({
    ...(namespace ? { namespace } : {}),
    pod,
    container: 'worker',
    options: ['--ulimit', 'nofile=64:64'],
    cmd: ['/bin/sh', '-c', EMFILE_SCRIPT],
    then: ['/bin/sleep', '3600'],
  });
}

/** On the containerd lab: a Go daemon reaching its pod's pids.max of 30 (cgroup.pids, exit 2); waits for the exit. */
export async function crashPids(
  lab: ContainerdLab,
  pod = 'calico-node-ctd',
  namespace = 'kube-system',
): Promise<LabPod> {
  const p = await lab.runPod({ pod, namespace, podPidsMax: 30 });
  const crashed = await lab.runContainer(p, {
    container: 'calico-node',
    command: ['/bin/crashlab', 'threads'],
  });
  await lab.exited(crashed);
  return p;
}
