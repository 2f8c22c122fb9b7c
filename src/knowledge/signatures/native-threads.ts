// Thread creation that failed in runtimes and libraries other than Go, the JVM, Python, Rust and
// Node: the BEAM (Erlang/Elixir, RabbitMQ), Ruby, Perl, OpenMP (libgomp), GLib, C++ (libstdc++,
// libc++, Boost), Qt, OCaml and curl's threaded resolver. Each creates its threads with the C
// library's pthread_create, so the errno means what it means there (raises.ts): EAGAIN a task-count
// limit or a thread stack that could not be mapped, EPERM a seccomp profile answering clone3 with
// EPERM, ENOMEM memory; when the wording carries no errno the usual suspects are all kept open.
// One module for all of them: they differ only in wording, and each wording was checked against the
// runtime's own source (docs.sources) and a thread that quotes it (cases).
import { errnoFields, errnoFromGroups, errnoPattern } from '../errno.js';
import type { Docs, Fields, Raise, SignatureCase, SignatureDef } from '../types.js';
import { threadCreationRaises, unknownThreadCreationRaises } from './raises.js';

/** A strerror text as C libraries print it ("Resource temporarily unavailable"), at most six words. */
const STRERROR = String.raw`(?<text>[A-Z][a-z]{1,20}(?: [a-z]{1,20}){0,5})`;

/** errno from the number the line prints, else from the strerror text; undefined when neither is known. */
/** errno from the number, the name or the strerror text the line prints; undefined when none is known. */
function errnoOf(m: RegExpExecArray): number | undefined {
  return errnoFromGroups(m.groups);
}

function fieldsOf(m: RegExpExecArray): Fields {
  return errnoFields(errnoOf(m));
}

function raisesOf(f: Fields): Raise[] {
  return typeof f.errno === 'number'
    ? threadCreationRaises(f.errno, undefined, true)
    : unknownThreadCreationRaises();
}

const CONFIRM = [
  "Count the process's threads (ls /proc/<pid>/task | wc -l) and the container's tasks (pids.current) against pids.max and the UID's RLIMIT_NPROC.",
  "For EPERM, or no errno at all: check the image's glibc (>= 2.34 uses clone3) against the node's Docker (< 20.10.10) or containerd (< 1.4.10/1.5.6), whose seccomp profile answers clone3 with EPERM.",
];
const FIX = ['See the cause pages; cap the thread pool when the process itself holds the threads.'];

function threadSignature(o: {
  id: string;
  title: string;
  keywords: string[];
  pattern: RegExp;
  what: string;
  sources: string[];
  cases: SignatureCase[];
  nonMatching?: string[];
}): SignatureDef {
  const docs: Docs = { what: o.what, confirm: CONFIRM, fix: FIX, sources: o.sources };
  return {
    id: o.id,
    family: o.id.split('.')[0]!,
    title: o.title,
    keywords: o.keywords,
    pattern: o.pattern,
    fields: fieldsOf,
    raises: raisesOf,
    docs,
    cases: o.cases,
    ...(o.nonMatching ? { nonMatching: o.nonMatching } : {}),
  };
}

