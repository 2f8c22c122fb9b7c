// Real crashes of kernel.threads-max: every task needs a PID, so a node whose pid_max is below
// threads-max can never reach threads-max (arithmetic, not a guess).
import type { CauseCase } from '../../types.js';
import { loadavg, nodeFacts, pidMax, SEED_LOG, SEED_SOURCE, threadsMax } from '../shared/case-facts.js';

export const cases: CauseCase[] = [
  {
    name: 'log only: possible',
    source: SEED_SOURCE,
    log: SEED_LOG,
    expect: { verdict: 'possible', said: [/node-wide/], missing: [/./] },
  },
  {
    name: 'pid_max 32768 below threads-max 514875: the node cannot hold threads-max tasks',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ pidMax: pidMax(32768), threadsMax: threadsMax(514875), tasks: loadavg(32760) }),
    expect: { verdict: 'ruled-out', said: [/pid_max - 1 = 32767 PIDs/, /can never hold 514875 tasks/] },
  },
  {
    name: 'small node: 15390 tasks of threads-max 15407 with pid_max 4194304',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ pidMax: pidMax(4194304), threadsMax: threadsMax(15407), tasks: loadavg(15390) }),
    expect: { verdict: 'confirmed', first: true, said: [/15390\/15407/, /root included/] },
  },
  {
    name: 'plenty of headroom',
    source: SEED_SOURCE,
    log: SEED_LOG,
    node: nodeFacts({ pidMax: pidMax(4194304), threadsMax: threadsMax(127563), tasks: loadavg(2100) }),
    expect: { verdict: 'unlikely', said: [/125463 tasks of headroom/] },
  },
];
