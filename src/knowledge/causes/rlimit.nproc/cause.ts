// rlimit.nproc: RLIMIT_NPROC ("ulimit -u", "Max processes") counts every task (threads too) of one
// real UID on the whole node, not per container. copy_process() never enforces it for real UID 0
// outside a user namespace (INIT_USER) nor for CAP_SYS_ADMIN/CAP_SYS_RESOURCE in the initial
// namespace, on any kernel: the first question is therefore who the process ran as.
// Sources: limits.md §1.2 and §4.2.
import type { Evidence, ProcessFacts } from '../../../evidence/types.js';
import { dropIn, environmentOf, kernelVersion, RECREATE_NOTE, type Environment } from '../../environment.js';
import { defineCause, type CauseContext, type Remediation } from '../../types.js';
import {
  crashedUsage,
  hitsWithText,
  raisedWhy,
  raisingEvidence,
  RUN_ON_NODE,
  threadsOf,
  usage,
  limitsOf,
} from '../shared/common.js';
import { runtimesOn, threadFixes } from '../shared/fixes-by-runtime.js';
import { languageOf } from '../shared/language.js';
import { dockerUlimitNote, pamNote } from '../shared/runtime-notes.js';

const EXEMPT_CAPS = ['SYS_ADMIN', 'SYS_RESOURCE'];

