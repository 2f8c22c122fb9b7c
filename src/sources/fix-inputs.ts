// The inputs of `podmortem fix`, sorted before any work: a podmortem JSON report (`analyze -f json`
// saved to a file or piped), pod specs (they name the workload to patch and its resources), or
// anything else, which is crash input for `analyze`. Only what a report or a pod spec can be is read
// whole, bounded; a log is left for the streaming scanner. Standard input is held (bounded) so it can
// be told apart and replayed.
import { readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describeFsError } from './fs-errors.js';
import { isGzip } from './logs/gzip.js';
import { workloadSpecsFromText, type WorkloadSpec } from './cluster/workload-spec.js';

/** A report or a pod spec list is a few MiB at most; anything larger is a log. */
const MAX_STRUCTURED_BYTES = 64 << 20;

export interface FixInputs {
  /** Parsed JSON of each input that looks like a podmortem report (validated by the caller). */
  reports: { name: string; json: unknown }[];
  workloads: WorkloadSpec[];
  /** Inputs for analyze (logs, folders, bundles, pod specs), "-" when stdin is one of them. */
  crashInputs: string[];
  /** The inputs among them that are pod specs. */
  specInputs: string[];
  /** Standard input as read, replayed for analyze when it was not a report. */
  stdin?: Readable;
  errors: string[];
}

/** A JSON object with schemaVersion and incidents: what `-f json` prints. */
function asReport(text: string): unknown {
  if (!/^\s*\{/.test(text)) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && 'schemaVersion' in v && 'incidents' in v ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A YAML document with a top-level kind or apiVersion line, or a JSON object naming one (a log is not parsed). */
function looksLikeSpec(text: string): boolean {
  const head = text.slice(0, 64 << 10);
  if (/^\s*\{/.test(head)) return /"(?:kind|apiVersion)"\s*:/.test(head);
  return /^(?:kind|apiVersion):/m.test(head);
}

async function holdStdin(stdin: Readable): Promise<Buffer | { error: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stdin as AsyncIterable<Buffer | string>) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    size += b.length;
    if (size > MAX_STRUCTURED_BYTES)
      return { error: 'standard input: more than 64 MiB; save the log to a file and name it instead.' };
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export async function readFixInputs(inputs: string[], stdin: Readable): Promise<FixInputs> {
  const out: FixInputs = { reports: [], workloads: [], crashInputs: [], specInputs: [], errors: [] };
  for (const name of inputs.length === 0 ? ['-'] : inputs) {
    let text: string | undefined;
    if (name === '-') {
      const held = await holdStdin(stdin);
      if ('error' in held) {
        out.errors.push(held.error);
        continue;
      }
      if (!isGzip(held)) text = held.toString('utf8');
      const report = text !== undefined ? asReport(text) : undefined;
      if (report) {
        out.reports.push({ name: 'standard input', json: report });
        continue;
      }
      out.stdin = Readable.from([held]);
    } else {
      try {
        const st = statSync(name);
        if (st.isFile() && st.size <= MAX_STRUCTURED_BYTES) {
          const head = readFileSync(name);
          if (!isGzip(head)) text = head.toString('utf8');
        }
      } catch (err) {
        out.errors.push(describeFsError(err, name));
        continue;
      }
      const report = text !== undefined ? asReport(text) : undefined;
      if (report) {
        out.reports.push({ name, json: report });
        continue;
      }
    }
    const specs = text !== undefined && looksLikeSpec(text) ? workloadSpecsFromText(text, name) : [];
    if (specs.length > 0) {
      out.workloads.push(...specs);
      out.specInputs.push(name);
    }
    out.crashInputs.push(name);
  }
  return out;
}
