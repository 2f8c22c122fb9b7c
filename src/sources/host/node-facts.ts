// Placeholder replaced by the host reader: reads NodeFacts under a root.
import type { NodeFacts } from '../../evidence/types.js';

export interface NodeFactsOptions {
  /** Pod UIDs whose cgroup chains should be read. */
  podUids?: string[];
}

export async function readNodeFacts(root: string, _opts: NodeFactsOptions = {}): Promise<NodeFacts> {
  return { root, limits: [], unreadable: [] };
}
