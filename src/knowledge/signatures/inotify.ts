// inotify exhaustion, counted per UID across every container of that UID (limits.md §5.2):
// instances (fs.inotify.max_user_instances, EMFILE from inotify_init, printed as "too many open
// files") and watches (fs.inotify.max_user_watches, ENOSPC from inotify_add_watch, printed as "no
// space left on device"). The wording that names the watcher is what tells them from plain fd and
// disk exhaustion.
import type { Fields, Raise, SignatureDef } from '../types.js';
import { watcherEmfileRaises, watcherEnospcRaises } from './raises.js';

const instances: SignatureDef = {
  id: 'inotify.init-emfile',
  family: 'inotify',
  title: 'A file watcher could not get an inotify instance (too many open files)',
  keywords: ['oo many open files', 'inotify instance'], // too/Too
  // "failed to create fsnotify watcher: too many open files", "inotify_init: Too many open files",
  // "Failed to allocate directory watch: Too many open files", Node "EMFILE: too many open files, watch 'x'";
  // and the tools that name the limit in their own words: watchdog "inotify instance limit reached",
  // "User limit of inotify instances reached".
  pattern:
    /(?:notify|[Ww]atch)[^\n]{0,300}?[Tt]oo many open files(?! in system)|[Tt]oo many open files, watch\b|inotify\s{1,2}instances?\s{1,2}(?:limit|was reached|has been reached|reached)|limit (?:on|of) (?:the )?(?:total\s{1,2})?(?:number of\s{1,2})?inotify\s{1,2}instances/,
  raises: () => watcherEmfileRaises(),
  docs: {
    what: 'inotify_init failed with EMFILE, which the kernel returns when the UID already holds fs.inotify.max_user_instances instances (128 by default on many distributions). The count is per UID node-wide, so kubelet, containerd and every root container share it; a pod that crash-loops while leaking watchers uses it up for all of them.',
    confirm: [
      'cat /proc/sys/fs/inotify/max_user_instances',
      'find /proc/*/fd -lname anon_inode:inotify 2>/dev/null | cut -d/ -f3 | xargs -r -n1 ps -o uid= -p | sort | uniq -c   # instances per UID',
    ],
    fix: [
      'sysctl -w fs.inotify.max_user_instances=8192 and persist it in /etc/sysctl.d/; find the process that leaks watchers.',
    ],
    sources: [
      'torvalds/linux:fs/notify/inotify/inotify_user.c (inotify_new_group)',
      'https://github.com/kubernetes/kops/pull/2913',
      'https://github.com/open-edge-platform/geti_v2/issues/1501',
      'shared/knowledge/limits.md §5.2',
    ],
  },
  cases: [
    {
      source: 'https://github.com/kubernetes/kops/pull/2913',
      log: ['failed to create fsnotify watcher: too many open files'],
    },
    {
      source: 'https://github.com/open-edge-platform/geti_v2/issues/1501',
      log: [
        'E1117 10:38:08.220642       1 main.go:149] failed to create FS watcher for /var/lib/kubelet/device-plugins/: too many open files',
      ],
    },
    {
      source: 'https://github.com/rackerlabs/genestack/pull/227',
      log: ['Failed to allocate directory watch: Too many open files'],
    },
    {
      source: 'https://github.com/ssadedin/bpipe/issues/210',
      log: ['java.io.IOException: User limit of inotify instances reached or too many open files'],
    },
    {
      source: 'https://github.com/clusterzx/intellissh/issues/15',
      log: [
        "intellissh  | [nodemon] Internal watch failed: EMFILE: too many open files, watch '/app/server'",
      ],
    },
    {
      source:
        'https://github.com/gorakhargosh/watchdog/issues/846 (Python watchdog names the limit; errno 24 is EMFILE)',
      log: ['OSError: [Errno 24] inotify instance limit reached'],
    },
    {
      source: 'https://github.com/berops/claudie/issues/1694',
      log: [
        '    Message: failed to create CRI service: failed to create cni conf monitor for default: failed to create fsnotify watcher: too many open files',
      ],
    },
  ],
  nonMatching: ['accept4: too many open files', 'open /dev/null: too many open files'],
};

