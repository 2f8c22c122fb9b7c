// Real crashes of inotify.watches: inotify_add_watch's ENOSPC ("no space left on device") at the
// per-UID fs.inotify.max_user_watches; the disk is not involved.
import type { CauseCase } from '../../types.js';
import { fact, nodeFacts } from '../shared/case-facts.js';

const CHOKIDAR =
  "client_1    | Error from chokidar (/app/src/_components): Error: ENOSPC: System limit for number of file watchers reached, watch '/app/src/_components/PrivateRoute.jsx'";

export const cases: CauseCase[] = [
  {
    name: 'a generous max_user_watches makes the watches limit unlikely',
    source: 'https://github.com/openshift/installer/issues/1773',
    log: ['tail: inotify resources exhausted'],
    node: nodeFacts({
      inotifyMaxUserWatches: fact(1048576, '/proc/sys/fs/inotify/max_user_watches', '1048576', 1),
    }),
    expect: { verdict: 'unlikely', said: [/1048576/] },
  },
  {
    name: 'chokidar names the watcher limit; the default 8192 is shared by the UID',
    source: 'https://github.com/ToolJet/ToolJet/issues/198',
    log: [CHOKIDAR],
    node: nodeFacts({
      inotifyMaxUserWatches: fact(8192, '/proc/sys/fs/inotify/max_user_watches', '8192', 1),
    }),
    expect: { verdict: 'likely', first: true, said: [/kernel default/] },
  },
  {
    name: 'old Node.js prints only "Error: watch ENOSPC": the watches limit, not the disk',
    source:
      'https://github.com/nodejs/node/issues/1666 (bnoordhuis: one of the system limits, fs.inotify.max_user_watches)',
    log: [
      'Error: watch ENOSPC',
      '    at exports._errnoException (util.js:749:11)',
      '    at FSWatcher.start (fs.js:1228:11)',
    ],
    expect: { verdict: 'possible', first: true, notRaised: ['rlimit.nofile', 'fs.file-max'] },
  },
];
