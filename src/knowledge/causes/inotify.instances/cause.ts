// inotify.instances: fs.inotify.max_user_instances (default 128) per user. inotify_init returns
// EMFILE, which programs print as "too many open files" - the classic confusion with RLIMIT_NOFILE.
// Logic shared with inotify.watches in inotify-limit.ts. Sources: limits.md §5.2.
import { inotifyCause, INOTIFY_SOURCES } from '../shared/inotify-limit.js';

export const cause = inotifyCause({
  id: 'inotify.instances',
  title: 'inotify instances per user (fs.inotify.max_user_instances)',
  sysctl: 'fs.inotify.max_user_instances',
  defaultMax: 128,
  generous: 8192,
  recommended: 8192,
  errno: 'EMFILE',
  namedBy: /inotify instances has been reached|max_user_instances/,
  nodeMax: (ctx) => ctx.node?.inotifyMaxUserInstances,
  docs: {
    what: 'fs.inotify.max_user_instances caps the inotify instances one user holds across the node (default 128), shared by every container running as that UID, root included. inotify_init then fails with EMFILE, which file watchers print as "too many open files" although the descriptor limit is fine.',
    confirm: [
      'sysctl fs.inotify.max_user_instances',
      "Count anon_inode:inotify descriptors per effective UID: find /proc/[0-9]*/fd -lname 'anon_inode:inotify' and the Uid line of each process's status.",
      '.NET names it: "The configured user limit (128) on the number of inotify instances has been reached".',
    ],
    fix: [
      'sysctl -w fs.inotify.max_user_instances=8192 and persist it in /etc/sysctl.d/ (kind, k3d and dense nodes need it).',
      'Find the leaker (a watcher created per request or per restart, e.g. calico confd while felix crash-loops).',
    ],
    sources: INOTIFY_SOURCES,
  },
});