const beam = threadSignature({
  id: 'beam.thread-create',
  title: 'The Erlang VM (BEAM) could not create a thread (Failed to create thread)',
  keywords: ['create thread:'], // also a hand-copied "thread:Resource" with no space
  // erts_thr_fatal_error: "Failed to %s: %s%s(%d)\n" with "create thread", then abort().
  pattern: new RegExp(String.raw`Failed to create thread: ?${STRERROR}(?: \((?<num>\d{1,4})\))?`),
  what: 'The BEAM (Erlang, Elixir, RabbitMQ, CouchDB, VerneMQ) aborts with "Failed to create thread: <strerror> (<errno>)" when ethr_thr_create (pthread_create) fails for a scheduler, dirty scheduler, async or poll thread. It starts one scheduler per CPU of the node, not of the container, plus dirty schedulers and an async pool, so a small pids limit on a large node is reached at start-up.',
  sources: [
    'erlang/otp:erts/emulator/beam/erl_init.c (erts_thr_fatal_error)',
    'erlang/otp:erts/emulator/beam/erl_threads.h (erts_thr_create)',
    'https://github.com/rabbitmq/rabbitmq-server/issues/8795',
    'https://github.com/docker-library/rabbitmq/issues/650',
  ],
  cases: [
    {
      source: 'https://github.com/rabbitmq/rabbitmq-server/issues/8795',
      log: ['Failed to create thread: Resource temporarily unavailable (11)'],
      fields: { errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/docker-library/rabbitmq/issues/650 (Ubuntu 22.04 image, Docker 20.10.23)',
      log: ['Failed to create thread: Operation not permitted (1)'],
      fields: { errno: 1, errnoName: 'EPERM' },
    },
  ],
  nonMatching: ['Failed to create thread pool executor, retrying'],
});

const ruby = threadSignature({
  id: 'ruby.thread-create',
  title: "Ruby could not create a thread (ThreadError: can't create Thread)",
  keywords: ['create Thread: '],
  pattern: new RegExp(String.raw`can't create Thread: ${STRERROR}`),
  what: 'Thread.new raised ThreadError because native_thread_create (pthread_create) failed; Ruby puts strerror in the message.',
  sources: ['ruby/ruby:thread.c (thread_create_core)', 'https://github.com/rubygems/bundler/issues/4367'],
  cases: [
    {
      source: 'https://github.com/rubygems/bundler/issues/4367',
      log: ["ThreadError: can't create Thread: Resource temporarily unavailable"],
      fields: { errno: 11 },
    },
  ],
});

const perl = threadSignature({
  id: 'perl.thread-create',
  title: 'Perl could not create a thread (Thread creation failed: pthread_create returned N)',
  keywords: ['creation failed: '],
  pattern: /Thread creation failed: pthread_create returned (?<num>\d{1,4})/,
  what: 'threads->create failed; the threads module warns with the errno pthread_create returned (11 is EAGAIN).',
  sources: [
    'Perl/perl5:dist/threads/threads.xs (S_ithread_create)',
    'Perl/perl5:dist/threads/lib/threads.pm (DIAGNOSTICS)',
  ],
  cases: [
    {
      source:
        'Perl/perl5:dist/threads/threads.xs; line as quoted in a public script found with find_string ("# Thread creation failed: pthread_create returned 11")',
      log: ['Thread creation failed: pthread_create returned 11'],
      fields: { errno: 11 },
    },
  ],
});

const gomp = threadSignature({
  id: 'openmp.thread-create',
  title: 'OpenMP (libgomp) could not create a thread (Thread creation failed)',
  keywords: ['creation failed: '],
  pattern: new RegExp(String.raw`libgomp: Thread creation failed: ${STRERROR}`),
  what: 'GCC\'s OpenMP runtime exits with "libgomp: Thread creation failed: <strerror>" when it cannot start its team. It sizes the team from the CPUs it sees (OMP_NUM_THREADS unset), so every process of a data loader or a test suite starts one thread per CPU of the node.',
  sources: [
    'gcc-mirror/gcc:libgomp/team.c (gomp_team_start)',
    'https://github.com/ray-project/ray/issues/8546',
  ],
  cases: [
    {
      source: 'https://github.com/ray-project/ray/issues/8546',
      log: ['libgomp: Thread creation failed: Resource temporarily unavailable'],
      fields: { errno: 11 },
    },
  ],
});

const glib = threadSignature({
  id: 'glib.thread-create',
  title: 'GLib could not create a thread (Error creating thread)',
  keywords: ['creating thread: '],
  pattern: new RegExp(String.raw`[Ee]rror creating thread: ${STRERROR}`),
  what: 'g_thread_new failed (libvips/sharp, GStreamer, GNOME programs); GLib aborts or reports strerror.',
  sources: [
    'GNOME/glib:glib/gthread-posix.c (g_system_thread_new)',
    'https://github.com/libvips/libvips/issues/1911',
  ],
  cases: [
    {
      source: 'https://github.com/libvips/libvips/issues/1911',
      log: ['glib: Error creating thread: Resource temporarily unavailable'],
      fields: { errno: 11 },
    },
  ],
});

const cpp = threadSignature({
  id: 'cpp.thread-create',
  title: 'A C++ program could not start a std::thread (std::system_error: Resource temporarily unavailable)',
  keywords: [
    'what():  Resource temporarily',
    'constructor failed: ',
    '_resource_error',
    'system_error',
    'std exception',
  ],
  // libstdc++ std::thread throws system_error(EAGAIN), printed by the terminate handler as
  // "  what():  Resource temporarily unavailable"; libc++ says "thread constructor failed: ...";
  // Boost.Thread throws boost::thread_resource_error. Programs that catch the exception print it
  // their own way ("std exception detected: <what()>", "Caught system_error with code generic:11"):
  // a std exception whose whole message is EAGAIN's text is std::thread's (a non-blocking read
  // that returns EAGAIN is not thrown as an exception by the standard library).
  pattern: new RegExp(
    String.raw`(?:what\(\): {1,2}|std(?:::| )(?:system_error|exception)[^\n]{0,40}?: )(?<text>Resource temporarily unavailable)\s*$|thread constructor failed: ${STRERROR.replace('text', 'text2')}|boost::thread_resource_error: ${STRERROR.replace('text', 'text3')}|system_error with code generic:(?<num>\d{1,3})`,
  ),
  what: 'std::thread (or boost::thread) threw a system_error because pthread_create failed; uncaught, the terminate handler prints it and calls abort() (exit 134). libstdc++ prints only the strerror after "what():".',
  sources: [
    'gcc-mirror/gcc:libstdc++-v3/src/c++11/thread.cc (thread::_M_start_thread)',
    'llvm/llvm-project:libcxx/src/thread.cpp ("thread constructor failed")',
    'https://github.com/ggml-org/llama.cpp/issues/17168 (systemd TasksMax=2)',
    'https://github.com/zekyll/OMPEval/issues/16',
  ],
  cases: [
    {
      source: 'https://github.com/zekyll/OMPEval/issues/16',
      log: [
        "terminate called after throwing an instance of 'std::system_error'",
        '  what():  Resource temporarily unavailable',
      ],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/ggml-org/llama.cpp/issues/17168 (systemd TasksMax=2)',
      log: [
        'libc++abi: terminating due to uncaught exception of type std::__1::system_error: thread constructor failed: Resource temporarily unavailable',
      ],
      fields: { errno: 11 },
    },
    {
      source:
        'https://github.com/Zilliqa/zq1/issues/151 (the kernel logged "fork rejected by pids controller" at the same time)',
      log: [
        '[TID 32744][08:29:54   ][DetachedFunction    ] Error: 1 times tried. Caught system_error with code generic:11 meaning Resource temporarily unavailable',
      ],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/rigtorp/hiccups/issues/3',
      log: [
        'what():  Resource temporarily unavailable',
        'Aborted                    ./hiccups_1.0.0_linux_amd64',
      ],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/Icinga/icinga2/issues/8202',
      log: ['Error: boost::thread_resource_error: Resource temporarily unavailable'],
      fields: { errno: 11 },
    },
  ],
  nonMatching: [
    '  what():  std::bad_alloc',
    'read: Resource temporarily unavailable',
    "terminate called after throwing an instance of 'std::system_error'",
    '  what():  Invalid argument',
  ],
});

const qt = threadSignature({
  id: 'qt.thread-create',
  title: 'Qt could not start a QThread (Thread creation error)',
  keywords: ['creation error: '],
  pattern: new RegExp(String.raw`QThread::start: Thread creation error: ${STRERROR}`),
  what: 'QThread::start() warns "Thread creation error: <strerror>" when pthread_create fails and the thread never runs.',
  sources: [
    'qt/qtbase:src/corelib/thread/qthread_unix.cpp (QThread::start)',
    'https://github.com/subutai-io/control-center/issues/1445',
  ],
  cases: [
    {
      source: 'https://github.com/subutai-io/control-center/issues/1445',
      log: [
        '[11:37:48] [(0)] Warning: QThread::start: Thread creation error: Resource temporarily unavailable (in function )',
      ],
      fields: { errno: 11 },
    },
  ],
});

const ocaml = threadSignature({
  id: 'ocaml.thread-create',
  title: 'OCaml could not create a thread (Sys_error "Thread.create: ...")',
  keywords: ['d.create: '],
  pattern: new RegExp(String.raw`Thread\.create: ${STRERROR}`),
  what: 'Thread.create raised Sys_error with the strerror of the failed pthread_create.',
  sources: [
    'ocaml/ocaml:otherlibs/systhreads/st_stubs.c (caml_thread_new)',
    'https://github.com/ocaml-multicore/multicoretests/issues/374',
  ],
  cases: [
    {
      source: 'https://github.com/ocaml-multicore/multicoretests/issues/374',
      log: [
        'Thread 2081802 killed on uncaught exception Sys_error("Thread.create: Resource temporarily unavailable")',
      ],
      fields: { errno: 11 },
    },
  ],
});

const curl = threadSignature({
  id: 'curl.resolver-thread',
  title: 'curl could not start its resolver thread (getaddrinfo() thread failed to start)',
  keywords: ['getaddrinfo() thread'],
  pattern: /getaddrinfo\(\) thread failed to start/,
  what: "libcurl's threaded resolver starts one thread per name lookup; when pthread_create fails the transfer fails with CURLE_COULDNT_RESOLVE_HOST (curl exit 6) and this text, whatever the DNS does. The errno is not shown: most reports are glibc >= 2.34 images under an old Docker/containerd seccomp profile (clone3 answered with EPERM), the rest task limits.",
  sources: [
    'curl/curl:lib/asyn-thread.c ("getaddrinfo() thread failed to start")',
    'https://github.com/moby/moby/issues/42680',
    'https://github.com/containerd/containerd/pull/5982',
  ],
  cases: [
    {
      source: 'https://github.com/moby/moby/issues/42680 (Fedora rawhide image, clone3 answered with EPERM)',
      log: ['curl: (6) getaddrinfo() thread failed to start'],
    },
  ],
  nonMatching: ['curl: (6) Could not resolve host: example.invalid'],
});

/**
 * Any other wording of a failed thread creation followed, within a few words, by the errno in any
 * form (errno.ts errnoPattern): MySQL "Can't create a new thread (errno 11)", "cant create thread,
 * errno=11", Varnish "Create worker thread failed 11", bdwgc "Thread creation failed 11", "Failed to
 * create thread #2: Resource temporarily unavailable", "Cannot allocate thread". The wordings other
 * signatures own (Go's "new OS thread", the JVM's "native thread", the BEAM's "Failed to create
 * thread:", OpenMP's, Qt's and Perl's "Thread creation failed/error:") are left to them, and a
 * wording without an errno is not taken: "create thread pool" alone says nothing failed.
 */
const anyWording = threadSignature({
  id: 'thread.create-failed',
  title: 'A program could not create a thread (any wording, errno shown)',
  keywords: [
    'reate thread',
    'reate a new thread',
    'reate new thread',
    'reate worker thread',
    'creation failed',
    'allocate thread',
  ],
  pattern: new RegExp(
    String.raw`(?:(?<!Failed to )[Cc]reate (?:a )?(?:new )?(?:worker )?thread(?!:)|(?<!libgomp: |QThread::start: )[Tt]hread(?: #?\d{1,6})? creation(?= failed(?!: pthread_create))|[Cc]annot allocate thread|Failed to create thread(?!:))[^\n]{0,60}?${errnoPattern()}`,
  ),
  what: 'A program reported that it could not create a thread, in its own words, with the errno of the failed pthread_create. The errno decides as everywhere (raises.ts): EAGAIN a task-count limit or a stack that could not be mapped, EPERM a seccomp profile answering clone3, ENOMEM memory; any other errno is no resource limit.',
  sources: [
    'mysql/mysql-server:share/messages_to_clients.txt (ER_CANT_CREATE_THREAD)',
    'bminor/glibc:nptl/pthread_create.c',
    'https://github.com/canonical/lxd/issues/3764',
    'https://github.com/varnishcache/varnish-cache/issues/572',
  ],
  cases: [
    {
      source: 'https://github.com/canonical/lxd/issues/3764 (CentOS 6 container; process limit suspected)',
      log: ['cant create thread, errno=11, Resource temporarily unavailable'],
      fields: { errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/YOURLS/YOURLS/issues/1406 (MySQL relayed by PDO)',
      log: [
        "SQLSTATE[HY000] [1135] Can't create a new thread (errno 12); if you are not out of available memory, you can consult the manual for a possible OS-dependent bug",
      ],
      fields: { errno: 12, errnoName: 'ENOMEM' },
    },
    {
      source: 'https://github.com/varnishcache/varnish-cache/issues/572',
      log: ['Create worker thread failed 11 Resource temporarily unavailable'],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/bdwgc/bdwgc/issues/342 (limited stack size on i586/x32)',
      log: ['Failed to create thread #2: Resource temporarily unavailable', 'Thread creation failed 11'],
      fields: { errno: 11 },
    },
  ],
  nonMatching: [
    'Failed to create thread pool executor, retrying',
    'Failed to create thread: Resource temporarily unavailable (11)',
    'runtime: failed to create new OS thread (have 41 already; errno=11)',
    'libgomp: Thread creation failed: Resource temporarily unavailable',
    'create thread 3 of 8',
  ],
});

/**
 * curl could not resolve a name: "curl: (6) Could not resolve host: x", PHP's "cURL error 6: Could
 * not resolve host: x". That is DNS (the resolver, /etc/resolv.conf, the network), not a resource
 * limit, and it raises nothing; the limit case is curl.resolver-thread above, whose own words say
 * the lookup thread could not start.
 */
const curlResolve: SignatureDef = {
  id: 'curl.resolve-host',
  family: 'curl',
  title: 'curl could not resolve a host name (DNS, not a limit)',
  keywords: ['Could not resolve host'],
  pattern: /Could not resolve host:? ?([\w.-]{1,253})?/,
  fields: (m): Fields => (m[1] !== undefined ? { host: m[1] } : {}),
  raises: () => [],
  docs: {
    what: 'libcurl (CURLE_COULDNT_RESOLVE_HOST, curl exit 6) got no address for the name: the name does not exist, the container\'s resolver is unreachable or misconfigured, or IPv6/IPv4 lookups differ. No resource limit is involved, unless the same run printed "getaddrinfo() thread failed to start".',
    confirm: [
      'From the container: getent hosts <name>; cat /etc/resolv.conf; nslookup <name> <the nameserver>.',
    ],
    fix: ['Fix the name or the DNS configuration (dnsPolicy, the node resolver, CoreDNS).'],
    sources: [
      'curl/curl:lib/hostip.c (Curl_resolver_error: "Could not resolve host: %s")',
      'https://github.com/crops/extsdk-container/issues/6',
    ],
  },
  cases: [
    {
      source: 'https://github.com/crops/extsdk-container/issues/6 (a name that does not resolve)',
      log: ['curl: (6) Could not resolve host: someserver'],
      fields: { host: 'someserver' },
    },
    {
      source: 'https://github.com/linuxserver/Heimdall/issues/1565 (IPv6 lookups inside Docker)',
      log: [
        'cURL error 6: Could not resolve host: appslist.heimdall.site (see https://curl.haxx.se/libcurl/c/libcurl-errors.html) for https://appslist.heimdall.site/list.json',
      ],
      fields: { host: 'appslist.heimdall.site' },
    },
  ],
};

export const signatures: SignatureDef[] = [
  beam,
  ruby,
  perl,
  gomp,
  glib,
  cpp,
  qt,
  ocaml,
  curl,
  curlResolve,
  anyWording,
];
