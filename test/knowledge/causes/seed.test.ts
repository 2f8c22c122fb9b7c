// End to end through analyze() on the founding incident's log alone (shared/seed/calico-node-restart.md,
// kept as examples/calico-node-newosproc/calico-node.log): the crash names four shared task limits and
// proves none of them; told the process ran as UID 0, RLIMIT_NPROC is excluded with the reason.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../../src/pipeline/analyze.js';

const SEED = resolve(import.meta.dirname, '../../../examples/calico-node-newosproc/calico-node.log');
const TASK_LIMITS = ['rlimit.nproc', 'cgroup.pids', 'kernel.pid_max', 'kernel.threads-max'];

describe('the calico-node seed log, alone', () => {
  it('go.newosproc with 41 threads and errno 11; the four task limits are candidates, none confirmed', async () => {
    const { report, inputErrors } = await analyze({ inputs: [SEED] });
    expect(inputErrors).toEqual([]);
    const incident = report.incidents[0]!;
    const hit = incident.signatures.find((s) => s.id === 'go.newosproc');
    expect(hit?.fields).toMatchObject({ threads: 41, errno: 11 });
    expect(hit?.evidence[0]).toMatchObject({
      line: 1,
      text: 'runtime: failed to create new OS thread (have 41 already; errno=11)',
    });
    const ids = incident.causes.map((c) => c.id);
    for (const id of TASK_LIMITS) expect(ids).toContain(id);
    expect(incident.causes.filter((c) => c.verdict === 'confirmed')).toEqual([]);
    for (const c of incident.causes.filter((x) => TASK_LIMITS.includes(x.id))) {
      expect(c.verdict).toBe('possible');
      expect(c.missing.length).toBeGreaterThan(0);
      expect(c.evidence[0]).toMatchObject({ line: 1 });
    }
    // The Go hint does not make RLIMIT_NPROC more than possible.
    const nproc = incident.causes.find((c) => c.id === 'rlimit.nproc')!;
    expect(nproc.reasons.join(' ')).toMatch(/after any EAGAIN/);
  });

  it('with --uid 0, rlimit.nproc is ruled out with the UID-0 reason and ranks last', async () => {
    const { report } = await analyze({ inputs: [SEED], uid: 0 });
    const causes = report.incidents[0]!.causes;
    const nproc = causes.find((c) => c.id === 'rlimit.nproc')!;
    expect(nproc.verdict).toBe('ruled-out');
    expect(nproc.reasons.join(' ')).toMatch(/Real UID 0 outside a user namespace is INIT_USER/);
    expect(nproc.evidence).toContainEqual(expect.objectContaining({ source: '--uid' }));
    expect(causes.at(-1)!.id).toBe('rlimit.nproc');
    for (const id of ['cgroup.pids', 'kernel.pid_max', 'kernel.threads-max']) {
      expect(causes.find((c) => c.id === id)!.verdict).toBe('possible');
    }
  });
});
