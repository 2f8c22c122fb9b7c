// Open-file exhaustion: EMFILE ("too many open files", the process's RLIMIT_NOFILE) and ENFILE ("too
// many open files in system", the node's fs.file-max), in the wording of Go, glibc/strerror, nginx,
// Java and Python. Lines about a file watcher are left to the inotify family: inotify_init returns
// the same EMFILE when the UID is out of inotify instances.
import type { Fields, SignatureDef } from '../types.js';
import { emfileRaises, enfileRaises } from './raises.js';

/** The call that failed, when the line names one before the error (Go: "open /x: ...", "accept4: ...", nginx: "socket() failed (24: ...)"). */
const CALL =
  /\b(accept4?|socket|pipe2?|open|openat|dial|epoll_create1?|eventfd|dup2?|creat)\b|java\.net\.(Socket)Exception/;
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
  const before = m.input.slice(0, m.index + m[0].length - m[1]!.length);
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
  keywords: ['oo many open files'], // too/Too
  // One start position (^), a lookahead that skips watcher lines, then the first EMFILE text that is not ENFILE.
  pattern: /^(?![^\n]*(?:notify|[Ww]atch))[^\n]*?([Tt]oo many open files)(?! in system)/,
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
  ],
};

const enfile: SignatureDef = {
  id: 'fd.enfile',
  family: 'fd',
  title: 'Too many open files in system (ENFILE: the node hit fs.file-max)',
  keywords: ['open files in system'],
  pattern: /[Tt]oo many open files in system/,
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
  ],
  nonMatching: ['accept4: too many open files'],
};

export const signatures: SignatureDef[] = [emfile, enfile];