export const cause = defineCause({
  id: 'rlimit.nproc',
  scope: 'uid',
  inheritedFromRuntime: true,
  notes: (ctx) => [...pamNote(ctx.node), ...dockerUlimitNote(ctx, 'nproc')],
  title: 'RLIMIT_NPROC of the real UID (ulimit -u)',
  docs: {
    what: 'RLIMIT_NPROC caps the number of tasks (processes and threads) that one real UID owns on the whole node; clone, fork and pthread_create fail with EAGAIN at the limit. Containers that share a UID without user namespaces share one counter. It is never enforced for real UID 0 outside a user namespace, nor for tasks with CAP_SYS_ADMIN or CAP_SYS_RESOURCE in the initial user namespace.',
    confirm: [
      'Who did the process run as: grep -E "^(Uid|CapEff)" /proc/<pid>/status and cat /proc/<pid>/uid_map of its restarted twin. Real UID 0 with an identity uid_map rules it out.',
      'Its limit: grep "Max processes" /proc/<pid>/limits (the soft column is enforced).',
      "The UID's node-wide task count, threads and zombies included: ps -eLo ruid= | sort -n | uniq -c. At or above the soft limit = confirmed.",
      'The Go hint "may need to increase max user processes (ulimit -u)" is printed after any EAGAIN: it is not proof.',
    ],
    fix: [
      "Raise the runtime daemon's LimitNPROC with a systemd drop-in (containerd.service, docker.service), or set nproc in containerd's base_runtime_spec rlimits / dockerd --default-ulimit nproc=...; then recreate the containers.",
      'Give workloads distinct UIDs (or user namespaces, hostUsers: false) so they stop sharing one counter.',
      'Reap zombies (tini, shareProcessNamespace): they count until reaped.',
      'Editing /etc/security/limits.conf or limits.d/20-nproc.conf does nothing for containers: pam_limits applies to login sessions only.',
    ],
    sources: [
      'torvalds/linux:kernel/fork.c (copy_process: INIT_USER, CAP_SYS_RESOURCE, CAP_SYS_ADMIN exemptions)',
      'torvalds/linux:kernel/ucount.c (is_rlimit_overlimit, per user namespace since 5.14, commit 21d1c5e386bc)',
      'https://man7.org/linux/man-pages/man2/setrlimit.2.html',
      'https://github.com/remind101/empire/issues/1110 (Docker: nproc is per user, not per container)',
      'containerd/containerd:internal/cri/server/container_create.go (base_runtime_spec)',
      'https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/',
    ],
  },
  assess(ctx) {
    const env = environmentOf(ctx.node);
    const p = ctx.process;
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const remediation = [...remediationFor(env), ...threadFixes(ctx.incident.subject, languageOf(ctx))];
    const hint = hitsWithText(ctx, /may need to increase max user processes/)[0];
    if (hint)
      reasons.push(
        'The Go runtime printed its "ulimit -u" hint, but it prints it after any EAGAIN from clone: it names RLIMIT_NPROC without knowing it was the one.',
      );
    const pam = ctx.node?.pamLimits?.filter((l) => l.item === 'nproc') ?? [];
    if (pam.length > 0) {
      reasons.push(
        `${[...new Set(pam.map((l) => l.evidence.source))].join(', ')} set nproc for PAM login sessions only: container processes inherit RLIMIT_NPROC from the runtime daemon, so these lines neither caused nor can fix it.`,
      );
      evidence.push(...pam.map((l) => l.evidence));
    }
    const exemption = exemptionOf(p);
    if (exemption) {
      return {
        verdict: 'ruled-out',
        summary: exemption.summary,
        reasons: [...reasons, exemption.reason],
        evidence: [...evidence, ...exemption.evidence],
        missing: [],
        remediation: [],
      };
    }
    const uid = p.realUid;
    const inUserNs = p.userNamespace?.value === true;
    if (uid) evidence.push(uid.evidence);
    if (p.userNamespace && inUserNs) evidence.push(p.userNamespace.evidence);
    if (!uid && !inUserNs) {
      // The host reader's per-UID counts still tell whether any UID of the node is anywhere near its limit.
      const own = threadsOf(ctx)?.value ?? 0;
      const perUid = limitsOf(ctx.node, 'rlimit.nproc').filter(
        (l) => l.used !== null && typeof l.max === 'number' && l.max > 0,
      );
      const fullest = perUid.sort((a, b) => (b.used! + own) / b.max! - (a.used! + own) / a.max!)[0];
      const headroom = fullest ? (fullest.used! + own) / fullest.max! : undefined;
      const nodeReason = fullest
        ? [
            `The fullest non-root UID on the node is ${fullest.scope.replace('uid:', 'UID ')}: ${fullest.used} tasks (+ ${own} of the crashed process) against its RLIMIT_NPROC ${fullest.max}.`,
          ]
        : [];
      if (fullest) evidence.push(...fullest.evidence);
      // The crashed process's own threads against its own limit (an hs_err file shows both).
      const atOwn = ownThreadsAtLimit(ctx);
      if (atOwn) {
        return {
          verdict: 'likely',
          summary: `The crashed process held ${atOwn.threads} threads with RLIMIT_NPROC ${atOwn.max}: the limit was reached, unless it ran as root.`,
          reasons: [...reasons, atOwn.reason],
          evidence: [...evidence, ...atOwn.evidence],
          missing: [
            'kubectl exec <pod> -c <container> -- id -ru   (or grep Uid /proc/<pid>/status on the node; pass it as --uid)',
          ],
          remediation,
        };
      }
      return {
        verdict: headroom !== undefined && headroom < 0.5 ? 'unlikely' : 'possible',
        summary: 'RLIMIT_NPROC may have been reached, but the real UID of the process is unknown.',
        reasons: [
          ...reasons,
          'If the process ran as root (the default of most images) outside a user namespace, RLIMIT_NPROC is never enforced for it; with a non-root UID the count is shared node-wide with every task of that UID.',
          ...nodeReason,
        ],
        evidence,
        missing: [
          'kubectl exec <pod> -c <container> -- id -ru   (or grep Uid /proc/<pid>/status on the node; pass it as --uid)',
          "kubectl get pod <pod> -o jsonpath='{.spec.hostUsers} {..securityContext.runAsUser}'",
          'grep "Max processes" /proc/<pid>/limits',
          'ps -eLo ruid= | sort -n | uniq -c   # tasks per real UID, node-wide',
        ],
        remediation,
      };
    }
    const who = uid ? `real UID ${uid.value}` : 'the process';
    if (inUserNs) {
      reasons.push(
        `The process runs in a user namespace, so even "root" inside it is a non-zero host UID with no capabilities in the initial namespace: RLIMIT_NPROC applies${kernelNote(env)}.`,
      );
    } else if (uid) {
      reasons.push(
        `${who} is not root and the process has no CAP_SYS_ADMIN/CAP_SYS_RESOURCE exemption known: RLIMIT_NPROC applies, counted over every task of UID ${uid.value} on the node${kernelNote(env)}.`,
      );
    }
    const threads = threadsOf(ctx);
    if (threads) {
      evidence.push(threads.evidence);
      reasons.push(
        `The process itself had ${threads.value} threads; the counter also holds every other process, thread and unreaped zombie of the same UID in other pods and host daemons.`,
      );
    }
    // Inside a user namespace the UID the pod spec gives is not the host UID the node's counts are keyed by.
    const hostUid = inUserNs ? undefined : uid?.value;
    const limit = p.nprocLimit ?? uidLimitFromNode(ctx, hostUid);
    if (limit) evidence.push(limit.evidence);
    if (limit && limit.value === null) {
      return {
        verdict: 'ruled-out',
        summary: `${cap(who)} had no RLIMIT_NPROC ("Max processes" unlimited).`,
        reasons: [...reasons, 'An unlimited RLIMIT_NPROC cannot be reached.'],
        evidence,
        missing: [],
        remediation: [],
      };
    }
    // Node-wide counts are the node's now; a count of the restarted instance alone says nothing of the crash.
    const tasks = crashedUsage(p.uidTasks) ?? uidTasksFromNode(ctx, hostUid);
    if (tasks) evidence.push(tasks.evidence);
    if (limit && limit.value !== null && tasks) {
      const max = limit.value;
      const own = threads?.value ?? 0;
      if (tasks.value >= max) {
        return {
          verdict: 'confirmed',
          summary: `UID ${uid?.value ?? '?'} holds ${tasks.value} tasks node-wide with RLIMIT_NPROC ${max}: the limit is reached.`,
          reasons: [
            ...reasons,
            `${usage(tasks.value, max)} of the UID's RLIMIT_NPROC: every new thread or process of this UID fails with EAGAIN.`,
          ],
          evidence,
          missing: [],
          remediation,
        };
      }
      if (own > 0 && tasks.value + own >= max) {
        return {
          verdict: 'confirmed',
          summary: `UID ${uid?.value ?? '?'}: ${tasks.value} tasks now plus the ${own} threads of the crashed process reach RLIMIT_NPROC ${max}.`,
          reasons: [
            ...reasons,
            `${tasks.value} + ${own} = ${tasks.value + own} ≥ ${max}: with the crashed process alive the UID was at its limit (if the ${tasks.value} already include its restarted twin, re-check during the next failure).`,
          ],
          evidence,
          missing: [],
          remediation,
        };
      }
      const ratio = (tasks.value + own) / max;
      // Without the crashed instance's own count, a low count now cannot exclude it.
      const verdict = ratio >= 0.9 ? 'likely' : ratio < 0.5 && own > 0 ? 'unlikely' : 'possible';
      return {
        verdict,
        summary: `UID ${uid?.value ?? '?'} holds ${tasks.value} tasks node-wide against RLIMIT_NPROC ${max} (${(ratio * 100).toFixed(1)}% with the crashed process).`,
        reasons: [
          ...reasons,
          verdict === 'likely'
            ? `${tasks.value} + ${own} of ${max}: a burst of ${max - tasks.value - own} tasks reaches the limit.`
            : own > 0
              ? `${tasks.value} + ${own} = ${tasks.value + own} of ${max}: ${max - tasks.value - own} tasks of headroom in this snapshot; only a burst since the crash would explain it.`
              : `${tasks.value} of ${max} now: the crashed instance's own tasks were released when it died and its thread count is unknown, so this count (which includes the restarted instance's tasks instead) is not the UID's count at the crash.`,
        ],
        evidence,
        missing:
          verdict === 'likely'
            ? ['Sample during the failure: watch -n1 "ps -eLo ruid= | sort -n | uniq -c"']
            : ['Capture the per-UID task count right after the next restart (podmortem node).'],
        remediation,
      };
    }
    const atOwn = ownThreadsAtLimit(ctx);
    if (atOwn && limit && limit.value !== null) {
      return {
        verdict: 'confirmed',
        summary: `${cap(who)} held ${atOwn.threads} threads in the crashed process alone, at its RLIMIT_NPROC ${atOwn.max}.`,
        reasons: [
          ...reasons,
          atOwn.reason,
          `The UID's node-wide count holds at least these ${atOwn.threads} threads, so it was at the limit whatever else the UID ran.`,
        ],
        evidence, // the thread count and the limit are already there
        missing: [],
        remediation,
      };
    }
    return {
      verdict: 'possible',
      summary: `RLIMIT_NPROC applies to ${who}; its limit or the UID's node-wide task count is unknown.`,
      reasons,
      evidence,
      missing: [
        ...(limit ? [] : ['grep "Max processes" /proc/<pid>/limits   # of the restarted container process']),
        ...(tasks
          ? []
          : [
              `ps -eLo ruid= | awk '$1==${uid?.value ?? '<uid>'}' | wc -l   # tasks of the UID, node-wide, threads included`,
            ]),
        RUN_ON_NODE,
      ],
      remediation,
    };
  },
});

