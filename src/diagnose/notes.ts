// Remarks that are not causes but change what an engineer does next. Each cause says its own (the
// limits.d file that never reaches a container, the runtime daemon's defaults: its `notes` hook);
// this adds the one remark about the incident as a whole: how to decide between candidates that the
// log alone leaves open.
import type { CauseAssessment, NodeFacts } from '../evidence/types.js';
import { causeById } from '../knowledge/causes/index.js';

export function notesFor({
  causes,
  node,
}: {
  causes: CauseAssessment[];
  node: NodeFacts | undefined;
}): string[] {
  // Two causes may say the same thing (the PAM note belongs to nproc and nofile): print it once.
  const notes = new Set<string>();
  for (const self of causes)
    for (const note of causeById(self.id)?.notes?.({ self, causes, node }) ?? []) notes.add(note);
  const open = causes.filter((c) => c.verdict === 'possible' || c.verdict === 'likely');
  if (!node && open.length > 1 && !causes.some((c) => c.verdict === 'confirmed')) {
    notes.add(
      `Only the crash output was read, so ${open.length} candidate causes stay open (${open.map((c) => c.id).join(', ')}). Node evidence decides between them: run podmortem node on the node right after the next restart, or podmortem analyze --node-root on a snapshot; each cause lists the commands that would decide it.`,
    );
  }
  return [...notes];
}
