// What a Pod object (from the API, a bundle, or a pod.yaml given to analyze) says about a container:
// who it is (namespace, pod, uid, node, restarts, last termination) and how its process runs
// (real UID, privileged, capabilities, user namespace). Validated with zod: objects from outside are
// untrusted and a field of the wrong type is ignored, never a crash.
import { z } from 'zod';
import type { Evidence, ProcessFacts, Subject } from '../../evidence/types.js';
import { runtimeEnvEntry } from '../runtime-env.js';
import { neutral } from './retry.js';
import { defectsText, tolerantParse } from './tolerant.js';
import {
  Count,
  ExitCode,
  isDnsSubdomain,
  parseQuantity,
  PodStatusView,
  Timestamp,
  WholeNumber,
} from './wire.js';

const SecurityContext = z
  .object({
    runAsUser: WholeNumber.optional(),
    privileged: z.boolean().optional(),
    capabilities: z
      .object({ add: z.array(z.string()).optional() })
      .partial()
      .optional(),
  })
  .partial();

const Container = z.object({
  name: z.string(),
  securityContext: SecurityContext.optional(),
  // Read for the fix only: a field of the wrong type is dropped (.catch), never the whole pod.
  image: z.string().optional().catch(undefined),
  command: z.array(z.string()).optional().catch(undefined),
  args: z.array(z.string()).optional().catch(undefined),
  env: z
    .array(z.object({ name: z.string(), value: z.string().optional() }))
    .optional()
    .catch(undefined),
  resources: z
    .object({ limits: z.object({ memory: z.union([z.string(), z.number()]) }).partial() })
    .partial()
    .optional()
    .catch(undefined),
});

const Terminated = z
  .object({ exitCode: ExitCode, reason: z.string(), finishedAt: Timestamp, startedAt: Timestamp })
  .partial();

const ContainerStatus = z.object({
  name: z.string(),
  restartCount: Count.optional(),
  lastState: z.object({ terminated: Terminated.optional() }).partial().optional(),
  state: z
    .object({
      terminated: Terminated.optional(),
      waiting: z.object({ reason: z.string().optional() }).optional(),
    })
    .partial()
    .optional(),
});

export const PodSchema = z.object({
  kind: z.literal('Pod').optional(),
  metadata: z.object({ name: z.string(), namespace: z.string().optional(), uid: z.string().optional() }),
  spec: z.object({
    nodeName: z.string().refine(isDnsSubdomain, { error: 'a DNS-1123 subdomain (a node name)' }).optional(),
    hostUsers: z.boolean().optional(),
    securityContext: z.object({ runAsUser: WholeNumber.optional() }).partial().optional(),
    containers: z.array(Container).min(1),
    initContainers: z.array(Container).optional(),
  }),
  status: z
    .object({ containerStatuses: z.array(ContainerStatus).optional() })
    .partial()
    .optional(),
});
export type Pod = z.infer<typeof PodSchema>;

/** The pod's spec view, each malformed field left out; undefined when it names no pod or container. */
export function podSpec(pod: unknown): Pod | undefined {
  return tolerantParse(PodSchema, pod).data;
}

/**
 * One sentence naming the fields of a pod object that could not be read (they were ignored, the
 * rest of the pod was used), or undefined when every field the diagnosis reads is well-formed.
 * `from` says whose object it is: "the API server", "pod.yaml".
 */
