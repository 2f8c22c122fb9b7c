// The JSON report's shape, written once: the zod schema below is what `--format json` prints
// (../../../shared/CONTRACT.md, "JSON report"), schema/report.schema.json is generated from it
// (`npm run schema`), and the compile-time checks at the end keep it in step with the Report model
// of src/evidence/types.ts. A field added to the model fails the build until it is added here.
import { z } from 'zod';
import type { Report } from '../evidence/types.js';

const int = () => z.number().int();

const evidence = z
  .object({
    source: z.string().meta({
      description:
        'Where it was read: a log file name, a host path such as /proc/sys/kernel/pid_max, an API object.',
    }),
    line: int()
      .min(1)
      .optional()
      .meta({ description: '1-based line number when the source is a log or a text file.' }),
    text: z.string().meta({ description: 'What was read there, as read.' }),
    of: z.enum(['crashed', 'restarted', 'node']).optional().meta({
      description:
        'Whose usage fact this is: the crashed instance, the restarted instance running now (its usage says nothing of what the crashed one held), or the node now. Absent for limits and crash lines.',
    }),
  })
  .meta({ id: 'Evidence', description: 'One piece of proof: the place it was read and what it said.' });

/** Cause ids are strings: the contract's ids keep their meaning and new ones may be added (see reportJsonSchema). */
const causeId = z.string().min(1).meta({ id: 'CauseId' });

const subject = z
  .object({
    namespace: z.string().optional(),
    pod: z.string().optional(),
    container: z.string().optional(),
    podUid: z.string().optional(),
    node: z.string().optional(),
    restartCount: int().nonnegative().optional(),
    exitCode: int().optional(),
    reason: z
      .string()
      .optional()
      .meta({ description: 'lastState.terminated.reason, e.g. OOMKilled, Error.' }),
    source: z.string().optional().meta({ description: 'The log file or object the incident was read from.' }),
    owner: z
      .string()
      .optional()
      .meta({ description: 'The workload that owns the pod, e.g. "Deployment shop/checkout".' }),
    finishedAt: z
      .string()
      .optional()
      .meta({ description: 'When the crashed container last terminated (RFC 3339).' }),
  })
  .meta({
    id: 'Subject',
    description: 'What is known of the crashed container; each field is present when known.',
  });

const signature = z
  .object({
    id: z.string().min(1).meta({ description: 'A signature id (`podmortem explain` lists them); stable.' }),
    title: z.string(),
    fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).meta({
      description: 'Values the signature extracted from the line (threads, errno, errnoName, ...).',
    }),
    evidence: z.array(evidence),
    count: int().min(1).meta({ description: 'How many lines matched (evidence keeps only the first few).' }),
  })
  .meta({ id: 'Signature', description: 'A recognized crash line (or block) with the fields it extracted.' });

const remediation = z.object({ summary: z.string(), commands: z.array(z.string()) });

const cause = z
  .object({
    id: causeId,
    verdict: z.enum(['confirmed', 'likely', 'possible', 'unlikely', 'ruled-out']).meta({
      description:
        'confirmed: the evidence shows the limit was reached; likely: fits, nothing contradicts it, no proof; possible: not excluded, `missing` says what would decide it; unlikely: evidence speaks against it; ruled-out: the evidence excludes it.',
    }),
    summary: z.string(),
    reasons: z.array(z.string()).meta({ description: 'Why this verdict: one sentence per argument.' }),
    evidence: z.array(evidence),
    missing: z
      .array(z.string())
      .meta({ description: 'What would decide it, each a command to run or a file to read.' }),
    remediation: z.array(remediation),
  })
  .meta({ id: 'Cause', description: 'A candidate cause with its verdict and proof.' });

export const limitSchema = z
  .object({
    id: causeId,
    scope: z
      .string()
      .regex(/^(node|uid:[0-9]+|cgroup:\/.*|process:[0-9]+)$/)
      .meta({
        description:
          'node, uid:<n> (per-user limits), cgroup:<path> (path as in /proc/<pid>/cgroup), or process:<pid> (per-process limits).',
      }),
    used: int().nonnegative().nullable(),
    max: int().nonnegative().nullable().meta({ description: 'null when unlimited.' }),
    ratio: z
      .number()
      .nullable()
      .meta({ description: 'used / max, rounded to 3 decimals; null when either is unknown or unlimited.' }),
    evidence: z.array(evidence),
    peak: int()
      .nonnegative()
      .nullable()
      .optional()
      .meta({ description: 'Highest value the kernel recorded, when it keeps one.' }),
    events: int().nonnegative().nullable().optional().meta({
      description: 'Times the limit was hit, as the kernel counted (pids.events max, failcnt, oom_kill).',
    }),
    topConsumers: z
      .array(z.object({ name: z.string(), used: int() }))
      .optional()
      .meta({ description: 'Who holds most of it (pod, container, process, uid), when known.' }),
  })
  .meta({ id: 'Limit', description: 'One limit and scope with its headroom.' });

