// cgroup.pids: a pids cgroup limit at any level of the chain (container scope, pod = kubelet
// podPidsLimit, QoS, kubepods, a systemd unit's TasksMax, a kind/podman node container). The kernel
// charges every new task at every level up to the root and refuses with EAGAIN where `new > max`
// (torvalds/linux:kernel/cgroup/pids.c pids_try_charge), so every level of the chain is read and the
// lowest ceiling wins. Proof is a counter: pids.events "max", a peak or current at max, or the
// once-per-cgroup kernel line. Sources: limits.md §1.3, §2.2-2.5, §4.2.
import type { CgroupLevel, Evidence, NodeFacts } from '../../../evidence/types.js';
import { dropIn, environmentOf, RECREATE_NOTE, type Environment } from '../../environment.js';
import { defineCause, type Remediation, type Verdict } from '../../types.js';
import {
  afterColon,
  allHits,
  chainOf,
  firstEvidence,
  hitsWithId,
  hitsWithText,
  kernelLinesOf,
  levelNames,
  raisedWhy,
  raisingEvidence,
  RUN_ON_NODE,
  sameCgroup,
  threadsOf,
  usage,
} from '../shared/common.js';
import { runtimesOn, threadFixes } from '../shared/fixes-by-runtime.js';
import { languageOf } from '../shared/language.js';
import { dockerPidsNote } from '../shared/runtime-notes.js';

const EVENTS_SEMANTICS =
  'On cgroup v1 and kernels before ~6.11, pids.events "max" counts fork failures of tasks in that cgroup whichever ancestor\'s limit refused them; on current cgroup v2 it counts limit hits of the cgroup or its descendants, and pids.events.local the cgroup\'s own, so both the container and the pod level are read.';

const REJECTED = /fork rejected by pids controller in (\S+)/;

