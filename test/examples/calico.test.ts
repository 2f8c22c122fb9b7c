// The founding incident end to end, through the built CLI as a user runs it (README's first command):
// calico-node's Go runtime could not create a thread on a CentOS 7 node whose PIDs were exhausted.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CauseAssessment, Report } from '../../src/evidence/types.js';
import { ensureBuilt } from '../cli/helpers.js';
import { expectValidReport } from '../schema/report-check.js';

const DIR = 'examples/calico-node-newosproc';

describe('examples/calico-node-newosproc', () => {
  let report: Report;
  let status: number | null;

  beforeAll(() => {
    ensureBuilt(); // dist/ is built once by test/global-setup.ts
    expect(existsSync('dist/cli/main.js')).toBe(true);
    const run = spawnSync(
      'node',
      [
        'dist/cli/main.js',
        'analyze',
        `${DIR}/calico-node.log`,
        `${DIR}/pod.yaml`,
        '--node-root',
        `${DIR}/node`,
        '--format',
        'json',
      ],
      { encoding: 'utf8' },
    );
    status = run.status;
    expectValidReport(run.stdout);
    report = JSON.parse(run.stdout) as Report;
  }, 180_000);

  const cause = (id: string): CauseAssessment => report.incidents[0]!.causes.find((c) => c.id === id)!;
  const said = (c: CauseAssessment): string => [c.summary, ...c.reasons].join(' ');

  it('exits 0 and names the container from pod.yaml', () => {
    expect(status).toBe(0);
    expect(report.incidents).toHaveLength(1);
    expect(report.incidents[0]!.subject).toMatchObject({
      namespace: 'kube-system',
      pod: 'calico-node-56bgm',
      container: 'calico-node',
      node: '10.165.6.26',
      restartCount: 21,
      exitCode: 2,
    });
  });

  it('recognizes the Go newosproc crash with 41 threads and errno 11 on line 1', () => {
    const hit = report.incidents[0]!.signatures.find((s) => s.id === 'go.newosproc')!;
    expect(hit.fields).toMatchObject({ threads: 41, errno: 11 });
    expect(hit.evidence[0]).toEqual({
      source: `${DIR}/calico-node.log`,
      line: 1,
      text: 'runtime: failed to create new OS thread (have 41 already; errno=11)',
    });
  });

  it('ranks kernel.pid_max confirmed first, proven by pid_max and loadavg', () => {
    const first = report.incidents[0]!.causes[0]!;
    expect(first.id).toBe('kernel.pid_max');
    expect(first.verdict).toBe('confirmed');
    expect(first.evidence).toContainEqual({ source: '/proc/sys/kernel/pid_max', line: 1, text: '32768' });
    expect(first.evidence).toContainEqual({
      source: '/proc/loadavg',
      line: 1,
      text: '12.31 11.87 11.02 9/32760 28411',
    });
    expect(first.remediation.flatMap((r) => r.commands).join('\n')).toContain('kernel.pid_max');
  });

  it('rules kernel.threads-max out by arithmetic (32760 tasks of 514875)', () => {
    const c = cause('kernel.threads-max');
    expect(c.verdict).toBe('ruled-out');
    expect(said(c)).toContain('514875');
    expect(c.evidence.map((e) => e.source)).toContain('/proc/sys/kernel/threads-max');
  });

  it('rules RLIMIT_NPROC out for a privileged container and says why 20-nproc.conf is not it', () => {
    const c = cause('rlimit.nproc');
    expect(c.verdict).toBe('ruled-out');
    expect(said(c)).toMatch(/privileged/i);
    const notes = report.incidents[0]!.notes.join(' ');
    expect(notes).toContain('/etc/security/limits.d/20-nproc.conf');
    expect(notes).toMatch(/do not reach|does not reach|never reach/);
  });

  it('reports the node limits with their headroom', () => {
    const limits = report.node!.limits;
    expect(limits).toContainEqual(
      expect.objectContaining({ id: 'kernel.pid_max', scope: 'node', used: 32760, max: 32768, ratio: 1 }),
    );
    expect(limits).toContainEqual(
      expect.objectContaining({
        id: 'kernel.threads-max',
        scope: 'node',
        used: 32760,
        max: 514875,
        ratio: 0.064,
      }),
    );
  });
});
