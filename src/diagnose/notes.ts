// Remarks that are not causes but change what an engineer does next. Each cause says its own (the
// limits.d file that never reaches a container, the runtime daemon's defaults: its `notes` hook);
// this adds the remarks about the incident as a whole: how to decide between candidates that the
// log alone leaves open, and which causes the line raised only speculatively and were left out.
import type { CauseAssessment, NodeFacts, SignatureHit } from '../evidence/types.js';
import { causeById } from '../knowledge/causes/index.js';
import { candidates } from './engine.js';

export function notesFor({
  causes,
  node,
  signatures = [],
}: {
  causes: CauseAssessment[];
  node: NodeFacts | undefined;
  /** The incident's signatures: what they raised and the engine left out is said, not hidden. */
  signatures?: SignatureHit[];
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
  const left = [...candidates(signatures).keys()].filter((id) => !causes.some((c) => c.id === id));
  if (left.length > 0) {
    notes.add(
      `Left out: ${left.join(', ')}. A thread creation refused with EAGAIN fits them only when glibc could not map the thread's stack (strict overcommit vm.overcommit_memory=2, an address-space limit, a map count at vm.max_map_count), and ${node ? 'the node evidence read shows none of that' : 'only the crash output was read, which shows none of that'}; they come back as candidates when ${node ? 'a later read' : 'node evidence'} does.`,
    );
  }
  return [...notes];
}
