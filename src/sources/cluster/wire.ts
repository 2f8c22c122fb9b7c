// The few fields of API objects (wire JSON) the scan reads beyond pod-facts.ts, validated with zod:
// objects come from a server or a bundle someone handed over, and a field of the wrong type is
// ignored, never a crash.
import { z } from 'zod';
import { tolerantParse } from './tolerant.js';

export type WireObject = Record<string, unknown> & {
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; [k: string]: unknown };
};

/** Owner kinds the scan follows up the controller chain. */
export const OWNER_KINDS = [
  'ReplicaSet',
  'Deployment',
  'DaemonSet',
  'StatefulSet',
  'Job',
  'CronJob',
] as const;
export type OwnerKind = (typeof OWNER_KINDS)[number];

const OwnerRef = z.object({ kind: z.string(), name: z.string(), controller: z.boolean().optional() });
const Meta = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  ownerReferences: z.array(OwnerRef).optional(),
});
export const ObjectMeta = z.object({ kind: z.string().optional(), metadata: Meta });

/** The controller that owns an object (ownerReferences with controller: true, else the first). */
export function controllerOf(obj: unknown): { kind: string; name: string } | undefined {
  const m = ObjectMeta.safeParse(obj);
  if (!m.success) return undefined;
  const refs = m.data.metadata.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller) ?? refs[0];
  return ref ? { kind: ref.kind, name: ref.name } : undefined;
}

/**
 * A DNS-1123 subdomain (lowercase labels of [a-z0-9-] joined by dots, at most 253 characters): what
 * the API server requires of a node name (ValidateNodeName). A name that is not one did not come from
 * a real API server, and must never become a path (`../../etc`, `/`, a NUL).
 */
export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s);
}
const NodeName = z.string().refine(isDnsSubdomain, { error: 'a DNS-1123 subdomain (a node name)' });

/** RFC 3339 as the API writes metav1.Time (2026-11-29T11:57:30Z); anything else is not a time. */
export const Timestamp = z
  .string({ error: 'an RFC 3339 time' })
  .refine(
    (s) =>
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)),
    {
      error: 'an RFC 3339 time',
    },
  );
/** A count (restarts): a whole number, not negative. */
export const Count = z
  .number({ error: 'a whole number' })
  .int({ error: 'a whole number' })
  .min(0, { error: 'not negative' });
/** A whole number (an exit code, a UID): signals are 128+n, UIDs are never fractions. */
export const WholeNumber = z.number({ error: 'a whole number' }).int({ error: 'a whole number' });
export const ExitCode = WholeNumber;

const Terminated = z
  .object({
    exitCode: ExitCode.optional(),
    reason: z.string().optional(),
    finishedAt: Timestamp.optional(),
  })
  .partial();
const ContainerStatus = z.object({
  name: z.string(),
  ready: z.boolean().optional(),
  restartCount: Count.optional(),
  state: z
    .object({
      waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
      terminated: Terminated.optional(),
    })
    .partial()
    .optional(),
  lastState: z.object({ terminated: Terminated.optional() }).partial().optional(),
});
const Resources = z
  .object({
    limits: z.record(z.string(), z.string()).optional(),
    requests: z.record(z.string(), z.string()).optional(),
  })
  .partial();
export const PodStatusView = z.object({
  metadata: Meta,
  spec: z
    .object({
      nodeName: NodeName.optional(),
      containers: z.array(z.object({ name: z.string(), resources: Resources.optional() })).optional(),
      initContainers: z.array(z.object({ name: z.string(), resources: Resources.optional() })).optional(),
    })
    .partial()
    .optional(),
  status: z
    .object({
      phase: z.string().optional(),
      conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
      containerStatuses: z.array(ContainerStatus).optional(),
      initContainerStatuses: z.array(ContainerStatus).optional(),
    })
    .partial()
    .optional(),
});
export type PodView = z.infer<typeof PodStatusView>;

/** The pod's status view, each malformed field left out (podDefects names them); undefined: not a pod. */
export function podView(pod: unknown): PodView | undefined {
  return tolerantParse(PodStatusView, pod).data;
}
export type ContainerStatusView = z.infer<typeof ContainerStatus>;

export const EventView = z.object({
  type: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  count: z.number().optional(),
  lastTimestamp: z.string().nullable().optional(),
  eventTime: z.string().nullable().optional(),
  involvedObject: z
    .object({ name: z.string().optional(), fieldPath: z.string().optional() })
    .partial()
    .optional(),
});
export type EventV = z.infer<typeof EventView>;

export const NodeView = z.object({
  metadata: Meta,
  status: z
    .object({
      conditions: z
        .array(
          z.object({
            type: z.string(),
            status: z.string(),
            reason: z.string().optional(),
            message: z.string().optional(),
          }),
        )
        .optional(),
      nodeInfo: z
        .object({
          kernelVersion: z.string(),
          osImage: z.string(),
          containerRuntimeVersion: z.string(),
          kubeletVersion: z.string(),
        })
        .partial()
        .optional(),
    })
    .partial()
    .optional(),
});
export type NodeV = z.infer<typeof NodeView>;

/** Kubernetes quantity (256Mi, 1G, 512000) in bytes; undefined when unparseable. */
export function parseQuantity(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/.exec(q.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    m: 1e-3,
  };
  return Math.round(Number(m[1]) * (m[2] ? mult[m[2]]! : 1));
}
