// Remarks that are not causes but change what an engineer does next: the limits.d file that
// everybody edits and that never reaches a container, and how to decide between candidates that
// the log alone leaves open.
import { place } from '../evidence/place.js';
import type { CauseAssessment, NodeFacts } from '../evidence/types.js';

export function notesFor({
  causes,
  node,
}: {
  causes: CauseAssessment[];
  node: NodeFacts | undefined;
}): string[] {
  const notes: string[] = [];
  const nprocRaised = causes.some((c) => c.id === 'rlimit.nproc');
  const pam = node?.pamLimits?.filter((l) => l.item === 'nproc' || l.item === 'nofile') ?? [];
  if ((nprocRaised || causes.some((c) => c.id === 'rlimit.nofile')) && pam.length > 0) {
    const files = [...new Set(pam.map((l) => l.evidence.source))].join(', ');
    // 20-nproc.conf on CentOS/RHEL 7 exempts root itself: "root soft nproc unlimited".
    const rootExempt = pam.some(
      (l) => l.item === 'nproc' && l.domain === 'root' && /^(unlimited|infinity|-1)$/.test(l.value),
    );
    notes.push(
      `${files} set nproc/nofile for PAM login sessions only (pam_limits: login, sshd, su, sudo). Container processes inherit their limits from the runtime daemon started by systemd, so these lines do not reach them; editing them changes nothing for pods.${rootExempt ? ' They exempt root from nproc anyway ("root soft nproc unlimited").' : ''}`,
    );
  }
  notes.push(...runtimeDefaultNotes(causes, node));
  const open = causes.filter((c) => c.verdict === 'possible' || c.verdict === 'likely');
  if (!node && open.length > 1 && !causes.some((c) => c.verdict === 'confirmed')) {
    notes.push(
      `Only the crash output was read, so ${open.length} candidate causes stay open (${open.map((c) => c.id).join(', ')}). Node evidence decides between them: run podmortem node on the node right after the next restart, or podmortem analyze --node-root on a snapshot; each cause lists the commands that would decide it.`,
    );
  }
  return notes;
}

/** Where a container's pids limit and rlimits come from on a Docker node: the daemon's defaults. */
function runtimeDefaultNotes(causes: CauseAssessment[], node: NodeFacts | undefined): string[] {
  const d = node?.runtimeDefaults;
  if (!d) return [];
  const open = (id: string) => causes.some((c) => c.id === id && c.verdict !== 'ruled-out');
  const out: string[] = [];
  if (d.pidsLimit && open('cgroup.pids')) {
    const where = place(d.pidsLimit.evidence);
    out.push(
      d.pidsLimit.value === null
        ? `dockerd gives containers no default pids limit (${where}).`
        : `dockerd gives every container pids.max ${d.pidsLimit.value} unless it is started with --pids-limit (${where}; RHEL's docker-1.13.1 set 4096): a container with that many tasks fails with EAGAIN whatever the pod and node limits say.`,
    );
  }
  for (const [id, name] of [
    ['rlimit.nproc', 'nproc'],
    ['rlimit.nofile', 'nofile'],
  ] as const) {
    const u = d.ulimits.find((x) => x.name === name);
    if (!u || !open(id)) continue;
    const where = place(u.evidence);
    out.push(
      `dockerd sets ${name} soft ${u.soft} / hard ${u.hard} for every container (default-ulimits, ${where}): this, not limits.conf, is the limit a container starts with.`,
    );
  }
  return out;
}
