// node.limits and the headroom audit on a limit really reached on this machine: a pids cgroup with pids.max 3 holding
// 3 tasks (and refusing a 4th), walked from /sys/fs/cgroup/pids and audited with the real process table.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { headroomWarnings } from '../../../src/diagnose/headroom.js';
import { walkLimited } from '../../../src/sources/host/cgroups.js';
import { buildLimits } from '../../../src/sources/host/limits.js';
import { readProcTable } from '../../../src/sources/host/proc-table.js';
import { HostRoot } from '../../../src/sources/host/root.js';
import { describeNeeding } from '../../prerequisites.js';

const PIDS = '/sys/fs/cgroup/pids';

describeNeeding('audit of a pids cgroup at its limit', ['linux', 'root', 'cgroup-v1-pids'], () => {
  const uid = randomUUID();
  const rel = `/kubepods-audit-${process.pid}/pod${uid}`;
  const kids: ReturnType<typeof spawn>[] = [];
  let refused = '';

  beforeAll(async () => {
    mkdirSync(`${PIDS}/kubepods-audit-${process.pid}`);
    mkdirSync(PIDS + rel);
    writeFileSync(`${PIDS}${rel}/pids.max`, '3');
    for (let i = 0; i < 3; i++)
      kids.push(
        spawn('sh', ['-c', `echo $$ > ${PIDS}${rel}/cgroup.procs && exec sleep 60`], { stdio: 'ignore' }),
      );
    for (let i = 0; i < 50 && readFileSync(`${PIDS}${rel}/pids.current`, 'utf8').trim() !== '3'; i++)
      await new Promise((r) => setTimeout(r, 100));
    // A 4th task is refused by the kernel: the limit is really reached.
    const r = spawnSync('sh', ['-c', `echo $$ > ${PIDS}${rel}/cgroup.procs && /bin/true`], {
      encoding: 'utf8',
    });
    refused = `${r.status} ${r.stderr}`;
  });

  afterAll(async () => {
    for (const k of kids) k.kill('SIGKILL');
    // A killed task leaves its cgroup when it is reaped: wait for that (a loaded machine takes longer).
    for (let i = 0; i < 100 && readFileSync(`${PIDS}${rel}/pids.current`, 'utf8').trim() !== '0'; i++)
      await new Promise((r) => setTimeout(r, 100));
    rmdirSync(PIDS + rel);
    rmdirSync(`${PIDS}/kubepods-audit-${process.pid}`);
  });

  it('reports used 3 of max 3 for the cgroup, names the holders, and warns', () => {
    expect(refused).toMatch(/Resource temporarily unavailable|fork|can't/i);
    const root = new HostRoot('/');
    const walk = walkLimited(root, 'pids', 1);
    const procs = readProcTable(root, { fds: false })!;
    const limits = buildLimits({
      node: { root: '/', unreadable: [] },
      procs,
      limitedCgroups: walk.limited,
      podNames: new Map([[uid, 'lab/audit-pod']]),
    });
    const l = limits.find((x) => x.scope === `cgroup:${rel}`)!;
    expect(l).toMatchObject({ id: 'cgroup.pids', used: 3, max: 3, ratio: 1 });
    expect(l.topConsumers!.map((c) => c.name).join(' ')).toMatch(/\(sleep, lab\/audit-pod\)/);
    expect(headroomWarnings(limits).join('\n')).toContain(`cgroup.pids cgroup:${rel} is at its limit (3/3)`);
    expect(l.evidence.map((e) => e.source)).toContain(`${PIDS}${rel}/pids.max`);
  });
});