export function podDefects(pod: unknown, from: string): string | undefined {
  const status = tolerantParse(PodStatusView, pod);
  const spec = tolerantParse(PodSchema, pod);
  const seen = new Set<string>();
  const defects = [...status.defects, ...spec.defects].filter((d) => !seen.has(d.field) && seen.add(d.field));
  if (defects.length === 0) return undefined;
  const m = (pod as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  const name =
    typeof m?.name === 'string'
      ? `pod ${typeof m.namespace === 'string' ? `${m.namespace}/` : ''}${m.name}`.slice(0, 300)
      : 'a pod object';
  if (!status.data)
    return `${neutral(name)} from ${from} could not be read at all and was skipped (${defectsText(defects)}).`;
  return `${neutral(name)} from ${from} has ${defects.length === 1 ? 'a field' : `${defects.length} fields`} that could not be read, ignored while the rest was used: ${defectsText(defects)}.`;
}

export interface PodContainerFacts {
  subject: Subject;
  process: ProcessFacts;
  /** Remarks for the report (e.g. the image's default user is unknown). */
  notes: string[];
}

/** Facts of one container of a pod: the named one, or the only/first one. */
export function podContainerFacts(pod: Pod, source: string, containerName?: string): PodContainerFacts {
  const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  const c =
    (containerName ? all.find((x) => x.name === containerName) : undefined) ?? pod.spec.containers[0]!;
  const notes: string[] = [];
  if (!containerName && pod.spec.containers.length > 1) {
    notes.push(`The pod has ${pod.spec.containers.length} containers; facts were taken from "${c.name}".`);
  }
  const status = pod.status?.containerStatuses?.find((s) => s.name === c.name);
  const term = status?.lastState?.terminated ?? status?.state?.terminated;
  const subject: Subject = {
    pod: pod.metadata.name,
    container: c.name,
    ...(pod.metadata.namespace ? { namespace: pod.metadata.namespace } : {}),
    ...(pod.metadata.uid ? { podUid: pod.metadata.uid } : {}),
    ...(pod.spec.nodeName ? { node: pod.spec.nodeName } : {}),
    ...(status?.restartCount !== undefined ? { restartCount: status.restartCount } : {}),
    ...(term?.exitCode !== undefined ? { exitCode: term.exitCode } : {}),
    ...(term?.reason ? { reason: term.reason } : {}),
  };
  const at = (field: string, text: string): Evidence => ({ source: `${source} (${field})`, text });
  const process: ProcessFacts = {};
  const userNs = pod.spec.hostUsers === false;
  process.userNamespace = {
    value: userNs,
    evidence: at(
      'spec.hostUsers',
      userNs ? 'hostUsers: false' : 'hostUsers not false: the pod shares the host user namespace',
    ),
  };
  const uid = c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  if (uid !== undefined) {
    const field =
      c.securityContext?.runAsUser !== undefined
        ? `containers[${c.name}].securityContext.runAsUser`
        : 'spec.securityContext.runAsUser';
    process.realUid = { value: uid, evidence: at(field, `runAsUser: ${uid}`) };
  } else {
    notes.push(
      `The pod spec sets no runAsUser for "${c.name}": the process runs as the image's USER (root unless the image says otherwise).`,
    );
  }
  if (c.securityContext?.privileged !== undefined) {
    process.privileged = {
      value: c.securityContext.privileged,
      evidence: at(
        `containers[${c.name}].securityContext.privileged`,
        `privileged: ${c.securityContext.privileged}`,
      ),
    };
  }
  const add = c.securityContext?.capabilities?.add;
  if (add && add.length > 0) {
    const caps = add.map((x) => x.replace(/^CAP_/, '').toUpperCase());
    process.capabilities = {
      value: caps,
      evidence: at(`containers[${c.name}].securityContext.capabilities.add`, caps.join(', ')),
    };
  }
  Object.assign(process, workloadFacts(c, at));
  return { subject, process, notes };
}

/** A JVM (-Xmx, -XX:...) or Node.js heap flag on a command line. */
const RUNTIME_FLAG = /^-(?:X[^X:]|XX:|-max-old-space-size=)[\w.%:=+-]{0,60}$/;

/** What the container runs and the memory it may use: the language runtime and the limit a fix must fit in. */
function workloadFacts(
  c: z.infer<typeof Container>,
  at: (field: string, text: string) => Evidence,
): ProcessFacts {
  const out: ProcessFacts = {};
  const field = `containers[${c.name}]`;
  const memory = c.resources?.limits?.memory;
  const bytes = memory === undefined ? undefined : parseQuantity(String(memory));
  if (bytes !== undefined)
    out.memoryLimit = { value: bytes, evidence: at(`${field}.resources.limits.memory`, `memory: ${memory}`) };
  if (c.image) out.image = { value: c.image, evidence: at(`${field}.image`, `image: ${c.image}`) };
  // Only the program and its runtime flags matter here; the rest of a command line may hold secrets.
  const flags = [...(c.command?.slice(1) ?? []), ...(c.args ?? [])].filter((a) => RUNTIME_FLAG.test(a));
  const shown = [...(c.command?.[0] ? [c.command[0]] : []), ...flags].join(' ').slice(0, 256);
  if (shown)
    out.command = { value: shown, evidence: at(`${field}.${c.command ? 'command' : 'args'}`, shown) };
  const env = (c.env ?? []).flatMap((e) => {
    const entry = runtimeEnvEntry(e.name, e.value);
    return entry ? [{ value: entry, evidence: at(`${field}.env[${e.name}]`, entry) }] : [];
  });
  if (env.length > 0) out.runtimeEnv = env;
  return out;
}
