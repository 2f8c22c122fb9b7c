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
  // What reports a process that called abort(): a shell's job message on a line of its own
  // ("Aborted", "Aborted (core dumped)", after a timestamp or compose prefix), bash's non-interactive
  // "script.sh: line 17:    42 Aborted    (core dumped) ./prog", Python's faulthandler. Not the word
  // inside a request or status log ("finished unary call with code Aborted", "Aborted connection").
  pattern:
    /^(?:\S{1,80}\s{1,10}\|\s)?(?:\d{4}-\d\d-\d\dT\S{1,40}\s)?Aborted(?:\s{1,40}\(core dumped\))?\s*$|\bline \d{1,9}:\s{1,20}\d{1,10} Aborted\b|Aborted\s{1,40}\(core dumped\)|Fatal Python error: Aborted/,
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
    {
      // bash's non-interactive job report (bminor/bash:jobs.c, pretty_print_job), as in the segfault case.
      source: 'bminor/bash:jobs.c; format as in https://github.com/Dadoum/Provision/issues/39',
      log: [
        '/opt/docker-entrypoint.sh: line 17:     9 Aborted                 (core dumped) /opt/anisette_server',
      ],
    },
    {
      source: 'python/cpython:Python/faulthandler.c (faulthandler_fatal_error)',
      log: ['Fatal Python error: Aborted'],
    },
  ],
  nonMatching: [
    '[Note] Aborted connection 12 to db: unconnected user: (Got an error reading communication packets)',
    // A gRPC request log: the call's status code, not the process (grpc-ecosystem/go-grpc-middleware
    // logging: "finished unary call with code " + code; grpc/grpc-go status: "rpc error: code = %s desc = %s").
    'I0501 10:00:00.123456       1 server.go:88] finished unary call with code Aborted',
    'level=info msg="finished unary call with code Aborted" grpc.code=Aborted grpc.method=Commit',
    'W0501 10:00:00.123456       1 client.go:120] commit failed: rpc error: code = Aborted desc = transaction aborted, retry',
  ],
};

