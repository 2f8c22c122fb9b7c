// Node.js / libuv crashes: child_process spawn errors (libuv reports the errno name), the platform
// worker thread assertion on uv_thread_create (no errno shown), and V8 heap exhaustion.
import { errnoFields, errnoFromName } from '../errno.js';
import type { Fields, Raise, SignatureDef } from '../types.js';
import {
  emfileRaises,
  enfileRaises,
  processCreationRaises,
  threadCreationRaises,
  unknownThreadCreationRaises,
} from './raises.js';

const spawnError: SignatureDef = {
  id: 'node.spawn-error',
  family: 'node',
  title: 'Node.js could not spawn a child process (Error: spawn ... EAGAIN)',
  keywords: ['Error: spawn'],
  // "Error: spawn /bin/sh EAGAIN", "Error: spawnSync /bin/sh ENOMEM", "Error: spawn EMFILE"
  pattern: /Error: spawn(?:Sync)?(?: (\S{1,300}))? (EAGAIN|ENOMEM|EMFILE|ENFILE)\b/,
  fields: (m) => ({ ...(m[1] !== undefined ? { command: m[1] } : {}), ...errnoFields(errnoFromName(m[2]!)) }),
  raises: (f): Raise[] => {
    if (f.errnoName === 'EMFILE') return emfileRaises(true);
    if (f.errnoName === 'ENFILE') return enfileRaises();
    return processCreationRaises(typeof f.errno === 'number' ? f.errno : undefined);
  },
  docs: {
    what: "child_process.spawn/exec failed inside libuv (uv_spawn): EAGAIN from fork is a task-count limit, ENOMEM a memory limit, EMFILE the process ran out of descriptors for the child's pipes.",
    confirm: [
      'EAGAIN: count tasks against pids.max and RLIMIT_NPROC. EMFILE: ls /proc/<pid>/fd | wc -l against "Max open files".',
    ],
    fix: ['See the cause pages.'],
    sources: [
      'libuv/libuv:src/unix/process.c (uv_spawn)',
      'https://github.com/balena-io-modules/drivelist/pull/195',
      'shared/knowledge/limits.md §3.2',
    ],
  },
  cases: [
    {
      source: 'https://github.com/balena-io-modules/drivelist/pull/195',
      log: ['Error: spawn /bin/sh EAGAIN'],
      fields: { command: '/bin/sh', errno: 11, errnoName: 'EAGAIN' },
    },
  ],
  nonMatching: ['Error: spawn docker ENOENT'],
};

const uvThreadCreate: SignatureDef = {
  id: 'node.uv-thread-create',
  family: 'node',
  title: 'Node.js aborted: uv_thread_create failed (platform worker threads)',
  keywords: ['uv_thread_create'],
  // "Assertion `(0) == (uv_thread_create(t.get(), start_thread, this))' failed." and, Node >= 20, "Assertion failed: (0) == (uv_thread_create(...))";
  // CHECK_EQ(uv_thread_create_ex(...), 0) in node_worker.cc prints the call first: "Assertion `(uv_thread_create_ex(&w->tid_, ...)) == (0)' failed."
  pattern: /\(0\) == \(uv_thread_create(?:_ex)?\(|Assertion (?:`|failed: )\(uv_thread_create(?:_ex)?\(/,
  raises: () => unknownThreadCreationRaises(),
  subject: () => ({ exitCode: 134 }),
  docs: {
    what: 'At start-up Node creates its platform worker threads; when uv_thread_create (pthread_create) fails it aborts with this assertion, SIGABRT, exit status 134. The errno is not shown: most reports come from Node images on glibc >= 2.34 (Debian 12, Ubuntu 22.04) run by Docker < 20.10.10, whose seccomp profile answers clone3 with EPERM; the others from pids or nproc limits.',
    confirm: [
      "Check the node's Docker/containerd version and the image's glibc (ldd --version); if both fit, docker run --security-opt seccomp=unconfined makes the abort go away.",
      'Otherwise count tasks against pids.max and RLIMIT_NPROC.',
    ],
    fix: [
      'Upgrade Docker (>= 20.10.10) or containerd (>= 1.4.10/1.5.6), or raise the limit that was reached.',
    ],
    sources: [
      'nodejs/node:src/node_platform.cc (WorkerThreadsTaskRunner)',
      'https://github.com/nodejs/docker-node/issues/1956',
      'https://github.com/nodejs/help/issues/1754',
      'https://github.com/nodejs/node/issues/53919',
    ],
  },
  cases: [
    {
      source: 'https://github.com/nodejs/docker-node/issues/1956',
      log: [
        "node[18]: ../src/node_platform.cc:68:std::unique_ptr<long unsigned int> node::WorkerThreadsTaskRunner::DelayedTaskScheduler::Start(): Assertion `(0) == (uv_thread_create(t.get(), start_thread, this))' failed.",
      ],
    },
    {
      source: 'https://github.com/nodejs/node/issues/53919',
      log: ['Assertion failed: (0) == (uv_thread_create(t.get(), start_thread, this))'],
    },
    {
      source: 'https://github.com/nodejs/node/issues/32319 (4K worker threads)',
      log: [
        "../node[18430]: ../src/node_worker.cc:647:static void node::worker::Worker::StartThread(const v8::FunctionCallbackInfo<v8::Value>&): Assertion `(uv_thread_create_ex(&w->tid_, &thread_options, [](void* arg) { Worker* w = static_cast<Worker*>(arg); const uintptr_t stack_top = reinterpret_cast<uintptr_t>(&arg); w->stack_base_ = stack_top - (kStackSize - kStackBufferSize); w->Run(); Mutex::ScopedLock lock(w->mutex_); w->env()->SetImmediateThreadsafe( [w = std::unique_ptr<Worker>(w)](Environment* env) { if (w->has_ref_) env->add_refs(-1); w->JoinThread(); }); }, static_cast<void*>(w))) == (0)' failed.",
      ],
    },
  ],
};

