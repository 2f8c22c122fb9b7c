// Real crashes of runtime.max-threads: Go's own 10000-thread cap prints its own message; a kernel
// refusal that printed "have N already" is weighed against the cap by arithmetic.
import type { CauseCase } from '../../types.js';

export const cases: CauseCase[] = [
  {
    name: '"program exceeds 10000-thread limit" confirms the cap',
    source: 'https://github.com/adjust/go-wrk/issues/28',
    log: ['runtime: program exceeds 10000-thread limit', 'fatal error: thread exhaustion'],
    expect: {
      verdict: 'confirmed',
      first: true,
      said: [/10000/],
      evidence: ['program exceeds 10000-thread limit'],
    },
  },
  {
    name: '"have 1306 already; errno=11" is far below the cap and the kernel refused: ruled out',
    source: 'https://github.com/VertebrateResequencing/wr/issues/330',
    log: [
      'runtime: failed to create new OS thread (have 1306 already; errno=11)',
      'runtime: may need to increase max user processes (ulimit -u)',
      'fatal error: newosproc',
    ],
    expect: { verdict: 'ruled-out', said: [/1306 of 10000 threads/, /errno 11/] },
  },
];
