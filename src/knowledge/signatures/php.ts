// PHP starting a process: exec(), shell_exec(), system(), passthru() and popen() run the command
// through popen() and warn "Unable to fork [cmd]" when it fails, without the errno; proc_open()
// warns "fork failed - <strerror>". Both are a failed fork (or vfork/posix_spawn) of the PHP process.
// And PHP's own heap cap: memory_limit, which the Zend allocator enforces per request or script.
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

const memoryLimit: SignatureDef = {
  id: 'php.memory-limit',
  family: 'php',
  title: 'PHP reached its memory_limit (Allowed memory size of N bytes exhausted)',
  keywords: ['Allowed memory size of'],
  // Zend/zend_alloc.c zend_mm_safe_error: "Allowed memory size of %zu bytes exhausted (tried to allocate %zu bytes)".
  pattern: /Allowed memory size of (\d{1,20}) bytes exhausted(?: \(tried to allocate (\d{1,20}) bytes\))?/,
  fields: (m): Fields => ({
    limitBytes: Number(m[1]),
    ...(m[2] !== undefined ? { requestBytes: Number(m[2]) } : {}),
  }),
  raises: (f) => [
    {
      cause: 'runtime.heap',
      weight: 0.9,
      why: `PHP's memory_limit (${String(f.limitBytes)} bytes) was reached: the Zend allocator refused the next allocation itself, before any kernel or container limit, and ended the script with a fatal error.`,
    },
  ],
  docs: {
    what: "The Zend memory manager counts what a script or request allocates and stops it at memory_limit (php.ini, php_admin_value in an FPM pool, ini_set, -d memory_limit): a PHP-level cap, not the container's. Composer and framework consoles (Symfony, Laravel) reach the default 128M first. The FPM worker lives on and serves the next request.",
    confirm: [
      "php -i | grep memory_limit (CLI) or the pool's php_admin_value[memory_limit]; the image's PHP_MEMORY_LIMIT-style variable.",
    ],
    fix: [
      'Raise memory_limit for the script that needs it (php -d memory_limit=..., the pool setting, COMPOSER_MEMORY_LIMIT=-1 for Composer) and keep it below the container memory limit; or make the script use less (batches, generators).',
    ],
    sources: [
      'php/php-src:Zend/zend_alloc.c (zend_mm_safe_error)',
      'https://www.php.net/manual/en/ini.core.php#ini.memory-limit',
      'https://github.com/nfrastack/container-freescout/issues/31',
    ],
  },
  cases: [
    {
      source:
        "https://github.com/nfrastack/container-freescout/issues/31 (PHP_MEMORY_LIMIT fixed it; FPM relays the worker's stderr)",
      log: [
        '[28-Nov-2020 01:18:18] WARNING: [pool www] child 1534 said into stderr: "NOTICE: PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 98566192 bytes) in /www/html/vendor/symfony/console/Output/BufferedOutput.php on line 39"',
      ],
      fields: { limitBytes: 134217728, requestBytes: 98566192 },
    },
    {
      source: 'https://github.com/laradock/laradock/issues/1400',
      log: [
        'Fatal error: Allowed memory size of 134217728 bytes exhausted (tried to allocate 3795 bytes) in ...',
      ],
      fields: { limitBytes: 134217728, requestBytes: 3795 },
    },
    {
      source: 'https://github.com/matomo-org/matomo/issues/22062 (relayed in a JSON API answer)',
      log: [
        '    "message": "Allowed memory size of 268435456 bytes exhausted (tried to allocate 266240 bytes)"',
      ],
      fields: { limitBytes: 268435456 },
    },
  ],
  nonMatching: ['memory_limit = 128M'],
};

export const signatures: SignatureDef[] = [forkFailed, memoryLimit];