const watches: SignatureDef = {
  id: 'inotify.watch-enospc',
  family: 'inotify',
  title: 'A file watcher could not add an inotify watch (no space left on device)',
  keywords: [
    'o space left on device',
    'System limit for number of file watchers',
    'inotify resources exhausted',
    ' ENOSPC',
    'inotify watch',
    'inotify  watch',
    'add watch',
  ], // no/No
  // Node.js before 10.9 printed only libuv's errno name: "Error: watch ENOSPC", "Error: watch /path ENOSPC"
  // (nodejs/node#21846 added "System limit for number of file watchers reached").
  // The tools that name the limit in their own words: inotifywait "upper limit on inotify watches
  // reached!", watchdog "inotify watch limit reached", rb-inotify and onedrive "The user limit on the
  // total number of inotify watches was/has been reached", the JDK "User limit of inotify watches
  // reached"; and a watcher that says it could not add a watch ("InotifyManager] Unable to add watch
  // for path"): inotify_add_watch fails for no other resource.
  pattern:
    /(?:inotify_add_watch|notify|[Ww]atch)[^\n]{0,300}?[Nn]o space left on device|System limit for number of file watchers reached|inotify resources exhausted|Error: watch (?:\S{1,300} )?ENOSPC\b|inotify\s{1,2}watch(?:es)?\s{1,2}(?:limit|was reached|has been reached|reached)|limit (?:on|of) (?:the )?(?:total\s{1,2})?(?:number of\s{1,2})?inotify\s{1,2}watches|[Ii]notify[^\n]{0,200}?(?:[Uu]nable|[Ff]ailed|[Cc]ould ?n[o']t|[Cc]an(?:no|')t) (?:to )?add (?:a |inotify )?watch/,
  raises: () => watcherEnospcRaises(),
  docs: {
    what: 'inotify_add_watch failed with ENOSPC: the UID holds fs.inotify.max_user_watches watches (8192 on old kernels; scaled with RAM since 5.11). "No space left on device" here has nothing to do with the disk.',
    confirm: [
      'cat /proc/sys/fs/inotify/max_user_watches; count watches per process: grep -c inotify /proc/*/fdinfo/* 2>/dev/null.',
    ],
    fix: [
      'sysctl -w fs.inotify.max_user_watches=524288 and persist it in /etc/sysctl.d/; watch fewer directories.',
    ],
    sources: [
      'torvalds/linux:fs/notify/inotify/inotify_user.c (inotify_new_watch)',
      'https://github.com/openshift/installer/issues/1773',
      'https://github.com/purpleidea/mgmt/issues/1',
      'https://github.com/nodejs/node/pull/21846 (before it, Node printed "Error: watch ENOSPC")',
    ],
  },
  cases: [
    {
      source: 'https://github.com/openshift/installer/issues/1773',
      log: ['tail: inotify resources exhausted'],
    },
    {
      source: 'https://github.com/sethfowler/pygmalion/issues/94',
      log: ['Thread threw an exception: addWatch: resource exhausted (No space left on device)'],
    },
    {
      source:
        'https://github.com/nodejs/node/issues/1666 (io.js 1.8.1; bnoordhuis: "one of the system limits", fs.inotify.max_user_watches)',
      log: [
        'Error: watch ENOSPC',
        '    at exports._errnoException (util.js:749:11)',
        '    at FSWatcher.start (fs.js:1228:11)',
      ],
    },
    {
      source: 'https://github.com/gforceg/node-hound/issues/17',
      log: ['Error: watch server/prints/agparaskeui/receiptseyp ENOSPC'],
    },
    {
      source: 'https://github.com/gorakhargosh/watchdog/issues/673 (Python watchdog; errno 28 is ENOSPC)',
      log: ['OSError: [Errno 28] inotify watch limit reached'],
    },
    {
      source: 'https://github.com/abraunegg/onedrive/issues/962',
      log: [
        'Jun 23 09:17:26 flipper onedrive[8560]: The user limit on the total number of inotify watches has been reached.',
      ],
    },
    {
      source:
        'https://github.com/guard/listen/issues/24 (rb-inotify; the paste wraps the line and doubles spaces)',
      log: [
        'The user limit on the total  number of inotify  watches was reached or the kernel failed to allocate a needed resource. (Errno::ENOSPC)',
      ],
    },
    {
      source:
        'inotify-tools/inotify-tools:src/inotifywait.c (printf "Failed to watch %s; upper limit on inotify watches reached!" on ENOSPC); the line `inotifywait -r /` prints at the limit',
      log: ['Failed to watch /; upper limit on inotify watches reached!'],
    },
    {
      source: 'https://github.com/ToolJet/ToolJet/issues/198',
      log: [
        "client_1    | Error from chokidar (/app/src/_components): Error: ENOSPC: System limit for number of file watchers reached, watch '/app/src/_components/PrivateRoute.jsx'",
      ],
    },
  ],
  nonMatching: [
    'write /var/lib/docker/tmp/x: no space left on device',
    'mkdir /var/lib/kubelet/pods/x: no space left on device',
    'Error: ENOSPC: no space left on device, write',
    'fs.inotify.max_user_watches = 8192',
    'Unable to add watch for pod foo: timed out',
  ],
};

