// Open-file exhaustion: EMFILE ("too many open files", the process's RLIMIT_NOFILE) and ENFILE ("too
// many open files in system", the node's fs.file-max), in the wording of Go, glibc/strerror, nginx,
// Java and Python, and in musl's and libuv's (EMFILE "No file descriptors available" in musl >= 1.1,
// ENFILE "file table overflow" in libuv and old musl: bminor/musl:src/errno/__strerror.h,
// libuv/libuv:include/uv.h); and etcd's own warning that it holds 80% of its descriptor limit. Lines about a file watcher are left to the inotify family: inotify_init returns
// the same EMFILE when the UID is out of inotify instances.
import type { Fields, SignatureDef } from '../types.js';
import { emfileRaises, enfileRaises } from './raises.js';

/** The call that failed, when the line names one before the error (Go: "open /x: ...", "accept4: ...", nginx: "socket() failed (24: ...)"). */
const CALL =
  /\b(accept4?|socket|pipe2?|open|openat|dial|epoll_create1?|eventfd|dup2?|creat|spawn|getaddrinfo)\b|java\.net\.(Socket)Exception/;
const OPEN_PATH = /\bopen (\S{1,300}): [Tt]oo many open files/;
/** libuv/Node names the call after the message: "EMFILE: too many open files, open '/x'". */
const NODE_CALL = /^, ([a-z_]{2,20}) '/;
/**
 * Python adds the file name to an OSError only when the failing call was given a path (open,
 * os.open, os.listdir...): "OSError: [Errno 24] Too many open files: '/dev/null'". A call that opens
 * a path allocates a descriptor, so it is EMFILE from RLIMIT_NOFILE, never inotify_init (no path).
 */
const PYTHON_PATH = /\[Errno 24\] Too many open files: '([^'\n]{1,300})'/;

function emfileFields(m: RegExpExecArray): Fields {
  const said = m[1] ?? m[2]!;
  const before = m.input.slice(0, m.index + m[0].length - said.length);
  const call =
    CALL.exec(before) ?? NODE_CALL.exec(m.input.slice(m.index + m[0].length, m.index + m[0].length + 32));
  const path = OPEN_PATH.exec(m.input);
  const python = PYTHON_PATH.exec(m.input);
  return {
    errno: 24,
    errnoName: 'EMFILE',
    ...(call ? { call: (call[1] ?? call[2]!).toLowerCase() } : python ? { call: 'open' } : {}),
    ...(path ? { path: path[1]! } : python ? { path: python[1]! } : {}),
  };
}