const fatal: SignatureDef = {
  id: 'generic.fatal',
  family: 'generic',
  title: 'A FATAL log line',
  keywords: ['FATAL'],
  // Not PostgreSQL's session-level FATALs: they end one client connection (a wrong password, a
  // missing database, a server still starting), the server runs on, and a busy server logs them all
  // day (postgres/postgres:src/backend/utils/error/elog.c writes "FATAL:  "; the messages come from
  // libpq/auth.c, utils/init/postinit.c, postmaster and tcop/postgres.c). A client relays them with
  // one space ("PSQLException: FATAL: password authentication failed").
  pattern:
    /\bFATAL\b(?!:\s{1,2}(?:[\w ]{0,20}authentication failed for user|no pg_hba\.conf entry|pg_hba\.conf rejects|(?:role|database) "[^"\n]{0,100}" (?:does not exist|is not permitted to log in)|the database system is |sorry, too many clients|remaining connection slots are reserved|too many connections for role|terminating connection due to (?:administrator command|idle)|canceling authentication due to timeout|connection to client lost|unsupported frontend protocol|no PostgreSQL user name specified|permission denied for database))[:\] ]\s{0,10}(\S[^\n]{0,199})?/,
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
    {
      // A PostgreSQL FATAL of the postmaster itself at start-up: the server exits, so it stays an incident.
      source: 'postgres/postgres:src/backend/utils/init/miscinit.c (checkDataDir)',
      log: [
        '2024-05-01 10:00:00.000 UTC [1] FATAL:  data directory "/var/lib/postgresql/data" has wrong ownership',
      ],
      fields: { message: 'data directory "/var/lib/postgresql/data" has wrong ownership' },
    },
  ],
  nonMatching: [
    'level=info msg="not FATALISTIC"',
    // PostgreSQL's session-level FATALs: one connection refused or ended, the server runs on.
    '2020-02-14 17:26:38.505 UTC [62] FATAL:  password authentication failed for user "postgres"', // docker-library/postgres#679
    'postgres_1  | 2023-11-14 17:27:59.593 UTC [32] FATAL:  password authentication failed for user "user"', // thedevs-network/kutt#722
    '2021-12-07 18:41:24 UTC [31452]: [61afaad4.7adc-2] postgres@postgres,app=[unknown] [57P03] FATAL:  the database system is starting up', // timescale/helm-charts#320
    '2020-05-24 03:13:36 UTC 565 5ec9e660.235 2 10.30.20.201(48634) anl_master_prod ta_datavalidation 0  [unknown]  [57P03]:FATAL:  the database system is in recovery mode', // pgbackrest/pgbackrest#1052
    'Caused by: org.postgresql.util.PSQLException: FATAL: password authentication failed for user "example"', // Grashjs/cmms#38
    '2024-05-01 10:00:00.000 UTC [77] FATAL:  database "app" does not exist',
    '2024-05-01 10:00:00.000 UTC [78] FATAL:  role "reader" does not exist',
    '2024-05-01 10:00:00.000 UTC [79] FATAL:  no pg_hba.conf entry for host "10.0.0.7", user "app", database "app", no encryption',
    '2024-05-01 10:00:00.000 UTC [80] FATAL:  sorry, too many clients already',
    '2024-05-01 10:00:00.000 UTC [81] FATAL:  terminating connection due to administrator command',
  ],
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

const postgresCrash: SignatureDef = {
  id: 'generic.postgres-crash',
  family: 'generic',
  title: 'PostgreSQL server process crashed (PANIC or killed by a signal)',
  keywords: ['PANIC:', 'was terminated by signal'],
  // elog.c writes the severity then two spaces; the postmaster reports a child's death as
  // "<kind> process (PID n) was terminated by signal s: <name>" (postmaster.c, LogChildExit).
  pattern:
    /PANIC:\s{1,2}(\S[^\n]{0,199})|\(PID \d{1,10}\) was terminated by signal (\d{1,3})(?::\s([^\n]{1,40}))?/,
  fields: (m): Fields =>
    m[1] ? { message: m[1].trim() } : { signal: Number(m[2]), ...(m[3] ? { signalName: m[3].trim() } : {}) },
  raises: () => [],
  docs: {
    what: 'A PostgreSQL process hit a PANIC (every session is aborted and the server restarts or stops) or the postmaster saw one of its processes die of a signal (signal 9 is often the OOM killer, signal 6 follows a PANIC). Unlike FATAL, which ends one client session, this is the server crashing.',
    confirm: [
      ...GENERIC_DOCS_CONFIRM,
      'For signal 9, look for the OOM kill of the PID in the kernel log or the container memory events.',
    ],
    fix: [],
    sources: [
      'https://www.postgresql.org/docs/current/runtime-config-logging.html#RUNTIME-CONFIG-SEVERITY-LEVELS',
      'postgres/postgres:src/backend/postmaster/postmaster.c (LogChildExit)',
    ],
  },
  cases: [
    {
      source: 'https://github.com/pgbackrest/pgbackrest/issues/1052',
      log: [
        '2020-05-24 03:13:36 UTC 33935 5ec9e4c1.848f 8    0    [53100]:PANIC:  could not write to file "pg_wal/xlogtemp.33935": No space left on device',
      ],
      fields: { message: 'could not write to file "pg_wal/xlogtemp.33935": No space left on device' },
    },
    {
      source: 'https://github.com/docker-library/postgres/issues/809',
      log: [
        '2021-01-18 21:19:30.017 UTC [1] LOG:  server process (PID 315) was terminated by signal 9: Killed',
      ],
      fields: { signal: 9, signalName: 'Killed' },
    },
    {
      source: 'https://github.com/docker-library/postgres/issues/248',
      log: [
        'PANIC:  could not write to file "pg_xlog/xlogtemp.46426": No space left on device',
        'LOG:  server process (PID 46426) was terminated by signal 6: Aborted',
      ],
    },
    {
      source: 'https://github.com/docker-library/postgres/issues/946',
      log: [
        '2022-04-05 12:06:05.719 GMT [1] LOG:  server process (PID 229) was terminated by signal 7: Bus error',
      ],
      fields: { signal: 7, signalName: 'Bus error' },
    },
  ],
  nonMatching: ['2020-05-24 03:13:36 UTC 565 [57P03]:FATAL:  the database system is in recovery mode'],
};

export const signatures: SignatureDef[] = [
  segfault,
  abort,
  fatal,
  postgresCrash,
  pythonTraceback,
  javaException,
  rustPanic,
];
