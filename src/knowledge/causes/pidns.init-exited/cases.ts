// Real crashes of pidns.init-exited: once PID 1 of a pid namespace exits, fork in it fails with
// ENOMEM; a program that is still running when it fails had a living PID 1.
import type { CauseCase } from '../../types.js';

export const cases: CauseCase[] = [
  {
    name: 'errno 12 from a running program: unlikely, with how to check PID 1',
    source: 'https://github.com/argoproj/argo-cd/issues/4692',
    log: ['runtime: failed to create new OS thread (have 64 already; errno=12)'],
    expect: { verdict: 'unlikely', said: [/PID 1/], missing: [/\/proc\/1\/cmdline/] },
  },
  {
    name: 'bash "fork: Cannot allocate memory": possible, an exec into a dying container fits',
    source:
      'https://man7.org/linux/man-pages/man2/fork.2.html (ENOMEM: the PID namespace init has terminated), in bash wording',
    log: ['bash: fork: Cannot allocate memory'],
    expect: { verdict: 'possible', said: [/terminating container/], missing: [/./] },
  },
];
