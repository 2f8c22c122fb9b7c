// Real crashes of memory.node: the global OOM killer, strict overcommit refusing mmap, and the
// OOMKilled status that cgroup v2 also sets for a global kill.
import type { CauseCase } from '../../types.js';
import { nodeFacts } from '../shared/case-facts.js';
import {
  ERRNO12,
  ERRNO12_SOURCE,
  GLOBAL,
  GLOBAL_SOURCE,
  GO_OOM,
  GO_OOM_SOURCE,
  OOMKILLED,
  OOMKILLED_SOURCE,
} from '../shared/memory-lines.js';

export const cases: CauseCase[] = [
  {
    name: 'a global OOM kill line in the incident confirms it',
    source: GLOBAL_SOURCE,
    log: [GLOBAL],
    expect: { verdict: 'confirmed', first: true, evidence: [GLOBAL] },
  },
  {
    name: "an OOMKilled container and a global OOM line in the node's kernel log: the node ran out",
    source: `${OOMKILLED_SOURCE}; the node's line from ${GLOBAL_SOURCE}`,
    log: [OOMKILLED],
    node: nodeFacts({
      kernelLines: [
        { kind: 'global-oom', evidence: { source: '/var/log/messages', line: 40, text: GLOBAL } },
      ],
    }),
    expect: { verdict: 'confirmed', first: true, above: ['memory.cgroup'], evidence: [GLOBAL] },
  },
  {
    name: 'OOMKilled with no kernel log: unlikely, the container limit is the usual killer',
    source: OOMKILLED_SOURCE,
    log: [OOMKILLED],
    expect: { verdict: 'unlikely', said: [/memory\.events oom_kill, which also counts global kills/] },
  },
  {
    name: 'Go "out of memory" is likely the node (overcommit) or RLIMIT_AS',
    source: GO_OOM_SOURCE,
    log: [GO_OOM],
    expect: {
      verdict: 'likely',
      said: [/overcommit/],
      missing: [/overcommit_memory/],
      // mmap failing inside the process is not a memcg kill: the memory limit is not a candidate.
      notRaised: ['memory.cgroup'],
    },
  },
  {
    name: 'errno 12 alone: possible',
    source: ERRNO12_SOURCE,
    log: [ERRNO12],
    expect: { verdict: 'possible', missing: [/./] },
  },
];
