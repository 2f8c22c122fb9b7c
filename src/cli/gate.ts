// --fail-on: exit status 2 when a cause reaches a verdict, for CI and scripts that gate on findings.
import { Option } from 'commander';
import { VERDICT_ORDER, type Report, type Verdict } from '../evidence/types.js';

export type FailOn = Extract<Verdict, 'confirmed' | 'likely' | 'possible'>;

export const failOnOption = () =>
  new Option('--fail-on <verdict>', 'exit with status 2 when any cause is at least this verdict').choices([
    'confirmed',
    'likely',
    'possible',
  ]);

export function gate(report: Report, failOn: FailOn | undefined): number {
  if (!failOn) return 0;
  const limit = VERDICT_ORDER.indexOf(failOn);
  return report.incidents.some((i) => i.causes.some((c) => VERDICT_ORDER.indexOf(c.verdict) <= limit))
    ? 2
    : 0;
}
