// Real crashes of inotify.instances: a file watcher's "too many open files" is inotify_init's
// EMFILE at the per-UID fs.inotify.max_user_instances, shared by every container of the UID.
import type { CauseCase } from '../../types.js';
import { fact, limitEntry, nodeFacts } from '../shared/case-facts.js';

// corpus nvidia-device-plugin-fs-watcher-misleading-fix.
const WATCHER =
  'E1117 10:38:08.220642       1 main.go:149] failed to create FS watcher for /var/lib/kubelet/device-plugins/: too many open files';
const WATCHER_SOURCE = 'https://github.com/NVIDIA/k8s-device-plugin/issues/332';
const maxInstances = fact(128, '/proc/sys/fs/inotify/max_user_instances', '128', 1);
const root = fact(0, '--uid', 'uid 0');
const held = (used: number) =>
  limitEntry(
    'inotify.instances',
    'uid:0',
    used,
    128,
    [{ source: '/proc/*/fd', text: `${used} anon_inode:inotify descriptors, effective UID 0` }],
    { topConsumers: [{ name: 'confd[4242]', used: used - 8 }] },
  );

export const cases: CauseCase[] = [
  {
    name: 'the UID holds all 128 instances: confirmed, naming the holder',
    source: WATCHER_SOURCE,
    log: [WATCHER],
    process: { realUid: root },
    node: nodeFacts({ inotifyMaxUserInstances: maxInstances, limits: [held(128)] }),
    expect: { verdict: 'confirmed', first: true, said: [/UID 0 holds 128 of 128/, /confd\[4242\]/] },
  },
  {
    name: 'root is not exempt; with the default 128 and no count, likely',
    source: WATCHER_SOURCE,
    log: [WATCHER],
    process: { realUid: root },
    node: nodeFacts({ inotifyMaxUserInstances: maxInstances }),
    expect: { verdict: 'likely', first: true, said: [/kernel default/], missing: [/anon_inode:inotify/] },
  },
  {
    name: '.NET names the limit in its message',
    source: 'https://github.com/dotnet/aspnetcore/issues/7531',
    log: [
      'System.IO.IOException: The configured user limit (128) on the number of inotify instances has been reached.',
    ],
    expect: { verdict: 'likely', said: [/inotify instances has been reached/] },
  },
];
