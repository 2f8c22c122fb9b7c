// The contract's JSON report (schemaVersion 1). Strings stay as read: JSON escaping makes control
// characters harmless, and scripts want the exact text. Its shape is schema.ts's, checked here by the
// compiler and published as schema/report.schema.json.
import type { Report } from '../evidence/types.js';
import type { JsonReport } from './schema.js';

export function renderJson(report: Report): string {
  const { incidents, node, warnings } = report;
  const out: JsonReport = {
    schemaVersion: report.schemaVersion,
    incidents: incidents.map((i) => ({
      subject: i.subject,
      signatures: i.signatures.map(({ id, title, fields, evidence, count }) => ({
        id,
        title,
        fields,
        evidence,
        count,
      })),
      causes: i.causes.map(({ id, verdict, summary, reasons, evidence, missing, remediation }) => ({
        id,
        verdict,
        summary,
        reasons,
        evidence,
        missing,
        remediation,
      })),
      notes: i.notes,
    })),
    // Cross-incident findings of scan/collect/bundles (replicas, node root + blast radius, missing evidence).
    ...(report.findings ? { findings: report.findings } : {}),
    ...(node ? { node } : {}),
    warnings,
  };
  return JSON.stringify(out, null, 2) + '\n';
}
