// fs.file-max: open file handles on the whole node. alloc_empty_file() refuses with ENFILE ("Too many
// open files in system") and logs "VFS: file-max limit N reached", for callers without
// CAP_SYS_ADMIN. Recent kernels default it to LONG_MAX (no limit). Sources: limits.md §5.1.
import type { Evidence } from '../../../evidence/types.js';
import { sysctlCommands, SYSCTL_NOTE } from '../../environment.js';
import { defineCause, type Remediation } from '../../types.js';
import {
  errnoOf,
  hitsWithText,
  kernelLinesOf,
  raisedWhy,
  raisingEvidence,
  RUN_ON_NODE,
  usage,
} from '../shared/common.js';

const VFS_LINE = /VFS: file-max limit (\d+) reached/;

export const cause = defineCause({
  id: 'fs.file-max',
  scope: 'node',
  title: 'Open files on the node (fs.file-max)',
  docs: {
    what: 'fs.file-max caps the open file handles of the whole node. At the cap, opening anything fails with ENFILE ("Too many open files in system") for every process without CAP_SYS_ADMIN, and the kernel logs "VFS: file-max limit N reached".',
    confirm: [
      'cat /proc/sys/fs/file-nr (allocated, free, max) against /proc/sys/fs/file-max.',
      "dmesg -T | grep 'VFS: file-max limit'",
    ],
    fix: [
      'sysctl -w fs.file-max=<n> and persist it in /etc/sysctl.d/; find the process that holds the handles.',
    ],
    sources: [
      'torvalds/linux:fs/file_table.c (alloc_empty_file, "VFS: file-max limit %lu reached")',
      'https://www.kernel.org/doc/Documentation/sysctl/fs.txt',
    ],
  },
  assess(ctx) {
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const node = ctx.node;
    const raised =
      node?.fileMax && node.fileMax.value < Number.MAX_SAFE_INTEGER / 4 ? node.fileMax.value * 4 : 4194304;
    const remediation: Remediation[] = [
      {
        summary: `Raise fs.file-max and find who holds the handles. ${SYSCTL_NOTE}`,
        commands: [
          ...sysctlCommands('fs.file-max', raised, '90-file-max.conf'),
          'for p in /proc/[0-9]*; do echo "$(ls $p/fd 2>/dev/null | wc -l) $(cat $p/comm 2>/dev/null)"; done | sort -rn | head',
        ],
      },
    ];
    const vfs = [
      ...hitsWithText(ctx, VFS_LINE).map((h) => h.evidence),
      ...kernelLinesOf(node, ['file-max']).map((k) => k.evidence),
    ];
    if (vfs.length > 0) {
      return {
        verdict: 'confirmed',
        summary: 'The kernel logged that the node reached fs.file-max.',
        reasons: [
          ...reasons,
          `The kernel logged "${vfs[0]!.text.trim()}": alloc_empty_file() refused a file because the node holds fs.file-max handles.`,
        ],
        evidence: [...evidence, ...vfs.slice(0, 3)],
        missing: [],
        remediation,
      };
    }
    const max = node?.fileMax;
    const used = node?.filesAllocated;
    if (max && max.value >= Number.MAX_SAFE_INTEGER) {
      return {
        verdict: 'ruled-out',
        summary: 'fs.file-max is unlimited on this node (LONG_MAX).',
        reasons: [
          ...reasons,
          `fs.file-max is ${max.value}, the "no limit" default of recent kernels: it cannot be reached.`,
        ],
        evidence: [...evidence, max.evidence],
        missing: [],
        remediation: [],
      };
    }
    if (max && used) {
      evidence.push(max.evidence, used.evidence);
      const ratio = used.value / max.value;
      const verdict =
        used.value >= max.value
          ? 'confirmed'
          : ratio >= 0.9
            ? 'likely'
            : ratio < 0.5
              ? 'unlikely'
              : 'possible';
      return {
        verdict,
        summary: `The node has ${usage(used.value, max.value)} of fs.file-max allocated.`,
        reasons: [
          ...reasons,
          `${used.value} file handles allocated against fs.file-max ${max.value} (/proc/sys/fs/file-nr).`,
        ],
        evidence,
        missing: verdict === 'confirmed' ? [] : ['watch -n5 cat /proc/sys/fs/file-nr'],
        remediation,
      };
    }
    const emfile = errnoOf(ctx)?.value === 24;
    return {
      verdict: emfile ? 'unlikely' : 'possible',
      summary: emfile
        ? 'The error is EMFILE (per process), not ENFILE (node-wide).'
        : 'The node may have reached fs.file-max; its file counts were not read.',
      reasons: [
        ...reasons,
        ...(emfile
          ? [
              'fs.file-max answers ENFILE ("Too many open files in system"); EMFILE is the process\'s own RLIMIT_NOFILE or inotify instances.',
            ]
          : []),
      ],
      evidence,
      missing: [
        'cat /proc/sys/fs/file-nr /proc/sys/fs/file-max',
        "dmesg -T | grep 'VFS: file-max limit'",
        RUN_ON_NODE,
      ],
      remediation,
    };
  },
});
