// Fatal output nothing more specific explains: signals (segfault, abort, core dump), log-level FATAL,
// Python tracebacks, uncaught Java exceptions, Rust panics. They raise nothing: their job is to make
// an unrecognized crash an incident with its evidence (and the log tail) instead of "no crash found".
import type { Fields, SignatureDef } from '../types.js';

const GENERIC_DOCS_CONFIRM = [
  "Read the lines around it (the report keeps the last lines of the log) and the container's exit code.",
];

const segfault: SignatureDef = {
  id: 'generic.segfault',
  family: 'generic',
  title: 'Segmentation fault (SIGSEGV)',
  keywords: ['Segmentation fault'],
  pattern: /Segmentation fault/,
  raises: () => [],
  subject: () => ({ exitCode: 139 }),
  docs: {
    what: 'The process died of SIGSEGV (exit status 139), as the shell that waited for it reports. Usually a bug in native code; a failed thread or memory allocation whose error was not checked can end the same way.',
    confirm: GENERIC_DOCS_CONFIRM,
    fix: [],
    sources: [
      'https://man7.org/linux/man-pages/man7/signal.7.html',
      'bminor/bash:jobs.c (printed by the shell that waited for the process)',
    ],
  },
  cases: [
    {
      source: 'https://github.com/Dadoum/Provision/issues/39',
      log: [
        '/opt/docker-entrypoint.sh: line 17:     9 Segmentation fault      (core dumped) /opt/anisette_server',
      ],
    },
  ],
};

const abort: SignatureDef = {
  id: 'generic.abort',
  family: 'generic',
  title: 'Aborted (SIGABRT)',
  keywords: ['Aborted'],
  // "Aborted (core dumped)", bash "line 1:    42 Aborted   ./prog"; not "Aborted connection 12 to db".
  pattern: /(?:^|[\s:])Aborted(?:\s{1,40}\(core dumped\))?\s*$/,
  raises: () => [],
  subject: () => ({ exitCode: 134 }),
  docs: {
    what: 'The process called abort() (exit status 134): a failed assertion, glibc detecting heap corruption, or a runtime that aborts on a fatal error (cgo and libuv after a failed thread creation). The lines just before it say why.',
    confirm: GENERIC_DOCS_CONFIRM,
    fix: [],
    sources: ['https://man7.org/linux/man-pages/man3/abort.3.html'],
  },
  cases: [
    { source: 'https://github.com/homebridge/homebridge/issues/3902', log: ['Aborted (core dumped)'] },
    { source: 'https://github.com/nodejs/docker-node/issues/1956', log: ['Aborted (core dumped)'] },
  ],
  nonMatching: [
    '[Note] Aborted connection 12 to db: unconnected user: (Got an error reading communication packets)',
  ],
};

const fatal: SignatureDef = {
  id: 'generic.fatal',
  family: 'generic',
  title: 'A FATAL log line',
  keywords: ['FATAL'],
  pattern: /\bFATAL\b[:\] ]\s{0,10}(\S[^\n]{0,199})?/,
  fields: (m): Fields => (m[1] ? { message: m[1].trim() } : {}),
  raises: () => [],
  docs: {
    what: "A program logged at FATAL level, which usually precedes its exit. The message is the program's own; nothing more specific recognized it.",
    confirm: GENERIC_DOCS_CONFIRM,
    fix: [],
    sources: ['https://github.com/golang/glog (F severity: logs then exits)'],
  },
  cases: [
    {
      source: 'https://github.com/StanfordLegion/legion/issues/1023',
      log: [
        '*** FATAL ERROR (proc 1): in gasneti_fatal_threadoverflow() at y_kinds_prototype/extended-ref/gasnet_extended_common.c:63: GASNet Extended API: Too many simultaneous local client threads (limit=256).',
      ],
    },
  ],
  nonMatching: ['level=info msg="not FATALISTIC"'],
};

const pythonTraceback: SignatureDef = {
  id: 'generic.python-traceback',
  family: 'generic',
  title: 'Python traceback',
  keywords: ['Traceback (most recent call last)'],
  pattern: /Traceback \(most recent call last\):?/,
  raises: () => [],
  docs: {
    what: 'An uncaught Python exception; its type and message are on the last line of the traceback.',
    confirm: GENERIC_DOCS_CONFIRM,
    fix: [],
    sources: ['python/cpython:Python/traceback.c'],
  },
  cases: [
    {
      source: 'https://github.com/projectcalico/felix/issues/534',
      log: ['Traceback (most recent call last):'],
    },
  ],
};

const javaException: SignatureDef = {
  id: 'generic.java-exception',
  family: 'generic',
  title: 'Uncaught Java exception (Exception in thread)',
  keywords: ['Exception in thread'],
  pattern: /Exception in thread "([^"\n]{0,200})" ([\w.$]{1,200})/,
  fields: (m): Fields => ({ thread: m[1]!, exception: m[2]! }),
  raises: () => [],
  docs: {
    what: 'The default uncaught-exception handler printed a Java exception that ended a thread (the JVM exits when it was "main" and no other non-daemon thread runs).',
    confirm: GENERIC_DOCS_CONFIRM,
    fix: [],
    sources: ['openjdk/jdk:src/java.base/share/classes/java/lang/ThreadGroup.java (uncaughtException)'],
  },
  cases: [
    {
      source: 'https://github.com/openshift/origin/issues/24360',
      log: ['Exception in thread "main" java.lang.OutOfMemoryError: unable to create new native thread'],
      fields: { thread: 'main', exception: 'java.lang.OutOfMemoryError' },
    },
  ],
};

const rustPanic: SignatureDef = {
  id: 'generic.rust-panic',
  family: 'generic',
  title: 'Rust panic',
  keywords: ['panicked at'],
  pattern: /'([^'\n]{0,200})' panicked at/,
  fields: (m): Fields => ({ thread: m[1]! }),
  raises: () => [],
  docs: {
    what: 'A Rust thread panicked; the message follows "panicked at" (before Rust 1.73) or on the next line. A panic in the main thread ends the process with exit status 101.',
    confirm: GENERIC_DOCS_CONFIRM,
    fix: [],
    sources: ['rust-lang/rust:library/std/src/panicking.rs (default_hook)'],
  },
  cases: [
    {
      source: 'https://github.com/tteck/Proxmox/issues/67',
      log: ["vaultwarden - 'rocket-worker-thread' panicked at 'OS can't spawn a new worker thread"],
      fields: { thread: 'rocket-worker-thread' },
    },
    {
      source: 'https://github.com/denoland/deno/issues/19711',
      log: [
        "thread 'main' panicked at 'OS can't spawn worker thread: Resource temporarily unavailable (os error 11)', /home/runner/.cargo/registry/src/index.crates.io-6f17d22bba15001f/hyper-0.14.27/src/client/connect/dns.rs:121:24",
      ],
      fields: { thread: 'main' },
    },
  ],
};

export const signatures: SignatureDef[] = [segfault, abort, fatal, pythonTraceback, javaException, rustPanic];
