// What a pod spec (pod.yaml, kubectl get pod -o yaml) tells `podmortem fix` about the workload to
// patch: the controller that recreates the pod (a ReplicaSet followed to its Deployment through the
// pod-template-hash label, as the Deployment controller names them) and each container's resources
// as written. Validated with zod: a field of the wrong type is left out, never a crash.
import { parseAllDocuments } from 'yaml';
import { nestsDeeperThan } from '../nesting.js';
import { z } from 'zod';

/** A container's resources as a pod spec sets them (quantities as written). */
export interface ContainerResources {
  limits?: Record<string, string>;
  requests?: Record<string, string>;
}

/** The controller to patch and each container's resources. */
export interface WorkloadSpec {
  namespace: string;
  pod: string;
  /** Deployment, StatefulSet, DaemonSet, CronJob, ... (a ReplicaSet with a pod-template-hash is its Deployment). */
  owner?: { kind: string; name: string };
  containers: { name: string; resources: ContainerResources }[];
  /** Where it was read (pod.yaml). */
  source: string;
}

const Quantities = z.record(z.string(), z.union([z.string(), z.number()]).transform(String));
const PodView = z.object({
  kind: z.literal('Pod').optional(),
  metadata: z.object({
    name: z.string(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    ownerReferences: z
      .array(z.object({ kind: z.string(), name: z.string(), controller: z.boolean().optional() }))
      .optional(),
  }),
  spec: z.object({
    containers: z.array(
      z.object({
        name: z.string(),
        resources: z.object({ limits: Quantities.optional(), requests: Quantities.optional() }).optional(),
      }),
    ),
  }),
});

export function workloadSpecsFromText(text: string, source: string): WorkloadSpec[] {
  const out: WorkloadSpec[] = [];
  // Nested deeper than any pod spec: not parsed (the yaml parser's cost explodes with nesting).
  if (nestsDeeperThan(text)) return out;
  try {
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) return [];
      const v: unknown = doc.toJS({ maxAliasCount: 100 });
      const items =
        typeof v === 'object' && v !== null && Array.isArray((v as { items?: unknown }).items)
          ? (v as { items: unknown[] }).items
          : [v];
      for (const item of items) {
        const p = PodView.safeParse(item);
        if (!p.success) continue;
        const m = p.data.metadata;
        const owner = ownerOf(m.ownerReferences, m.labels?.['pod-template-hash']);
        out.push({
          namespace: m.namespace ?? 'default',
          pod: m.name,
          ...(owner ? { owner } : {}),
          containers: p.data.spec.containers.map((c) => ({
            name: c.name,
            resources: {
              ...(c.resources?.limits ? { limits: c.resources.limits } : {}),
              ...(c.resources?.requests ? { requests: c.resources.requests } : {}),
            },
          })),
          source,
        });
      }
    }
  } catch {
    return [];
  }
  return out;
}

function ownerOf(
  refs: { kind: string; name: string; controller?: boolean | undefined }[] | undefined,
  hash: string | undefined,
): { kind: string; name: string } | undefined {
  const ref = refs?.find((r) => r.controller) ?? refs?.[0];
  if (!ref) return undefined;
  if (ref.kind === 'ReplicaSet' && hash && ref.name.endsWith(`-${hash}`))
    return { kind: 'Deployment', name: ref.name.slice(0, -hash.length - 1) };
  // A Job created by a CronJob is named <cronjob>-<scheduled minute>: the CronJob's template is the one to patch.
  const cron = ref.kind === 'Job' ? /^(.+)-\d{8,10}$/.exec(ref.name) : null;
  if (cron) return { kind: 'CronJob', name: cron[1]! };
  return { kind: ref.kind, name: ref.name };
}