/**
 * The crashed process's own thread count (an hs_err thread list, a recorder's sample) at its own
 * RLIMIT_NPROC: the UID's count includes those threads, so the limit was reached if it applied. A
 * count well past the limit means it was not enforced (root, a capability), so only counts from 90%
 * of the limit to a few past it (the failed clone, threads that exited while the list was printed)
 * are taken.
 */
function ownThreadsAtLimit(
  ctx: CauseContext,
): { threads: number; max: number; reason: string; evidence: Evidence[] } | undefined {
  const limit = ctx.process.nprocLimit;
  const threads = crashedUsage(ctx.process.threads);
  if (!limit || limit.value === null || !threads || threads.of !== 'crashed') return undefined;
  const max = limit.value;
  if (threads.value < max * 0.9 || threads.value > max + 8) return undefined;
  return {
    threads: threads.value,
    max,
    reason: `The crashed process itself held ${usage(threads.value, max)} of its soft RLIMIT_NPROC when it died: with the UID's other tasks on the node it had no room for one more thread.`,
    evidence: [threads.evidence, limit.evidence],
  };
}

/** Why RLIMIT_NPROC cannot apply to this process, when the facts say so. */
function exemptionOf(p: ProcessFacts): { summary: string; reason: string; evidence: Evidence[] } | undefined {
  // Inside a user namespace neither UID 0 nor the container's capabilities count in the initial namespace.
  if (p.userNamespace?.value === true) return undefined;
  const assumed = p.userNamespace
    ? ''
    : ' (no user namespace is known; pods share the host user namespace unless hostUsers: false)';
  const ns = p.userNamespace ? [p.userNamespace.evidence] : [];
  if (p.realUid?.value === 0) {
    return {
      summary:
        'Ruled out: the process ran as real UID 0 outside a user namespace, and RLIMIT_NPROC is never enforced for root.',
      reason: `Real UID 0 outside a user namespace is INIT_USER, which copy_process() exempts from RLIMIT_NPROC on every kernel (3.10 to 6.x)${assumed}.`,
      evidence: [p.realUid.evidence, ...ns],
    };
  }
  if (p.privileged?.value === true) {
    return {
      summary:
        'Ruled out: a privileged container holds CAP_SYS_ADMIN in the initial user namespace, which exempts it from RLIMIT_NPROC.',
      reason: `A privileged container has every capability, CAP_SYS_ADMIN and CAP_SYS_RESOURCE included, in the initial user namespace; copy_process() skips the RLIMIT_NPROC check for them${assumed}.`,
      evidence: [p.privileged.evidence, ...ns],
    };
  }
  const caps = p.capabilities?.value.filter((c) => EXEMPT_CAPS.includes(c)) ?? [];
  if (p.capabilities && caps.length > 0) {
    return {
      summary: `Ruled out: the container has CAP_${caps[0]}, which exempts it from RLIMIT_NPROC.`,
      reason: `CAP_${caps.join(' and CAP_')} in the initial user namespace exempts the task from RLIMIT_NPROC in copy_process()${assumed}.`,
      evidence: [p.capabilities.evidence, ...ns],
    };
  }
  return undefined;
}

