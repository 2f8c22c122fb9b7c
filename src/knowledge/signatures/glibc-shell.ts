// Process and thread creation failures reported by C programs and shells through glibc: bash's fork
// retry loop, dash/busybox/perl "can't fork", perror-style pthread_create, nginx's alerts and
// PostgreSQL's postmaster. fork() has no stack to map, so its EAGAIN is a task-count limit; glibc
// pthread_create maps the stack first and reports a failed mmap as EAGAIN too.
import { errnoFields, errnoFromGroups, errnoFromMessage, errnoPattern } from '../errno.js';
import type { Fields, SignatureDef } from '../types.js';
import { processCreationRaises, threadCreationRaises, unknownThreadCreationRaises } from './raises.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
/** strerror texts that thread/process creation returns, found anywhere in the line. */
const CREATION_ERRNO_TEXT =
  /(Resource temporarily unavailable|Cannot allocate memory|Operation not permitted)/i;

function errnoIn(text: string): Fields {
  const m = CREATION_ERRNO_TEXT.exec(text);
  return m ? errnoFields(errnoFromMessage(m[1]!)) : {};
}

const forkRetry: SignatureDef = {
  id: 'shell.fork-retry',
  family: 'shell',
  title: 'bash could not fork and is retrying (fork: retry)',
  keywords: ['fork: retry: '],
  pattern: /fork: retry: ([A-Za-z ]{3,40})/,
  fields: (m) => errnoFields(errnoFromMessage(m[1]!)),
  raises: (f) => processCreationRaises(num(f.errno)),
  docs: {
    what: 'bash (make_child) retries a failed fork with a growing delay and prints "fork: retry: <strerror>" each time; after the last retry it prints "fork: <strerror>". "Resource temporarily unavailable" is EAGAIN: a task-count limit.',
    confirm: [
      'Count the tasks of the container (pids.current of its cgroup and its pod\'s) and of the real UID node-wide, and compare with pids.max and "Max processes" in /proc/<pid>/limits.',
    ],
    fix: [
      'See the cause pages; a PID 1 that never reaps children (zombies) fills every task limit: add an init such as tini.',
    ],
    sources: [
      'bminor/bash:jobs.c (make_child)',
      'https://github.com/podman-container-tools/podman/issues/17647',
      'shared/knowledge/limits.md §3.2',
    ],
  },
  cases: [
    {
      source: 'https://github.com/podman-container-tools/podman/issues/17647',
      log: ['bash: fork: retry: Resource temporarily unavailable'],
      fields: { errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/mikeizbicki/cmc-csci143/issues/283',
      log: ['-bash: fork: retry: Resource temporarily unavailable'],
      fields: { errno: 11 },
    },
  ],
  nonMatching: ['bash: fork: Resource temporarily unavailable'],
};

const forkFailed: SignatureDef = {
  id: 'shell.fork-failed',
  family: 'shell',
  title:
    'A shell or program could not fork (fork: Resource temporarily unavailable / Cannot allocate memory)',
  keywords: ['fork: Resource temporarily unavailable', 'fork: Cannot allocate memory'],
  // Not after "can't fork" / "Cannot fork": shell.cant-fork has those lines.
  pattern: /(?<!'t |Cannot )\bfork: (Resource temporarily unavailable|Cannot allocate memory)/,
  fields: (m) => errnoFields(errnoFromMessage(m[1]!)),
  raises: (f) => processCreationRaises(num(f.errno)),
  docs: {
    what: 'fork() failed and the program gave up: EAGAIN ("Resource temporarily unavailable") for task-count limits, ENOMEM ("Cannot allocate memory") when the copied address space or the kernel memory of the new task could not be committed, or in a pid namespace whose init has exited.',
    confirm: [
      'EAGAIN: task counts against pids.max, RLIMIT_NPROC, pid_max, threads-max.',
      'ENOMEM: memory.current against memory.max, CommitLimit in /proc/meminfo, vm.overcommit_memory.',
    ],
    fix: ['See the cause pages.'],
    sources: [
      'https://man7.org/linux/man-pages/man2/fork.2.html',
      'https://github.com/JuliaLang/julia/issues/38550',
      'https://github.com/opencontainers/runc/issues/831',
    ],
  },
  cases: [
    {
      source: 'https://github.com/opencontainers/runc/issues/831',
      log: ['bash: fork: Resource temporarily unavailable'],
      fields: { errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/dapphub/seth/issues/13',
      log: ['/usr/local/libexec/seth/seth-lookup: fork: Resource temporarily unavailable'],
      fields: { errno: 11 },
    },
    {
      source: 'https://man7.org/linux/man-pages/man2/fork.2.html (ENOMEM; bash wording)',
      log: ['bash: fork: Cannot allocate memory'],
      fields: { errno: 12, errnoName: 'ENOMEM' },
    },
  ],
  nonMatching: [
    'bash: fork: retry: Resource temporarily unavailable',
    "Can't fork: Resource temporarily unavailable",
  ],
};

const cantFork: SignatureDef = {
  id: 'shell.cant-fork',
  family: 'shell',
  title: "A shell or interpreter could not fork (can't fork / Cannot fork)",
  keywords: ["n't fork", 'Cannot fork'],
  // dash "/bin/sh: 1: Cannot fork", perl "Can't fork: ...", Tcl "couldn't fork child process: ...", Passenger "Cannot fork() a new process: ...".
  pattern: /(?:[Cc]an|[Cc]ouldn)'t fork|Cannot fork/,
  fields: (m) => errnoIn(m.input),
  raises: (f) => processCreationRaises(num(f.errno)),
  docs: {
    what: 'dash, busybox ash, perl, Tcl and others print their own wording when fork() fails; dash prints no errno at all. Without an errno the task-count limits (EAGAIN) are the usual reason.',
    confirm: [
      'Look for a bash "fork: retry:" line or an errno text nearby; count tasks against pids.max and RLIMIT_NPROC.',
    ],
    fix: ['See the cause pages.'],
    sources: [
      'https://git.kernel.org/pub/scm/utils/dash/dash.git/tree/src/jobs.c (forkshell: "Cannot fork")',
      'https://github.com/Ravinou/borgwarehouse/issues/98',
      'https://github.com/alekseyzimin/masurca/issues/307',
    ],
  },
  cases: [
    { source: 'https://github.com/Ravinou/borgwarehouse/issues/98', log: ['/bin/sh: 1: Cannot fork'] },
    {
      source: 'https://github.com/alekseyzimin/masurca/issues/307',
      log: ["Can't fork: Resource temporarily unavailable"],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/envmodules/modules/issues/546',
      log: ["ERROR: couldn't fork child process: resource temporarily unavailable"],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/phusion/passenger/issues/2354',
      log: [
        '[ E 2021-04-15 11:30:49.2014 5197/To age/Cor/App/Implementation.cpp:221 ]: Could not spawn process for application /var/www/vhosts/...: Cannot fork() a new process: Resource temporarily unavailable (errno=11)',
      ],
      fields: { errno: 11 },
    },
  ],
  nonMatching: ['forked worker 12 started'],
};

/**
 * SIGKILL as the shell that waited for the process reports it: "Killed" on a line of its own (an
 * interactive shell's job message, after a timestamp or compose prefix) or bash's non-interactive
 * "script: line 1:  7 Killed   cmd". In a container the usual sender is the OOM killer, so the
 * memory causes stay open at a low weight, like exit code 137; the kernel lines decide.
 */
const killed: SignatureDef = {
  id: 'shell.killed',
  family: 'shell',
  title: 'Killed (SIGKILL, as the shell reports it)',
  keywords: ['Killed'],
  pattern:
    /^(?:\S{1,80}\s{1,10}\|\s)?(?:\d{4}-\d\d-\d\dT\S{1,40}\s)?Killed\s*$|\bline \d{1,9}:\s{1,20}\d{1,10} Killed\b|: \d{1,10} Killed {2,}/,
  raises: () => [
    {
      cause: 'memory.cgroup',
      weight: 0.2,
      why: "The shell saw its child die of SIGKILL (exit 137); the OOM killer of the container's memory cgroup is the most common sender, but a liveness probe, the grace period or a manual kill also end in SIGKILL: the kernel lines decide.",
    },
    {
      cause: 'memory.node',
      weight: 0.15,
      why: 'A node-wide OOM kill ends the same way: SIGKILL and nothing printed by the victim.',
    },
  ],
  subject: () => ({ exitCode: 137 }),
  docs: {
    what: 'The process died of SIGKILL (exit status 137), which it cannot catch, so it printed nothing; the shell that waited for it printed "Killed". The OOM killer is the usual sender in a container; kubelet (liveness probe, grace period) and docker kill/stop send it too.',
    confirm: [
      "dmesg -T | grep -E 'invoked oom-killer|Killed process'; the container's OOMKilled reason; memory.events oom_kill.",
    ],
    fix: ['See memory.cgroup and memory.node.'],
    sources: [
      'bminor/bash:jobs.c (pretty_print_job, the signal name from strsignal)',
      'https://github.com/codalab/codalab-worksheets/issues/887',
    ],
  },
  cases: [
    {
      source:
        'https://github.com/codalab/codalab-worksheets/issues/887 (a bundle killed at its Docker memory limit)',
      log: [
        'bash: line 1: 7 Killed ( python mnist_with_summaries.py --max_steps=200000 ) > stdout 2> stderr',
      ],
    },
    {
      source:
        'bminor/bash:jobs.c (an interactive shell reports a killed foreground job on a line of its own)',
      log: ['Killed'],
    },
    {
      source:
        'podmortem lab: python3 allocating 100 MiB in a v1 memory cgroup limited to 32 MiB (kernel 6.18), run from bash',
      log: ['bash: 17044 Killed                  sh -c "exec python3 -c \'b=bytearray(100*1024*1024)\'"'],
    },
  ],
  nonMatching: [
    '[ 7063.247407] Memory cgroup out of memory: Killed process 63214 (uwsgi) total-vm:3149468kB',
    'Killed 3 idle connections',
    'level=info msg="Killed container abc"',
  ],
};

/**
 * Ruby raises SystemCallError as "<strerror> - <call>": "Cannot allocate memory - fork(2)
 * (Errno::ENOMEM)", "Resource temporarily unavailable - fork(2) (Errno::EAGAIN)". fork copies the
 * parent's address space, so ENOMEM is the commit accounting refusing a large Ruby (Rails, Puma,
 * Resque) again: more RAM or swap, or vm.overcommit_memory, fixes it.
 */
const rubyFork: SignatureDef = {
  id: 'ruby.fork-failed',
  family: 'ruby',
  title: 'Ruby could not fork (Errno::ENOMEM / Errno::EAGAIN: <strerror> - fork(2))',
  keywords: [' - fork'],
  pattern: /(Cannot allocate memory|Resource temporarily unavailable) - fork\b/,
  fields: (m) => errnoFields(errnoFromMessage(m[1]!)),
  raises: (f) => processCreationRaises(num(f.errno)),
  docs: {
    what: "Kernel#fork (Resque workers, Puma and Unicorn masters, Spring, Capistrano, backticks) failed: ENOMEM when the kernel would not commit a copy of the parent's memory (vm.overcommit_memory 2, or the heuristic refusing a large parent), EAGAIN for task-count limits.",
    confirm: [
      'ENOMEM: grep -E "CommitLimit|Committed_AS" /proc/meminfo; sysctl vm.overcommit_memory; swap; the parent\'s size (ps -o rss,vsz -p <pid>).',
      'EAGAIN: task counts against pids.max and RLIMIT_NPROC.',
    ],
    fix: ['Add RAM or swap, or set vm.overcommit_memory=1 on the node; fork from a small process.'],
    sources: [
      'ruby/ruby:process.c (rb_fork_ruby, rb_sys_fail "fork(2)")',
      'https://github.com/gitlabhq/gitlabhq/issues/9542',
      'https://github.com/rails/rails-dev-box/pull/108',
    ],
  },
  cases: [
    {
      source: 'https://github.com/gitlabhq/gitlabhq/issues/9542 ("your machine needs more RAM")',
      log: ['[2015-08-09T01:24:31+08:00] FATAL: Errno::ENOMEM: Cannot allocate memory - fork(2)'],
      fields: { errno: 12, errnoName: 'ENOMEM' },
    },
    {
      source: 'https://github.com/rails/spring/issues/252',
      log: [
        "/usr/local/rbenv/versions/2.1.0/lib/ruby/gems/2.1.0/gems/spring-1.1.0/lib/spring/application.rb:146:in `fork': Cannot allocate memory - fork(2) (Errno::ENOMEM)",
      ],
      fields: { errno: 12 },
    },
  ],
  nonMatching: ['Errno::ENOMEM: Cannot allocate memory'],
};

/**
 * pthread_create named, then the errno in any form within a few words: "pthread_create: <strerror>",
 * "pthread_create(): <strerror>", "pthread_create failed with error 11", "return code from
 * pthread_create() is 11", "pthread_create failed (EAGAIN)"; or glog's CHECK, which prints the
 * errno first: "Check failed: res == 0 (11 vs. 0) pthread_create failed". The lines other
 * signatures own are left to them: cgo's, HotSpot's "- pthread_create failed (EAGAIN) for
 * attributes", Perl's "Thread creation failed: pthread_create returned N".
 */
const PTHREAD_CREATE = new RegExp(
  String.raw`(?<!runtime\/cgo: |- |Thread creation failed: )pthread_create\b(?!\(\) failed \(\d)[^\n]{0,40}?${errnoPattern()}|\((?<numCheck>\d{1,3}) vs\. 0\) pthread_create failed`,
);

const pthreadCreate: SignatureDef = {
  id: 'glibc.pthread-create',
  family: 'glibc',
  title: 'pthread_create failed (any wording, errno as a number, a name or a strerror text)',
  keywords: ['pthread_create'],
  pattern: PTHREAD_CREATE,
  fields: (m) => errnoFields(errnoFromGroups(m.groups)),
  raises: (f) =>
    typeof f.errno === 'number'
      ? threadCreationRaises(f.errno, undefined, true)
      : unknownThreadCreationRaises(),
  docs: {
    what: 'A C/C++ program reported a failed pthread_create with its errno, in its own words. EAGAIN: a task-count limit, or a thread stack glibc could not map. EPERM: a seccomp profile that answers clone3 with EPERM (glibc >= 2.34 with an old Docker/containerd). ENOMEM: memory for the new task. Any other errno (EINVAL for a bad attribute) is no resource limit. musl prints "No error information" for a code it has no text for: the errno is then unknown and the usual suspects stay open.',
    confirm: [
      "Count the process's threads (ls /proc/<pid>/task | wc -l) and compare with the shared limits; for EPERM check the image's glibc and the node's runtime version.",
    ],
    fix: ['See the cause pages.'],
    sources: [
      'bminor/glibc:nptl/pthread_create.c',
      'bminor/musl:src/errno/__strerror.h ("No error information")',
      'https://github.com/docker/for-linux/issues/654',
    ],
  },
  cases: [
    {
      source: 'https://github.com/docker/for-linux/issues/654',
      log: ['pthread_create: Resource temporarily unavailable'],
      fields: { errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'zodern/meteor-docker:readme.md (Debian 13 image on Docker < 20.10.10)',
      log: ['node[122]: pthread_create: Operation not permitted'],
      fields: { errno: 1, errnoName: 'EPERM' },
    },
    {
      source: 'https://github.com/travis-ci/travis-ci/issues/2215',
      log: [
        'ERROR; return code from pthread_create() is 11',
        '    Error detail: Resource temporarily unavailable',
      ],
      fields: { errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/ceph-dovecot/dovecot-ceph-plugin/issues/139 (librados in dovecot lmtp)',
      log: [
        'May  8 22:39:52 ceph-all-in-one dovecot: lmtp: Error: Thread::try_create(): pthread_create failed with error 11/home/jenkins-build/build/wo',
      ],
      fields: { errno: 11 },
    },
    {
      source:
        'https://github.com/DanBigioi/DiffusionVideoEditing/issues/4 (glog CHECK prints the errno first)',
      log: [
        'F20230801 21:50:32.905575  4768 threadpool_pthread_impl.cc:51] Check failed: res == 0 (11 vs. 0) pthread_create failed',
      ],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/containers/toolbox/issues/602',
      log: ['pthread_create failed: Resource temporarily unavailable'],
      fields: { errno: 11 },
    },
  ],
  nonMatching: [
    'runtime/cgo: pthread_create failed: Resource temporarily unavailable',
    '[5.196s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 24576k, guardsize: 0k, detached.',
    'Thread creation failed: pthread_create returned 11',
    'pthread_create wrapper installed for thread 3',
    // nginx's own format is nginx.create-failed's.
    '2024/09/25 18:07:53 [alert] 10258#10258: pthread_create() failed (11: Resource temporarily unavailable)',
  ],
};

const nginxAlert: SignatureDef = {
  id: 'nginx.create-failed',
  family: 'nginx',
  title: 'nginx could not create a thread or worker process',
  keywords: ['pthread_create() failed (', 'fork() failed while spawning'],
  // 2024/09/25 18:07:53 [alert] 10258#10258: pthread_create() failed (11: Resource temporarily unavailable)
  // [alert] ...: fork() failed while spawning "worker process" (11: Resource temporarily unavailable)
  pattern: /(pthread_create|fork)\(\) failed (?:while spawning "[^"]{0,64}" )?\((\d{1,4}): [A-Za-z ]{3,40}\)/,
  fields: (m) => ({ call: m[1]!, ...errnoFields(Number(m[2])) }),
  raises: (f) =>
    f.call === 'fork'
      ? processCreationRaises(num(f.errno))
      : threadCreationRaises(num(f.errno), undefined, true),
  docs: {
    what: 'nginx logs "[alert] ... pthread_create() failed (errno: strerror)" when a thread pool or a module (lua, njs) cannot start a thread, and "fork() failed while spawning" when the master cannot start a worker. Workers that fail this way exit with fatal code 2 and are not respawned.',
    confirm: [
      'Count the tasks of the pod (pids.current) against pids.max and the kubelet podPidsLimit; worker_processes auto starts one worker per CPU of the node, not of the container.',
    ],
    fix: ["Raise the pids limit, or set worker_processes to the container's CPU count."],
    sources: [
      'nginx/nginx:src/os/unix/ngx_process.c (ngx_spawn_process)',
      'nginx/nginx:src/core/ngx_thread_pool.c',
      'https://github.com/Azure/aks-engine/issues/1270',
    ],
  },
  cases: [
    {
      source: 'https://github.com/Azure/aks-engine/issues/1270',
      log: ['pthread_create() failed (11: Resource temporarily unavailable)'],
      fields: { call: 'pthread_create', errno: 11 },
    },
    {
      source: 'https://github.com/ZoeyVid/NPMplus/issues/1113',
      log: [
        '2024/09/25 18:07:53 [alert] 10258#10258: pthread_create() failed (11: Resource temporarily unavailable)',
      ],
      fields: { call: 'pthread_create', errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source:
        'nginx/nginx:src/os/unix/ngx_process.c (ngx_spawn_process), line as quoted in an nginx module FAQ found with find_string',
      log: ['fork() failed while spawning "worker process" (12: Cannot allocate memory)'],
      fields: { call: 'fork', errno: 12, errnoName: 'ENOMEM' },
    },
  ],
  nonMatching: [
    '[alert] 420#0: ioctl(FIONBIO) failed while spawning "worker process" (22: Invalid argument)',
    'connect() to unix:/var/sock/nginx-rtmp.0 failed (11: Resource temporarily unavailable)',
  ],
};

const postgresFork: SignatureDef = {
  id: 'postgres.fork-failed',
  family: 'postgres',
  title: 'PostgreSQL could not fork a backend or worker process',
  keywords: ['could not fork '],
  // "LOG:  could not fork new process for connection: Resource temporarily unavailable", "could not fork autovacuum worker process: Cannot allocate memory"
  pattern: /could not fork ([a-zA-Z ]{1,60}?): ([A-Za-z ]{3,40})/,
  fields: (m) => ({ what: m[1]!, ...errnoFields(errnoFromMessage(m[2]!)) }),
  raises: (f) =>
    f.errno === 11 || f.errno === 12 || f.errno === 1 ? processCreationRaises(num(f.errno)) : [],
  docs: {
    what: 'The postmaster forks one process per connection and per background worker. When fork fails the connection is refused ("could not fork new process for connection") or the worker is not started; the database keeps running.',
    confirm: [
      'Each connection is a task: compare max_connections plus background workers with pids.max of the pod (a pids_limit of 100 caps a database at about 90 connections).',
      "ENOMEM: shared_buffers and work_mem against the container memory limit and the node's commit limit.",
    ],
    fix: [
      'Raise the pids limit above max_connections + workers, or lower max_connections / use a pooler (pgbouncer).',
    ],
    sources: [
      'postgres/postgres:src/backend/postmaster/postmaster.c (BackendStartup)',
      'https://github.com/mattermost/docker/issues/181',
      'https://github.com/sameersbn/docker-gitlab/issues/2278',
    ],
  },
  cases: [
    {
      source: 'https://github.com/sameersbn/docker-gitlab/issues/2278',
      log: [
        'postgresql_1  | 2020-12-29 13:53:51.544 UTC [1] LOG:  could not fork new process for connection: Resource temporarily unavailable',
      ],
      fields: { what: 'new process for connection', errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/docker-library/postgres/issues/508',
      log: ['could not fork autovacuum worker process: Cannot allocate memory'],
      fields: { what: 'autovacuum worker process', errno: 12 },
    },
  ],
};

export const signatures: SignatureDef[] = [
  forkRetry,
  forkFailed,
  cantFork,
  pthreadCreate,
  nginxAlert,
  postgresFork,
  killed,
  rubyFork,
];