const tailPolling: SignatureDef = {
  id: 'inotify.tail-polling',
  family: 'inotify',
  title: 'tail fell back to polling (inotify cannot be used)',
  keywords: ['inotify cannot be used'],
  pattern: /inotify cannot be used, reverting to polling(?:: ([A-Za-z ]{3,40}))?/,
  fields: (m): Fields => (m[1] !== undefined ? { message: m[1].trim() } : {}),
  raises: (f): Raise[] =>
    typeof f.message === 'string' && /no space/i.test(f.message)
      ? watcherEnospcRaises()
      : [{ ...watcherEmfileRaises()[0]!, weight: 0.7 }],
  docs: {
    what: 'coreutils tail -f could not use inotify: inotify_init failed (EMFILE: out of instances, the strerror follows the message) or a watch could not be added ("inotify resources exhausted" printed just before). tail keeps working by polling once a second; the same exhaustion breaks programs that have no fallback.',
    confirm: ['See inotify.instances and inotify.watches.'],
    fix: ['Raise fs.inotify.max_user_instances / max_user_watches.'],
    sources: [
      'coreutils/coreutils:src/tail.c (tail_forever_inotify)',
      'uutils/coreutils:src/uu/tail/src/follow/watch.rs',
      'https://github.com/openshift/installer/issues/1773',
    ],
  },
  cases: [
    {
      source: 'https://github.com/openshift/installer/issues/1773',
      log: ['tail: inotify cannot be used, reverting to polling'],
    },
    {
      source:
        'uutils/coreutils:src/uu/tail/src/follow/watch.rs (the same wording as GNU tail after inotify_init fails)',
      log: ['tail: inotify cannot be used, reverting to polling: Too many open files'],
      fields: { message: 'Too many open files' },
    },
  ],
};

const dotnetUserLimit: SignatureDef = {
  id: 'inotify.dotnet-user-limit',
  family: 'inotify',
  title: '.NET FileSystemWatcher hit the inotify user limit',
  keywords: ['on the number of inotify'],
  // "The configured user limit (128) on the number of inotify instances has been reached, or the per-process limit on the number of open file descriptors has been reached."
  pattern:
    /The configured user limit \((\d{1,10})\) on the number of inotify (instances|watches) has been reached/,
  fields: (m): Fields => ({ limit: Number(m[1]), kind: m[2]! }),
  raises: (f): Raise[] =>
    f.kind === 'watches'
      ? watcherEnospcRaises()
      : [
          {
            ...watcherEmfileRaises()[0]!,
            weight: 0.9,
            why: `${watcherEmfileRaises()[0]!.why} .NET printed the limit it read: ${String(f.limit)}.`,
          },
          watcherEmfileRaises()[1]!,
        ],
  docs: {
    what: ".NET's FileSystemWatcher (used by ASP.NET Core configuration reload by default) could not create an inotify instance or watch and names the per-user limit it read from /proc/sys/fs/inotify.",
    confirm: [
      'The number in parentheses is the current limit; count instances per UID as for inotify.instances.',
    ],
    fix: [
      'Raise fs.inotify.max_user_instances, or set DOTNET_USE_POLLING_FILE_WATCHER=1 / hostBuilder reloadOnChange: false.',
    ],
    sources: [
      'dotnet/runtime:src/libraries/System.IO.FileSystem.Watcher/src/Resources/Strings.resx (IOException_INotifyInstanceUserLimitExceeded)',
      'https://github.com/dotnet/aspnetcore/issues/7531',
    ],
  },
  cases: [
    {
      source: 'https://github.com/dotnet/aspnetcore/issues/7531',
      log: [
        'System.IO.IOException: The configured user limit (128) on the number of inotify instances has been reached.',
      ],
      fields: { limit: 128, kind: 'instances' },
    },
  ],
};

export const signatures: SignatureDef[] = [instances, watches, tailPolling, dotnetUserLimit];