/** The host reader's per-UID count (node.limits entry rlimit.nproc, scope uid:<n>). */
function uidTasksFromNode(
  ctx: CauseContext,
  uid: number | undefined,
): { value: number; evidence: Evidence } | undefined {
  if (uid === undefined) return undefined;
  const l = limitsOf(ctx.node, 'rlimit.nproc').find((x) => x.scope === `uid:${uid}` && x.used !== null);
  if (!l || l.used === null) return undefined;
  return {
    value: l.used,
    evidence: l.evidence[0] ?? { source: `node.limits uid:${uid}`, text: String(l.used) },
  };
}

/** Without the crashed process's own limit, the lowest soft "Max processes" among the UID's live processes. */
function uidLimitFromNode(
  ctx: CauseContext,
  uid: number | undefined,
): { value: number; evidence: Evidence } | undefined {
  if (uid === undefined || uid === 0) return undefined;
  const l = limitsOf(ctx.node, 'rlimit.nproc').find(
    (x) => x.scope === `uid:${uid}` && typeof x.max === 'number',
  );
  if (!l || l.max === null) return undefined;
  const ev = l.evidence.find((e) => /limits$/.test(e.source)) ??
    l.evidence[0] ?? { source: `node.limits uid:${uid}`, text: `Max processes ${l.max}` };
  return { value: l.max, evidence: ev };
}

