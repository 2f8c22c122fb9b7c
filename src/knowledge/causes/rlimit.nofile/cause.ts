// rlimit.nofile: RLIMIT_NOFILE of the process. open, socket, accept, pipe and inotify_init return
// EMFILE ("too many open files") once the process would get a descriptor number at or above its soft
// limit. Per process, so unlike the task limits it is decided by the process's own count. Containers
// inherit it from the runtime daemon's unit (LimitNOFILE) unless the spec sets it; containerd 2.0
// and Docker 25 dropped LimitNOFILE=infinity, so containers may now start at systemd's 1024 soft
// limit. Sources: limits.md §2.3, §5.1.
import type { Evidence } from '../../../evidence/types.js';
import { dropIn, environmentOf, RECREATE_NOTE } from '../../environment.js';
import { defineCause, type Remediation } from '../../types.js';
import {
  crashedUsage,
  errnoOf,
  hitsWithText,
  raisedWhy,
  raisingEvidence,
  restartedSaid,
  RUN_ON_NODE,
  usage,
} from '../shared/common.js';
import { dockerUlimitNote, pamNote } from '../shared/runtime-notes.js';

/** The soft limit systemd gives services (and Go programs see before raising it themselves). */
const SMALL_SOFT_LIMIT = 1024;
/** Eight times systemd's default: a watcher leaks inotify instances (128 per UID) long before this many descriptors. */
const GENEROUS_FOR_A_WATCHER = 8 * SMALL_SOFT_LIMIT;
const WATCHER_WORDS = /inotify|fsnotify|watcher|Watcher|watch /;
/** What would show the crashed instance's count: a sample taken while it still runs. */
const WATCH_BEFORE_CRASH =
  'watch -n5 "ls /proc/<pid>/fd | wc -l"   # of the running instance, until just before the next crash: does it climb to the limit?';

