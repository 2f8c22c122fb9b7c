// Real crashes of pidns.init-exited: once PID 1 of a pid namespace exits, fork in it fails with
// ENOMEM; a program that is still creating threads had a living PID 1 (once it dies, the kernel
// kills every task of the namespace).
import type { CauseCase } from '../../types.js';

export const cases: CauseCase[] = [
  {
    name: 'errno 12 from a running program creating a thread: ruled out, its PID 1 was alive',
    source: 'https://github.com/argoproj/argo-cd/issues/4692',
    log: ['runtime: failed to create new OS thread (have 64 already; errno=12)'],
    expect: { verdict: 'ruled-out', said: [/PID 1/, /zap_pid_ns_processes/] },
  },
  {
    name: "PHP's own fork refused with ENOMEM (composer/composer#1101): ruled out, the program's PID 1 was alive",
    source: 'https://github.com/composer/composer/issues/1101 (the composer FAQ blames missing swap)',
    log: [
      "PHP Fatal error:  Uncaught exception 'ErrorException' with message 'proc_open(): fork failed - Cannot allocate memory' in phar:///usr/local/bin/composer/vendor/symfony/console/Symfony/Component/Console/Application.php:952",
    ],
    expect: { verdict: 'ruled-out', said: [/unshare -p without --fork/] },
  },
  {
    name: 'bash "fork: Cannot allocate memory": possible, an exec into a dying container fits',
    source:
      'https://man7.org/linux/man-pages/man2/fork.2.html (ENOMEM: the PID namespace init has terminated), in bash wording',
    log: ['bash: fork: Cannot allocate memory'],
    expect: { verdict: 'possible', said: [/terminating container/], missing: [/./] },
  },
];
