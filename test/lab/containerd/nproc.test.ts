// RLIMIT_NPROC on containerd: the limit reaches containers from the runtime daemon (containerd runs
// under LimitNPROC 90 here, as a systemd unit would set it; CRI has no ulimits), and it counts the
// tasks of one real UID across every container of the node. A pod of UID X holds 60 threads; another
// pod of the same UID dies creating threads. `podmortem node` must confirm rlimit.nproc by arithmetic
// (the crash's "have N already" plus the UID's other tasks reach 90) and exclude the pids cgroup.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident, Report } from '../../../src/evidence/types.js';
import { CLI, ensureBuilt } from '../../cli/helpers.js';
import { expectValidReport } from '../../schema/report-check.js';
import { freshUids } from '../harness/index.js';
import { ContainerdLab, labUnavailable } from './lab.js';

const why = labUnavailable();
const ci = process.env.CI === 'true';
if (why && !ci) console.warn(`containerd nproc lab skipped: ${why}`);

describe.skipIf(why !== undefined && !ci)('RLIMIT_NPROC shared by a UID across containerd containers', () => {
  let lab: ContainerdLab;
  let report: Report;
  const [uid] = freshUids(1) as [number];

  beforeAll(async () => {
    if (why) throw new Error(`the containerd lab cannot run: ${why}`);
    ensureBuilt();
    lab = new ContainerdLab({ nproc: 90 });
    await lab.start();
    const holder = await lab.runPod({ pod: 'nproc-holder', namespace: 'lab' });
    await lab.runContainer(holder, {
      container: 'holder',
      user: uid,
      command: ['/bin/crashlab', 'hold', '60'],
    });
    await lab.logged(join(holder.logDirectory, 'holder', '0.log'), 'crashlab: holding 60 threads');
    const crasher = await lab.runPod({ pod: 'nproc-go', namespace: 'lab' });
    const crashed = await lab.runContainer(crasher, {
      container: 'app',
      user: uid,
      command: ['/bin/crashlab', 'threads'],
    });
    await lab.exited(crashed);
    await lab.runContainer(crasher, {
      container: 'app',
      attempt: 1,
      user: uid,
      command: ['/bin/crashlab', 'hold', '3'],
    });
    await lab.logged(join(crasher.logDirectory, 'app', '1.log'), 'crashlab: holding 3 threads');
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'node',
        '--root',
        '/',
        '--log-dir',
        lab.logDir,
        '--runtime-endpoint',
        `unix://${lab.socket}`,
        '--format',
        'json',
      ],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 },
    );
    expect(r.status, r.stderr).toBe(0);
    expectValidReport(r.stdout);
    report = JSON.parse(r.stdout) as Report;
  }, 300_000);

  afterAll(async () => {
    await lab?.teardown();
  });

  it('confirms rlimit.nproc by arithmetic, first, and excludes the pids cgroup', () => {
    const inc = report.incidents.find((i) => i.subject.pod === 'nproc-go') as Incident;
    const verdicts = inc.causes.map((c) => `${c.id}=${c.verdict}`).join(', ');
    expect(inc.signatures.map((s) => s.id)).toContain('go.newosproc');
    expect(inc.causes[0]!.id, verdicts).toBe('rlimit.nproc');
    expect(inc.causes[0]!.verdict, verdicts).toBe('confirmed');
    const said = inc.causes[0]!.evidence.map((e) => `${e.source} ${e.text}`).join('\n');
    expect(said).toMatch(/Max processes\s+90/);
    expect(said).toContain(String(uid));
    expect(['ruled-out', 'unlikely']).toContain(inc.causes.find((c) => c.id === 'cgroup.pids')?.verdict);
  });
});
