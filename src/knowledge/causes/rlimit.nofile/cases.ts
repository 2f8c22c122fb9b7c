// Real crashes of rlimit.nofile, run by test/knowledge/causes/cases.test.ts through the real
// Recognizer and engine. EMFILE from a call that opens a descriptor is the proof; a bare "too many
// open files" is weighed against the limit, which carries over to the restarted instance while its
// usage does not.
import type { CauseCase } from '../../types.js';
import { fact, usage } from '../shared/case-facts.js';

// podmortem lab: Python 3.11 opening /dev/null in a loop under ulimit -n 64 (issue 7's run).
const PYTHON = "OSError: [Errno 24] Too many open files: '/dev/null'";
// corpus containerd-cri-fd-leak-shim-start.
const SHIM =
  'failed to create containerd task: failed to start shim: open /dev/null: too many open files: unknown';
// The line names no call: an inotify_init failure prints the same.
const BARE = 'intel_gpu_plugin fails to start: Failed to serve gpu.intel.com/i915: too many open files';
const BARE_SOURCE = 'https://github.com/intel/intel-device-plugins-for-kubernetes/issues/2075';
// corpus nvidia-device-plugin-fs-watcher-misleading-fix.
const WATCHER =
  'E1117 10:38:08.220642       1 main.go:149] failed to create FS watcher for /var/lib/kubelet/device-plugins/: too many open files';
const WATCHER_SOURCE = 'https://github.com/NVIDIA/k8s-device-plugin/issues/332';

const limit64 = fact(
  64,
  '/proc/4242/limits',
  'Max open files            64                   64                   files',
);
const limit1024 = fact(1024, '/proc/3113/limits', 'Max open files 1024 524288 files');
/** The restarted twin, a second after the restart: 3 descriptors of the same 64. */
const twin3 = usage('restarted', 3, '/proc/4242/fd', '3 entries');

export const cases: CauseCase[] = [
  {
    name: 'Python names the path, so open() failed: confirmed and first, whatever the restarted twin holds',
    source: 'podmortem lab (Python 3.11 opening /dev/null in a loop under ulimit -n 64)',
    log: [PYTHON],
    process: { nofileLimit: limit64, openFiles: twin3 },
    expect: {
      verdict: 'confirmed',
      first: true,
      above: ['inotify.instances'],
      said: [
        /open\(\) returns EMFILE only when/,
        /restarted instance holds 3 descriptors of the same limit 64/,
      ],
      notSaid: [/3\/64/],
      evidence: [PYTHON, '3 entries'],
    },
  },
  {
    name: 'a bare "too many open files" under nofile=64: the twin\'s 3 descriptors do not make it unlikely',
    source: BARE_SOURCE,
    log: [BARE],
    process: { nofileLimit: limit64, openFiles: twin3 },
    expect: {
      verdict: 'likely',
      first: true,
      above: ['inotify.instances'],
      said: [/restarted instance holds 3 descriptors/],
      missing: [/just before the next crash/],
    },
  },
  {
    name: 'the containerd shim could not open /dev/null: open() failing with EMFILE is the proof',
    source: 'https://github.com/containerd/cri/issues/448',
    log: [SHIM],
    expect: {
      verdict: 'confirmed',
      said: [/open\(\) returns EMFILE only when/],
      evidence: ['open /dev/null: too many open files'],
      notRaised: ['inotify.instances', 'fs.file-max'],
    },
  },
  {
    name: "the crashed instance's last sample at the soft limit: confirmed",
    source: BARE_SOURCE,
    log: [BARE],
    process: { nofileLimit: limit1024, openFiles: usage('crashed', 1024, '/proc/3113/fd', '1024 entries') },
    expect: { verdict: 'confirmed', said: [/1024 descriptors against a soft limit of 1024/] },
  },
  {
    name: "a 1024 soft limit (systemd's default) with EMFILE: likely",
    source: BARE_SOURCE,
    log: [BARE],
    process: { nofileLimit: limit1024 },
    expect: { verdict: 'likely', said: [/systemd's default soft limit/] },
  },
  {
    name: 'a file watcher under a 1024 soft limit: only possible, max_user_instances is the likelier limit',
    source: WATCHER_SOURCE,
    log: [WATCHER],
    process: { nofileLimit: limit1024 },
    expect: { verdict: 'possible', said: [/max_user_instances/] },
  },
  {
    name: "a file watcher under a soft limit of 20000 (the lab's inotify run): unlikely, whatever the twin holds",
    source: WATCHER_SOURCE,
    log: [WATCHER],
    process: {
      nofileLimit: fact(
        20000,
        '/proc/5150/limits',
        'Max open files            20000                20000                files',
      ),
      openFiles: usage('restarted', 10, '/proc/5150/fd', '10 entries'),
    },
    expect: {
      verdict: 'unlikely',
      said: [
        /inotify_init refuses at fs\.inotify\.max_user_instances/,
        /restarted instance holds 10 descriptors/,
      ],
    },
  },
  {
    name: 'a file watcher with nothing else read: possible',
    source: WATCHER_SOURCE,
    log: [WATCHER],
    expect: { verdict: 'possible', missing: [/Max open files/] },
  },
  {
    name: 'nginx on musl: EMFILE reads "No file descriptors available"; accept4 proves the process limit',
    source: 'https://github.com/hypothesis/h/pull/6770',
    log: ['2021/07/08 12:43:00 [crit] 15#15: accept4() failed (24: No file descriptors available)'],
    expect: { verdict: 'confirmed', first: true, notRaised: ['inotify.instances', 'fs.file-max'] },
  },
  {
    name: "etcd's own warning at 80% of its limit: possible, first",
    source: 'https://github.com/rancher/rancher/issues/16946',
    log: [
      '2018-12-07 01:41:09.029337 W | etcdserver: 80% of the file descriptor limit is used [used = 999, limit = 1024]',
    ],
    expect: { verdict: 'possible', first: true, notRaised: ['fs.file-max', 'cgroup.pids'] },
  },
];