export const cause = defineCause({
  id: 'cgroup.pids',
  scope: 'cgroup',
  notes: dockerPidsNote,
  title: 'pids cgroup limit (container, pod podPidsLimit, systemd TasksMax)',
  docs: {
    what: 'A pids cgroup caps the tasks (threads included) of the cgroup and its descendants. Kubernetes containers sit under several levels: the container scope, the pod (kubelet podPidsLimit), the QoS class, kubepods, and with the systemd driver the runtime unit and slices (TasksMax). The lowest limit in the chain is the effective one; fork, clone and pthread_create fail with EAGAIN, for root too.',
    confirm: [
      'Read every level of the chain: pids.max, pids.current, pids.peak (kernel 6.1+), pids.events ("max N") and, on cgroup v2 with a recent kernel, pids.events.local. A non-zero "max" count, or a peak/current at pids.max, confirms it.',
      'dmesg -T | grep "fork rejected by pids controller": printed once per cgroup, naming the cgroup of the task that forked, so its absence proves nothing.',
      'pids.events semantics changed: on cgroup v1 (and older v2 kernels) the forking cgroup counts the failure; on current v2 the counter rises at the level whose limit was hit (the pod, for podPidsLimit).',
      'grep podPidsLimit /var/lib/kubelet/config.yaml; systemctl show containerd docker -p TasksMax; grep pids /proc/cgroups (no controller, no limit).',
    ],
    fix: [
      'Pod level: raise podPidsLimit in the kubelet config and restart the kubelet; only pods created afterwards get it.',
      'Container scope with an odd value (4915, 9830, 9457 = systemd DefaultTasksMax 15%; 4096 RHEL docker 1.13 / OpenShift; 1024 old CRI-O; 2048 podman; 0 CRI-O 1.28 + runc 1.4): set the runtime pids limit explicitly or raise DefaultTasksMax.',
      'Runtime unit: a drop-in with TasksMax=infinity for containerd.service / docker.service.',
      'Find the task leak (threads, zombies) before raising anything: a limit that is reached often only moves the crash.',
    ],
    sources: [
      'torvalds/linux:kernel/cgroup/pids.c (pids_try_charge, pids_event, "fork rejected by pids controller")',
      'https://docs.kernel.org/admin-guide/cgroup-v2.html (pids.events, pids.events.local, pids_localevents)',
      'https://docs.kernel.org/admin-guide/cgroup-v1/pids.html',
      'kubernetes/kubernetes:pkg/kubelet/cm/pod_container_manager_linux.go (podPidsLimit written at pod cgroup creation)',
      'https://github.com/moby/moby/issues/45188 and https://github.com/kubernetes/kubernetes/issues/131235 (container scopes at 9457/9830)',
      'https://github.com/projectatomic/docker/pull/333 (RHEL docker 4096), https://github.com/cri-o/cri-o/pull/641 (1024), https://github.com/containers/podman/pull/4032 (2048)',
      'https://github.com/opencontainers/runc/issues/5332 (pids limit 0 from CRI-O 1.28 with runc 1.4)',
      'systemd/systemd:units/user-.slice.d/10-defaults.conf (TasksMax=33%)',
    ],
  },
  assess(ctx) {
    const node = ctx.node;
    const env = environmentOf(node);
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    // Levels whose pids.max was read; counters are read on every level (an unlimited one still counts refusals on v1).
    const fullChain = chainOf(node, 'pids');
    const chain = fullChain.filter((l) => l.max !== undefined);
    const podPids = node?.kubelet?.podPidsLimit;
    const remediation = [
      ...remediationFor(env, chain, podPids?.value),
      // The threads of the runtime the evidence shows: where they come from and what bounds them.
      ...threadFixes(ctx.incident.subject, languageOf(ctx)),
    ];

    const controllers = node?.controllers;
    if (controllers && controllers.value.pids !== true) {
      const absent = !('pids' in controllers.value);
      return {
        verdict: 'ruled-out',
        summary: absent
          ? 'Ruled out: the kernel has no pids controller, so no pids limit exists on this node.'
          : 'Ruled out: the pids controller is disabled on this node.',
        reasons: [
          ...reasons,
          absent
            ? `/proc/cgroups does not list "pids": this kernel has no pids controller (upstream 3.10 and RHEL 7.2 lack it), so no cgroup can refuse a fork for a task count.`
            : '/proc/cgroups lists the pids controller as disabled: no pids.max is enforced.',
        ],
        evidence: [...evidence, controllers.evidence],
        missing: [],
        remediation: [],
      };
    }

    const threads = threadsOf(ctx);
    if (threads) evidence.push(threads.evidence);

    // 1. A kernel line naming the cgroup that refused a fork: in the incident's own log, or in the node's kernel log.
    const proofs: { reason: string; evidence: Evidence[] }[] = [];
    const elsewhere: string[] = [];
    const inChain = (path: string): CgroupLevel | undefined =>
      fullChain.find((l) => sameCgroup(l.path, path));
    const aboutPod = (path: string): boolean =>
      !!ctx.incident.subject.podUid &&
      path.replace(/_/g, '-').includes(ctx.incident.subject.podUid.replace(/_/g, '-'));
    for (const h of hitsWithId(ctx, /pids/)) {
      const fromField = typeof h.fields.cgroup === 'string' ? h.fields.cgroup : undefined;
      const path = fromField ?? REJECTED.exec(h.evidence[0]?.text ?? '')?.[1];
      if (!path || fullChain.length === 0 || inChain(path) || aboutPod(path)) {
        proofs.push({
          reason: `The kernel logged "fork rejected by pids controller in ${path ?? '<cgroup>'}": a pids limit refused a fork${path ? ` of a task in ${path}` : ''}.`,
          evidence: h.evidence.slice(0, 1),
        });
      } else {
        elsewhere.push(
          `The kernel line names ${path}, which is not in this container's chain: another cgroup on the node hit a pids limit.`,
        );
        evidence.push(...h.evidence.slice(0, 1));
      }
    }
    if (hitsWithId(ctx, /pids/).length === 0) {
      // A signature module that does not carry "pids" in its id but quotes the line.
      for (const { evidence: ev, match } of hitsWithText(ctx, REJECTED)) {
        proofs.push({
          reason: `The kernel logged "fork rejected by pids controller in ${match[1]}".`,
          evidence: [ev],
        });
      }
    }
    for (const k of kernelLinesOf(node, ['pids-rejected'])) {
      const path = k.cgroup ?? REJECTED.exec(k.evidence.text)?.[1];
      if (path && (inChain(path) || aboutPod(path))) {
        proofs.push({
          reason: `The node's kernel log says "fork rejected by pids controller in ${path}", a cgroup of this container's chain.`,
          evidence: [k.evidence],
        });
      } else if (path) {
        elsewhere.push(
          `The node's kernel log names ${path}, outside this container's chain (another workload hit a pids limit).`,
        );
        evidence.push(k.evidence);
      }
    }

    // 2. The counters of every level. The container and pod levels are this workload's own; above them
    // (QoS, kubepods, units) a recorded refusal or a full peak may belong to another pod sharing the level:
    // on v1 the counter is the forking task's own cgroup's, on current v2 it gathers every descendant.
    const shared: { reason: string; evidence: Evidence[] }[] = [];
    for (const l of fullChain) {
      const where = `${l.level} level ${l.path}`;
      const limitText =
        l.max === undefined ? '' : l.max === null ? ' (pids.max unlimited)' : ` (pids.max ${l.max})`;
      const ownLevel = l.level === 'container' || l.level === 'pod';
      if (
        !ownLevel &&
        ((l.events ?? 0) > 0 ||
          (l.eventsLocal ?? 0) > 0 ||
          (typeof l.max === 'number' && l.peak !== undefined && l.peak >= l.max))
      ) {
        const what =
          (l.events ?? 0) > 0
            ? `pids.events max ${l.events}`
            : (l.eventsLocal ?? 0) > 0
              ? `pids.events.local max ${l.eventsLocal}`
              : `pids.peak ${l.peak} at pids.max ${l.max}`;
        shared.push({
          reason: `The ${where} records ${what}${limitText}: a limit shared by every pod under it was hit, by this workload or another one.`,
          evidence: l.evidence,
        });
        continue;
      }
      if ((l.events ?? 0) > 0) {
        proofs.push({
          reason: `pids.events of the ${where} records max ${l.events}: the kernel refused ${l.events} fork(s) there${limitText}.`,
          evidence: l.evidence,
        });
      } else if ((l.eventsLocal ?? 0) > 0) {
        proofs.push({
          reason: `pids.events.local of the ${where} records max ${l.eventsLocal}: its own limit${limitText} refused forks.`,
          evidence: l.evidence,
        });
      } else if (typeof l.max === 'number' && l.peak !== undefined && l.peak >= l.max) {
        proofs.push({
          reason: `pids.peak ${l.peak} of the ${where} reached pids.max ${l.max}: the level was full, and the next fork failed with EAGAIN.`,
          evidence: l.evidence,
        });
      } else if (typeof l.max === 'number' && l.current !== undefined && l.current >= l.max) {
        proofs.push({
          reason: `pids.current ${l.current} of the ${where} is at pids.max ${l.max}: every new task there fails with EAGAIN.`,
          evidence: l.evidence,
        });
      }
    }
    // "Tasks: 502 (limit: 512)" from systemctl status: a unit's pids.current against its TasksMax, as printed.
    const unitCounts: { tasks: number; limit: number; evidence: Evidence }[] = [];
    for (const h of allHits(ctx)) {
      const { tasks, limit } = h.fields;
      if (typeof tasks === 'number' && typeof limit === 'number' && limit > 0)
        unitCounts.push({ tasks, limit, evidence: firstEvidence(h) });
    }
    for (const u of unitCounts.filter((x) => x.tasks >= x.limit)) {
      proofs.push({
        reason: `The unit shows ${u.tasks} tasks against its TasksMax ${u.limit}: its pids cgroup is full and every fork under it fails with EAGAIN.`,
        evidence: [u.evidence],
      });
    }
    const origins = chain.filter(hasLimit).flatMap((l) => originOf(l, node));
    if (proofs.length > 0) {
      return {
        verdict: 'confirmed',
        summary: `A pids cgroup limit was reached: ${afterColon(proofs[0]!.reason)}`,
        reasons: [
          ...reasons,
          ...proofs.map((p) => p.reason),
          ...origins,
          ...(chain.some((l) => l.events !== undefined) ? [EVENTS_SEMANTICS] : []),
        ],
        evidence: [...evidence, ...proofs.flatMap((p) => p.evidence)],
        missing: [],
        remediation,
      };
    }
    reasons.push(...elsewhere);
    if (shared.length > 0) {
      return {
        verdict: 'likely',
        summary: `A pids limit shared with other pods was reached: ${afterColon(shared[0]!.reason)}`,
        reasons: [...reasons, ...shared.map((x) => x.reason), ...origins, EVENTS_SEMANTICS],
        evidence: [...evidence, ...shared.flatMap((x) => x.evidence)],
        missing: [
          "dmesg -T | grep 'fork rejected by pids controller'   # names the cgroup of the task that was refused",
          'Read pids.events of the pod level right after the next restart (podmortem node).',
        ],
        remediation,
      };
    }
    const nearlyFull = unitCounts.filter((u) => u.tasks / u.limit >= 0.9);
    if (nearlyFull.length > 0 && chain.length === 0) {
      const u = nearlyFull[0]!;
      return {
        verdict: 'likely',
        summary: `A systemd unit runs ${u.tasks} tasks of its TasksMax ${u.limit}: a burst fills it.`,
        reasons: [
          ...reasons,
          `${usage(u.tasks, u.limit)} of the unit's TasksMax when systemctl was run${u.limit === 512 ? "; 512 is systemd v228's DefaultTasksMax, which some distributions kept for services" : ''}.`,
        ],
        evidence: [...evidence, u.evidence],
        missing: [
          `systemctl show ${env.runtimeUnits.join(' ')} -p TasksMax -p TasksCurrent`,
          "dmesg -T | grep 'fork rejected by pids controller'",
        ],
        remediation,
      };
    }

    if (chain.length === 0) {
      const extra: string[] = [];
      if (podPids) {
        evidence.push(podPids.evidence);
        extra.push(
          podPids.value > 0
            ? `The kubelet sets podPidsLimit ${podPids.value}: each pod's cgroup allows ${podPids.value} tasks${threads ? `, and this process alone had ${threads.value}` : ''}.`
            : `The kubelet sets no pod pids limit (podPidsLimit ${podPids.value}); a container scope, the runtime unit or a systemd slice may still have one.`,
        );
      }
      if (env.el7)
        extra.push(
          'On CentOS/RHEL 7 the 3.10 kernel may lack the pids controller altogether (grep pids /proc/cgroups); if present, docker 1.13.1 from RHEL set 4096 per container.',
        );
      return {
        verdict: 'possible',
        summary: "A pids cgroup limit may have been reached; the container's cgroup chain was not read.",
        reasons: [...reasons, ...extra],
        evidence,
        missing: [
          'grep pids /proc/cgroups   # no controller = no pids limit',
          'cat /proc/<pid>/cgroup | grep pids   # then, for the container and each parent up to kubepods: cat pids.max pids.current pids.peak pids.events',
          "dmesg -T | grep 'fork rejected by pids controller'",
          `grep -i podPidsLimit ${env.kubeletConfig}; systemctl show ${env.runtimeUnits.join(' ')} -p TasksMax`,
          RUN_ON_NODE,
        ],
        remediation,
      };
    }

    evidence.push(...chain.flatMap((l) => l.evidence.slice(0, 1)));
    // A level refuses a fork only when it already holds pids.max tasks (pids_try_charge: new > max), so
    // it needs max + 1 tasks; the node holds at most pid_max - 1 (PIDs 1 to pid_max - 1) and at most
    // threads-max (copy_process: nr_threads >= max_threads fails). A level whose pids.max is at least
    // that ceiling cannot refuse before the node does (the kubelet writes pid_max on kubepods).
    const byPids = node?.pidMax ? node.pidMax.value - 1 : Infinity;
    const byThreads = node?.threadsMax?.value ?? Infinity;
    const nodeCeiling = Math.min(byPids, byThreads);
    const unreachable = chain.filter(hasLimit).filter((l) => l.max >= nodeCeiling);
    for (const l of unreachable) {
      const by =
        byPids <= byThreads
          ? `the ${byPids} tasks the node can hold (kernel.pid_max ${node!.pidMax!.value} allows PIDs 1 to ${byPids})`
          : `the ${byThreads} tasks the node can hold (kernel.threads-max)`;
      reasons.push(
        `The ${l.level} level's pids.max ${l.max} is not below ${by}: refusing a fork there takes ${l.max + 1} tasks in it, more than the node can hold, so a node-wide limit refuses first.`,
      );
    }
    if (unreachable.length > 0 && node?.pidMax) evidence.push(node.pidMax.evidence);
    const limited = chain.filter(hasLimit).filter((l) => l.max < nodeCeiling);
    const hasContainer = chain.some((l) => l.level === 'container');
    if (limited.length === 0) {
      const known = chain.filter((l) => l.max === null || unreachable.some((u) => u === l));
      const levels = levelNames(known);
      if (hasContainer && known.length > 0) {
        return {
          verdict: 'ruled-out',
          summary:
            unreachable.length > 0
              ? "Ruled out: no level of the container's chain has a pids limit the node could reach."
              : "Ruled out: pids.max is unlimited at every level of the container's chain.",
          reasons: [
            ...reasons,
            `pids.max reads "max"${unreachable.length > 0 ? ', or a value the node cannot reach,' : ''} at every level read (${levels}): no pids cgroup limit can refuse a fork for this container, from its scope up to the root.`,
          ],
          evidence,
          missing: [],
          remediation: [],
        };
      }
      return {
        verdict: 'unlikely',
        summary: 'Every pids level read is unlimited, but the container level itself was not read.',
        reasons: [
          ...reasons,
          `pids.max reads "max" at ${levels || 'the levels read'}; the container scope (where systemd's DefaultTasksMax lands) was not read.`,
        ],
        evidence,
        missing: [
          'cat /sys/fs/cgroup/pids/<container cgroup>/pids.max   # path from /proc/<pid>/cgroup of the restarted container',
        ],
        remediation,
      };
    }
    // Headroom at the tightest level: the higher of the live count and the recorded peak.
    const tight = limited
      .map((l) => ({ l, used: Math.max(l.current ?? 0, l.peak ?? 0) }))
      .sort((a, b) => b.used / Math.max(b.l.max, 1) - a.used / Math.max(a.l.max, 1))[0]!;
    const ratio = tight.used / Math.max(tight.l.max, 1);
    // The container level is the restarted instance's own new cgroup: its count is the twin's usage
    // now, which says nothing about what the crashed instance held, so alone it cannot make this
    // unlikely; the thread count the crash itself printed can.
    const twinsOwn = tight.l.level === 'container' && !threads;
    const verdict: Verdict = ratio >= 0.9 ? 'likely' : ratio < 0.5 && !twinsOwn ? 'unlikely' : 'possible';
    const headroom = limited
      .map((l) => `${l.level} ${usage(Math.max(l.current ?? 0, l.peak ?? 0), l.max)}`)
      .join(', ');
    const threadArgument =
      threads && threads.value < tight.l.max * 0.5
        ? [
            `The crashed process had ${threads.value} threads, far from the ${tight.l.level} limit ${tight.l.max} by itself: the level would have been filled by its siblings.`,
          ]
        : [];
    return {
      verdict,
      summary: `The tightest pids level is the ${tight.l.level} (${tight.l.path}) at ${usage(tight.used, tight.l.max)}; no counter recorded a refused fork.`,
      reasons: [
        ...reasons,
        `Tasks against pids.max in this snapshot: ${headroom}.`,
        ...threadArgument,
        ...(twinsOwn && ratio < 0.9
          ? [
              `The ${tight.l.level} level's count is the restarted instance's, read after the crash; the limit carries over (the same spec starts both), the usage does not.`,
            ]
          : []),
        ...origins,
        "The crashed container's own cgroup is replaced when it restarts, so its counters are gone; the pod level keeps counting across restarts.",
        EVENTS_SEMANTICS,
      ],
      evidence,
      missing: [
        verdict === 'likely'
          ? 'Sample during the failure: watch -n1 cat <pod cgroup>/pids.current <pod cgroup>/pids.events'
          : 'Read pids.events of the pod level right after the next restart (podmortem node).',
        "dmesg -T | grep 'fork rejected by pids controller'",
      ],
      remediation,
    };
  },
});

