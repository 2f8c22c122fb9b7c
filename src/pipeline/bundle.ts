// `analyze BUNDLE`: a bundle read back offline (src/sources/bundle/read.ts) goes through the same
// incident builder and report assembly as the live scan, so the diagnosis is the one the scan gave.
import type { Incident, Report } from '../evidence/types.js';
import type { BundleManifest } from '../sources/bundle/layout.js';
import { withBundle } from '../sources/bundle/read.js';
import { assembleReport, readNodeEvidence } from './cluster-report.js';
import { containerIncident } from './cluster-incident.js';

export interface BundleResult {
  report?: Report;
  manifest?: BundleManifest;
  /** One sentence when the bundle cannot be read at all. */
  error?: string;
}

export async function analyzeBundle(path: string): Promise<BundleResult> {
  const r = await withBundle(path, async (b) => {
    const warnings = b.warnings;
    const nodeEvidence =
      b.nodeSnapshots !== undefined
        ? await readNodeEvidence(b.nodeSnapshots, b.evidence, warnings)
        : undefined;
    const incidents: Incident[] = [];
    for await (const { ctx, log } of b.containers()) {
      const snapshot = ctx.crashed.node ? nodeEvidence?.get(ctx.crashed.node) : undefined;
      const { incident, warnings: w } = await containerIncident(ctx, log, snapshot);
      incidents.push(incident);
      warnings.push(...w);
    }
    return { report: assembleReport(b.evidence, incidents, warnings, nodeEvidence), manifest: b.manifest };
  });
  return 'error' in r ? { error: r.error } : r.value;
}

/** Every bundle given to analyze, merged: incidents first, findings re-indexed, problems as warnings. */
export async function readBundles(
  paths: string[],
  inputErrors: string[],
): Promise<Pick<Report, 'incidents' | 'warnings'> & { findings: NonNullable<Report['findings']> }> {
  const out = {
    incidents: [] as Incident[],
    findings: [] as NonNullable<Report['findings']>,
    warnings: [] as string[],
  };
  for (const p of paths) {
    const r = await analyzeBundle(p);
    if (r.error || !r.report) {
      inputErrors.push(r.error ?? `${p}: cannot be read.`);
      continue;
    }
    const base = out.incidents.length;
    out.incidents.push(...r.report.incidents);
    for (const f of r.report.findings ?? []) {
      out.findings.push({
        ...f,
        incidents: f.incidents.map((i) => i + base),
        ...(f.root !== undefined ? { root: f.root + base } : {}),
      });
    }
    out.warnings.push(...r.report.warnings);
  }
  return out;
}
