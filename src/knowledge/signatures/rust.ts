// Rust thread spawn failures: std's thread::spawn panics with the io::Error (errno in "Os { code }"),
// tokio's blocking pool and rayon print their own wording. Rust threads are glibc pthreads.
import { errnoFields, errnoFromMessage } from '../errno.js';
import type { Fields, SignatureDef } from '../types.js';
import { threadCreationRaises, unknownThreadCreationRaises } from './raises.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

const spawnThread: SignatureDef = {
  id: 'rust.spawn-thread',
  family: 'rust',
  title: 'Rust could not spawn a thread (failed to spawn thread: Os { code })',
  keywords: ['failed to spawn', 'could not spawn threads'],
  // std: failed to spawn thread: Os { code: 11, kind: WouldBlock, message: "Resource temporarily unavailable" }
  // rayon: could not spawn threads: ThreadPoolBuildError { kind: IOError(Os { code: 11, ...
  pattern:
    /(?:failed to|could not) spawn (?:[a-z]{1,12} )?threads?: (?:ThreadPoolBuildError \{ kind: IOError\()?Os \{ code: (\d{1,4})(?:, kind: (\w{1,30}))?/,
  fields: (m): Fields => ({ ...errnoFields(Number(m[1])), ...(m[2] ? { kind: m[2] } : {}) }),
  raises: (f) => threadCreationRaises(num(f.errno), undefined, true),
  docs: {
    what: 'std::thread::spawn panics with "failed to spawn thread" and the io::Error of pthread_create; thread pools (tokio-threadpool, rayon) print similar text. code 11 (WouldBlock) is EAGAIN, code 1 is EPERM (seccomp on clone3), code 12 is ENOMEM.',
    confirm: [
      "Count the threads of the process and compare with pids.max of the container and pod and with the UID's task count.",
    ],
    fix: [
      'See the cause pages; bound the pool size (RAYON_NUM_THREADS, tokio worker_threads / max_blocking_threads).',
    ],
    sources: [
      'rust-lang/rust:library/std/src/thread/mod.rs (spawn: expect("failed to spawn thread"))',
      'https://github.com/rust-lang/rust/issues/156231',
      'https://github.com/pola-rs/polars/issues/18675',
    ],
  },
  cases: [
    {
      source: 'https://github.com/rust-lang/rust/issues/156231',
      log: [
        'failed to spawn work thread: Os { code: 11, kind: WouldBlock, message: "Resource temporarily unavailable" }',
      ],
      fields: { errno: 11, errnoName: 'EAGAIN', kind: 'WouldBlock' },
    },
    {
      source: 'https://github.com/bitconch/bitconch-core/issues/126 (tokio-threadpool)',
      log: [
        "thread 'soros-jsonrpchttp.worker3' panicked at 'failed to spawn worker thread: Os { code: 11, kind: WouldBlock, message: \"Resource temporarily unavailable\" }'",
      ],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/pola-rs/polars/issues/18675 (rayon)',
      log: [
        'could not spawn threads: ThreadPoolBuildError { kind: IOError(Os { code: 11, kind: WouldBlock, message: "Resource temporarily unavailable" }) }',
      ],
      fields: { errno: 11 },
    },
  ],
};

const tokioWorker: SignatureDef = {
  id: 'rust.worker-thread',
  family: 'rust',
  title: "Rust runtime could not spawn a worker thread (OS can't spawn worker thread)",
  keywords: ["can't spawn"],
  // tokio: "OS can't spawn worker thread: Resource temporarily unavailable (os error 11)"; older: "OS can't spawn a new worker thread: Os { code: 11, ..."
  pattern:
    /OS can't spawn (?:a new )?worker thread(?:: (?:Os \{ code: (\d{1,4})|([A-Za-z ]{3,40}) \(os error (\d{1,4})\)))?/,
  fields: (m): Fields => {
    if (m[1] !== undefined) return errnoFields(Number(m[1]));
    if (m[3] !== undefined) return errnoFields(Number(m[3]));
    return m[2] !== undefined ? errnoFields(errnoFromMessage(m[2])) : {};
  },
  raises: (f) =>
    typeof f.errno === 'number'
      ? threadCreationRaises(f.errno, undefined, true)
      : unknownThreadCreationRaises(),
  docs: {
    what: 'tokio (and the threadpool crate behind Rocket 0.4) panics when the OS refuses a new worker thread. When the panic message is cut before the io::Error, the errno is unknown.',
    confirm: [
      'Count the threads of the process and compare with pids.max and RLIMIT_NPROC ("Max processes" in /proc/<pid>/limits; systemd LimitNPROC= sets it for a service).',
    ],
    fix: ['See the cause pages; cap worker_threads / max_blocking_threads.'],
    sources: [
      'tokio-rs/tokio:tokio/src/runtime/blocking/pool.rs (spawn_thread)',
      'https://github.com/web-infra-dev/rspack/issues/6209',
      'https://github.com/tteck/Proxmox/issues/67',
    ],
  },
  cases: [
    {
      source: 'https://github.com/web-infra-dev/rspack/issues/6209',
      log: ["Message:  OS can't spawn worker thread: Resource temporarily unavailable (os error 11)"],
      fields: { errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/ddbnl/office365-audit-log-collector/issues/46',
      log: [
        "thread '<unnamed>' panicked at 'OS can't spawn a new worker thread: Os { code: 11, kind: WouldBlock, message: \"Resource temporarily unavailable\" }', /home/azureuser/.cargo/registry/src/github.com-1ecc6299db9ec823/tokio-1.17.0/src/runtime/blocking/pool.rs:291:14",
      ],
      fields: { errno: 11 },
    },
    {
      source: 'https://github.com/tteck/Proxmox/issues/67',
      log: ["vaultwarden - 'rocket-worker-thread' panicked at 'OS can't spawn a new worker thread"],
    },
  ],
};

export const signatures: SignatureDef[] = [spawnThread, tokioWorker];