function hasLimit(l: CgroupLevel): l is CgroupLevel & { max: number } {
  return typeof l.max === 'number';
}

/** Where an odd pids.max value comes from (limits.md §2.2-2.3). */
function originOf(l: CgroupLevel & { max: number }, node: NodeFacts | undefined): string[] {
  const v = l.max;
  const pidMax = node?.pidMax?.value;
  const threadsMax = node?.threadsMax?.value;
  const pod = node?.kubelet?.podPidsLimit?.value;
  const at = `pids.max ${v} at the ${l.level} level`;
  if (l.level === 'pod' && pod !== undefined && pod === v)
    return [`${at} is the kubelet's podPidsLimit ${pod}, written when the pod cgroup was created.`];
  if (v === 0)
    return [
      `${at} allows no new task at all: CRI-O 1.28 passes its pids_limit default 0 when the kubelet sets none, and runc 1.4+ applies 0 literally (opencontainers/runc#5332).`,
    ];
  const fifteen = [pidMax, threadsMax, 65536, 63050]
    .filter((x): x is number => !!x)
    .map((x) => Math.floor(x * 0.15));
  if ([4915, 9830, 9457].includes(v) || fifteen.some((f) => Math.abs(f - v) <= 1)) {
    return [
      `${at} is systemd's DefaultTasksMax=15% (of pid_max or threads-max): with the systemd cgroup driver and no pids limit requested, the container scope gets the default (moby/moby#45188, kubernetes/kubernetes#131235).`,
    ];
  }
  if (v === 4096)
    return [
      `${at} is the default of RHEL's docker-1.13.1 (projectatomic/docker#333) and of OpenShift/CRI-O.`,
    ];
  if (v === 1024) return [`${at} is old CRI-O's pids_limit default (cri-o/cri-o#641).`];
  if (v === 2048)
    return [
      `${at} is podman's default pids limit (containers/podman#4032), e.g. a kind node container run by podman.`,
    ];
  if (v === 512)
    return [
      `${at} is systemd v228's DefaultTasksMax=512, still shipped by some distributions for service units.`,
    ];
  if (/user-\d+\.slice/.test(l.path))
    return [
      `${at} is the login user's slice TasksMax (systemd user-.slice.d/10-defaults.conf: 33%), which rootless runtimes and kind nodes run under.`,
    ];
  return [];
}