function kernelNote(env: Environment): string {
  const v = kernelVersion(env);
  if (!v) return '';
  const [maj, min] = v;
  return maj > 5 || (maj === 5 && min >= 14)
    ? ` (kernel ${env.kernel}: counted per user namespace and charged up to the initial one, since 5.14)`
    : ` (kernel ${env.kernel}: one global counter per host UID, checked before the new task is counted)`;
}

function remediationFor(env: Environment): Remediation[] {
  const units = env.runtimeUnits;
  return [
    {
      summary: `Raise the nproc limit that containers inherit from the runtime daemon (${units.join(', ')}). ${RECREATE_NOTE}`,
      commands: [
        ...units.flatMap((u) => dropIn(u, 'LimitNPROC=infinity')),
        `systemctl show ${units.join(' ')} -p LimitNPROC   # check`,
      ],
    },
    {
      summary: `Or give every container the limit through the runtime's own defaults (${runtimesOn(
        env.runtime,
      )
        .map((r) => r.name)
        .join(', ')}).`,
      commands: runtimesOn(env.runtime).flatMap((r) => r.defaultRlimit('nproc', 1048576)),
    },
    {
      summary:
        'Stop sharing the counter: run workloads under distinct UIDs (or user namespaces), and reap zombies (tini, shareProcessNamespace), which count until reaped.',
      commands: ["ps -eo ruid=,stat= | awk '$2 ~ /Z/ {print $1}' | sort -n | uniq -c   # zombies per UID"],
    },
    ...(env.el7
      ? [
          {
            summary:
              'On CentOS/RHEL 7, /etc/security/limits.d/20-nproc.conf (4096 for non-root users) is PAM-only: editing it does not change containers.',
            commands: [],
          },
        ]
      : []),
  ];
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