const emfile: SignatureDef = {
  id: 'fd.emfile',
  family: 'fd',
  title: 'Too many open files (EMFILE: the process hit RLIMIT_NOFILE)',
  keywords: ['oo many open files', 'descriptors available', 'EMFILE', 'emfile'], // too/Too; musl's EMFILE
  // One start position (^), a lookahead that skips watcher lines, then the first EMFILE text that is
  // not ENFILE; or, on a line without the text, the errno's name as runtimes print it alone: Node
  // "Error: spawn EMFILE" / "accept EMFILE", Ruby Errno::EMFILE, the BEAM's {error,emfile}.
  pattern:
    /^(?![^\n]*(?:notify|[Ww]atch))(?:[^\n]*?([Tt]oo many open files(?! in system)|No file descriptors available)|(?![^\n]*[Tt]oo many open files)[^\n]*?((?<![\w-])(?:Errno::)?EMFILE(?![\w-])|\{error,\s?emfile\}|(?<![\w-])emfile(?![\w-])))/,
  fields: emfileFields,
  raises: (f) => emfileRaises(typeof f.call === 'string'),
  docs: {
    what: 'A call that creates a file descriptor (open, socket, accept, pipe, epoll_create) failed with EMFILE: the process holds as many descriptors as its RLIMIT_NOFILE soft limit. Containers inherit that limit from the runtime (containerd 2.0 and Docker 25 dropped LimitNOFILE, so 1024 soft is common again). When the line does not name the call, an inotify_init failure (per-UID fs.inotify.max_user_instances) prints the same text.',
    confirm: [
      'ls /proc/<pid>/fd | wc -l against "Max open files" in /proc/<pid>/limits.',
      'ls -l /proc/<pid>/fd | grep -c anon_inode:inotify shows whether inotify instances are involved.',
    ],
    fix: [
      "Raise the soft limit (containerd base_runtime_spec rlimits, Docker --default-ulimit nofile, or the daemon unit's LimitNOFILE) and recreate the containers; or fix the descriptor leak.",
    ],
    sources: [
      'https://man7.org/linux/man-pages/man2/open.2.html (EMFILE)',
      'shared/knowledge/limits.md §5.1',
      'https://github.com/containerd/cri/issues/448',
      'https://github.com/gratipay/gratipay.com/issues/2245',
    ],
  },
  cases: [
    {
      source: 'https://github.com/containerd/cri/issues/448',
      log: ['failed to start shim: open /dev/null: too many open files: unknown'],
      fields: { errno: 24, call: 'open', path: '/dev/null' },
    },
    {
      source: 'https://github.com/intel/intel-device-plugins-for-kubernetes/issues/2075',
      log: ['intel_gpu_plugin fails to start: Failed to serve gpu.intel.com/i915: too many open files'],
      fields: { errno: 24, errnoName: 'EMFILE' },
    },
    {
      source: 'https://github.com/gratipay/gratipay.com/issues/2245',
      log: ["OSError: [Errno 24] Too many open files: '/app/www/%username'"],
      fields: { errno: 24, call: 'open', path: '/app/www/%username' },
    },
    {
      source: 'podmortem lab (Python 3.11 opening /dev/null in a loop under ulimit -n 64)',
      log: ["OSError: [Errno 24] Too many open files: '/dev/null'"],
      fields: { errno: 24, call: 'open', path: '/dev/null' },
    },
    {
      source:
        'https://github.com/cheeaun/phanpy/issues/1593 (node:26-alpine build, fixed with --ulimit nofile)',
      log: ["Error: EMFILE: too many open files, open '/phanpy/src/iconify-icons/mingcute/dots-line.js'"],
      fields: { call: 'open' },
    },
    {
      source: 'https://github.com/drk1wi/Modlishka/issues/117',
      log: ['Accept error: accept tcp [::]:443: accept4: too many open files; retrying in 1s'],
      fields: { call: 'accept' },
    },
    {
      source: 'https://github.com/epam/cloud-pipeline/issues/4332',
      log: ['java.net.SocketException: Too many open files'],
      fields: { call: 'socket' },
    },
    {
      source: 'https://github.com/hypothesis/h/pull/6770 (nginx on Alpine: musl prints EMFILE this way)',
      log: ['2021/07/08 12:43:00 [crit] 15#15: accept4() failed (24: No file descriptors available)'],
      fields: { errno: 24, call: 'accept4' },
    },
    {
      source: 'https://github.com/sindresorhus/gulp-imagemin/issues/10 ("ulimit -S -n 8196 # worked!")',
      log: ['Error: spawn EMFILE'],
      fields: { errno: 24, call: 'spawn' },
    },
    {
      source: 'https://github.com/nodejs/node/issues/16572',
      log: ['Error: getaddrinfo EMFILE www.googleapis.com:443'],
      fields: { errno: 24, call: 'getaddrinfo' },
    },
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/5461 (kube-proxy)',
      log: [
        'E0410 23:32:01.350853    4891 proxier.go:104] Accept failed: accept tcp [::]:60995: too many open files',
      ],
      fields: { call: 'accept' },
    },
  ],
  nonMatching: [
    'failed to create fsnotify watcher: too many open files',
    'fts_read: Too many open files in system',
    'open files                      (-n) 1024',
    'errno EMFILE-style handling enabled in graceful-fs',
  ],
};