const workerInitFailed: SignatureDef = {
  id: 'node.worker-init-failed',
  family: 'node',
  title: 'Node.js could not start a worker thread (ERR_WORKER_INIT_FAILED)',
  keywords: ['ERR_WORKER_INIT_FAILED'],
  // Older Node: "Error [ERR_WORKER_INIT_FAILED]: EAGAIN"; Node 20: "Error: EAGAIN" then "code: 'ERR_WORKER_INIT_FAILED'" lines later.
  pattern: /ERR_WORKER_INIT_FAILED(?:\]: (E[A-Z]{2,10}))?/,
  fields: (m): Fields => (m[1] !== undefined ? errnoFields(errnoFromName(m[1])) : {}),
  raises: (f) =>
    typeof f.errno === 'number'
      ? threadCreationRaises(f.errno, undefined, true)
      : unknownThreadCreationRaises(),
  docs: {
    what: 'new Worker() failed because uv_thread_create (pthread_create) failed; Node reports the libuv errno name (EAGAIN for task-count limits) either in the message or on the "Error:" line above the code.',
    confirm: ['Read the "Error: E..." line just above; count tasks against pids.max and RLIMIT_NPROC.'],
    fix: ['See the cause pages; cap the worker pool.'],
    sources: [
      'nodejs/node:src/node_worker.cc (Worker::StartThread)',
      "https://github.com/oven-sh/bun/pull/41675 (Node's behaviour described)",
    ],
  },
  cases: [
    {
      source: 'podmortem lab: Node v20.20.2 starting 200 worker_threads in a v1 pids cgroup with pids.max 12',
      log: [
        'Error: EAGAIN',
        '    at new Worker (node:internal/worker:297:19)',
        "  code: 'ERR_WORKER_INIT_FAILED'",
      ],
    },
  ],
};

const heapOom: SignatureDef = {
  id: 'node.heap-oom',
  family: 'node',
  title: 'Node.js ran out of V8 heap (JavaScript heap out of memory)',
  keywords: ['JavaScript heap out of memory'],
  pattern: /FATAL ERROR: ([^\n]{0,120}?) ?Allocation failed - JavaScript heap out of memory/,
  fields: (m) => ({ phase: m[1]!.trim() }),
  raises: (): Raise[] => [
    {
      cause: 'runtime.heap',
      weight: 0.9,
      why: 'V8 stops at its own old-space limit (--max-old-space-size, or a default derived from the memory it sees): the container limit was not reached, or the kernel would have killed the process without this message.',
    },
    {
      cause: 'memory.cgroup',
      weight: 0.1,
      why: 'When --max-old-space-size is set from the container limit, a small container limit makes a small heap.',
    },
  ],
  docs: {
    what: "V8 could not grow the heap past its limit after a full GC and aborted the process (SIGABRT). The limit is --max-old-space-size (NODE_OPTIONS) or V8's default for the memory it detects.",
    confirm: [
      'node -e "console.log(v8.getHeapStatistics().heap_size_limit/1048576)" in the same image and container shows the limit; the "Last few GCs" block shows the heap size at the crash.',
    ],
    fix: [
      'Set NODE_OPTIONS=--max-old-space-size to about 75% of the container memory limit, or find the leak (heap snapshot).',
    ],
    sources: [
      'nodejs/node:src/node_errors.cc (OOMErrorHandler)',
      'https://nodejs.org/api/cli.html#--max-old-space-sizesize-in-mib',
      'https://github.com/mozilla/addons-frontend/issues/3916',
    ],
  },
  cases: [
    {
      source: 'https://github.com/website-local/mdn-local/issues/1144',
      log: ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
      fields: { phase: 'Reached heap limit' },
    },
    {
      source: 'https://github.com/mozilla/addons-frontend/issues/3916',
      log: [
        'Nov 15 14:11:42 ip-172-31-28-11 docker[2974]: FATAL ERROR: CALL_AND_RETRY_LAST Allocation failed - JavaScript heap out of memory',
      ],
      fields: { phase: 'CALL_AND_RETRY_LAST' },
    },
    {
      source: 'https://github.com/lando/lando/issues/2890',
      log: [
        'FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory',
      ],
    },
  ],
};

export const signatures: SignatureDef[] = [spawnError, uvThreadCreate, workerInitFailed, heapOom];
