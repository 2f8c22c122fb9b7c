// Real crashes of kernel.pid_max: the founding incident's Go crash against node-wide task counts.
// CentOS 7 keeps pid_max 32768; systemd >= 243 raises it to 4194304.
import type { CauseCase } from '../../types.js';
import {
  loadavg,
  nodeFacts,
  pidMax,
  pidsLevel,
  SEED_LOG,
  SEED_SOURCE,
  threadsMax,
} from '../shared/case-facts.js';

export const cases: CauseCase[] = [
  {
    name: 'no node evidence: possible, naming what decides it',
    source: SEED_SOURCE,
    log: SEED_LOG,
    expect: { verdict: 'possible', said: [/no node evidence/], missing: [/pid_max/] },
  },
  {
    name: 'CentOS 7: 32760 tasks of 32768',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ pidMax: pidMax(32768), tasks: loadavg(32760), threadsMax: threadsMax(514875) }),
    // PIDs 1 to 32767 (alloc_pid: [1, pid_max)): 32760 tasks leave at most 7, not 8.
    expect: {
      verdict: 'confirmed',
      first: true,
      said: [/32760 tasks holds a PID, and kernel\.pid_max 32768 allows 32767 PIDs .*at most 7 are left/],
      notSaid: [/8 free/],
    },
  },
  {
    name: '1200 tasks of 32768',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ pidMax: pidMax(32768), tasks: loadavg(1200) }),
    expect: { verdict: 'unlikely', said: [/1200 of 32768 PIDs/] },
  },
  {
    name: 'pid_max 4194304 (systemd >= 243) with no task count',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ pidMax: pidMax(4194304) }),
    expect: { verdict: 'unlikely', said: [/largest value/] },
  },
  {
    name: 'confirmed PID exhaustion ranks first, above another confirmed limit (it dominates when confirmed)',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({
      pidMax: pidMax(32768),
      tasks: loadavg(32760),
      cgroupChains: [pidsLevel('container', '/kubepods/podx/c1', { max: 4096, current: 12, events: 2 })],
    }),
    expect: { verdict: 'confirmed', first: true, above: ['cgroup.pids'] },
  },
];
