// Remarks that are not causes but change what an engineer does next, e.g. the limits.d file that
// everybody edits and that never reaches a container.
import type { CauseAssessment, NodeFacts } from '../evidence/types.js';

export function notesFor({ causes, node }: { causes: CauseAssessment[]; node: NodeFacts | undefined }): string[] {
  const notes: string[] = [];
  const nprocRaised = causes.some((c) => c.id === 'rlimit.nproc');
  const pam = node?.pamLimits?.filter((l) => l.item === 'nproc' || l.item === 'nofile') ?? [];
  if ((nprocRaised || causes.some((c) => c.id === 'rlimit.nofile')) && pam.length > 0) {
    const files = [...new Set(pam.map((l) => l.evidence.source))].join(', ');
    notes.push(
      `${files} set nproc/nofile for PAM login sessions only (pam_limits: login, sshd, su, sudo). Container processes inherit their limits from the runtime daemon started by systemd, so these lines do not reach them; editing them changes nothing for pods.`,
    );
  }
  return notes;
}
