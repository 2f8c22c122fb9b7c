// Pods in YAML or JSON text: a Pod, a List of Pods (kubectl get pods -o yaml), several documents.
// A document counts as a pod spec when it says kind: Pod, or has no kind but an apiVersion and
// spec.containers (a trimmed copy). Anything else gives [] and is read as a log. A pod with a field
// that cannot be read (a timestamp that is not a time, a string where a number is) is still a pod:
// the field is left out and named in one sentence.
import { parseAllDocuments } from 'yaml';
import { podDefects, podSpec, type Pod } from '../cluster/pod-facts.js';
import { nestsDeeperThan } from '../nesting.js';

export interface PodRead {
  pod: Pod;
  /** The sentence naming the fields that were ignored, when some were malformed. */
  defects?: string;
}

/** `from`: how the sentences name where the pod came from (the file name, "stdin"). */
export function podsFromText(text: string, from: string): PodRead[] {
  // Nested deeper than any pod spec: not parsed (the parser's cost explodes), read as a log instead.
  if (nestsDeeperThan(text)) return [];
  try {
    const pods: PodRead[] = [];
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) return [];
      const v: unknown = doc.toJS({ maxAliasCount: 100 });
      const items = isList(v) ? v.items : [v];
      for (const item of items) {
        if (!namesAPod(item)) continue;
        const pod = podSpec(item);
        const defects = podDefects(item, from);
        if (pod) pods.push({ pod, ...(defects ? { defects } : {}) });
      }
    }
    return pods;
  } catch {
    return [];
  }
}

function namesAPod(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { kind?: unknown; apiVersion?: unknown; spec?: { containers?: unknown } };
  if (o.kind === 'Pod') return true;
  return o.kind === undefined && typeof o.apiVersion === 'string' && Array.isArray(o.spec?.containers);
}

function isList(v: unknown): v is { items: unknown[] } {
  return typeof v === 'object' && v !== null && Array.isArray((v as { items?: unknown }).items);
}
