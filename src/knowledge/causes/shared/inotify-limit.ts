// inotify.instances and inotify.watches share their logic: both are counted per user (ucounts keyed
// by user namespace and effective UID), so every container of the same UID, root included, shares
// them, with no exemption. Instances: inotify_init fails with EMFILE (max_user_instances, default
// 128). Watches: inotify_add_watch fails with ENOSPC (max_user_watches, 8192 by default, scaled with
// RAM up to 1048576 since Linux 5.11). Both are released when the holder exits, so a snapshot taken
// after the crash misses the crashed process's own share. Sources: limits.md §5.2.
import type { Evidence, Fact, LimitUsage } from '../../../evidence/types.js';
import { sysctlCommands, SYSCTL_NOTE } from '../../environment.js';
import type { CauseDef, Docs, Remediation, Verdict } from '../../types.js';
import { hitsWithText, limitsOf, raisedWhy, raisingEvidence, RUN_ON_NODE, usage } from './common.js';

export interface InotifyLimitSpec<Id extends 'inotify.instances' | 'inotify.watches'> {
  id: Id;
  title: string;
  sysctl: string;
  /** Kernel default (watches scale with RAM from 5.11). */
  defaultMax: number;
  /** A value from which the limit is generous for a node. */
  generous: number;
  recommended: number;
  errno: string;
  /** Words of a message that names this limit precisely (e.g. .NET's). */
  namedBy: RegExp;
  nodeMax: (ctx: Parameters<CauseDef['assess']>[0]) => Fact<number> | undefined;
  docs: Docs;
}

export function inotifyCause<const Id extends 'inotify.instances' | 'inotify.watches'>(
  spec: InotifyLimitSpec<Id>,
): CauseDef<Id> {
  return {
    id: spec.id,
    // Counted per user across the node: every container of the same UID, root included, shares it.
    scope: 'uid',
    title: spec.title,
    docs: spec.docs,
    assess(ctx) {
      const reasons = raisedWhy(ctx);
      const evidence: Evidence[] = [...raisingEvidence(ctx)];
      const remediation: Remediation[] = [
        {
          summary: `Raise ${spec.sysctl} on the node (per user, shared by every container of the same UID, root included). ${SYSCTL_NOTE}`,
          commands: [
            ...sysctlCommands(spec.sysctl, spec.recommended, '90-inotify.conf'),
            "find /proc/[0-9]*/fd -lname 'anon_inode:inotify' 2>/dev/null | cut -d/ -f3 | sort | uniq -c | sort -rn | head   # who holds instances (by PID)",
          ],
        },
      ];
      const named = hitsWithText(ctx, spec.namedBy)[0];
      if (named) {
        evidence.push(named.evidence);
        reasons.push(
          `The program names the limit itself ("${named.match[0]}"): the ${spec.errno} came from the inotify call.`,
        );
      }
      const max = spec.nodeMax(ctx);
      if (max) evidence.push(max.evidence);
      const uid = ctx.process.realUid?.value;
      const entries = limitsOf(ctx.node, spec.id).filter((l) => l.used !== null && l.max !== null);
      const mine = uid !== undefined ? entries.find((l) => l.scope === `uid:${uid}`) : undefined;
      const fullest = [...entries].sort((a, b) => (b.ratio ?? 0) - (a.ratio ?? 0))[0];
      const entry: LimitUsage | undefined = mine ?? (uid === undefined ? fullest : undefined);
      if (entry && entry.used !== null && entry.max !== null) {
        evidence.push(...entry.evidence.slice(-1));
        const who = entry.scope.replace('uid:', 'UID ');
        const ratio = entry.used / entry.max;
        const certain = !!mine;
        let verdict: Verdict =
          entry.used >= entry.max
            ? certain
              ? 'confirmed'
              : 'likely'
            : ratio >= 0.9
              ? 'likely'
              : ratio < 0.5
                ? 'unlikely'
                : 'possible';
        if (!certain && verdict === 'unlikely') verdict = 'possible';
        const top = entry.topConsumers
          ?.slice(0, 3)
          .map((c) => `${c.name} ${c.used}`)
          .join(', ');
        return {
          verdict,
          summary: `${who} holds ${usage(entry.used, entry.max)} of ${spec.sysctl}.`,
          reasons: [
            ...reasons,
            `${who} holds ${entry.used} of ${entry.max} (${spec.sysctl})${top ? `; most held by ${top}` : ''}.`,
            ...(certain
              ? []
              : [`The crashed process's UID is unknown; ${who} is the fullest UID on the node.`]),
            ...(verdict === 'confirmed'
              ? []
              : [
                  'The crashed process released its own share when it exited, so this snapshot undercounts what the UID held at the crash.',
                ]),
          ],
          evidence,
          missing:
            verdict === 'confirmed'
              ? []
              : ['Count again right after the next crash (podmortem node), or during the failure.'],
          remediation,
        };
      }
      if (max && max.value >= spec.generous) {
        return {
          verdict: 'unlikely',
          summary: `${spec.sysctl} is ${max.value}, a generous value.`,
          reasons: [
            ...reasons,
            `${spec.sysctl} ${max.value} is far above the default ${spec.defaultMax}; only a leak of that many per UID reaches it.`,
          ],
          evidence,
          missing: ["find /proc/[0-9]*/fd -lname 'anon_inode:inotify' 2>/dev/null | wc -l"],
          remediation,
        };
      }
      const defaultNote =
        max && max.value <= spec.defaultMax
          ? [
              `${spec.sysctl} is ${max.value}, the kernel default: every container and daemon of the same UID (kubelet, CNI, log shippers all run as root) shares it.`,
            ]
          : [];
      return {
        verdict: named || defaultNote.length > 0 ? 'likely' : 'possible',
        summary: `The UID may have reached ${spec.sysctl}; the per-UID usage was not read.`,
        reasons: [...reasons, ...defaultNote],
        evidence,
        missing: [
          `sysctl ${spec.sysctl}`,
          "for p in /proc/[0-9]*; do n=$(find $p/fd -lname 'anon_inode:inotify' 2>/dev/null | wc -l); [ $n -gt 0 ] && echo \"$n $(awk '/^Uid/{print $3}' $p/status) $(cat $p/comm)\"; done | sort -rn | head   # instances, effective UID, command",
          RUN_ON_NODE,
        ],
        remediation,
      };
    },
  };
}

export const INOTIFY_SOURCES = [
  'torvalds/linux:fs/notify/inotify/inotify_user.c (max_user_instances 128, max_user_watches, ucounts per user)',
  'https://man7.org/linux/man-pages/man7/inotify.7.html',
  'https://github.com/coreos/fedora-coreos-tracker/issues/637 (watches scale with RAM since 5.11)',
];
