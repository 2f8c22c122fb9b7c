// The `fix` pipeline: a report (a saved `-f json`, or the same inputs `analyze` takes, analyzed
// here) plus what is known of the target node (its facts and files, read under --root through
// HostRoot) and of the workload (pod specs), into one plan. Writing it is the CLI's.
import type { Readable } from 'node:stream';
import type { Report } from '../evidence/types.js';
import { planFixes } from '../fix/plan.js';
import type { NodeFile, NodeTarget, Plan } from '../fix/types.js';
import { reportSchema } from '../report/schema.js';
import { readFixInputs } from '../sources/fix-inputs.js';
import { readNodeFacts } from '../sources/host/node-facts.js';
import { HostRoot } from '../sources/host/root.js';
import { analyze } from './analyze.js';

/** Config files are small; a larger one is not edited blind. */
const MAX_NODE_FILE = 1 << 20;

export interface FixOptions {
  inputs: string[];
  /** Node evidence for the analysis (as analyze --node-root). */
  nodeRoot?: string;
  /** The node the changes are for: its files are read to plan against (and written by --apply). */
  root?: string;
  uid?: number;
  stdin?: Readable;
}

export interface FixResult {
  plan: Plan;
  report: Report;
  /** Confirmed and likely causes in the report: 0 means nothing is sure enough to change. */
  actionable: number;
  /** Inputs that could not be used (exit status 1). */
  inputErrors: string[];
  warnings: string[];
}

export async function planFix(opts: FixOptions): Promise<FixResult> {
  const inputs = await readFixInputs(opts.inputs, opts.stdin ?? process.stdin);
  const inputErrors = [...inputs.errors];
  let report: Report;
  if (inputs.reports.length > 0) {
    const logs = inputs.crashInputs.filter((n) => !inputs.specInputs.includes(n));
    for (const l of logs)
      inputErrors.push(
        `${l === '-' ? 'standard input' : l}: neither a podmortem report nor a pod spec; give a saved report (podmortem analyze ... -f json) or the crash inputs, not both.`,
      );
    const incidents: Report['incidents'] = [];
    const warnings: string[] = [];
    for (const r of inputs.reports) {
      const parsed = reportSchema.safeParse(r.json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        inputErrors.push(
          `${r.name}: not a podmortem JSON report (${issue ? `${issue.path.join('.') || 'the top level'}: ${issue.message}` : 'wrong shape'}).`,
        );
        continue;
      }
      const rep = parsed.data as unknown as Report;
      incidents.push(...rep.incidents);
      warnings.push(...(rep.warnings ?? []));
    }
    report = { schemaVersion: 1, incidents, warnings };
  } else {
    const analyzed = await analyze({
      inputs: inputs.crashInputs,
      ...(opts.nodeRoot !== undefined ? { nodeRoot: opts.nodeRoot } : {}),
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(inputs.stdin ? { stdin: inputs.stdin } : {}),
    });
    report = analyzed.report;
    inputErrors.push(...analyzed.inputErrors);
  }
  const rootDir = opts.root ?? opts.nodeRoot;
  const target: NodeTarget = {};
  if (rootDir !== undefined) {
    const host = new HostRoot(rootDir);
    target.facts = await readNodeFacts(rootDir);
    target.read = (path) => readNodeFile(host, path);
  }
  const plan = planFixes(report, target, inputs.workloads);
  const actionable = report.incidents
    .flatMap((i) => i.causes)
    .filter((c) => c.verdict === 'confirmed' || c.verdict === 'likely').length;
  return {
    plan,
    report,
    actionable,
    inputErrors,
    warnings: report.warnings.filter((w) => !inputErrors.includes(w)),
  };
}

/** A host file for the planner: its text, null when absent, or why it cannot be used. */
function readNodeFile(host: HostRoot, path: string): NodeFile {
  const r = host.resolve(path);
  if (!r.ok) return r.code === 'ENOENT' && !r.viaLink ? null : { error: r.reason };
  const t = host.read(path, { quiet: true, maxBytes: MAX_NODE_FILE });
  if (!t) return { error: `${path}: could not be read under ${host.given}.` };
  if (t.truncated) return { error: `${path}: larger than 1 MiB; it is not edited.` };
  return { text: t.text };
}