const enfile: SignatureDef = {
  id: 'fd.enfile',
  family: 'fd',
  title: 'Too many open files in system (ENFILE: the node hit fs.file-max)',
  keywords: ['open files in system', 'table overflow', 'ENFILE', 'enfile'],
  // glibc "Too many open files in system"; libuv (Node) "ENFILE: file table overflow", old musl "File
  // table overflow"; the name alone as runtimes print it (Node "spawn ENFILE", Ruby Errno::ENFILE,
  // the BEAM's {error,enfile}).
  pattern:
    /[Tt]oo many open files in system|[Ff]ile table overflow|(?<![\w-])(?:Errno::)?ENFILE\b|\{error,\s?enfile\}/,
  fields: () => ({ errno: 23, errnoName: 'ENFILE' }),
  raises: () => enfileRaises(),
  docs: {
    what: 'The node holds fs.file-max open files: every unprivileged process on it fails to open files, sockets and pipes. The kernel logs "VFS: file-max limit N reached".',
    confirm: [
      'cat /proc/sys/fs/file-nr (allocated, free, max); find the holder with ls /proc/*/fd | wc -l per process.',
    ],
    fix: ['sysctl -w fs.file-max=<higher> and persist it in /etc/sysctl.d/; fix the leak.'],
    sources: [
      'torvalds/linux:fs/file_table.c (alloc_empty_file)',
      'https://docs.kernel.org/admin-guide/sysctl/fs.html#file-max-file-nr',
      'https://github.com/leptonai/gpud/pull/224',
    ],
  },
  cases: [
    {
      source: 'https://github.com/nystudio107/craft-scripts/issues/16',
      log: ['find: fts_read: Too many open files in system'],
      fields: { errno: 23, errnoName: 'ENFILE' },
    },
    {
      source: 'https://github.com/leptonai/gpud/pull/224',
      log: ['sudo: unable to open /etc/sudoers: Too many open files in system'],
    },
    {
      source: 'https://github.com/orbstack/orbstack/issues/2462 (Node.js through libuv)',
      log: ['Error: ENFILE: file table overflow'],
      fields: { errno: 23, errnoName: 'ENFILE' },
    },
  ],
  nonMatching: ['accept4: too many open files'],
};

const etcdFdUsage: SignatureDef = {
  id: 'etcd.fd-usage',
  family: 'etcd',
  title: 'etcd warns that it holds 80% of its open-file limit',
  keywords: ['descriptor limit is used', 'descriptors are used'],
  // etcd <= 3.3: "80% of the file descriptor limit is used [used = 999, limit = 1024]";
  // etcd >= 3.4 (zap JSON): "msg":"80% of file descriptors are used","used":1000,"limit":1024
  pattern:
    /80% of the file descriptor limit is used \[used = (\d{1,10}), limit = (\d{1,10})\]|80% of file descriptors are used(?:[^\n]{0,20}?"used":(\d{1,10}),"limit":(\d{1,10}))?/,
  fields: (m): Fields => {
    const used = m[1] ?? m[3];
    const limit = m[2] ?? m[4];
    return used !== undefined && limit !== undefined ? { used: Number(used), limit: Number(limit) } : {};
  },
  raises: () => [
    {
      cause: 'rlimit.nofile',
      weight: 0.8,
      why: 'etcd counts its own descriptors (/proc/self/fd) against its RLIMIT_NOFILE soft limit and warns from 80%: the next clients, WAL segments or snapshots fail with EMFILE once it is reached.',
    },
  ],
  docs: {
    what: "etcd's file descriptor monitor warns every 5 seconds while the process holds at least 80% of its RLIMIT_NOFILE. Clients and peers each hold sockets, so a client leak or a low limit (1024, inherited from the runtime or the unit) ends with EMFILE on connections and on the WAL.",
    confirm: [
      'cat /proc/$(pidof etcd)/limits | grep "open files"; ls /proc/$(pidof etcd)/fd | wc -l; who holds the connections: ss -tnp | grep etcd.',
    ],
    fix: [
      'Raise LimitNOFILE (unit) or the runtime default ulimit for the etcd container, and find the client that leaks connections.',
    ],
    sources: [
      'etcd-io/etcd:server/etcdserver/metrics.go (monitorFileDescriptor)',
      'https://github.com/rancher/rancher/issues/16946',
      'https://github.com/etcd-io/etcd/issues/12603',
    ],
  },
  cases: [
    {
      source: 'https://github.com/rancher/rancher/issues/16946',
      log: [
        '2018-12-07 01:41:09.029337 W | etcdserver: 80% of the file descriptor limit is used [used = 999, limit = 1024]',
      ],
      fields: { used: 999, limit: 1024 },
    },
    {
      source: 'https://github.com/contiv/ansible/issues/166 (etcd under systemd, then EMFILE)',
      log: [
        'Apr 18 09:56:28 ucsb-blade2 etcd.sh[135370]: 2016/04/18 09:56:28 etcdserver: 80% of the file descriptor limit is used [used = 982, limit = 1024]',
      ],
      fields: { used: 982, limit: 1024 },
    },
  ],
  nonMatching: ['etcdserver: cannot monitor file descriptor usage (open /proc/self/fd: no such file)'],
};

export const signatures: SignatureDef[] = [emfile, enfile, etcdFdUsage];
