// The planner: a report's confirmed and likely causes, through the table (table.ts), into exact
// changes for the node the plan is for (its sysctl files, units, kubelet config) and for the
// workload (its pod spec). Deterministic: the same report and files give the same plan, byte for byte
// (incidents in report order, causes in verdict order, changes sorted by kind and path).
import type { CauseAssessment, Incident, Report } from '../evidence/types.js';
import { environmentOf } from '../knowledge/environment.js';
import { kubeletChange, type KubeletWant } from './kubelet.js';
import { sysctlChanges, type SysctlWant } from './sysctl.js';
import { dropInChanges, type DropInWant } from './systemd.js';
import { FIXES } from './table.js';
import type { Change, ChangeKind, ChangeReason, NodeTarget, Plan, WorkloadSpec } from './types.js';
import { memoryPatch } from './workload.js';

const ACTIONABLE = new Set(['confirmed', 'likely']);
const KIND_ORDER: ChangeKind[] = [
  'sysctl-live',
  'sysctl-file',
  'systemd-dropin',
  'kubelet-config',
  'workload-patch',
];

function subjectOf(i: Incident): string {
  const s = i.subject;
  return [s.namespace, s.pod, s.container].filter(Boolean).join('/') || (s.source ?? 'the crash');
}

/** The remediation src/diagnose/dumps.ts adds for the bucket that holds the threads or descriptors. */
const LEAK_FIX = /^(?:Stop the leak \(|Find why \d)/;

/** The value the cause's own remediation computed: `sysctl -w KEY=VALUE`. */
function reportedSysctl(c: CauseAssessment, key: string): number | undefined {
  for (const r of c.remediation)
    for (const cmd of r.commands) {
      const m = /^sysctl -w ([\w.\-/]+)=(\d+)\s*$/.exec(cmd.trim());
      if (m && m[1] === key) return Number(m[2]);
    }
  return undefined;
}

export function planFixes(report: Report, target: NodeTarget, workloads: WorkloadSpec[]): Plan {
  const skipped: string[] = [];
  const cautions: string[] = [];
  const answers: string[] = [];
  const sysctls = new Map<string, SysctlWant>();
  const dropIns: DropInWant[] = [];
  const kubelet: KubeletWant[] = [];
  const changes: Change[] = [];
  const units = environmentOf(target.facts).runtimeUnits;
  // Node changes are for the node that crashed: a scan's report holds several nodes, and a root read
  // names one (its /etc/hostname, as the kubelet names the node by default).
  const here = target.facts?.hostname?.value;
  const nodes = [...new Set(report.incidents.flatMap((i) => (i.subject.node ? [i.subject.node] : [])))];
  if (!here && nodes.length > 1)
    cautions.push(
      `The report holds crashes of ${nodes.length} nodes (${nodes.join(', ')}); the node changes are planned for all of them together: give --root (the node's files) to plan for one.`,
    );
  for (const incident of report.incidents) {
    const subject = subjectOf(incident);
    const elsewhere = !!here && !!incident.subject.node && incident.subject.node !== here;
    for (const cause of incident.causes) {
      if (!ACTIONABLE.has(cause.verdict)) continue;
      const reason: ChangeReason = { cause: cause.id, verdict: cause.verdict, subject };
      answers.push(`${cause.verdict} ${cause.id} on ${subject}`);
      // A leak named from a thread dump or an hs_err thread list (src/diagnose/dumps.ts) is fixed in
      // the code, not in a file: said beside the file changes, which only buy time.
      for (const r of cause.remediation)
        if (LEAK_FIX.test(r.summary))
          cautions.push(
            `${cause.id} on ${subject}: ${r.summary} Raising the limit only delays the next crash.`,
          );
      const fixes = FIXES[cause.id];
      if (!fixes) {
        skipped.push(
          `${cause.id} on ${subject}: no file on the node or the workload fixes it; follow the report's remediation (podmortem explain ${cause.id}).`,
        );
        continue;
      }
      for (const fix of fixes) {
        if (elsewhere && fix.kind !== 'workload-memory') {
          skipped.push(
            `${cause.id} on ${subject}: it crashed on node ${incident.subject.node}, not on ${here} (the root given); run fix with that node's files for its node changes.`,
          );
          continue;
        }
        if (fix.kind === 'sysctl') {
          const value = reportedSysctl(cause, fix.key) ?? fix.value;
          const had = sysctls.get(fix.key);
          // Two causes raising one key: the higher value, both reasons.
          if (had)
            sysctls.set(fix.key, {
              ...had,
              value: Math.max(had.value, value),
              reasons: [...had.reasons, reason],
            });
          else sysctls.set(fix.key, { key: fix.key, value, file: fix.file, reasons: [reason] });
        } else if (fix.kind === 'dropin') {
          for (const unit of units)
            dropIns.push({ unit, setting: fix.setting, value: fix.value, reasons: [reason] });
        } else if (fix.kind === 'kubelet') {
          kubelet.push({ fix, reasons: [reason] });
        } else {
          const s = incident.subject;
          const patch = memoryPatch(
            {
              ...(s.namespace ? { namespace: s.namespace } : {}),
              ...(s.pod ? { pod: s.pod } : {}),
              ...(s.container ? { container: s.container } : {}),
              ...(s.owner ? { owner: s.owner } : {}),
              subject,
              evidence: cause.evidence,
              factor: fix.factor,
              reasons: [reason],
            },
            workloads,
            skipped,
          );
          if (patch) changes.push(patch);
        }
      }
    }
  }
  changes.push(...sysctlChanges([...sysctls.values()], target, skipped));
  changes.push(...dropInChanges(dedupeDropIns(dropIns), target, skipped));
  const k = kubeletChange(kubelet, target, skipped, cautions);
  if (k) changes.push(k);
  if (!target.read && changes.some((c) => c.kind !== 'workload-patch'))
    cautions.push(
      "No node files were read (give --root DIR, or --node-root DIR): node files are shown as new and the running values as unknown; plan against the node's files before applying.",
    );
  if (changes.some((c) => c.kind === 'systemd-dropin' && /docker|containerd|crio/.test(c.restart ?? '')))
    cautions.push(
      'Restarting the container runtime stops the containers it runs unless it is configured to keep them (Docker live-restore; containerd and CRI-O keep them): drain the node first if unsure.',
    );
  return {
    changes: dedupeWorkload(changes).sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
        (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    ),
    skipped: [...new Set(skipped)],
    answers: [...new Set(answers)],
    cautions,
  };
}

/** One setting per unit: replicas of one crash raise the same drop-in once, with every reason. */
function dedupeDropIns(ws: DropInWant[]): DropInWant[] {
  const by = new Map<string, DropInWant>();
  for (const w of ws) {
    const key = `${w.unit} ${w.setting}`;
    const had = by.get(key);
    by.set(key, had ? { ...had, reasons: [...had.reasons, ...w.reasons] } : w);
  }
  return [...by.values()];
}

/** Replicas of one workload give one patch (the first; the same pod spec gives the same content). */
function dedupeWorkload(changes: Change[]): Change[] {
  const seen = new Set<string>();
  return changes.filter((c) => {
    if (c.kind !== 'workload-patch') return true;
    if (seen.has(c.path)) return false;
    seen.add(c.path);
    return true;
  });
}
