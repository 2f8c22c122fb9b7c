// Real memory crash lines shared by the memory causes' cases, each with where it was published.

export const OOMKILLED = '      Reason:       OOMKilled';
export const OOMKILLED_SOURCE = 'https://github.com/stafftastic/jitsu-chart/issues/76';
/** An event message of a memcg OOM kill. */
export const MEMCG =
  'Memory cgroup out of memory: Killed process 3504804 (kubectl) total-vm:753508kB, anon-rss:58776kB, file-rss:29400kB, shmem-rss:0kB, UID:0 pgtables:288kB oom_score_adj:999';
export const MEMCG_SOURCE = 'https://github.com/kubernetes/node-problem-detector/issues/766';
/** A node-wide OOM kill of a container's java. */
export const GLOBAL =
  'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=aegis,mems_allowed=0,global_oom,task_memcg=/system.slice/docker-00748bf4e957f82c239a1db8a88579059b7d40c7b5fbd3f43617d31d3f646f12.scope,task=java,pid=7134,uid=1000';
export const GLOBAL_SOURCE = 'https://github.com/dyrnq/install-docker/issues/14';
export const HEAP = 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space';
export const HEAP_SOURCE =
  'https://docs.oracle.com/javase/8/docs/technotes/guides/troubleshoot/memleaks002.html';
export const ERRNO12 = 'runtime: failed to create new OS thread (have 64 already; errno=12)';
export const ERRNO12_SOURCE = 'https://github.com/argoproj/argo-cd/issues/4692';
export const GO_OOM = 'fatal error: runtime: out of memory';
export const GO_OOM_SOURCE = 'https://github.com/kubernetes-retired/heapster/issues/355';
/** docker inspect of a container SIGKILLed by something other than its memory cgroup. */
export const INSPECT_NOT_OOM = ['        "OOMKilled": false,', '        "ExitCode": 137,'];
export const INSPECT_NOT_OOM_SOURCE = 'https://github.com/kubernetes/kubernetes/issues/19825';
/** Redis cannot fork its BGSAVE child: the commit accounting refused the copy of a large parent. */
export const REDIS_FORK =
  "1255:M 14 Oct 03:00:46.069 # Can't save in background: fork: Cannot allocate memory";
export const REDIS_FORK_SOURCE = 'https://github.com/pulibrary/bibdata/issues/500';
/** cgo thread creation through glibc: EAGAIN, which a failed stack mmap also becomes. */
export const CGO_EAGAIN = 'runtime/cgo: pthread_create failed: Resource temporarily unavailable';
export const CGO_EAGAIN_SOURCE = 'https://github.com/golang/go/issues/37006';
/** HotSpot refused 24 MiB thread stacks (-Xss24m) on a cluster job: more memory for the job fixed it. */
export const JVM_BIG_STACK = [
  '[5.196s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 24576k, guardsize: 0k, detached.',
  '[5.196s][warning][os,thread] Failed to start the native thread for java.lang.Thread "Thread-16"',
];
export const JVM_BIG_STACK_SOURCE = 'https://github.com/ctlab/metacherchant/issues/16';
/** HotSpot's hs_err banner above a GC thread that clone3 under an old seccomp profile refused (EPERM). */
export const JVM_GC_EPERM = [
  '[0.002s][warning][os,thread] Failed to start thread "GC Thread#0" - pthread_create failed (EPERM) for attributes: stacksize: 1024k, guardsize: 4k, detached.',
  '#',
  '# There is insufficient memory for the Java Runtime Environment to continue.',
  '# Cannot create worker GC thread. Out of system resources.',
];
export const JVM_GC_EPERM_SOURCE = 'https://github.com/bitnami/containers/issues/63496';
/** HotSpot could not commit reserved memory: mmap refused it. */
export const JVM_MMAP_FAILED = [
  'There is insufficient memory for the Java Runtime Environment to continue.',
  'Native memory allocation (mmap) failed to map 12288 bytes for committing reserved memory.',
];
export const JVM_MMAP_FAILED_SOURCE = 'https://github.com/chaosblade-io/chaosblade-box/issues/102';