function remediationFor(env: Environment, chain: CgroupLevel[], podPids: number | undefined): Remediation[] {
  const levels = new Set(chain.filter((l) => typeof l.max === 'number').map((l) => l.level));
  const all = levels.size === 0;
  const out: Remediation[] = [];
  if (all || levels.has('pod')) {
    out.push({
      summary: `Raise the kubelet's podPidsLimit${podPids !== undefined ? ` (now ${podPids})` : ''} in ${env.kubeletConfig} and restart the kubelet; only pods created afterwards get it. ${RECREATE_NOTE}`,
      commands: [`# in ${env.kubeletConfig}: podPidsLimit: 4096`, 'systemctl restart kubelet'],
    });
  }
  if (all || levels.has('container')) {
    out.push({
      summary: `Give containers an explicit pids limit instead of the runtime's or systemd's default${env.el7 ? ' (RHEL 7 docker-1.13.1 sets 4096; CentOS/RHEL 7 systemd understands DefaultTasksMax from 219-37, RHEL 7.4)' : ''}. ${RECREATE_NOTE}`,
      commands: [
        // The node's runtime's own default, when it has one; systemd's DefaultTasksMax reaches every
        // container scope created without a pids limit (systemd cgroup driver), whatever the runtime.
        ...runtimesOn(env.runtime).flatMap((r) => r.defaultPids),
        "mkdir -p /etc/systemd/system.conf.d && printf '[Manager]\\nDefaultTasksMax=infinity\\n' > /etc/systemd/system.conf.d/podmortem-tasksmax.conf && systemctl daemon-reexec",
      ],
    });
  }
  if (all || levels.has('unit') || levels.has('other')) {
    out.push({
      summary: `Lift TasksMax on the runtime units (${env.runtimeUnits.join(', ')}); shims and containers started under them share it.`,
      commands: env.runtimeUnits.flatMap((u) => dropIn(u, 'TasksMax=infinity')),
    });
  }
  out.push({
    summary:
      'Find who holds the tasks before raising the limit: threads per process in the pod, and zombies.',
    commands: [
      'ps -eLo pid=,comm= | sort | uniq -c | sort -rn | head   # threads per process',
      'ps -eo stat=,pid=,ppid=,comm= | grep ^Z',
    ],
  });
  return out;
}