const finding = z
  .object({
    kind: z.enum(['replicas', 'node', 'missing-evidence']),
    summary: z.string(),
    incidents: z.array(int().min(0)).meta({ description: 'Indexes into incidents.' }),
    root: int().min(0).optional().meta({ description: 'The incident named as the likely root cause.' }),
    blastRadius: z.array(z.object({ pod: z.string(), why: z.string() })).optional(),
    node: z.string().optional(),
    topConsumer: z.object({ name: z.string(), used: int(), limit: z.string() }).optional(),
    evidence: z.array(evidence),
    next: z.array(z.string()).meta({ description: 'What to do or read next.' }),
  })
  .meta({
    id: 'Finding',
    description: 'A conclusion over several incidents (scan, collect, bundles) or about the scan itself.',
  });

/** The report built from the given signature and cause shapes: the JSON report, or the in-memory model. */
function reportOf<S extends z.ZodType, C extends z.ZodType>(sig: S, cau: C) {
  const incident = z.object({
    subject,
    signatures: z.array(sig),
    causes: z.array(cau).meta({
      description:
        'Every candidate the signatures raised, most likely first, ruled-out ones included with the reason.',
    }),
    notes: z.array(z.string()).meta({ description: 'What the analysis noticed that is not a cause.' }),
    tail: z
      .array(evidence)
      .optional()
      .meta({ description: 'The last lines the container printed, for crashes no signature explains.' }),
  });
  return z.object({
    schemaVersion: z.literal(1),
    incidents: z.array(incident),
    findings: z.array(finding).optional(),
    node: z
      .object({
        limits: z.array(limitSchema).meta({ description: 'One entry per limit and scope.' }),
        runtime: z
          .object({ name: z.string(), endpoint: z.string(), version: z.string().optional() })
          .optional()
          .meta({
            description:
              'The container runtime whose records were read (podmortem node): docker, containerd, cri-o; the endpoint used (unix:///run/containerd/containerd.sock); its version.',
          }),
      })
      .optional()
      .meta({ description: 'Present when node evidence was read.' }),
    warnings: z.array(z.string()).meta({ description: 'One sentence per thing that could not be read.' }),
  });
}

/** The report `--format json` prints. */
export const reportSchema = reportOf(signature, cause);
export type JsonReport = z.infer<typeof reportSchema>;

/** The in-memory model: the JSON report plus what only the ranking uses (a signature's family, a cause's weight). */
const _reportModelSchema = reportOf(
  signature.extend({ family: z.string() }),
  cause.extend({ weight: z.number() }),
);

/**
 * The JSON Schema (draft 2020-12) published as schema/report.schema.json. knownCauseIds are the
 * contract's cause ids: listed for readers, not enforced, since new ids may be added.
 */
export function reportJsonSchema(knownCauseIds: readonly string[]): Record<string, unknown> {
  const generated = z.toJSONSchema(reportSchema, {
    target: 'draft-2020-12',
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema === causeId) {
        jsonSchema.description = `A cause (or limit) id. Known ids: ${knownCauseIds.join(', ')}; new ids may be added, existing ids keep their meaning (podmortem explain ID describes each).`;
        jsonSchema.examples = [...knownCauseIds];
      }
    },
  });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'podmortem report, schemaVersion 1',
    description:
      'What `podmortem ... --format json` prints: incidents (the crashed container, the recognized crash signatures, every candidate cause with its verdict and proof), cross-incident findings, node limits with their headroom, and warnings.',
    ...rest,
  };
}

// Compile-time checks: the model and the schema describe the same thing, key for key. `Exact` is
// identity (not mere assignability, which ignores a missing optional field).
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const _modelInStep: Exact<z.infer<typeof _reportModelSchema>, Report> = true;
void _modelInStep;
