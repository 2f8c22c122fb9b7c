// inotify.watches: fs.inotify.max_user_watches per user. inotify_add_watch returns ENOSPC ("no space
// left on device", tail's "cannot watch"), nothing to do with the disk. Logic shared with
// inotify.instances in inotify-limit.ts. Sources: limits.md §5.2.
import { inotifyCause, INOTIFY_SOURCES } from '../shared/inotify-limit.js';

export const cause = inotifyCause({
  id: 'inotify.watches',
  title: 'inotify watches per user (fs.inotify.max_user_watches)',
  sysctl: 'fs.inotify.max_user_watches',
  defaultMax: 8192,
  generous: 524288,
  recommended: 524288,
  errno: 'ENOSPC',
  namedBy: /inotify watches has been reached|max_user_watches/,
  nodeMax: (ctx) => ctx.node?.inotifyMaxUserWatches,
  docs: {
    what: 'fs.inotify.max_user_watches caps the inotify watches one user holds across the node (8192 by default; since Linux 5.11 scaled with RAM up to 1048576). inotify_add_watch then fails with ENOSPC, printed as "no space left on device" although the disk has room.',
    confirm: [
      'sysctl fs.inotify.max_user_watches',
      'Sum the "inotify wd:" lines of /proc/<pid>/fdinfo/<fd> for every inotify descriptor, per effective UID.',
      '.NET names it: "The configured user limit (8192) on the number of inotify watches has been reached".',
    ],
    fix: [
      'sysctl -w fs.inotify.max_user_watches=524288 and persist it in /etc/sysctl.d/.',
      'Watch fewer files (exclude node_modules, vendor trees).',
    ],
    sources: INOTIFY_SOURCES,
  },
});
