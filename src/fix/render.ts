// How a plan is shown: a unified diff of every file (the default; comment lines before it say what
// else is done and what is left out, which `patch` and `git apply` skip), or JSON for scripts. No
// clock, no absolute root in either: the same plan prints the same bytes.
import { unifiedDiff } from './diff.js';
import type { Change, Plan } from './types.js';

/** What runs besides writing files, in order: sysctl -w, daemon-reload, restarts, kubectl patches. */
export interface FollowUp {
  /** sysctl -w KEY=VALUE: what the /proc/sys writes of --apply do. */
  now: string[];
  daemonReload: boolean;
  /** Units to restart, kubelet last (it talks to the runtime). */
  restarts: string[];
  /** Workload patches: run against the cluster, never by --apply. */
  kubectl: string[];
}

export function followUp(plan: Plan): FollowUp {
  const restarts = [...new Set(plan.changes.flatMap((c) => (c.restart ? [c.restart] : [])))].sort(
    (a, b) => Number(a === 'kubelet') - Number(b === 'kubelet') || (a < b ? -1 : a > b ? 1 : 0),
  );
  return {
    now: plan.changes.filter((c) => c.kind === 'sysctl-live').map((c) => c.command!),
    daemonReload: plan.changes.some((c) => c.daemonReload),
    restarts,
    kubectl: plan.changes.filter((c) => c.kind === 'workload-patch').map((c) => c.command!),
  };
}

/** The shell commands of a follow-up, as a reader would type them. */
export function followUpCommands(f: FollowUp): string[] {
  return [
    ...f.now,
    ...(f.daemonReload ? ['systemctl daemon-reload'] : []),
    ...f.restarts.map((u) => `systemctl restart ${u}`),
    ...f.kubectl,
  ];
}

/** Changes written as files (the /proc/sys values are written by --apply, not kept as files). */
export function fileChanges(plan: Plan): Change[] {
  return plan.changes.filter((c) => c.kind !== 'sysctl-live');
}

export function renderDiff(plan: Plan): string {
  const f = followUp(plan);
  const head: string[] = [];
  for (const a of plan.answers) head.push(`# podmortem fix: ${a}`);
  for (const c of fileChanges(plan)) head.push(`#   ${c.path}: ${c.why}`);
  if (f.now.length > 0) {
    head.push('#', '# Now (--apply writes the value under /proc/sys, as sysctl -w does):');
    for (const c of plan.changes.filter((x) => x.kind === 'sysctl-live'))
      head.push(`#   ${c.command}   # ${c.why}`);
  }
  const after = [
    ...(f.daemonReload ? ['systemctl daemon-reload'] : []),
    ...f.restarts.map((u) => `systemctl restart ${u}`),
  ];
  if (after.length > 0) {
    head.push('#', '# Then, for the changes to take effect (--apply --restart runs them):');
    for (const c of after) head.push(`#   ${c}`);
  }
  if (f.kubectl.length > 0) {
    head.push(
      '#',
      '# Workload (the kustomize/ patch below, or this command; --apply does not touch the cluster):',
    );
    for (const c of f.kubectl) head.push(`#   ${c}`);
  }
  for (const c of plan.cautions) head.push('#', `# Caution: ${c}`);
  if (plan.skipped.length > 0) {
    head.push('#', '# Not planned:');
    for (const s of plan.skipped) head.push(`#   ${s}`);
  }
  head.push(
    '#',
    '# Node files are host paths (apply: podmortem fix ... --apply, or patch -p1 -d /); kustomize/ files are workload patches.',
  );
  const body = fileChanges(plan)
    .map((c) => unifiedDiff(c.path, c.before, c.after))
    .join('');
  return `${head.join('\n')}\n${body}`;
}

export function renderJson(plan: Plan): string {
  const f = followUp(plan);
  return `${JSON.stringify(
    {
      answers: plan.answers,
      changes: plan.changes.map((c) => ({
        kind: c.kind,
        path: c.path,
        // A running sysctl is set, never created; a file is created or modified.
        action: c.kind === 'sysctl-live' ? 'set' : c.before === null ? 'create' : 'modify',
        why: c.why,
        causes: c.reasons,
        ...(c.restart ? { restart: c.restart } : {}),
        ...(c.command ? { command: c.command } : {}),
        before: c.before,
        after: c.after,
        diff: c.kind === 'sysctl-live' ? null : unifiedDiff(c.path, c.before, c.after),
      })),
      commands: followUpCommands(f),
      skipped: plan.skipped,
      cautions: plan.cautions,
    },
    null,
    2,
  )}\n`;
}

/** Said on standard error when the plan is empty: why there is nothing to change. */
export function nothingToFix(plan: Plan, confirmedOrLikely: number): string {
  if (confirmedOrLikely === 0)
    return 'nothing to fix: the report has no confirmed or likely cause (fixes are planned only for those; see the report for what would decide the others).';
  return plan.skipped.length > 0
    ? `nothing to change on files: ${plan.skipped.join(' ')}`
    : 'nothing to change: the node and workload already have every value the fix would set.';
}
