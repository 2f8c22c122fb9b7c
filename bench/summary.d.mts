// Types of bench/summary.mjs for test/bench/summary.test.ts (the bench scripts are plain ESM).
export const BEGIN: string;
export const END: string;
export interface SummaryRow {
  figure: string;
  podmortem: string;
  peers: string;
  ratio: string;
  target: string;
  met: string;
}
/** The run record bench/all.mjs writes (bench/out/bench-summary.json); results hold each bench's --json output. */
export interface BenchRun {
  date: string;
  command: string;
  commit: string;
  dirty: boolean;
  cpus: number;
  load: { before: number[]; after: number[] };
  results: Record<string, unknown>;
}
export function summaryRows(run: BenchRun): SummaryRow[];
export function renderSummary(run: BenchRun): string;
export function rewriteReadme(text: string, block: string): string;
