// PHP starting a process: exec(), shell_exec(), system(), passthru() and popen() run the command
// through popen() and warn "Unable to fork [cmd]" when it fails, without the errno; proc_open()
// warns "fork failed - <strerror>". Both are a failed fork (or vfork/posix_spawn) of the PHP process.
import { errnoFields, errnoFromMessage } from '../errno.js';
import type { Fields, SignatureDef } from '../types.js';
import { processCreationRaises } from './raises.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

const forkFailed: SignatureDef = {
  id: 'php.fork-failed',
  family: 'php',
  title: 'PHP could not start a process (Unable to fork / fork failed)',
  keywords: ['(): Unable to fork [', '(): fork failed - '],
  pattern:
    /\b(proc_open|exec|shell_exec|system|passthru|popen)\(\): (?:fork failed - ([A-Z][a-z]{1,20}(?: [a-z]{1,20}){0,5})|Unable to fork \[)/,
  fields: (m): Fields => ({ call: m[1]!, ...(m[2] ? errnoFields(errnoFromMessage(m[2])) : {}) }),
  raises: (f) => processCreationRaises(num(f.errno)),
  docs: {
    what: 'A PHP script could not fork to run a command. exec() and its siblings print no errno; proc_open() prints strerror. EAGAIN (or no errno) points at the task-count limits; ENOMEM at the commit accounting refusing to copy a large PHP worker.',
    confirm: [
      'Count the tasks of the container (pids.current) against pids.max and the UID task count against RLIMIT_NPROC.',
    ],
    fix: ['See the cause pages.'],
    sources: [
      'php/php-src:ext/standard/exec.c (php_exec: "Unable to fork [%s]")',
      'php/php-src:ext/standard/proc_open.c ("fork failed - %s")',
      'https://github.com/thephpleague/climate/issues/79',
      'https://github.com/composer/composer/issues/1101',
    ],
  },
  cases: [
    {
      source: 'https://github.com/thephpleague/climate/issues/79 (PHP CLI in a Debian Jessie container)',
      log: [
        'exec(): Unable to fork [tput cols] in /app/vendor/league/climate/src/Util/System/System.php on line 66',
      ],
      fields: { call: 'exec' },
    },
    {
      source:
        'https://github.com/composer/composer/issues/1101 (Ubuntu, PHP 5.3; the composer FAQ blames missing swap)',
      log: [
        "PHP Fatal error:  Uncaught exception 'ErrorException' with message 'proc_open(): fork failed - Cannot allocate memory' in phar:///usr/local/bin/composer/vendor/symfony/console/Symfony/Component/Console/Application.php:952",
      ],
      fields: { call: 'proc_open', errno: 12 },
    },
  ],
  nonMatching: ['exec(): Argument #1 ($command) cannot be empty'],
};

export const signatures: SignatureDef[] = [forkFailed];