export const cause = defineCause({
  id: 'rlimit.nofile',
  scope: 'process',
  inheritedFromRuntime: true,
  notes: (ctx) => [...pamNote(ctx.node), ...dockerUlimitNote(ctx, 'nofile')],
  title: 'Open files of the process (RLIMIT_NOFILE)',
  docs: {
    what: 'RLIMIT_NOFILE caps the descriptor numbers of one process: at the soft limit, open, socket, accept, pipe, epoll_create and inotify_init fail with EMFILE ("too many open files"). Containers inherit it from the runtime daemon unless the container spec sets it.',
    confirm: [
      'grep "Max open files" /proc/<pid>/limits of the restarted process gives the limit (the same spec starts both instances); its descriptor count is its own, not the crashed one\'s: count while the process runs, up to the next crash.',
      'Watch the count grow to find a leak: watch -n5 "ls /proc/<pid>/fd | wc -l"; ls -l /proc/<pid>/fd | awk "{print \\$NF}" | sort | uniq -c | sort -rn | head.',
      '"Too many open files in system" is ENFILE, the node-wide fs.file-max, not this.',
      'A file watcher that fails with EMFILE more often hit fs.inotify.max_user_instances (inotify_init returns EMFILE for both).',
    ],
    fix: [
      'Fix the descriptor leak first (unclosed responses, sockets, files).',
      "Raise the limit the container inherits: LimitNOFILE in a drop-in for containerd.service / docker.service, or the runtime's default ulimits, then recreate the containers.",
      'Go >= 1.19 raises its own soft limit to the hard limit; a Go program at 1024 is one whose hard limit is 1024.',
    ],
    sources: [
      'https://man7.org/linux/man-pages/man2/open.2.html (EMFILE)',
      'torvalds/linux:fs/file.c (alloc_fd, nr_open)',
      'https://github.com/golang/go/issues/46279 (Go raises NOFILE), https://github.com/golang/go/issues/59064',
      'containerd/containerd:containerd.service (LimitNOFILE removed in 2.0)',
    ],
  },
  assess(ctx) {
    const env = environmentOf(ctx.node);
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const p = ctx.process;
    const remediation: Remediation[] = [
      {
        summary: `Find and fix the descriptor leak; then, if the load really needs more, raise the limit containers inherit (${env.runtimeUnits.join(', ')}). ${RECREATE_NOTE}`,
        commands: [
          "ls -l /proc/<pid>/fd | awk '{print $NF}' | sed 's/[0-9]*//g' | sort | uniq -c | sort -rn | head   # what the descriptors are",
          ...env.runtimeUnits.flatMap((u) => dropIn(u, 'LimitNOFILE=1048576')),
        ],
      },
    ];
    const enfile = hitsWithText(ctx, /too many open files in system|ENFILE/i)[0];
    if (enfile && errnoOf(ctx)?.value !== 24) {
      return {
        verdict: 'ruled-out',
        summary:
          'The error is ENFILE ("in system"): the node-wide fs.file-max, not the process\'s own limit.',
        reasons: [
          ...reasons,
          '"Too many open files in system" is ENFILE, returned when the node reaches fs.file-max; the per-process limit returns EMFILE ("Too many open files").',
        ],
        evidence: [...evidence, enfile.evidence],
        missing: [],
        remediation: [],
      };
    }
    // The limit carries over to the restarted instance (the same spec starts both); its usage does not.
    const limit = p.nofileLimit;
    const open = crashedUsage(p.openFiles);
    const twin = p.openFiles?.of === 'restarted' ? p.openFiles : undefined;
    if (limit) evidence.push(limit.evidence);
    if (p.openFiles) evidence.push(p.openFiles.evidence);
    const twinSaid = twin ? [restartedSaid(twin, 'descriptors', limit?.value)] : [];
    if (limit && limit.value === null) {
      return {
        verdict: 'ruled-out',
        summary: 'The process has no RLIMIT_NOFILE ("Max open files" unlimited).',
        reasons: [
          ...reasons,
          'An unlimited soft RLIMIT_NOFILE cannot be reached (the kernel still caps descriptors at fs.nr_open).',
        ],
        evidence,
        missing: [],
        remediation: [],
      };
    }
    // EMFILE from a call that allocates a descriptor (open, socket, accept, pipe...) has one meaning:
    // the process's next descriptor number would reach its soft RLIMIT_NOFILE. The line is the proof.
    const named = ctx.raisedBy.find(
      (r) =>
        r.signature.id === 'fd.emfile' &&
        typeof r.signature.fields.call === 'string' &&
        !r.signature.evidence.some((e) => WATCHER_WORDS.test(e.text)),
    );
    if (named) {
      const call = String(named.signature.fields.call);
      const held =
        limit && limit.value !== null && open
          ? [
              `The process reads ${open.value} descriptors against a soft limit of ${limit.value} (${usage(open.value, limit.value)}).`,
            ]
          : [];
      return {
        verdict: 'confirmed',
        summary: `${call}() failed with EMFILE: the process reached its RLIMIT_NOFILE${limit && limit.value !== null ? ` (${limit.value})` : ''}.`,
        reasons: [
          ...reasons,
          `${call}() returns EMFILE only when the process's descriptor numbers reached its soft RLIMIT_NOFILE; no node-wide or per-user limit gives that errno for it (fs.file-max gives ENFILE).`,
          ...held,
          ...twinSaid,
        ],
        evidence,
        missing: [],
        remediation,
      };
    }
    if (limit && limit.value !== null && open) {
      const max = limit.value;
      const ratio = open.value / max;
      const verdict =
        open.value >= max - 1 ? 'confirmed' : ratio >= 0.9 ? 'likely' : ratio < 0.5 ? 'unlikely' : 'possible';
      return {
        verdict,
        summary: `The process holds ${usage(open.value, max)} of its RLIMIT_NOFILE.`,
        reasons: [
          ...reasons,
          verdict === 'confirmed'
            ? `${open.value} descriptors against a soft limit of ${max}: the next open, socket or accept fails with EMFILE.`
            : `${open.value} descriptors against ${max} in the ${open.of === 'crashed' ? "crashed instance's last recorded sample" : 'snapshot'}; a leak grows over time, so compare again later.`,
        ],
        evidence,
        missing:
          verdict === 'confirmed'
            ? []
            : ['watch -n5 "ls /proc/<pid>/fd | wc -l"   # does it climb towards the limit?'],
        remediation,
      };
    }
    const extra: string[] = [];
    const watcher = hitsWithText(ctx, WATCHER_WORDS)[0];
    if (watcher) {
      extra.push(
        'The failing call is a file watcher: inotify_init returns the same EMFILE when the UID holds fs.inotify.max_user_instances instances, which is the more common cause for watchers.',
      );
    }
    if (limit && limit.value !== null && limit.value <= SMALL_SOFT_LIMIT) {
      extra.push(
        `The process's soft limit is ${limit.value}, systemd's default soft limit (containerd 2.0 and Docker 25 no longer raise it): a busy server reaches it quickly.`,
      );
      return {
        verdict: watcher ? 'possible' : 'likely',
        summary: `EMFILE with a soft RLIMIT_NOFILE of only ${limit.value}.`,
        reasons: [...reasons, ...extra, ...twinSaid],
        evidence,
        missing: [WATCH_BEFORE_CRASH],
        remediation,
      };
    }
    // An argument from the limit (which carries over) and the kind of call, never from the twin's count.
    if (watcher && limit && limit.value !== null && limit.value >= GENEROUS_FOR_A_WATCHER) {
      return {
        verdict: 'unlikely',
        summary: `A file watcher failed with EMFILE under a soft RLIMIT_NOFILE of ${limit.value}: inotify_init's per-UID limit is the likelier refusal.`,
        reasons: [
          ...reasons,
          ...extra,
          `The soft limit is ${limit.value} descriptors (the same for the crashed and the restarted instance), while inotify_init refuses at fs.inotify.max_user_instances (128 by default) instances per UID: a watcher reaches that first unless it also leaks thousands of descriptors.`,
          ...twinSaid,
        ],
        evidence,
        missing: [twin ? WATCH_BEFORE_CRASH : 'ls /proc/<pid>/fd | wc -l'],
        remediation,
      };
    }
    return {
      verdict: 'possible',
      summary: limit
        ? `The process may have reached its RLIMIT_NOFILE (soft limit ${limit.value}); the crashed instance's descriptor count was not read.`
        : 'The process may have reached its RLIMIT_NOFILE; its limit and descriptor count were not read.',
      reasons: [...reasons, ...extra, ...twinSaid],
      evidence,
      missing: [
        ...(limit ? [] : ['grep "Max open files" /proc/<pid>/limits   # of the restarted container process']),
        twin ? WATCH_BEFORE_CRASH : 'ls /proc/<pid>/fd | wc -l',
        RUN_ON_NODE,
      ],
      remediation,
    };
  },
});
